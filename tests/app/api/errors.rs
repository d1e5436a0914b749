//! Requests refused before their fields are looked at (400, 415, 413, 404,
//! 405) and a server failure (500), each answered in the one JSON error shape.

use reqwest::{Method, StatusCode};
use serde_json::json;
use student_registry::students::validation::BODY_LIMIT;

use super::{call, create, get, post, sammy_json, send_raw};
use crate::helpers::*;

#[tokio::test]
async fn malformed_json_and_wrong_types_are_a_400_and_nothing_is_stored() {
    let app = spawn_app().await;
    let mut wrong_type = sammy_json();
    wrong_type["age"] = json!("twenty");
    let mut fractional = sammy_json();
    fractional["age"] = json!(20.5);
    let mut unknown = sammy_json();
    unknown["frist_name"] = json!("Sammy");
    let mut number_name = sammy_json();
    number_name["firstname"] = json!(5);
    for (case, body) in [
        ("not JSON", b"{\"firstname\": ".to_vec()),
        ("empty", Vec::new()),
        ("an array", b"[]".to_vec()),
        (
            "an array of values",
            br#"["Sammy", "Shark", "s@example.com"]"#.to_vec(),
        ),
        ("a wrong type", wrong_type.to_string().into_bytes()),
        ("a fraction", fractional.to_string().into_bytes()),
        ("an unknown field", unknown.to_string().into_bytes()),
        ("a number for text", number_name.to_string().into_bytes()),
        ("invalid UTF-8", b"{\"firstname\": \"\xff\"}".to_vec()),
    ] {
        let reply = send_raw(
            &app,
            Method::POST,
            "/api/students",
            Some("application/json"),
            body,
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{case}: {}",
            reply.body
        );
        reply.error();
        let named = match case {
            "a wrong type" | "a fraction" => Some("age"),
            "an unknown field" => Some("frist_name"),
            "a number for text" => Some("firstname"),
            _ => None,
        };
        if let Some(field) = named {
            assert!(reply.field(field).is_some(), "{case}: {}", reply.body);
        }
    }
    assert!(app.students().is_empty());

    let id = create(&app, &sammy_json()).await;
    let reply = send_raw(
        &app,
        Method::PATCH,
        &format!("/api/students/{id}"),
        Some("application/json"),
        br#"{"age": "twenty"}"#.to_vec(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    reply.error();
    assert!(
        reply.field("age").unwrap().contains("twenty"),
        "{}",
        reply.body
    );
    // Not an empty patch: not a patch at all.
    let array = call(
        &app,
        Method::PATCH,
        &format!("/api/students/{id}"),
        Some(&json!([])),
        &[],
    )
    .await;
    assert_eq!(array.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.student(id as i32).unwrap().version, 1);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_so_a_form_cannot_forge_a_call() {
    let app = spawn_app().await;
    let body = sammy_json().to_string().into_bytes();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let reply = send_raw(
            &app,
            Method::POST,
            "/api/students",
            content_type,
            body.clone(),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        reply.error();
    }
    assert!(app.students().is_empty());
    let with_charset = send_raw(
        &app,
        Method::POST,
        "/api/students",
        Some("application/json; charset=utf-8"),
        body,
    )
    .await;
    assert_eq!(with_charset.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_body_over_the_body_limit_is_a_413() {
    let app = spawn_app().await;
    let mut big = sammy_json();
    big["bio"] = json!("x".repeat(BODY_LIMIT));
    let reply = post(&app, &big).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    reply.error();
    assert!(app.students().is_empty());
}

#[tokio::test]
async fn unknown_ids_and_urls_are_a_json_404() {
    let app = spawn_app().await;
    for path in [
        "/api/students/999",
        "/api/students/0",
        "/api/students/abc",
        "/api/students/99999999999999999999",
        "/api/students/1.0",
    ] {
        let reply = get(&app, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.error(), "no student has this id", "{path}");
    }
    let patch = call(
        &app,
        Method::PATCH,
        "/api/students/999",
        Some(&json!({})),
        &[],
    )
    .await;
    assert_eq!(patch.status, StatusCode::NOT_FOUND);
    let put = call(
        &app,
        Method::PUT,
        "/api/students/999",
        Some(&sammy_json()),
        &[],
    )
    .await;
    assert_eq!(put.status, StatusCode::NOT_FOUND);
    assert!(app.students().is_empty(), "PUT does not create");
    for path in ["/api", "/api/", "/api/nothing", "/api/students/1/extra"] {
        let reply = get(&app, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        reply.error();
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405_with_allow() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        ("DELETE", "/api/students", "GET, HEAD, POST, OPTIONS"),
        ("PUT", "/api/students", "GET, HEAD, POST, OPTIONS"),
        (
            "POST",
            "/api/students/1",
            "GET, HEAD, PUT, PATCH, DELETE, OPTIONS",
        ),
        (
            "TRACE",
            "/api/students/1",
            "GET, HEAD, PUT, PATCH, DELETE, OPTIONS",
        ),
        ("POST", "/api/openapi.json", "GET, HEAD, OPTIONS"),
    ] {
        let reply = call(&app, method.parse().unwrap(), path, None, &[]).await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
        reply.error();
    }
    let options = call(&app, Method::OPTIONS, "/api/students", None, &[]).await;
    assert_eq!(options.status, StatusCode::NO_CONTENT);
    assert_eq!(options.header("allow"), Some("GET, HEAD, POST, OPTIONS"));
    let head = app
        .client
        .head(app.url("/api/students"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_server_failure_is_a_json_500_that_reveals_nothing() {
    let app = spawn_app().await;
    create(&app, &sammy_json()).await;
    drop_students_table(&app);
    let reply = get(&app, "/api/students").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let message = reply.error().to_owned();
    for secret in ["students", "table", "diesel", "sqlite", "SQL"] {
        assert!(!message.contains(secret), "{message}");
    }
}
