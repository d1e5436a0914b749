//! Field rules (422, the forms' messages) and a taken email (409).

use reqwest::{Method, StatusCode};
use serde_json::json;
use student_registry::students::validation::EMAIL_TAKEN;

use super::{call, create, post, sammy_json, student};
use crate::helpers::*;

#[tokio::test]
async fn invalid_fields_are_a_422_with_the_pages_messages_and_nothing_is_stored() {
    let app = spawn_app().await;
    let reply = post(
        &app,
        &json!({
            "firstname": "   ",
            "email": "not-an-email",
            "age": 151,
            "city": "c".repeat(81),
            "bio": "a\u{0}b"
        }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error(), "validation failed");
    assert_eq!(reply.field("firstname"), Some("First name is required"));
    assert_eq!(reply.field("lastname"), Some("Last name is required"));
    assert_eq!(
        reply.field("email"),
        Some("Enter an email address like name@example.com")
    );
    assert_eq!(
        reply.field("age"),
        Some("Age must be a whole number from 1 to 150")
    );
    assert_eq!(
        reply.field("city"),
        Some("City must be at most 80 characters (it has 81)")
    );
    assert_eq!(
        reply.field("bio"),
        Some("Bio must not contain NUL characters")
    );
    assert!(app.students().is_empty());

    // PUT checks the same rules, after finding the student.
    let id = create(&app, &sammy_json()).await;
    let put = call(
        &app,
        Method::PUT,
        &format!("/api/students/{id}"),
        Some(&json!({"firstname": "\u{0}Sammy", "lastname": "Shark", "email": "s@example.com", "age": 0})),
        &[],
    )
    .await;
    assert_eq!(put.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        put.field("firstname"),
        Some("First name must not contain NUL characters")
    );
    assert_eq!(
        put.field("age"),
        Some("Age must be a whole number from 1 to 150")
    );
    assert_eq!(app.student(id as i32).unwrap().version, 1);
}

#[tokio::test]
async fn a_taken_email_is_a_409_whatever_its_case() {
    let app = spawn_app().await;
    create(&app, &sammy_json()).await;
    let mut duplicate = sammy_json();
    duplicate["email"] = json!("SammyShark@Example.com");
    let reply = post(&app, &duplicate).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.field("email"), Some(EMAIL_TAKEN));
    reply.error();

    let other = create(&app, &student("Carl", "White", "carl@example.com", 22)).await;
    let path = format!("/api/students/{other}");
    let patch = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"email": "sammyshark@example.com"})),
        &[],
    )
    .await;
    assert_eq!(patch.status, StatusCode::CONFLICT);
    assert_eq!(patch.field("email"), Some(EMAIL_TAKEN));
    let put = call(&app, Method::PUT, &path, Some(&sammy_json()), &[]).await;
    assert_eq!(put.status, StatusCode::CONFLICT);
    assert_eq!(app.student(other as i32).unwrap().email, "carl@example.com");
}
