//! Signing in, the gate in front of every page, the roles, and the first
//! run's setup page.

use reqwest::StatusCode;
use scraper::Html;
use student_registry::accounts::{Role, queries};
use student_registry::audit::Actor;

use crate::helpers::*;

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_page_but_sign_in_setup_health_and_static_files_needs_a_signed_in_account() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let stranger = client();
    for (path, expected) in [
        ("/", "/login/".to_owned()),
        (
            "/?q=ada&page=2",
            "/login/?next=%2F%3Fq%3Dada%26page%3D2".to_owned(),
        ),
        (
            &format!("/{id}/") as &str,
            format!("/login/?next=%2F{id}%2F"),
        ),
        ("/create/", "/login/?next=%2Fcreate%2F".to_owned()),
        (
            &format!("/{id}/edit/"),
            format!("/login/?next=%2F{id}%2Fedit%2F"),
        ),
        (
            "/no-such-page/",
            "/login/?next=%2Fno%2Dsuch%2Dpage%2F".to_owned(),
        ),
    ] {
        let response = stranger.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), expected, "{path}");
    }
    for path in [
        "/create/",
        &format!("/{id}/edit/"),
        &format!("/{id}/delete/"),
    ] {
        let response = stranger
            .post(app.url(path))
            .form(&sammy())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/login/", "{path}");
    }
    assert_eq!(app.students().len(), 1);
    for path in ["/login/", "/healthz"] {
        let response = stranger.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let (_, index) = app.page("/").await;
    let stylesheet = attr(&index, "link[rel=stylesheet]", "href").unwrap();
    let response = stranger.get(app.url(&stylesheet)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn signing_in_goes_back_to_the_page_asked_for_and_nowhere_else() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    for (next, expected) in [
        (format!("/{id}/"), format!("/{id}/")),
        ("/?q=sammy".to_owned(), "/?q=sammy".to_owned()),
        ("https://evil.example/".to_owned(), "/".to_owned()),
        ("//evil.example/".to_owned(), "/".to_owned()),
        ("/\\evil.example".to_owned(), "/".to_owned()),
        (String::new(), "/".to_owned()),
    ] {
        let visitor = client();
        let login = visitor
            .get(app.url(&format!(
                "/login/?next={}",
                percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)
            )))
            .send()
            .await
            .unwrap();
        let html = Html::parse_document(&login.text().await.unwrap());
        let token = attr(&html, "input[name=csrf_token]", "value").unwrap();
        let carried = attr(&html, "input[name=next]", "value").unwrap();
        let response = visitor
            .post(app.url("/login/"))
            .form(&[
                ("email", STAFF_EMAIL),
                ("password", STAFF_PASSWORD),
                ("csrf_token", &token),
                ("next", &carried),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&response), expected, "{next}");
        // Forged: `next` sent straight, not through the form.
        let again = client();
        let login = again.get(app.url("/login/")).send().await.unwrap();
        let html = Html::parse_document(&login.text().await.unwrap());
        let token = attr(&html, "input[name=csrf_token]", "value").unwrap();
        let response = again
            .post(app.url("/login/"))
            .form(&[
                ("email", STAFF_EMAIL),
                ("password", STAFF_PASSWORD),
                ("csrf_token", &token),
                ("next", &next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&response), expected, "{next}");
    }
}

#[tokio::test]
async fn an_unknown_email_a_wrong_password_and_a_deactivated_account_get_one_answer() {
    let app = spawn_app().await;
    create_account(&mut app.db(), "gone@example.com", Role::Editor);
    queries::deactivate(&mut app.db(), &Actor::command_line(), "gone@example.com").unwrap();
    for (email, password) in [
        ("nobody@example.com", STAFF_PASSWORD),
        (STAFF_EMAIL, "violet tractor mango reeF"),
        (STAFF_EMAIL, ""),
        ("", ""),
        ("gone@example.com", STAFF_PASSWORD),
    ] {
        let response = app.try_sign_in(&client(), email, password).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{email}"
        );
        let html = Html::parse_document(&response.text().await.unwrap());
        assert_eq!(
            text(&html, "[role=alert] h2").as_deref(),
            Some("Email or password is incorrect"),
            "{email}"
        );
        assert_eq!(field_value(&html, "email"), email, "the email is kept");
        assert_eq!(field_value(&html, "password"), "", "the password is not");
    }
    // Emails are matched ignoring case, as they are stored.
    let response = app
        .try_sign_in(&client(), "ADMIN@Example.COM", STAFF_PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let user = queries::find_by_email(&mut app.db(), STAFF_EMAIL)
        .unwrap()
        .unwrap();
    assert!(user.last_sign_in_at.is_some());
}

#[tokio::test]
async fn the_sign_in_form_needs_its_csrf_token() {
    let app = spawn_app().await;
    let visitor = client();
    visitor.get(app.url("/login/")).send().await.unwrap();
    let response = visitor
        .post(app.url("/login/"))
        .form(&[("email", STAFF_EMAIL), ("password", STAFF_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        visitor.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_viewer_reads_everything_and_changes_nothing() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let viewer = app.client_as(Role::Viewer).await;
    for path in ["/", &format!("/{id}/")] {
        let response = viewer.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = Html::parse_document(&response.text().await.unwrap());
        assert!(select(&html, "a[href='/create/']").is_empty(), "{path}");
        assert!(select(&html, "a[href$='/edit/']").is_empty(), "{path}");
        assert!(
            select(&html, "form[action$='/delete/'], [formaction$='/delete/'], form[method=post]:not([action='/logout/'])").is_empty(),
            "{path}"
        );
        assert_eq!(
            text(&html, "nav .nav-user").as_deref(),
            Some("viewer (viewer)")
        );
    }
    for path in ["/create/", &format!("/{id}/edit/")] {
        let response = viewer.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let html = Html::parse_document(&response.text().await.unwrap());
        assert_eq!(text(&html, "h1").as_deref(), Some("Not allowed"));
        assert!(
            text(&html, "main")
                .unwrap()
                .contains("needs the editor role"),
            "{path}"
        );
    }
    // With a valid token of its own session, each write is still refused.
    let (_, html) = {
        let response = viewer.get(app.url("/")).send().await.unwrap();
        (
            response.status(),
            Html::parse_document(&response.text().await.unwrap()),
        )
    };
    let token = attr(&html, "nav input[name=csrf_token]", "value").unwrap();
    for path in [
        "/create/",
        &format!("/{id}/edit/"),
        &format!("/{id}/delete/"),
    ] {
        let response = viewer
            .post(app.url(path))
            .form(&with(with(sammy(), "csrf_token", &token), "version", "1"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.students().len(), 1);
    assert_eq!(app.students()[0].version, 1);
}

#[tokio::test]
async fn an_editor_creates_edits_and_deletes() {
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    let page = editor.get(app.url("/create/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = Html::parse_document(&page.text().await.unwrap());
    let token = attr(&html, "input[name=csrf_token]", "value").unwrap();
    let created = editor
        .post(app.url("/create/"))
        .form(&with(sammy(), "csrf_token", &token))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let id = app.students()[0].id;
    let deleted = editor
        .post(app.url(&format!("/{id}/delete/")))
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    assert_eq!(
        editor
            .get(app.url("/create/"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    queries::set_role(
        &mut app.db(),
        &Actor::command_line(),
        "editor@example.com",
        Role::Viewer,
    )
    .unwrap();
    assert_eq!(
        editor
            .get(app.url("/create/"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_first_run_setup_page_creates_one_admin_and_then_stops_working() {
    let (address, setup_url, database) = spawn_first_run().await;
    let setup_url = setup_url.expect("a setup URL on a database with no account");
    let (_, token) = setup_url.split_once("?token=").unwrap();
    assert!(token.len() >= 40, "a long random token: {token}");
    let visitor = client();
    // A wrong or missing token finds no page.
    for path in ["/setup/", "/setup/?token=wrong"] {
        let response = visitor
            .get(format!("{address}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let path = setup_url.split_once("/setup/").unwrap().1;
    let form = visitor
        .get(format!("{address}/setup/{path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let html = Html::parse_document(&form.text().await.unwrap());
    let csrf = attr(&html, "input[name=csrf_token]", "value").unwrap();
    let submit = |password: &'static str| {
        visitor
            .post(format!("{address}/setup/"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("token", token),
                ("email", "head@example.com"),
                ("display_name", "Head Teacher"),
                ("password", password),
            ])
            .send()
    };
    let weak = submit("password1234").await.unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Html::parse_document(&weak.text().await.unwrap());
    assert!(
        field_error(&html, "password")
            .unwrap()
            .contains("too easy to guess")
    );
    assert_eq!(field_value(&html, "email"), "head@example.com");
    assert!(queries::list(&mut database.connect()).unwrap().is_empty());

    let created = submit("violet tractor mango reef").await.unwrap();
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&created), "/");
    // Signed in as the new admin.
    let home = visitor.get(format!("{address}/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let accounts = queries::list(&mut database.connect()).unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].role, Role::Admin);
    assert_eq!(accounts[0].email, "head@example.com");
    // Used: the same address finds nothing now.
    let again = client()
        .get(format!("{address}/setup/{path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn there_is_no_setup_page_when_an_account_exists() {
    let app = spawn_app().await;
    // Started on the same database, which has an account now.
    let (address, setup_url) = app.start_another().await;
    assert!(setup_url.is_none());
    let response = client()
        .get(format!("{address}/setup/?token="))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn repeated_failures_are_answered_429_with_retry_after_even_for_the_right_password() {
    let app = spawn_app_with(|settings| {
        settings.sign_in.failure_window = std::time::Duration::from_secs(3)
    })
    .await;
    for _ in 0..5 {
        let response = app
            .try_sign_in(&client(), STAFF_EMAIL, "not the password at all")
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let response = app
        .try_sign_in(&client(), STAFF_EMAIL, STAFF_PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&retry), "{retry}");
    let html = Html::parse_document(&response.text().await.unwrap());
    assert!(
        text(&html, "[role=alert] h2")
            .unwrap()
            .starts_with("Too many failed sign-ins. Try again in"),
    );
    // Another account is not throttled (one address, under its limit).
    create_account(&mut app.db(), "other@example.com", Role::Editor);
    app.sign_in(&client(), "other@example.com").await;
    // After the window, the right password works again.
    tokio::time::sleep(std::time::Duration::from_secs(retry + 1)).await;
    app.sign_in(&client(), STAFF_EMAIL).await;
}

#[tokio::test]
async fn sign_ins_failed_sign_ins_and_sign_outs_are_in_the_audit_history() {
    use student_registry::audit::{self, Action, Subject};
    let app = spawn_app().await;
    let visitor = client();
    let failed = app
        .try_sign_in(&visitor, "Admin@Example.com", "not the password at all")
        .await;
    assert_eq!(failed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = app
        .try_sign_in(&visitor, "nobody@example.com", "not the password at all")
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.sign_in(&visitor, STAFF_EMAIL).await;
    let (_, page) = {
        let response = visitor.get(app.url("/")).send().await.unwrap();
        (
            response.status(),
            Html::parse_document(&response.text().await.unwrap()),
        )
    };
    let token = attr(&page, "nav input[name=csrf_token]", "value").unwrap();
    let signed_out = visitor
        .post(app.url("/logout/"))
        .form(&[("csrf_token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);

    let events = audit::for_subject(&mut app.db(), Subject::User(app.staff.id), 100).unwrap();
    let actions: Vec<&str> = events.iter().map(|event| event.action.as_str()).collect();
    // Newest first; the first sign-in is the test client's own, after the
    // account's creation.
    assert_eq!(
        actions,
        [
            Action::UserSignOut.as_str(),
            Action::UserSignIn.as_str(),
            Action::UserSignInFailed.as_str(),
            Action::UserSignIn.as_str(),
            Action::UserCreate.as_str(),
        ]
    );
    let failure = &events[2];
    assert_eq!(failure.actor_user_id, None);
    assert_eq!(
        failure.actor_label,
        "someone signing in as admin@example.com"
    );
    assert_eq!(failure.address.as_deref(), Some("127.0.0.1"));
    let sign_in = &events[1];
    assert_eq!(sign_in.actor_user_id, Some(app.staff.id));
    assert_eq!(sign_in.actor_label, "admin <admin@example.com>");
    // The unknown email's failure names no account, only what was typed.
    let all = audit::list(
        &mut app.db(),
        &audit::ActivityFilter::default(),
        audit::Cursor::Newest,
        100,
    )
    .unwrap();
    let unknown = all
        .events
        .iter()
        .find(|event| event.actor_label == "someone signing in with an unknown email")
        .expect("the unknown email's failure");
    assert_eq!(unknown.subject(), None);
    assert!(!unknown.details.contains("nobody"), "{unknown:?}");
    assert_eq!(unknown.action, Action::UserSignInFailed.as_str());
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_address_is_the_one_the_proxy_added_and_otherwise_the_peers() {
    use student_registry::audit::{self, Action, Subject};
    for (trust_proxy, expected) in [(true, "203.0.113.9"), (false, "127.0.0.1")] {
        let app = spawn_app_with(|settings| settings.trust_proxy = trust_proxy).await;
        let visitor = client();
        let login = visitor.get(app.url("/login/")).send().await.unwrap();
        let html = Html::parse_document(&login.text().await.unwrap());
        let token = attr(&html, "input[name=csrf_token]", "value").unwrap();
        let response = visitor
            .post(app.url("/login/"))
            // The first entry is whatever the client claimed; the last is
            // the one the proxy added.
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.9")
            .form(&[
                ("email", STAFF_EMAIL),
                ("password", STAFF_PASSWORD),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let events = audit::for_subject(&mut app.db(), Subject::User(app.staff.id), 1).unwrap();
        assert_eq!(events[0].action, Action::UserSignIn.as_str());
        assert_eq!(
            events[0].address.as_deref(),
            Some(expected),
            "trust: {trust_proxy}"
        );
    }
}

/// Each attempt is counted before its password is checked, so attempts sent
/// all at once cannot all slip in under the limit.
#[tokio::test]
async fn wrong_passwords_sent_all_at_once_get_no_more_tries_than_the_limit() {
    let app = spawn_app().await;
    let attempts = (0..30).map(|_| {
        let app_address = app.address.clone();
        async move {
            let visitor = client();
            let login = visitor
                .get(format!("{app_address}/login/"))
                .send()
                .await
                .unwrap();
            let html = Html::parse_document(&login.text().await.unwrap());
            let token = attr(&html, "input[name=csrf_token]", "value").unwrap();
            visitor
                .post(format!("{app_address}/login/"))
                .form(&[
                    ("email", STAFF_EMAIL),
                    ("password", "not the password at all"),
                    ("csrf_token", &token),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let checked = statuses
        .iter()
        .filter(|status| **status == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let refused = statuses
        .iter()
        .filter(|status| **status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (5, 25), "{statuses:?}");
}

/// A right password withdraws its attempt: a whole staff room signing in
/// from one address never reaches the address's limit.
#[tokio::test]
async fn successful_sign_ins_do_not_count_towards_the_address_limit() {
    let app = spawn_app().await;
    for _ in 0..25 {
        app.sign_in(&client(), STAFF_EMAIL).await;
    }
}

#[tokio::test]
async fn an_email_with_a_control_character_or_far_too_long_is_just_a_failed_sign_in() {
    let app = spawn_app().await;
    for email in [
        "admin\0@example.com",
        "admin@example.com\u{7}",
        &"a".repeat(400),
    ] {
        let response = app.try_sign_in(&client(), email, STAFF_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = Html::parse_document(&response.text().await.unwrap());
        assert_eq!(
            text(&html, "[role=alert] h2").as_deref(),
            Some("Email or password is incorrect")
        );
    }
}

#[tokio::test]
async fn a_sign_in_form_left_open_past_the_idle_timeout_is_shown_again_and_then_works() {
    let app = spawn_app_with(|settings| {
        settings.session_idle_timeout = std::time::Duration::from_secs(1)
    })
    .await;
    let visitor = client();
    let login = visitor.get(app.url("/login/")).send().await.unwrap();
    let html = Html::parse_document(&login.text().await.unwrap());
    let stale = attr(&html, "input[name=csrf_token]", "value").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let submit = |token: String| {
        visitor
            .post(app.url("/login/"))
            .form(&[
                ("email", STAFF_EMAIL.to_owned()),
                ("password", STAFF_PASSWORD.to_owned()),
                ("csrf_token", token),
            ])
            .send()
    };
    let refused = submit(stale).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let html = Html::parse_document(&refused.text().await.unwrap());
    assert_eq!(
        text(&html, "[role=alert] h2").as_deref(),
        Some("The sign-in form had expired. Please sign in again.")
    );
    let fresh = attr(&html, "input[name=csrf_token]", "value").expect("a fresh token");
    assert_eq!(submit(fresh).await.unwrap().status(), StatusCode::SEE_OTHER);
}
