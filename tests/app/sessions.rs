//! Sessions are stored on the server: signing out, an idle timeout, an
//! absolute lifetime, a deactivation or a new password ends them, whatever
//! cookie the client keeps sending.

use std::time::Duration;

use actix_web::cookie::{Cookie, CookieJar, Key};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use student_registry::accounts::{NewPassword, Role, queries, sessions};
use student_registry::audit::Actor;

use crate::helpers::*;

/// GET `path` with exactly this `Cookie` header, as someone replaying a
/// copied cookie would.
async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    client()
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

#[tokio::test]
async fn signing_out_ends_the_session_so_a_copy_of_its_cookie_is_worth_nothing() {
    let app = spawn_app().await;
    let copied = app.cookie_header();
    assert_eq!(
        get_with_cookie(&app, "/", &copied).await.status(),
        StatusCode::OK
    );
    let signed_out = app.post_form("/logout/", &[]).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_out), "/login/");
    assert_eq!(sessions::count_for(&mut app.db(), app.staff.id).unwrap(), 0);
    let replayed = get_with_cookie(&app, "/", &copied).await;
    assert_eq!(replayed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&replayed), "/login/");
    assert_eq!(app.get("/").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_session_key_changes_at_sign_in_so_a_planted_cookie_signs_no_one_in() {
    let app = spawn_app().await;
    let cookies = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let victim = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(cookies.clone())
        .build()
        .unwrap();
    // The attacker's session, planted in the victim's browser before sign-in.
    victim.get(app.url("/login/")).send().await.unwrap();
    let planted = cookie_header(&cookies, &app);
    assert!(!planted.is_empty(), "the sign-in form starts a session");
    create_account(&mut app.db(), "victim@example.com", Role::Editor);
    app.sign_in(&victim, "victim@example.com").await;
    let signed_in = cookie_header(&cookies, &app);
    assert_ne!(signed_in, planted, "the session key changes at sign-in");
    assert_eq!(
        get_with_cookie(&app, "/", &signed_in).await.status(),
        StatusCode::OK
    );
    let attacker = get_with_cookie(&app, "/", &planted).await;
    assert_eq!(attacker.status(), StatusCode::SEE_OTHER);
}

fn cookie_header(jar: &reqwest::cookie::Jar, app: &TestApp) -> String {
    use reqwest::cookie::CookieStore;
    jar.cookies(&app.address.parse().unwrap())
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_cookie_holds_only_a_key_and_the_table_only_its_hash() {
    let app = spawn_app().await;
    let cookie = app.cookie_header();
    let value = cookie
        .split("; ")
        .find_map(|pair| pair.strip_prefix("registry_session="))
        .expect("the session cookie");
    // The signed cookie is its signature and the 64-character key.
    assert!(value.len() < 200, "{value}");
    assert!(!value.contains("csrf") && !value.contains("user_id"));
    use diesel::prelude::*;
    use student_registry::schema::sessions::dsl;
    let stored: Vec<String> = match &mut app.db() {
        student_registry::database::AnyConnection::Sqlite(c) => {
            dsl::sessions.select(dsl::key_hash).load(c)
        }
        student_registry::database::AnyConnection::Postgresql(c) => {
            dsl::sessions.select(dsl::key_hash).load(c)
        }
    }
    .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!value.contains(&stored[0]));
}

#[tokio::test]
async fn a_made_up_or_forged_cookie_signs_no_one_in() {
    const SECRET: &str = "the-secret-key-of-this-test-long-enough-for-cookies";
    let app = spawn_app_with(|settings| settings.secret_key = Some(SECRET.to_owned().into())).await;
    let mut jar = CookieJar::new();
    jar.signed_mut(&Key::derive_from(SECRET.as_bytes()))
        .add(Cookie::new("registry_session", "a".repeat(64)));
    let forged = jar.delta().next().unwrap().encoded().stripped().to_string();
    for cookie in [
        forged.as_str(),
        "registry_session=made-up",
        "registry_session=",
    ] {
        let response = get_with_cookie(&app, "/", cookie).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{cookie}");
        assert_eq!(location(&response), "/login/");
    }
}

#[tokio::test]
async fn a_session_ends_at_its_maximum_age_however_busy() {
    let app = spawn_app_with(|settings| settings.session_max_age = Duration::from_secs(3)).await;
    let token = app.csrf_token().await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(app.get("/").await.status(), StatusCode::OK);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let response = app
        .client
        .post(app.url("/create/"))
        .form(&with(sammy(), "csrf_token", &token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login/");
    assert!(app.students().is_empty());
    // Signing in again starts a new session, whose forms work.
    app.sign_in(&app.client, STAFF_EMAIL).await;
    app.create(&sammy()).await;
    assert_eq!(app.students().len(), 1);
}

#[tokio::test]
async fn a_session_ends_after_the_idle_timeout_and_each_request_extends_it() {
    let app =
        spawn_app_with(|settings| settings.session_idle_timeout = Duration::from_secs(2)).await;
    // A request every half second keeps it going past the timeout.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(app.get("/").await.status(), StatusCode::OK);
    }
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login/");
}

#[tokio::test]
async fn deactivating_an_account_ends_its_sessions_at_once() {
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    let second = client();
    app.sign_in(&second, "editor@example.com").await;
    assert_eq!(
        editor.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );
    queries::deactivate(&mut app.db(), &Actor::command_line(), "editor@example.com").unwrap();
    for client in [&editor, &second] {
        let response = client.get(app.url("/")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    // And it cannot sign in again.
    let again = app
        .try_sign_in(&client(), "editor@example.com", STAFF_PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The admin's own session is untouched.
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_new_password_ends_every_session_of_the_account() {
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    let hash = NewPassword::parse("quietly orbiting lanterns", "editor@example.com", "Editor")
        .unwrap()
        .hash();
    queries::reset_password(
        &mut app.db(),
        &Actor::command_line(),
        "editor@example.com",
        &hash,
    )
    .unwrap();
    let response = editor.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let old = app
        .try_sign_in(&client(), "editor@example.com", STAFF_PASSWORD)
        .await;
    assert_eq!(old.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let new = app
        .try_sign_in(&client(), "editor@example.com", "quietly orbiting lanterns")
        .await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn expired_sessions_are_removed_from_the_table() {
    let app =
        spawn_app_with(|settings| settings.session_idle_timeout = Duration::from_secs(1)).await;
    let lifetime = sessions::SessionLifetime {
        idle: Duration::from_secs(1),
        absolute: Duration::from_secs(60),
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let now = chrono::Utc::now().naive_utc();
    assert_eq!(sessions::prune(&mut app.db(), now, lifetime).unwrap(), 1);
    assert_eq!(sessions::count_for(&mut app.db(), app.staff.id).unwrap(), 0);
}

/// A sign-in checked against the old password just before a reset could
/// store its session just after the reset ended the others: such a session,
/// signed in with a password that is no longer the account's, signs no one
/// in.
#[tokio::test]
async fn a_session_signed_in_with_a_password_since_replaced_is_refused() {
    use diesel::prelude::*;
    use student_registry::schema::users;
    let app = spawn_app().await;
    let editor = app.client_as(Role::Editor).await;
    assert_eq!(
        editor.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );
    // The new hash stored, the sessions (as in the race) left in place.
    let hash = NewPassword::parse("quietly orbiting lanterns", "editor@example.com", "Editor")
        .unwrap()
        .hash();
    let replaced = diesel::update(users::table.filter(users::email.eq("editor@example.com")))
        .set(users::password_hash.eq(hash.as_str()));
    match &mut app.db() {
        student_registry::database::AnyConnection::Sqlite(c) => replaced.execute(c),
        student_registry::database::AnyConnection::Postgresql(c) => replaced.execute(c),
    }
    .unwrap();
    let response = editor.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login/");
}

/// Anyone can start a session by opening the sign-in page: those end after
/// 15 idle minutes, while a signed-in session lasts its idle timeout.
#[tokio::test]
async fn a_signed_out_session_ends_after_fifteen_idle_minutes() {
    use diesel::prelude::*;
    use student_registry::schema::sessions as table;
    let app = spawn_app().await;
    let visitor = client();
    visitor.get(app.url("/login/")).send().await.unwrap();
    let twenty_minutes_ago = chrono::Utc::now().naive_utc() - chrono::TimeDelta::minutes(20);
    let aged = diesel::update(table::table).set(table::last_seen_at.eq(twenty_minutes_ago));
    match &mut app.db() {
        student_registry::database::AnyConnection::Sqlite(c) => aged.execute(c),
        student_registry::database::AnyConnection::Postgresql(c) => aged.execute(c),
    }
    .unwrap();
    let lifetime = sessions::SessionLifetime {
        idle: Duration::from_secs(60 * 60),
        absolute: Duration::from_secs(12 * 60 * 60),
    };
    let now = chrono::Utc::now().naive_utc();
    assert_eq!(sessions::prune(&mut app.db(), now, lifetime).unwrap(), 1);
    // The admin's session, as idle, is still there and works.
    assert_eq!(sessions::count_for(&mut app.db(), app.staff.id).unwrap(), 1);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}
