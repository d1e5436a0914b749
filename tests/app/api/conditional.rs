//! Conditional requests: ETag, If-Match (412) and If-None-Match (304).

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{call, create, get, sammy_json};
use crate::helpers::*;

#[tokio::test]
async fn a_stale_if_match_is_a_412_and_changes_nothing() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");
    let etag = get(&app, &path).await.header("etag").unwrap().to_owned();
    assert_eq!(etag, "\"1\"");

    // The first editor, on the version they read, succeeds.
    let first = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"city": "Porto"})),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("etag"), Some("\"2\""));

    // The second, on the same old version, is refused, whatever the method.
    let put = call(
        &app,
        Method::PUT,
        &path,
        Some(&sammy_json()),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(put.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(put.header("etag"), Some("\"2\""), "the current version");
    put.error();
    let patch = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"bio": "Stale"})),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(patch.status, StatusCode::PRECONDITION_FAILED);
    let delete = call(&app, Method::DELETE, &path, None, &[("if-match", &etag)]).await;
    assert_eq!(delete.status, StatusCode::PRECONDITION_FAILED);
    // A weak tag never matches If-Match's strong comparison.
    let weak = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"bio": "Weak"})),
        &[("if-match", "W/\"2\"")],
    )
    .await;
    assert_eq!(weak.status, StatusCode::PRECONDITION_FAILED);

    let stored = app.student(id as i32).unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.city.as_deref(), Some("Porto"));
    assert_eq!(stored.bio.as_deref(), Some("Marine biology student"));

    // Any of a list matches; `*` matches whatever is stored.
    let listed = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"bio": "Listed"})),
        &[("if-match", "\"1\", \"2\"")],
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    let star = call(
        &app,
        Method::PUT,
        &path,
        Some(&sammy_json()),
        &[("if-match", "*")],
    )
    .await;
    assert_eq!(star.status, StatusCode::OK);
    let malformed = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({})),
        &[("if-match", "4")],
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    malformed.error();

    let current = star.header("etag").unwrap().to_owned();
    let deleted = call(&app, Method::DELETE, &path, None, &[("if-match", &current)]).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn if_none_match_with_the_current_etag_is_a_304() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");
    for tag in ["\"1\"", "W/\"1\"", "\"7\", \"1\"", "*"] {
        let response = app
            .client
            .get(app.url(&path))
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{tag}");
        assert_eq!(response.headers()["etag"], "\"1\"");
    }
    let changed = call(
        &app,
        Method::GET,
        &path,
        None,
        &[("if-none-match", "\"0\"")],
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.body["id"], id);
}
