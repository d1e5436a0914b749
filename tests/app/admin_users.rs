//! `/users/`: the admins' pages for staff accounts. Only admins reach them;
//! each change takes effect at once (the role on the next request; a
//! deactivation or a new password ends the account's sessions), keeps the
//! last active admin, and is recorded in the audit history with who made it.

use reqwest::StatusCode;
use scraper::Html;
use serde_json::json;
use student_registry::accounts::{Role, User, queries};
use student_registry::audit::{self, Action, AuditEvent, Subject};

use crate::cli::registry_with_input;
use crate::helpers::*;

/// A password the rules accept, other than [`STAFF_PASSWORD`].
const NEW_PASSWORD: &str = "quietly orbiting lanterns";

/// Every change to one account, newest first (its sign-ins left out).
fn history(app: &TestApp, id: i32) -> Vec<AuditEvent> {
    let mut events =
        audit::for_subject(&mut app.db(), Subject::User(id), 100).expect("read the history");
    events.retain(|event| !event.action.starts_with("user.sign"));
    events
}

fn account(app: &TestApp, email: &str) -> User {
    queries::find_by_email(&mut app.db(), email)
        .expect("read the account")
        .expect("the account exists")
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"]
        .to_str()
        .expect("a readable location")
        .to_owned()
}

/// POSTs `fields` from `client` with a CSRF token of its session (from the
/// sign-out form every signed-in page has).
async fn post_as(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let home = client.get(app.url("/")).send().await.expect("GET /");
    let html = Html::parse_document(&home.text().await.expect("body"));
    let token = attr(&html, "input[name=csrf_token]", "value").unwrap_or_default();
    let mut body: Vec<(&str, &str)> = fields.to_vec();
    body.push(("csrf_token", &token));
    client
        .post(app.url(path))
        .form(&body)
        .send()
        .await
        .expect("POST")
}

/// POSTs as the admin (`app.client`).
async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    post_as(app, &app.client, path, fields).await
}

/// The flash messages of the page a redirect leads to, for `client`.
async fn flashes_after(app: &TestApp, response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let next = app
        .client
        .get(app.url(&location(&response)))
        .send()
        .await
        .expect("follow the redirect");
    let html = Html::parse_document(&next.text().await.expect("body"));
    select(&html, ".flash")
}

async fn parsed(response: reqwest::Response) -> Html {
    Html::parse_document(&response.text().await.expect("body"))
}

