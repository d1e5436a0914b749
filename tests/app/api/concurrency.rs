//! Requests that race: one email claimed at once, patches of different fields.

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use student_registry::students::validation::EMAIL_TAKEN;

use super::{Reply, call, create, post, sammy_json, student};
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_with_one_email_yield_exactly_one_201_and_the_rest_409() {
    let app = spawn_app().await;
    let bodies: Vec<Value> = (0..20)
        .map(|n| {
            let mut body = student(&format!("Racer{n}"), "Shark", "", 20);
            // The same address in different letter cases.
            body["email"] = json!(if n % 2 == 0 {
                "racer@example.com"
            } else {
                "RACER@example.com"
            });
            body
        })
        .collect();
    let replies = join_all(bodies.iter().map(|body| post(&app, body))).await;
    let statuses: Vec<StatusCode> = replies.iter().map(|r| r.status).collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .collect();
    assert_eq!(created, 1, "{statuses:?}");
    assert_eq!(conflicts.len(), 19, "{statuses:?}");
    assert!(
        conflicts
            .iter()
            .all(|r| r.field("email") == Some(EMAIL_TAKEN))
    );
    assert_eq!(app.students().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_different_fields_are_all_kept() {
    let app = spawn_app().await;
    let id = create(&app, &sammy_json()).await;
    let path = format!("/api/students/{id}");
    let patches = [
        json!({"city": "Porto"}),
        json!({"bio": "Changed"}),
        json!({"age": 33}),
        json!({"lastname": "Sharkey"}),
    ];
    let replies = join_all(
        patches
            .iter()
            .map(|patch| call(&app, Method::PATCH, &path, Some(patch), &[])),
    )
    .await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
    let stored = app.student(id as i32).unwrap();
    assert_eq!(stored.city.as_deref(), Some("Porto"));
    assert_eq!(stored.bio.as_deref(), Some("Changed"));
    assert_eq!(stored.age, Some(33));
    assert_eq!(stored.lastname, "Sharkey");
    assert_eq!(stored.version, 5);
}
