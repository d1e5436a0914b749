//! The courses under `/api/courses`: listing with seats, CRUD, the rules'
//! 422s, a duplicate code, stale edits, a refused delete, who may write,
//! and the audit history.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use student_registry::accounts::{Role, Scope};
use student_registry::audit::{self, Action, Subject};

use super::auth::call_with;
use super::*;

pub(super) fn bio_json() -> Value {
    json!({
        "code": "bio-101",
        "title": "Marine Biology",
        "description": "Life in the oceans",
        "credits": 6,
        "capacity": 30
    })
}

/// Creates a course through the API and returns its id.
pub(super) async fn create_course(app: &TestApp, body: &Value) -> i64 {
    let reply = call(app, Method::POST, "/api/courses", Some(body), &[]).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_i64().unwrap()
}

fn keys(body: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn create_answers_201_with_location_etag_and_the_stored_course() {
    let app = spawn_app().await;
    let reply = call(&app, Method::POST, "/api/courses", Some(&bio_json()), &[]).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.body["id"].as_i64().unwrap();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/courses/{id}").as_str())
    );
    assert_eq!(reply.header("etag"), Some("\"1.0\""));
    assert_eq!(
        keys(&reply.body),
        [
            "capacity",
            "code",
            "created_at",
            "credits",
            "description",
            "enrolled",
            "id",
            "title",
            "updated_at",
            "version"
        ]
    );
    assert_eq!(reply.body["code"], "BIO-101", "stored in upper case");
    assert_eq!(reply.body["capacity"], 30);
    assert_eq!(reply.body["enrolled"], 0);
    assert!(is_rfc3339_utc(&reply.body["created_at"]), "{}", reply.body);

    let shown = get(&app, &format!("/api/courses/{id}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body, reply.body);
    assert_eq!(shown.header("etag"), Some("\"1.0\""));
    assert_eq!(shown.header("cache-control"), Some("private, no-cache"));
    let cached = call(
        &app,
        Method::GET,
        &format!("/api/courses/{id}"),
        None,
        &[("if-none-match", "\"1.0\"")],
    )
    .await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn put_replaces_patch_merges_and_delete_removes() {
    let app = spawn_app().await;
    let id = create_course(&app, &bio_json()).await;
    let path = format!("/api/courses/{id}");

    // PUT: optional fields left out are cleared.
    let reply = call(
        &app,
        Method::PUT,
        &path,
        Some(&json!({"code": "BIO-102", "title": "Sharks"})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("etag"), Some("\"2.0\""));
    assert_eq!(reply.body["code"], "BIO-102");
    assert_eq!(reply.body["capacity"], Value::Null);
    assert_eq!(reply.body["description"], Value::Null);

    // PATCH: only the fields given; null clears.
    let reply = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"capacity": 12, "credits": 5.0})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["title"], "Sharks");
    assert_eq!(reply.body["capacity"], 12);
    assert_eq!(reply.body["credits"], 5);
    assert_eq!(reply.body["version"], 3);
    let reply = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"credits": null})),
        &[],
    )
    .await;
    assert_eq!(reply.body["credits"], Value::Null, "{}", reply.body);

    let reply = call(&app, Method::DELETE, &path, None, &[]).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = get(&app, &path).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error(), "no course has this id");
    for path in [
        "/api/courses/abc",
        "/api/courses/0",
        "/api/courses/99999999999",
    ] {
        assert_eq!(
            get(&app, path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn values_that_break_the_rules_are_422_with_the_forms_messages() {
    let app = spawn_app().await;
    let reply = call(
        &app,
        Method::POST,
        "/api/courses",
        Some(&json!({"code": "BIO 101", "title": "  ", "credits": 61, "capacity": 0})),
        &[],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(reply.error(), "validation failed");
    assert_eq!(
        reply.field("code"),
        Some("Code may contain only letters A–Z, digits and hyphens, like BIO-101")
    );
    assert_eq!(reply.field("title"), Some("Title is required"));
    assert_eq!(
        reply.field("credits"),
        Some("Credits must be a whole number from 0 to 60")
    );
    assert_eq!(
        reply.field("capacity"),
        Some("Capacity must be a whole number of at least 1")
    );

    // Missing required fields are "required"; a wrong type or an unknown
    // field is a 400 naming it.
    let reply = call(&app, Method::POST, "/api/courses", Some(&json!({})), &[]).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.field("code"), Some("Code is required"));
    let reply = call(
        &app,
        Method::POST,
        "/api/courses",
        Some(&json!({"code": "X-1", "title": "X", "capacity": "ten"})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.field("capacity").is_some(), "{}", reply.body);
    let reply = call(
        &app,
        Method::POST,
        "/api/courses",
        Some(&json!({"code": "X-1", "title": "X", "seats": 3})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.field("seats").is_some(), "{}", reply.body);

    // A patch is checked as a whole course.
    let id = create_course(&app, &bio_json()).await;
    let reply = call(
        &app,
        Method::PATCH,
        &format!("/api/courses/{id}"),
        Some(&json!({"title": null})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.field("title"), Some("Title is required"));
    assert_eq!(
        get(&app, &format!("/api/courses/{id}")).await.body["version"],
        1
    );
}

#[tokio::test]
async fn a_code_another_course_has_ignoring_case_is_409() {
    let app = spawn_app().await;
    let first = create_course(&app, &bio_json()).await;
    let mut other = bio_json();
    other["code"] = json!("BIO-101");
    let reply = call(&app, Method::POST, "/api/courses", Some(&other), &[]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert_eq!(reply.error(), "another course already uses this code");
    assert_eq!(
        reply.field("code"),
        Some("Another course already uses this code")
    );

    other["code"] = json!("CHE-1");
    let second = create_course(&app, &other).await;
    let reply = call(
        &app,
        Method::PATCH,
        &format!("/api/courses/{second}"),
        Some(&json!({"code": "Bio-101"})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert_eq!(
        get(&app, &format!("/api/courses/{first}")).await.body["code"],
        "BIO-101"
    );
}

#[tokio::test]
async fn an_edit_based_on_a_stale_version_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let id = create_course(&app, &bio_json()).await;
    let path = format!("/api/courses/{id}");
    let reply = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"credits": 7})),
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("etag"), Some("\"2.0\""));

    for (method, body) in [
        (Method::PATCH, Some(json!({"credits": 8}))),
        (Method::PUT, Some(bio_json())),
        (Method::DELETE, None),
    ] {
        let reply = call(
            &app,
            method.clone(),
            &path,
            body.as_ref(),
            &[("if-match", "\"1\"")],
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::PRECONDITION_FAILED,
            "{method}: {}",
            reply.body
        );
        assert_eq!(reply.header("etag"), Some("\"2.0\""), "{method}");
        assert_eq!(
            reply.error(),
            "the course has changed since the version If-Match names; it is now at ETag \"2.0\""
        );
    }
    let shown = get(&app, &path).await;
    assert_eq!(shown.body["credits"], 7);
    assert_eq!(shown.body["version"], 2);
    let reply = call(&app, Method::DELETE, &path, None, &[("if-match", "\"2\"")]).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_course_with_enrolments_is_not_deleted_and_the_409_says_how_many() {
    let app = spawn_app().await;
    let id = create_course(&app, &bio_json()).await;
    let enrol = format!("/api/courses/{id}/enrolments");
    let mut enrolments = Vec::new();
    for (first, email) in [("Ann", "ann@example.com"), ("Bob", "bob@example.com")] {
        let student = create(&app, &student(first, "Lee", email, 20)).await;
        let reply = call(
            &app,
            Method::POST,
            &enrol,
            Some(&json!({"student_id": student})),
            &[],
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        enrolments.push(reply.body["id"].as_i64().unwrap());
    }
    // A withdrawn enrolment is history too.
    let reply = call(
        &app,
        Method::PATCH,
        &format!("/api/enrolments/{}", enrolments[0]),
        Some(&json!({"status": "withdrawn"})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let path = format!("/api/courses/{id}");
    let reply = call(&app, Method::DELETE, &path, None, &[]).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert_eq!(
        reply.error(),
        "the course cannot be deleted: it has 2 enrolments (enrolled, withdrawn or \
         completed), which are kept as its history"
    );
    assert_eq!(get(&app, &path).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_list_searches_sorts_pages_and_counts_the_seats_taken() {
    let app = spawn_app().await;
    for (code, title, credits) in [
        ("BIO-101", "Marine Biology", Some(6)),
        ("CHE-201", "Organic Chemistry", None),
        ("BIO-202", "Botany", Some(3)),
    ] {
        create_course(
            &app,
            &json!({"code": code, "title": title, "credits": credits, "capacity": 10}),
        )
        .await;
    }
    let list = get(&app, "/api/courses").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.header("cache-control"), Some("private, no-cache"));
    let codes = |reply: &Reply| -> Vec<String> {
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(codes(&list), ["BIO-101", "BIO-202", "CHE-201"]);
    assert_eq!(list.body["total"], 3);
    assert_eq!(list.body["next"], Value::Null);

    // Seats taken, per course.
    let bio = list.body["items"][0]["id"].as_i64().unwrap();
    let ann = create(&app, &student("Ann", "Lee", "ann@example.com", 20)).await;
    let reply = call(
        &app,
        Method::POST,
        &format!("/api/courses/{bio}/enrolments"),
        Some(&json!({"student_id": ann})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let list = get(&app, "/api/courses?q=bio").await;
    assert_eq!(codes(&list), ["BIO-101", "BIO-202"]);
    assert_eq!(list.body["items"][0]["enrolled"], 1);
    assert_eq!(list.body["items"][0]["capacity"], 10);
    assert_eq!(list.body["items"][1]["enrolled"], 0);
    assert_eq!(
        get(&app, &format!("/api/courses/{bio}")).await.body["enrolled"],
        1
    );

    let list = get(&app, "/api/courses?q=chem").await;
    assert_eq!(codes(&list), ["CHE-201"], "the title is searched too");
    let list = get(&app, "/api/courses?sort=credits&dir=desc&per_page=2").await;
    assert_eq!(codes(&list), ["BIO-101", "BIO-202"]);
    assert_eq!(
        list.body["next"],
        "/api/courses?sort=credits&dir=desc&per_page=2&page=2"
    );
    let list = get(&app, "/api/courses?sort=credits&dir=desc&per_page=2&page=2").await;
    assert_eq!(codes(&list), ["CHE-201"]);
    assert_eq!(
        list.body["prev"],
        "/api/courses?sort=credits&dir=desc&per_page=2&page=1"
    );

    let reply = get(&app, "/api/courses?sort=name&dir=up&per_page=0").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.field("sort"),
        Some("must be one of code, title, credits")
    );
    assert!(reply.field("dir").is_some() && reply.field("per_page").is_some());
}

#[tokio::test]
async fn a_read_token_and_a_viewers_token_may_read_courses_but_not_change_them() {
    let app = spawn_app().await;
    let id = create_course(&app, &bio_json()).await;
    let ann = create(&app, &student("Ann", "Lee", "ann@example.com", 20)).await;
    let read = client_with_token(&create_token(&mut app.db(), &app.staff, Scope::Read));
    let viewer = create_account(&mut app.db(), "viewer@example.com", Role::Viewer);
    let viewer = client_with_token(&create_token(&mut app.db(), &viewer, Scope::Write));
    let path = format!("/api/courses/{id}");
    let class = format!("{path}/enrolments");
    for client in [&read, &viewer] {
        for path in ["/api/courses", path.as_str(), class.as_str()] {
            let reply = call_with(client, &app, Method::GET, path, None).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        }
        for (method, path, body) in [
            (
                Method::POST,
                "/api/courses",
                Some(json!({"code": "X-1", "title": "X"})),
            ),
            (Method::PUT, path.as_str(), Some(bio_json())),
            (Method::PATCH, path.as_str(), Some(json!({"credits": 1}))),
            (Method::DELETE, path.as_str(), None),
            (
                Method::POST,
                class.as_str(),
                Some(json!({"student_id": ann})),
            ),
        ] {
            let reply = call_with(client, &app, method.clone(), path, body.as_ref()).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{method} {path}: {}",
                reply.body
            );
            assert!(!reply.error().is_empty());
        }
    }
    let shown = get(&app, &path).await;
    assert_eq!(shown.body["version"], 1);
    assert_eq!(shown.body["enrolled"], 0);
    assert_eq!(get(&app, "/api/courses").await.body["total"], 1);
}

#[tokio::test]
async fn each_change_of_a_course_leaves_its_event_naming_the_token() {
    let app = spawn_app().await;
    let id = create_course(&app, &bio_json()).await;
    let path = format!("/api/courses/{id}");
    let reply = call(
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"capacity": 40})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = call(&app, Method::DELETE, &path, None, &[]).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);

    let mut events = audit::for_subject(&mut app.db(), Subject::Course(id as i32), 100)
        .expect("read the history");
    events.reverse();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            Action::CourseCreate.as_str(),
            Action::CourseUpdate.as_str(),
            Action::CourseDelete.as_str()
        ]
    );
    for event in &events {
        assert_eq!(event.actor_user_id, Some(app.staff.id), "{event:?}");
        assert_eq!(event.actor_label, format!("token write of {STAFF_EMAIL}"));
    }
    assert_eq!(events[0].details()["code"], "BIO-101");
    assert_eq!(
        events[1].details()["capacity"],
        json!({"old": 30, "new": 40})
    );
}
