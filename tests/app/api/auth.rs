//! Who may call the API: a bearer token, valid now, of an active account;
//! for a write, one with the write scope of an editor or admin. Everything
//! else is refused in the API's error shape, with RFC 6750's challenge.

use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use student_registry::accounts::{self, Role, Scope, tokens};
use student_registry::audit::Actor;
use student_registry::database::AnyConnection;
use student_registry::schema::api_tokens;

use super::*;

const REALM: &str = r#"Bearer realm="Student Registry API""#;
const INVALID_TOKEN: &str = r#"Bearer realm="Student Registry API", error="invalid_token""#;

/// Sends a request with `client` (its own headers, not the app's token).
pub(super) async fn call_with(
    client: &reqwest::Client,
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Reply {
    let mut request = client.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// A client that sends `token` as its bearer token.
fn with_token(token: &str) -> reqwest::Client {
    client_with_token(token)
}

/// Asserts a 401 in the API's shape with the challenge `challenge` begins.
fn assert_unauthorized(reply: &Reply, challenge: &str, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {}",
        reply.body
    );
    let header = reply.header("www-authenticate").unwrap_or_default();
    assert!(header.starts_with(challenge), "{what}: {header:?}");
    if challenge == REALM {
        assert!(!header.contains("error="), "{what}: {header:?}");
    }
    assert!(!reply.error().is_empty(), "{what}");
}

/// Runs `query` on whichever backend `conn` is.
macro_rules! on {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            AnyConnection::Sqlite($c) => $body,
            AnyConnection::Postgresql($c) => $body,
        }
    };
}

fn last_used_at(app: &TestApp, name: &str) -> Option<NaiveDateTime> {
    on!(&mut app.db(), |c| api_tokens::table
        .filter(api_tokens::name.eq(name))
        .select(api_tokens::last_used_at)
        .first(c))
    .expect("the token's row")
}

fn set_time(app: &TestApp, name: &str, column: &str, at: NaiveDateTime) {
    let conn = &mut app.db();
    let target = api_tokens::table.filter(api_tokens::name.eq(name));
    match column {
        "last_used_at" => on!(conn, |c| diesel::update(target)
            .set(api_tokens::last_used_at.eq(at))
            .execute(c)),
        "expires_at" => on!(conn, |c| diesel::update(target)
            .set(api_tokens::expires_at.eq(at))
            .execute(c)),
        _ => unreachable!("{column}"),
    }
    .expect("update the token");
}

fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now - TimeDelta::nanoseconds(i64::from(now.and_utc().timestamp_subsec_nanos()))
}

