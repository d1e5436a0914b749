//! `/account/` and `/account/tokens/`: anyone signed in sees their own
//! account, changes its password (every other browser is signed out, this
//! one stays signed in), signs out everywhere, and makes, lists and revokes
//! their own API tokens; each change leaves its audit event.

use reqwest::StatusCode;
use scraper::Html;
use serde_json::json;
use student_registry::accounts::{Role, sessions, tokens};
use student_registry::audit::{self, Action, AuditEvent, Subject};

use crate::helpers::*;

const NEW_PASSWORD: &str = "quietly orbiting lanterns";

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// GETs `path` with `client` and parses the page.
async fn page_of(app: &TestApp, client: &reqwest::Client, path: &str) -> (StatusCode, Html) {
    let response = client.get(app.url(path)).send().await.expect("GET");
    let status = response.status();
    (
        status,
        Html::parse_document(&response.text().await.unwrap()),
    )
}

/// POSTs `fields` with `client`, with the CSRF token of its account page,
/// as the browser would send the form.
async fn submit(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = page_of(app, client, "/account/").await;
    let token = attr(&html, "input[name=csrf_token]", "value").expect("a CSRF token");
    let mut body: Vec<(&str, &str)> = fields.to_vec();
    body.push(("csrf_token", &token));
    client
        .post(app.url(path))
        .form(&body)
        .send()
        .await
        .expect("POST")
}

async fn change_password(
    app: &TestApp,
    client: &reqwest::Client,
    current: &str,
    new: &str,
) -> reqwest::Response {
    let fields = [("current_password", current), ("new_password", new)];
    submit(app, client, "/account/password/", &fields).await
}

/// A new client signed in as `email` (with the tests' password).
async fn signed_in_as(app: &TestApp, email: &str) -> reqwest::Client {
    let client = client();
    app.sign_in(&client, email).await;
    client
}

/// Whether `client` is still signed in: the index answers it.
async fn is_signed_in(app: &TestApp, client: &reqwest::Client) -> bool {
    let response = client.get(app.url("/")).send().await.unwrap();
    match response.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => false,
        other => panic!("GET / answered {other}"),
    }
}

fn events(app: &TestApp, subject: Subject) -> Vec<AuditEvent> {
    audit::for_subject(&mut app.db(), subject, 100).expect("read the history")
}

fn events_of(app: &TestApp, subject: Subject, action: Action) -> Vec<AuditEvent> {
    events(app, subject)
        .into_iter()
        .filter(|event| event.action == action.as_str())
        .collect()
}

/// Makes a token through the form; the answer.
async fn make_token(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    scope: &str,
    expires_in_days: &str,
) -> reqwest::Response {
    let fields = [
        ("name", name),
        ("scope", scope),
        ("expires_in_days", expires_in_days),
    ];
    submit(app, client, "/account/tokens/", &fields).await
}

/// The token shown once on the page that answered its form.
async fn shown_token(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::CREATED);
    let html = Html::parse_document(&response.text().await.unwrap());
    text(&html, "#new-token").expect("the new token, shown once")
}

