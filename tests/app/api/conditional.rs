//! Conditional requests: ETag, If-Match (412) and If-None-Match (304), and
//! the tag following the live counts that change without the version.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::courses::{bio_json, create_course};
use super::{Reply, call, create, get, sammy_json, student};
use crate::helpers::*;

#[tokio::test]
async fn a_stale_if_match_is_a_412_and_changes_nothing() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");
    let etag = get(&app, &path).await.header("etag").unwrap().to_owned();
    assert_eq!(etag, "\"1.0\"");

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
    assert_eq!(first.header("etag"), Some("\"2.0\""));

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
    assert_eq!(put.header("etag"), Some("\"2.0\""), "the current tag");
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
        &[("if-match", "W/\"2.0\"")],
    )
    .await;
    assert_eq!(weak.status, StatusCode::PRECONDITION_FAILED);

    let stored = app.student(id as i32).unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.city.as_deref(), Some("Porto"));
    assert_eq!(stored.bio.as_deref(), Some("Marine biology student"));

    // Any of a list matches, bare versions (the tags sent before the count
    // joined them) too; `*` matches whatever is stored.
    let listed = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"bio": "Listed"})),
        &[("if-match", "\"1.0\", \"2.0\"")],
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.header("etag"), Some("\"3.0\""));
    let bare = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"bio": "Bare"})),
        &[("if-match", "\"3\"")],
    )
    .await;
    assert_eq!(bare.status, StatusCode::OK);
    assert_eq!(bare.header("etag"), Some("\"4.0\""));
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
    for tag in ["\"1.0\"", "W/\"1.0\"", "\"7.0\", \"1.0\"", "*"] {
        let response = app
            .client
            .get(app.url(&path))
            .header("if-none-match", tag)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{tag}");
        assert_eq!(response.headers()["etag"], "\"1.0\"");
    }
    // Only the full tag: another count, or a bare version, is another JSON.
    for tag in ["\"0.0\"", "\"1.1\"", "\"1\""] {
        let changed = call(&app, Method::GET, &path, None, &[("if-none-match", tag)]).await;
        assert_eq!(changed.status, StatusCode::OK, "{tag}");
        assert_eq!(changed.body["id"], id);
        assert_eq!(changed.header("etag"), Some("\"1.0\""));
    }
}

/// Enrols `student` in `course` through the course's class list: a change
/// of neither record's fields, so of neither version.
async fn enrol(app: &TestApp, course: i64, student: i64) {
    let reply = call(
        app,
        Method::POST,
        &format!("/api/courses/{course}/enrolments"),
        Some(&json!({"student_id": student})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

/// The tag that names `reply`'s JSON: its version and `count`.
fn tag_of(reply: &Reply, count: &str) -> String {
    format!("\"{}.{}\"", reply.body["version"], reply.body[count])
}

#[tokio::test]
async fn a_student_s_etag_follows_its_enrolment_count() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let course = create_course(&app, &bio_json()).await;
    let path = format!("/api/students/{id}");
    let before = get(&app, &path).await;
    let old = before.header("etag").unwrap().to_owned();
    assert_eq!(old, "\"1.0\"");

    enrol(&app, course, id).await;

    // The copy kept under the old tag is stale: the whole new JSON comes.
    let after = call(&app, Method::GET, &path, None, &[("if-none-match", &old)]).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.body["enrolment_count"], 1);
    assert_eq!(after.body["version"], 1, "enrolling is no edit");
    assert_eq!(after.header("etag"), Some("\"1.1\""));
    let new = after.header("etag").unwrap().to_owned();
    let cached = call(&app, Method::GET, &path, None, &[("if-none-match", &new)]).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert_eq!(cached.header("etag"), Some(new.as_str()));
    let head = app
        .client
        .head(app.url(&path))
        .header("if-none-match", &old)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["etag"], new.as_str());

    // The old tag still guards an edit: the version it names is stored.
    let put = call(
        &app,
        Method::PUT,
        &path,
        Some(&student("Sam", "Shark", "sam@example.com", 21)),
        &[("if-match", &old)],
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["enrolment_count"], 1);
    assert_eq!(put.header("etag"), Some("\"2.1\""));
    assert_eq!(
        put.header("etag"),
        Some(tag_of(&put, "enrolment_count").as_str())
    );

    // Now it is stale, and the 412 names the current JSON's tag.
    let patch = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"city": "Porto"})),
        &[("if-match", &new)],
    )
    .await;
    assert_eq!(patch.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(patch.header("etag"), Some("\"2.1\""));
    assert_eq!(
        patch.error(),
        "the student has changed since the version If-Match names; it is now at ETag \"2.1\""
    );
    let delete = call(&app, Method::DELETE, &path, None, &[("if-match", &new)]).await;
    assert_eq!(delete.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(delete.header("etag"), Some("\"2.1\""));
    let shown = get(&app, &path).await;
    assert_eq!(shown.body["email"], "sam@example.com");
    assert_eq!(shown.header("etag"), Some("\"2.1\""));
}

#[tokio::test]
async fn a_course_s_etag_follows_its_seats_taken() {
    let app = spawn_app().await;
    let course = create_course(&app, &bio_json()).await;
    let ann = create(&app, &student("Ann", "Lee", "ann@example.com", 20)).await;
    let path = format!("/api/courses/{course}");
    let old = get(&app, &path).await.header("etag").unwrap().to_owned();
    assert_eq!(old, "\"1.0\"");

    enrol(&app, course, ann).await;

    let after = call(&app, Method::GET, &path, None, &[("if-none-match", &old)]).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.body["enrolled"], 1);
    assert_eq!(after.body["version"], 1, "enrolling is no edit");
    assert_eq!(after.header("etag"), Some("\"1.1\""));
    let new = after.header("etag").unwrap().to_owned();
    let cached = call(&app, Method::GET, &path, None, &[("if-none-match", &new)]).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert_eq!(cached.header("etag"), Some(new.as_str()));

    let put = call(
        &app,
        Method::PUT,
        &path,
        Some(&json!({"code": "BIO-102", "title": "Sharks", "capacity": 20})),
        &[("if-match", &old)],
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["enrolled"], 1);
    assert_eq!(put.header("etag"), Some("\"2.1\""));
    assert_eq!(put.header("etag"), Some(tag_of(&put, "enrolled").as_str()));

    for method in [Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({"credits": 3}));
        let stale = call(
            &app,
            method.clone(),
            &path,
            body.as_ref(),
            &[("if-match", &new)],
        )
        .await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{method}");
        assert_eq!(stale.header("etag"), Some("\"2.1\""), "{method}");
    }
    let shown = get(&app, &path).await;
    assert_eq!(shown.body["code"], "BIO-102");
    assert_eq!(shown.header("etag"), Some("\"2.1\""));
}