#[tokio::test]
async fn without_a_valid_bearer_token_every_api_url_answers_401_with_a_challenge() {
    let app = spawn_app().await;
    let anonymous = client();
    for (method, path) in [
        (Method::GET, "/api/students"),
        (Method::HEAD, "/api/students"),
        (Method::POST, "/api/students"),
        (Method::GET, "/api/students/1"),
        (Method::DELETE, "/api/students/1"),
        (Method::OPTIONS, "/api/students"),
        (Method::GET, "/api/no-such-thing"),
        (Method::POST, "/api/openapi.json"),
    ] {
        let what = format!("{method} {path} without a header");
        let response = anonymous
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        let header = response.headers()["www-authenticate"].to_str().unwrap();
        assert_eq!(header, REALM, "{what}");
        if method != Method::HEAD {
            let body: Value = response.json().await.unwrap();
            assert_eq!(
                body["error"], "this API needs an API token, sent as Authorization: Bearer <token>",
                "{what}"
            );
        }
    }

    // Another scheme, or Bearer without a token: no bearer token was sent.
    for value in [
        "Basic YWRtaW46cGFzc3dvcmQ=",
        "Bearer",
        "Bearer   ",
        "sr_token",
    ] {
        let reply = Reply::from(
            anonymous
                .get(app.url("/api/students"))
                .header("authorization", value)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_unauthorized(&reply, REALM, value);
    }

    // A token was sent, and it is not one.
    let unknown = format!("sr_{}", "A".repeat(43));
    for token in ["not-a-token", unknown.as_str()] {
        let reply = call_with(&with_token(token), &app, Method::GET, "/api/students", None).await;
        assert_unauthorized(&reply, INVALID_TOKEN, token);
        assert_eq!(
            reply.error(),
            "the API token is unknown, expired or revoked, or its account is deactivated"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_needs_no_token() {
    let app = spawn_app().await;
    for method in [Method::GET, Method::HEAD] {
        let response = client()
            .request(method.clone(), app.url("/api/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{method}");
    }
}

#[tokio::test]
async fn a_session_cookie_does_not_let_a_browser_into_the_api() {
    let app = spawn_app().await;
    // A browser-like client without a token, signed in to the pages as an
    // admin: it sends that session's cookie to the API by itself.
    let browser = client();
    app.sign_in(&browser, STAFF_EMAIL).await;
    let page = browser.get(app.url("/create/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let reply = call_with(&browser, &app, Method::GET, "/api/students", None).await;
    assert_unauthorized(&reply, REALM, "a cookie only");
    let reply = call_with(
        &browser,
        &app,
        Method::POST,
        "/api/students",
        Some(&sammy_json()),
    )
    .await;
    assert_unauthorized(&reply, REALM, "a cookie only");
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn a_read_token_reads_and_may_not_write() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let read = with_token(&create_token(&mut app.db(), &app.staff, Scope::Read));

    let reply = call_with(&read, &app, Method::GET, "/api/students", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let path = format!("/api/students/{id}");
    let reply = call_with(&read, &app, Method::GET, &path, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    for (method, path, body) in [
        (
            Method::POST,
            "/api/students",
            Some(student("Ann", "Lee", "ann@example.com", 30)),
        ),
        (Method::PUT, path.as_str(), Some(sammy_json())),
        (
            Method::PATCH,
            path.as_str(),
            Some(serde_json::json!({"age": 21})),
        ),
        (Method::DELETE, path.as_str(), None),
    ] {
        let what = format!("{method} {path}");
        let reply = call_with(&read, &app, method, path, body.as_ref()).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{what}: {}",
            reply.body
        );
        assert_eq!(
            reply.error(),
            "the API token \"read\" has the read scope: changing records needs a token \
             with the write scope",
            "{what}"
        );
        let challenge = reply.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.contains(r#"error="insufficient_scope""#),
            "{what}: {challenge:?}"
        );
    }
    assert_eq!(app.students().len(), 1);
    assert_eq!(app.student(id as i32).map(|s| s.age), Some(Some(20)));
}

#[tokio::test]
async fn a_viewers_write_token_may_not_write_and_an_editors_may() {
    let app = spawn_app().await;
    let viewer = create_account(&mut app.db(), "viewer@example.com", Role::Viewer);
    let viewer = with_token(&create_token(&mut app.db(), &viewer, Scope::Write));
    let reply = call_with(&viewer, &app, Method::GET, "/api/students", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = call_with(
        &viewer,
        &app,
        Method::POST,
        "/api/students",
        Some(&sammy_json()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(
        reply.error(),
        "the account viewer@example.com is a viewer: changing records needs the editor or \
         admin role"
    );
    assert!(app.students().is_empty());

    let editor = create_account(&mut app.db(), "editor@example.com", Role::Editor);
    let editor = with_token(&create_token(&mut app.db(), &editor, Scope::Write));
    let reply = call_with(
        &editor,
        &app,
        Method::POST,
        "/api/students",
        Some(&sammy_json()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

#[tokio::test]
async fn the_database_holds_only_the_tokens_hash_and_when_it_was_last_used() {
    let app = spawn_app().await;
    let token = create_token(&mut app.db(), &app.staff, Scope::Read);
    assert!(token.starts_with("sr_") && token.len() == 46, "{token}");
    let rows: Vec<(String, String, String)> = on!(&mut app.db(), |c| api_tokens::table
        .select((api_tokens::name, api_tokens::scope, api_tokens::token_hash))
        .load(c))
    .unwrap();
    let expected_hash: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(rows.iter().any(|(_, _, hash)| *hash == expected_hash));
    for row in &rows {
        assert!(!format!("{row:?}").contains(&token[3..]), "{row:?}");
    }
    assert_eq!(last_used_at(&app, "read"), None);

    let client = with_token(&token);
    let before = now();
    let reply = call_with(&client, &app, Method::GET, "/api/students", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let used = last_used_at(&app, "read").expect("recorded");
    assert!(used >= before && used <= now(), "{used} after {before}");

    // Within a minute of the last record, a use writes nothing...
    let recent = now() - TimeDelta::seconds(30);
    set_time(&app, "read", "last_used_at", recent);
    call_with(&client, &app, Method::GET, "/api/students", None).await;
    assert_eq!(last_used_at(&app, "read"), Some(recent));
    // ...and after it, it is recorded again.
    let old = now() - TimeDelta::minutes(2);
    set_time(&app, "read", "last_used_at", old);
    call_with(&client, &app, Method::GET, "/api/students", None).await;
    assert!(last_used_at(&app, "read").is_some_and(|at| at > old));
}

#[tokio::test]
async fn revoked_and_expired_tokens_and_those_of_deactivated_accounts_are_refused() {
    let app = spawn_app().await;

    let conn = &mut app.db();
    let (revoked, token) = tokens::create(
        conn,
        &Actor::command_line(),
        app.staff.id,
        "revoked",
        Scope::Write,
        None,
    )
    .unwrap();
    let revoked_client = with_token(secrecy::ExposeSecret::expose_secret(&token));
    let reply = call_with(&revoked_client, &app, Method::GET, "/api/students", None).await;
    assert_eq!(reply.status, StatusCode::OK, "valid until revoked");
    let after = tokens::revoke(conn, &Actor::command_line(), app.staff.id, revoked.id)
        .unwrap()
        .unwrap();
    assert!(after.revoked_at.is_some());
    let reply = call_with(&revoked_client, &app, Method::GET, "/api/students", None).await;
    assert_unauthorized(&reply, INVALID_TOKEN, "revoked");

    let (_, token) = tokens::create(
        conn,
        &Actor::command_line(),
        app.staff.id,
        "expiring",
        Scope::Write,
        Some(1),
    )
    .unwrap();
    let expiring = with_token(secrecy::ExposeSecret::expose_secret(&token));
    let reply = call_with(&expiring, &app, Method::GET, "/api/students", None).await;
    assert_eq!(reply.status, StatusCode::OK, "valid until it expires");
    set_time(
        &app,
        "expiring",
        "expires_at",
        now() - TimeDelta::seconds(1),
    );
    let reply = call_with(&expiring, &app, Method::GET, "/api/students", None).await;
    assert_unauthorized(&reply, INVALID_TOKEN, "expired");

    let editor = create_account(conn, "editor@example.com", Role::Editor);
    let editor_client = with_token(&create_token(conn, &editor, Scope::Write));
    let reply = call_with(&editor_client, &app, Method::GET, "/api/students", None).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "valid while the account is active"
    );
    accounts::queries::deactivate(conn, &Actor::command_line(), &editor.email).unwrap();
    let reply = call_with(&editor_client, &app, Method::GET, "/api/students", None).await;
    assert_unauthorized(&reply, INVALID_TOKEN, "deactivated");
    // Deactivating revoked it: activating the account brings it not back.
    accounts::queries::activate(conn, &Actor::command_line(), &editor.email).unwrap();
    let reply = call_with(&editor_client, &app, Method::GET, "/api/students", None).await;
    assert_unauthorized(&reply, INVALID_TOKEN, "revoked by the deactivation");
}

impl Reply {
    async fn from(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
        }
    }
}