#[tokio::test]
async fn the_account_pages_need_a_signed_in_account() {
    let app = spawn_app().await;
    let stranger = client();
    for (path, expected) in [
        ("/account/", "/login/?next=%2Faccount%2F"),
        ("/account/tokens/", "/login/?next=%2Faccount%2Ftokens%2F"),
    ] {
        let response = stranger.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), expected, "{path}");
    }
    for path in [
        "/account/password/",
        "/account/sign-out-everywhere/",
        "/account/tokens/",
        "/account/tokens/1/revoke/",
    ] {
        let response = stranger
            .post(app.url(path))
            .form(&[("name", "x"), ("scope", "read")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/login/", "{path}");
    }
    assert_eq!(
        tokens::list_for_user(&mut app.db(), app.staff.id)
            .unwrap()
            .len(),
        1,
        "only the test's own token"
    );
}

#[tokio::test]
async fn every_role_sees_its_own_account_with_its_sessions() {
    let app = spawn_app().await;
    let viewer = app.client_as(Role::Viewer).await;
    let (status, html) = page_of(&app, &viewer, "/account/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&html, "title").as_deref(),
        Some("Your account · Student Registry")
    );
    let facts = select(&html, ".facts dd");
    assert_eq!(facts[0], "viewer@example.com");
    assert_eq!(facts[1], "viewer");
    assert!(facts[2].ends_with("UTC"), "{facts:?}");
    assert_eq!(text(&html, "#session-count").as_deref(), Some("1"));
    let _second = signed_in_as(&app, "viewer@example.com").await;
    let (_, html) = page_of(&app, &viewer, "/account/").await;
    assert_eq!(text(&html, "#session-count").as_deref(), Some("2"));
    // The admin's page is the admin's own.
    let (_, html) = app.page("/account/").await;
    assert_eq!(select(&html, ".facts dd")[0], STAFF_EMAIL);
    let (status, _) = page_of(&app, &viewer, "/account/tokens/").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing() {
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    let response = change_password(&app, &editor, "not my password at all", NEW_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        field_error(&html, "current_password").as_deref(),
        Some("Current password is incorrect")
    );
    assert_eq!(field_error(&html, "new_password"), None);
    // Passwords are never sent back.
    assert_eq!(field_value(&html, "current_password"), "");
    assert_eq!(field_value(&html, "new_password"), "");
    assert!(is_signed_in(&app, &editor).await);
    let old = app
        .try_sign_in(&client(), "editor@example.com", STAFF_PASSWORD)
        .await;
    assert_eq!(
        old.status(),
        StatusCode::SEE_OTHER,
        "the old one still works"
    );
    let new = app
        .try_sign_in(&client(), "editor@example.com", NEW_PASSWORD)
        .await;
    assert_eq!(new.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let editor_id = app_user_id(&app, "editor@example.com");
    assert!(events_of(&app, Subject::User(editor_id), Action::UserChangePassword).is_empty());
}

fn app_user_id(app: &TestApp, email: &str) -> i32 {
    student_registry::accounts::queries::find_by_email(&mut app.db(), email)
        .unwrap()
        .expect("the account")
        .id
}

#[tokio::test]
async fn a_weak_or_unchanged_new_password_is_refused_with_the_reason() {
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    for (new, reason) in [
        (
            "short",
            "Password must be at least 12 characters (it has 5)",
        ),
        ("password1234", "Password is too easy to guess: "),
        (
            "editor@example.com 1",
            "Password is too easy to guess: It contains the account's email or name.",
        ),
        (
            STAFF_PASSWORD,
            "New password must differ from the current one",
        ),
    ] {
        let response = change_password(&app, &editor, STAFF_PASSWORD, new).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{new}");
        let html = Html::parse_document(&response.text().await.unwrap());
        let message = field_error(&html, "new_password").unwrap_or_default();
        assert!(message.starts_with(reason), "{new}: {message}");
        assert_eq!(field_error(&html, "current_password"), None, "{new}");
        assert_eq!(
            text(&html, ".error-summary h2").as_deref(),
            Some("1 problem prevents changing the password")
        );
    }
    let old = app
        .try_sign_in(&client(), "editor@example.com", STAFF_PASSWORD)
        .await;
    assert_eq!(old.status(), StatusCode::SEE_OTHER, "nothing changed");
}

#[tokio::test]
async fn a_new_password_signs_out_every_other_browser_and_keeps_this_one() {
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    let elsewhere = signed_in_as(&app, "editor@example.com").await;
    let editor_id = app_user_id(&app, "editor@example.com");
    assert_eq!(sessions::count_for(&mut app.db(), editor_id).unwrap(), 2);

    let response = change_password(&app, &editor, STAFF_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/account/");

    let (status, html) = page_of(&app, &editor, "/account/").await;
    assert_eq!(status, StatusCode::OK, "this browser stays signed in");
    assert!(
        text(&html, ".flash-success").is_some_and(|flash| flash.contains("password is changed")),
        "{:?}",
        select(&html, ".flash")
    );
    assert!(!is_signed_in(&app, &elsewhere).await);
    assert_eq!(
        sessions::count_for(&mut app.db(), editor_id).unwrap(),
        1,
        "only this browser's new session"
    );
    // Its forms still work: the new session has a CSRF token of its own.
    let again = change_password(&app, &editor, NEW_PASSWORD, "violet tractor mango reef 2").await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let old = app
        .try_sign_in(&client(), "editor@example.com", STAFF_PASSWORD)
        .await;
    assert_eq!(old.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let newest = app
        .try_sign_in(
            &client(),
            "editor@example.com",
            "violet tractor mango reef 2",
        )
        .await;
    assert_eq!(newest.status(), StatusCode::SEE_OTHER);

    let changes = events_of(&app, Subject::User(editor_id), Action::UserChangePassword);
    assert_eq!(changes.len(), 2, "{changes:?}");
    let first = &changes[1];
    assert_eq!(first.actor_user_id, Some(editor_id));
    assert_eq!(first.actor_label, "editor <editor@example.com>");
    assert_eq!(first.address.as_deref(), Some("127.0.0.1"));
    assert_eq!(first.details(), json!({"sessions_ended": 2}));
    assert!(!first.details.contains("violet") && !first.details.contains("lanterns"));
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_account_only() {
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    let elsewhere = signed_in_as(&app, "editor@example.com").await;
    let editor_id = app_user_id(&app, "editor@example.com");
    let copied = {
        let (_, html) = page_of(&app, &editor, "/account/").await;
        attr(&html, "input[name=csrf_token]", "value").unwrap()
    };
    let response = submit(&app, &editor, "/account/sign-out-everywhere/", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login/");
    assert!(!is_signed_in(&app, &editor).await);
    assert!(!is_signed_in(&app, &elsewhere).await);
    assert_eq!(sessions::count_for(&mut app.db(), editor_id).unwrap(), 0);
    // Another account's session is untouched.
    assert!(is_signed_in(&app, &app.client).await);
    // A form of the ended session does nothing more.
    let replayed = editor
        .post(app.url("/account/sign-out-everywhere/"))
        .form(&[("csrf_token", copied.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&replayed), "/login/");

    let signed_out = events_of(&app, Subject::User(editor_id), Action::UserSignOut);
    assert_eq!(signed_out.len(), 1, "{signed_out:?}");
    assert_eq!(signed_out[0].actor_user_id, Some(editor_id));
    assert_eq!(
        signed_out[0].details(),
        json!({"everywhere": true, "sessions_ended": 2})
    );
}

#[tokio::test]
async fn a_token_is_shown_once_listed_after_and_works_with_its_scope() {
    let app = spawn_app().await;
    let write = shown_token(make_token(&app, &app.client, "sync", "write", "90").await).await;
    let read = shown_token(make_token(&app, &app.client, "report", "read", "").await).await;
    assert!(write.starts_with("sr_") && read.starts_with("sr_"));
    assert_ne!(write, read);

    let response = app.get("/account/tokens/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(
        !body.contains(&write) && !body.contains(&read),
        "shown once"
    );
    let html = Html::parse_document(&body);
    assert_eq!(select(&html, "#new-token").len(), 0);
    let rows = select(&html, "tbody tr");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[1].starts_with("sync write "), "{}", rows[1]);
    assert!(rows[1].contains("never"), "never used: {}", rows[1]);
    assert!(rows[2].starts_with("report read "), "{}", rows[2]);
    assert!(
        rows[2].ends_with("never Active Revoke report"),
        "{}",
        rows[2]
    );

    let writer = client_with_token(&write);
    let created = writer
        .post(app.url("/api/students"))
        .json(&json!({"firstname": "Sammy", "lastname": "Shark", "email": "s@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let reader = client_with_token(&read);
    let listed = reader.get(app.url("/api/students")).send().await.unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let refused = reader
        .post(app.url("/api/students"))
        .json(&json!({"firstname": "Ada", "lastname": "L", "email": "a@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let sync = tokens::find_by_name(&mut app.db(), app.staff.id, "sync")
        .unwrap()
        .expect("stored");
    assert!(sync.expires_at.is_some() && sync.last_used_at.is_some());
    let made = events_of(&app, Subject::Token(sync.id), Action::TokenCreate);
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].actor_user_id, Some(app.staff.id));
    assert_eq!(made[0].actor_label, format!("admin <{STAFF_EMAIL}>"));
    let details = made[0].details();
    assert_eq!(details["name"], "sync");
    assert_eq!(details["scope"], "write");
    assert!(details["expires_at"].is_string(), "{details}");
    assert!(
        !made[0].details.contains(&write[3..]),
        "no token in the log"
    );
}

#[tokio::test]
async fn a_refused_token_form_keeps_what_was_typed_and_says_why() {
    let app = spawn_app().await;
    shown_token(make_token(&app, &app.client, "sync", "read", "").await).await;
    for (name, scope, expiry, field, message) in [
        (
            "SYNC",
            "read",
            "",
            "name",
            "You already have a token named “SYNC”",
        ),
        ("", "read", "", "name", "Token name is required"),
        (
            "nightly",
            "admin",
            "",
            "scope",
            "Choose the scope: read or write",
        ),
        (
            "nightly",
            "read",
            "0",
            "expires_in_days",
            "A token expires in 1 to 3650 days (not 0)",
        ),
        (
            "nightly",
            "read",
            "ten",
            "expires_in_days",
            "Expiry must be a whole number of days from 1 to 3650",
        ),
    ] {
        let response = make_token(&app, &app.client, name, scope, expiry).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name} {scope} {expiry}"
        );
        let html = Html::parse_document(&response.text().await.unwrap());
        let shown = field_error(&html, field).unwrap_or_default();
        assert!(shown.starts_with(message), "{field}: {shown}");
        assert_eq!(field_value(&html, "name"), name);
        assert_eq!(field_value(&html, "expires_in_days"), expiry);
        assert_eq!(select(&html, "#new-token").len(), 0);
    }
    let names: Vec<String> = tokens::list_for_user(&mut app.db(), app.staff.id)
        .unwrap()
        .into_iter()
        .map(|token| token.name)
        .collect();
    assert_eq!(names, ["write", "sync"]);
}

#[tokio::test]
async fn a_viewer_may_make_read_tokens_only() {
    let app = spawn_app().await;
    let viewer = app.client_as(Role::Viewer).await;
    let (_, html) = page_of(&app, &viewer, "/account/tokens/").await;
    assert_eq!(select(&html, "select[name=scope] option"), ["read"]);
    let response = make_token(&app, &viewer, "sync", "write", "").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        field_error(&html, "scope").as_deref(),
        Some("A viewer cannot change records, so a write token would not work: make a read token")
    );
    let viewer_id = app_user_id(&app, "viewer@example.com");
    assert!(
        tokens::list_for_user(&mut app.db(), viewer_id)
            .unwrap()
            .is_empty()
    );
    let read = shown_token(make_token(&app, &viewer, "sync", "read", "").await).await;
    let listed = client_with_token(&read)
        .get(app.url("/api/students"))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_is_revoked_by_its_owner_only() {
    let app = spawn_app().await;
    let secret = shown_token(make_token(&app, &app.client, "sync", "read", "").await).await;
    let sync = tokens::find_by_name(&mut app.db(), app.staff.id, "sync")
        .unwrap()
        .expect("stored");
    let api = client_with_token(&secret);
    let calls = |client: reqwest::Client| {
        let url = app.url("/api/students");
        async move { client.get(url).send().await.unwrap().status() }
    };
    assert_eq!(calls(api.clone()).await, StatusCode::OK);

    // Someone else's token is not there for them.
    let editor = app.client_as(Role::Editor).await;
    let path = format!("/account/tokens/{}/revoke/", sync.id);
    let response = submit(&app, &editor, &path, &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(calls(api.clone()).await, StatusCode::OK);
    let missing = submit(&app, &app.client, "/account/tokens/99999/revoke/", &[]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let response = submit(&app, &app.client, &path, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/account/tokens/");
    assert_eq!(calls(api.clone()).await, StatusCode::UNAUTHORIZED);
    let (_, html) = app.page("/account/tokens/").await;
    assert!(
        text(&html, ".flash-success")
            .is_some_and(|flash| flash.contains("Token “sync” is revoked"))
    );
    let rows = select(&html, "tbody tr");
    assert!(rows[1].contains("Revoked"), "{rows:?}");
    assert_eq!(
        select(&html, "form[action$='/revoke/']").len(),
        1,
        "no button for a revoked token"
    );

    // Revoking again changes nothing and records nothing.
    let again = submit(&app, &app.client, &path, &[]).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let revoked = events_of(&app, Subject::Token(sync.id), Action::TokenRevoke);
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0].actor_user_id, Some(app.staff.id));
    assert_eq!(revoked[0].details(), json!({"name": "sync"}));
}
