//! Creating, reading, replacing, patching and deleting one student.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{call, create, get, is_rfc3339_utc, post, sammy_json, send_raw};
use crate::helpers::*;

#[tokio::test]
async fn create_answers_201_with_location_etag_and_the_stored_record() {
    let app = spawn_app().await;
    let reply = post(&app, &sammy_json()).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let id = reply.body["id"].as_i64().unwrap();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/students/{id}").as_str())
    );
    assert_eq!(reply.header("etag"), Some("\"1.0\""));
    assert!(
        reply
            .header("set-cookie")
            .is_none_or(|c| !c.contains("registry_session"))
    );
    let body = reply.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "age",
            "bio",
            "city",
            "created_at",
            "email",
            "enrolment_count",
            "firstname",
            "id",
            "lastname",
            "updated_at",
            "version"
        ]
    );
    assert_eq!(reply.body["firstname"], "Sammy");
    assert_eq!(reply.body["age"], 20);
    assert_eq!(reply.body["city"], "Lisbon");
    assert_eq!(reply.body["version"], 1);
    assert!(is_rfc3339_utc(&reply.body["created_at"]), "{}", reply.body);
    assert!(is_rfc3339_utc(&reply.body["updated_at"]), "{}", reply.body);

    // The same record, from the API and in the database the pages use.
    let shown = get(&app, &format!("/api/students/{id}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body, reply.body);
    assert_eq!(shown.header("etag"), Some("\"1.0\""));
    let stored = app.student(id as i32).unwrap();
    assert_eq!(stored.email, "sammyshark@example.com");
    let (status, html) = app.page(&format!("/{id}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&html, "h1").as_deref(), Some("Sammy Shark"));
}

#[tokio::test]
async fn values_are_normalised_as_the_forms_do() {
    let app = spawn_app().await;
    let reply = post(
        &app,
        &json!({
            "firstname": "  Sammy ",
            "lastname": "Shark",
            "email": " sammyshark@example.com ",
            "age": 20.0,
            "bio": "  line one\r\nline two",
            "city": "   "
        }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["firstname"], "Sammy");
    assert_eq!(reply.body["email"], "sammyshark@example.com");
    assert_eq!(reply.body["age"], 20);
    assert_eq!(reply.body["bio"], "  line one\nline two");
    assert_eq!(reply.body["city"], Value::Null);
}

#[tokio::test]
async fn put_replaces_every_field_and_bumps_the_version() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");
    let replacement = json!({
        "firstname": "Samantha",
        "lastname": "Shark",
        "email": "samantha@example.com"
    });
    let reply = call(&app, Method::PUT, &path, Some(&replacement), &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("etag"), Some("\"2.0\""));
    assert_eq!(reply.body["firstname"], "Samantha");
    assert_eq!(reply.body["version"], 2);
    // Left out: cleared, as a full replacement.
    assert_eq!(
        (&reply.body["age"], &reply.body["bio"], &reply.body["city"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    let stored = app.student(id as i32).unwrap();
    assert_eq!((stored.age, stored.city), (None, None));

    // Replacing with what is stored changes nothing, not even the version.
    let again = call(&app, Method::PUT, &path, Some(&replacement), &[]).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["version"], 2);
    assert_eq!(again.body["updated_at"], reply.body["updated_at"]);
}

#[tokio::test]
async fn patch_changes_only_the_given_fields_and_null_clears() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");

    let reply = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"city": "Porto"})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["city"], "Porto");
    assert_eq!(reply.body["bio"], "Marine biology student");
    assert_eq!(reply.body["age"], 20);
    assert_eq!(reply.body["version"], 2);
    assert_eq!(reply.header("etag"), Some("\"2.0\""));

    let cleared = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"bio": null, "age": null})),
        &[],
    )
    .await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert_eq!(
        (&cleared.body["bio"], &cleared.body["age"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(cleared.body["city"], "Porto");
    let stored = app.student(id as i32).unwrap();
    assert_eq!((stored.bio, stored.age), (None, None));

    // The JSON merge patch media type is accepted too.
    let merge = send_raw(
        &app,
        Method::PATCH,
        &path,
        Some("application/merge-patch+json"),
        br#"{"lastname": "Sharkey"}"#.to_vec(),
    )
    .await;
    assert_eq!(merge.status, StatusCode::OK);
    assert_eq!(merge.body["lastname"], "Sharkey");

    // Nothing given, nothing changed.
    let empty = call(&app, Method::PATCH, &path, Some(&json!({})), &[]).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body["version"], merge.body["version"]);

    // A required field cannot be cleared.
    let blank = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"firstname": null})),
        &[],
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.field("firstname"), Some("First name is required"));
}

#[tokio::test]
async fn delete_answers_204_and_the_student_is_gone() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");
    let reply = call(&app, Method::DELETE, &path, None, &[]).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.body, Value::Null);
    assert!(app.student(id as i32).is_none());
    assert_eq!(get(&app, &path).await.status, StatusCode::NOT_FOUND);
    let again = call(&app, Method::DELETE, &path, None, &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.error(), "no student has this id");
}