#[tokio::test]
async fn only_admins_reach_the_account_pages() {
    let app = spawn_app().await;
    let target = create_account(&mut app.db(), "target@example.com", Role::Editor);
    let id = target.id;
    let pages = [
        "/users/".to_owned(),
        "/users/new/".to_owned(),
        format!("/users/{id}/"),
    ];
    let forms: [(String, Vec<(&str, &str)>); 5] = [
        (
            "/users/new/".to_owned(),
            vec![
                ("email", "sneaky@example.com"),
                ("display_name", "Sneaky"),
                ("role", "admin"),
                ("password", NEW_PASSWORD),
            ],
        ),
        (format!("/users/{id}/role/"), vec![("role", "admin")]),
        (format!("/users/{id}/deactivate/"), vec![]),
        (format!("/users/{id}/activate/"), vec![]),
        (
            format!("/users/{id}/password/"),
            vec![("password", NEW_PASSWORD)],
        ),
    ];
    let viewer = app.client_as(Role::Viewer).await;
    let editor = app.client_as(Role::Editor).await;
    for (who, client) in [("viewer", &viewer), ("editor", &editor)] {
        for path in &pages {
            let response = client.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{who} GET {path}");
            let html = parsed(response).await;
            assert_eq!(text(&html, "h1").as_deref(), Some("Not allowed"));
        }
        for (path, fields) in &forms {
            let response = post_as(&app, client, path, fields).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{who} POST {path}"
            );
        }
    }
    let anonymous = client();
    for path in &pages {
        let response = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "GET {path}");
        assert!(location(&response).starts_with("/login/"), "GET {path}");
    }
    for (path, fields) in &forms {
        let response = anonymous
            .post(app.url(path))
            .form(fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "POST {path}");
        assert_eq!(location(&response), "/login/", "POST {path}");
    }
    // Nothing changed.
    assert!(
        queries::find_by_email(&mut app.db(), "sneaky@example.com")
            .unwrap()
            .is_none()
    );
    assert_eq!(account(&app, "target@example.com"), target);
    assert!(history(&app, id).iter().all(|e| e.action == "user.create"));
    // The admin does reach them.
    for path in &pages {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn the_list_shows_every_account_and_links_to_its_page() {
    let app = spawn_app().await;
    let editor = create_account(&mut app.db(), "editor@example.com", Role::Editor);
    queries::deactivate(&mut app.db(), &audit::Actor::command_line(), &editor.email).unwrap();
    let (status, html) = app.page("/users/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        select(&html, "tbody tr"),
        vec![
            format!(
                "admin admin@example.com admin Active {} {}",
                text(&html, "tbody tr:nth-child(1) td:nth-child(5)").unwrap(),
                text(&html, "tbody tr:nth-child(1) td:nth-child(6)").unwrap()
            ),
            format!(
                "editor editor@example.com editor Deactivated {} Never",
                text(&html, "tbody tr:nth-child(2) td:nth-child(5)").unwrap()
            ),
        ]
    );
    assert_eq!(
        attr(&html, "tbody tr:nth-child(2) a", "href"),
        Some(format!("/users/{}/", editor.id))
    );
    let (status, html) = app.page(&format!("/users/{}/", editor.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&html, "h1").as_deref(), Some("editor"));
    // Deactivated: the page offers to activate it.
    assert!(attr(&html, "form[action$='/activate/']", "method").is_some());
    assert_eq!(
        app.get("/users/999999/").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_admin_creates_an_account_that_can_sign_in_with_its_role() {
    let app = spawn_app().await;
    let response = post(
        &app,
        "/users/new/",
        &[
            ("email", " Ada@Example.com "),
            ("display_name", "Ada Lovelace"),
            ("role", "editor"),
            ("password", NEW_PASSWORD),
        ],
    )
    .await;
    let created = account(&app, "ada@example.com");
    assert_eq!(location(&response), format!("/users/{}/", created.id));
    assert_eq!(
        flashes_after(&app, response).await,
        vec!["Account created for Ada Lovelace (Ada@example.com), an editor"]
    );
    assert_eq!(created.role, Role::Editor);
    assert!(created.active);
    let ada = client();
    let signed_in = app.try_sign_in(&ada, "ada@example.com", NEW_PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        ada.get(app.url("/create/")).send().await.unwrap().status(),
        StatusCode::OK,
        "an editor"
    );
    let events = history(&app, created.id);
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.action, "user.create");
    assert_eq!(event.actor_user_id, Some(app.staff.id));
    assert_eq!(event.actor_label, "admin <admin@example.com>");
    assert_eq!(event.address.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        event.details(),
        json!({"email": "Ada@example.com", "display_name": "Ada Lovelace", "role": "editor"})
    );
    assert!(!event.details.contains("argon2"), "never the hash");
}

#[tokio::test]
async fn a_refused_new_account_keeps_what_was_typed_but_the_password() {
    let app = spawn_app().await;
    create_account(&mut app.db(), "taken@example.com", Role::Viewer);
    let valid = [
        ("email", "new@example.com"),
        ("display_name", "New Person"),
        ("role", "editor"),
        ("password", NEW_PASSWORD),
    ];
    let with = |name: &str, value: &'static str| {
        valid
            .iter()
            .map(|&(field, typed)| (field, if field == name { value } else { typed }))
            .collect::<Vec<_>>()
    };
    for (fields, field, message) in [
        (
            with("password", "password1234"),
            "password",
            "Password is too easy to guess",
        ),
        (
            with("password", "short"),
            "password",
            "Password must be at least 12 characters (it has 5)",
        ),
        (
            with("email", "not an email"),
            "email",
            "Enter an email address like name@example.com",
        ),
        (
            with("email", "TAKEN@example.com"),
            "email",
            "Another account already uses this email address",
        ),
        (
            with("role", "owner"),
            "role",
            "Role must be viewer, editor or admin",
        ),
    ] {
        let response = post(&app, "/users/new/", &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}"
        );
        let html = parsed(response).await;
        let shown = field_error(&html, field).unwrap_or_default();
        assert!(shown.starts_with(message), "{field}: {shown}");
        let typed = |name: &str| fields.iter().find(|(f, _)| *f == name).unwrap().1;
        assert_eq!(field_value(&html, "email"), typed("email"));
        assert_eq!(field_value(&html, "display_name"), typed("display_name"));
        assert_eq!(field_value(&html, "password"), "", "never shown again");
        let role = attr(&html, "select[name=role] option[selected]", "value");
        let expected = Some(typed("role")).filter(|role| *role != "owner");
        assert_eq!(role.as_deref(), expected);
    }
    let users = queries::list(&mut app.db()).unwrap();
    assert_eq!(users.len(), 2, "nothing created: {users:?}");
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_accounts_next_request() {
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    let id = account(&app, "editor@example.com").id;
    let can_create = || async {
        editor
            .get(app.url("/create/"))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(can_create().await, StatusCode::OK);

    let response = post(&app, &format!("/users/{id}/role/"), &[("role", "viewer")]).await;
    assert_eq!(location(&response), format!("/users/{id}/"));
    assert_eq!(
        flashes_after(&app, response).await,
        vec!["editor is now a viewer (was an editor)"]
    );
    assert_eq!(can_create().await, StatusCode::FORBIDDEN);
    // The same role again changes nothing, and records nothing.
    let response = post(&app, &format!("/users/{id}/role/"), &[("role", "viewer")]).await;
    assert_eq!(
        flashes_after(&app, response).await,
        vec!["editor is already a viewer"]
    );
    let events = history(&app, id);
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].action, "user.set_role");
    assert_eq!(events[0].actor_user_id, Some(app.staff.id));
    assert_eq!(
        events[0].details(),
        json!({"role": {"old": "editor", "new": "viewer"}})
    );
    // Not a role: the page again, nothing changed.
    let response = post(&app, &format!("/users/{id}/role/"), &[("role", "root")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(account(&app, "editor@example.com").role, Role::Viewer);
}

#[tokio::test]
async fn deactivating_ends_the_accounts_sessions_and_its_sign_in_until_activated() {
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    let id = account(&app, "editor@example.com").id;
    let response = post(&app, &format!("/users/{id}/deactivate/"), &[]).await;
    assert_eq!(
        flashes_after(&app, response).await,
        vec!["editor is deactivated: they are signed out and can no longer sign in"]
    );
    let response = editor.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed out");
    assert_eq!(location(&response), "/login/");
    let again = app
        .try_sign_in(&client(), "editor@example.com", STAFF_PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let response = post(&app, &format!("/users/{id}/activate/"), &[]).await;
    assert_eq!(
        flashes_after(&app, response).await,
        vec!["editor is active again and can sign in"]
    );
    app.sign_in(&client(), "editor@example.com").await;

    let events = history(&app, id);
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["user.activate", "user.deactivate", "user.create"]);
    let deactivated = events
        .iter()
        .find(|e| e.action == "user.deactivate")
        .unwrap();
    assert_eq!(deactivated.actor_user_id, Some(app.staff.id));
    assert_eq!(
        deactivated.details(),
        json!({"active": {"old": true, "new": false}})
    );
    let activated = events.iter().find(|e| e.action == "user.activate").unwrap();
    assert_eq!(activated.actor_user_id, Some(app.staff.id));
    assert_eq!(
        activated.details(),
        json!({"active": {"old": false, "new": true}})
    );
}

#[tokio::test]
async fn a_new_password_ends_the_accounts_sessions_and_is_the_one_that_works() {
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    let id = account(&app, "editor@example.com").id;
    // Too weak: said beside the field, nothing changed.
    let response = post(
        &app,
        &format!("/users/{id}/password/"),
        &[("password", "editor12345678")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = parsed(response).await;
    assert!(
        field_error(&html, "password")
            .unwrap_or_default()
            .starts_with("Password is too easy to guess"),
    );
    assert_eq!(
        editor.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::OK,
        "still signed in"
    );

    let response = post(
        &app,
        &format!("/users/{id}/password/"),
        &[("password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(
        flashes_after(&app, response).await,
        vec!["editor's password is changed, and they are signed out everywhere"]
    );
    assert_eq!(
        editor.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "signed out"
    );
    let old = app
        .try_sign_in(&client(), "editor@example.com", STAFF_PASSWORD)
        .await;
    assert_eq!(old.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let new = app
        .try_sign_in(&client(), "editor@example.com", NEW_PASSWORD)
        .await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);

    let event = history(&app, id)
        .into_iter()
        .find(|e| e.action == "user.reset_password")
        .expect("the reset is recorded");
    assert_eq!(event.actor_user_id, Some(app.staff.id));
    assert_eq!(event.details(), json!({}), "nothing of the password");
}

#[tokio::test]
async fn the_last_active_admin_is_neither_demoted_nor_deactivated() {
    let app = spawn_app().await;
    let id = app.staff.id;
    let before = account(&app, STAFF_EMAIL);
    for (path, fields, control) in [
        (
            format!("/users/{id}/role/"),
            vec![("role", "editor")],
            "role",
        ),
        (format!("/users/{id}/deactivate/"), vec![], "deactivate"),
    ] {
        let response = post(&app, &path, &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}"
        );
        let html = parsed(response).await;
        let expected = "admin is the last active admin and cannot be";
        assert!(
            text(&html, &format!("#{control}-error"))
                .unwrap_or_default()
                .contains(expected),
            "{path}"
        );
        assert!(
            text(&html, ".error-summary")
                .unwrap_or_default()
                .contains(expected),
            "{path}"
        );
    }
    assert_eq!(account(&app, STAFF_EMAIL), before, "nothing changed");
    assert_eq!(app.get("/users/").await.status(), StatusCode::OK);
    assert!(
        history(&app, id)
            .iter()
            .all(|e| !e.action.starts_with("user.set_role") && e.action != "user.deactivate"),
    );
    // With a second admin, the first may step down, and no longer sees the
    // account pages.
    create_account(&mut app.db(), "second@example.com", Role::Admin);
    let response = post(&app, &format!("/users/{id}/role/"), &[("role", "editor")]).await;
    assert_eq!(location(&response), "/");
    assert_eq!(app.get("/users/").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_deactivating_themself_is_signed_out() {
    let app = spawn_app().await;
    create_account(&mut app.db(), "second@example.com", Role::Admin);
    let id = app.staff.id;
    let response = post(&app, &format!("/users/{id}/deactivate/"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login/");
    let (_, html) = app.page("/login/").await;
    assert_eq!(
        select(&html, ".flash"),
        vec!["You deactivated your own account, and are signed out."]
    );
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!account(&app, STAFF_EMAIL).active);
    let event = history(&app, id)
        .into_iter()
        .find(|e| e.action == "user.deactivate")
        .expect("recorded");
    assert_eq!(event.actor_user_id, Some(id));
}

#[tokio::test]
async fn changes_from_the_command_line_are_recorded_as_the_command_line() {
    let app = spawn_app().await;
    let created = registry_with_input(
        app.database.url(),
        &[
            "users",
            "create",
            "--email",
            "cli@example.com",
            "--name",
            "Cli Person",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        &format!("{NEW_PASSWORD}\n"),
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    for args in [
        &[
            "users",
            "set-role",
            "--email",
            "cli@example.com",
            "--role",
            "editor",
        ][..],
        &["users", "deactivate", "--email", "cli@example.com"][..],
    ] {
        let output = registry_with_input(app.database.url(), args, "");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let id = account(&app, "cli@example.com").id;
    let events = history(&app, id);
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["user.deactivate", "user.set_role", "user.create"]);
    for event in &events {
        assert_eq!(event.actor_label, "command line");
        assert_eq!(event.actor_user_id, None);
        assert_eq!(event.address, None);
    }
    assert_eq!(
        events[1].details(),
        json!({"role": {"old": "viewer", "new": "editor"}})
    );
    assert_eq!(Action::parse(&events[0].action), Ok(Action::UserDeactivate));
}

#[tokio::test]
async fn every_account_form_needs_its_csrf_token() {
    let app = spawn_app().await;
    let editor = create_account(&mut app.db(), "editor@example.com", Role::Editor);
    let id = editor.id;
    for (path, fields) in [
        (
            "/users/new/".to_owned(),
            vec![
                ("email", "forged@example.com"),
                ("display_name", "Forged"),
                ("role", "admin"),
                ("password", NEW_PASSWORD),
            ],
        ),
        (format!("/users/{id}/role/"), vec![("role", "admin")]),
        (format!("/users/{id}/deactivate/"), vec![]),
        (
            format!("/users/{id}/password/"),
            vec![("password", NEW_PASSWORD)],
        ),
    ] {
        let mut forged = fields.clone();
        forged.push(("csrf_token", "forged"));
        for body in [fields, forged] {
            let response = app
                .client
                .post(app.url(&path))
                .form(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path} {body:?}");
        }
    }
    assert_eq!(
        account(&app, "editor@example.com"),
        editor,
        "nothing changed"
    );
    assert!(
        queries::find_by_email(&mut app.db(), "forged@example.com")
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_admin_setting_their_own_password_signs_in_again_with_it() {
    let app = spawn_app().await;
    let id = app.staff.id;
    let response = post(
        &app,
        &format!("/users/{id}/password/"),
        &[("password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(location(&response), "/login/");
    assert_eq!(
        app.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "signed out"
    );
    let again = app
        .try_sign_in(&app.client, STAFF_EMAIL, NEW_PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
}
