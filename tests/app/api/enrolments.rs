//! Enrolments through the API: enrolling (201, already enrolled, full,
//! reactivated), the class list, a student's list and `enrolment_count`,
//! status changes, who may write, the audit history, and the seat race.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use student_registry::accounts::Scope;
use student_registry::audit::{self, Action, Subject};

use super::auth::call_with;
use super::courses::{bio_json, create_course};
use super::*;

async fn enrol(app: &TestApp, course: i64, student: i64) -> Reply {
    call(
        app,
        Method::POST,
        &format!("/api/courses/{course}/enrolments"),
        Some(&json!({"student_id": student})),
        &[],
    )
    .await
}

async fn set_status(app: &TestApp, enrolment: i64, status: &str) -> Reply {
    call(
        app,
        Method::PATCH,
        &format!("/api/enrolments/{enrolment}"),
        Some(&json!({"status": status})),
        &[],
    )
    .await
}

fn today() -> String {
    chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

async fn course_with_capacity(app: &TestApp, capacity: i64) -> i64 {
    create_course(
        app,
        &json!({"code": "BIO-101", "title": "Biology", "capacity": capacity}),
    )
    .await
}

#[tokio::test]
async fn enrolling_answers_201_with_the_enrolment_and_its_location() {
    let app = spawn_app().await;
    let course = create_course(&app, &bio_json()).await;
    let ann = create(&app, &student("Ann", "Lee", "ann@example.com", 20)).await;
    let reply = enrol(&app, course, ann).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.body["id"].as_i64().unwrap();
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/enrolments/{id}").as_str())
    );
    assert_eq!(
        reply.body,
        json!({"id": id, "student_id": ann, "course_id": course, "status": "enrolled",
               "enrolled_on": today(), "withdrawn_on": null})
    );
    let shown = get(&app, &format!("/api/enrolments/{id}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body, reply.body);
    assert_eq!(shown.header("cache-control"), Some("private, no-cache"));
    assert_eq!(
        get(&app, "/api/enrolments/999").await.error(),
        "no enrolment has this id"
    );
}

#[tokio::test]
async fn already_enrolled_and_course_full_are_distinct_409s() {
    let app = spawn_app().await;
    let course = course_with_capacity(&app, 1).await;
    let ann = create(&app, &student("Ann", "Lee", "ann@example.com", 20)).await;
    let bob = create(&app, &student("Bob", "Lee", "bob@example.com", 20)).await;
    assert_eq!(enrol(&app, course, ann).await.status, StatusCode::CREATED);

    let again = enrol(&app, course, ann).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(
        again.error(),
        "the student is already enrolled in this course"
    );
    assert_eq!(
        again.field("student_id"),
        Some("This student is already enrolled in this course")
    );

    let full = enrol(&app, course, bob).await;
    assert_eq!(full.status, StatusCode::CONFLICT, "{}", full.body);
    assert_eq!(full.error(), "the course is full: all 1 seats are taken");
    assert_eq!(full.body["fields"], json!({}));
    assert_eq!(
        get(&app, &format!("/api/courses/{course}")).await.body["enrolled"],
        1
    );
}

#[tokio::test]
async fn unknown_courses_are_404_and_unknown_students_422_on_student_id() {
    let app = spawn_app().await;
    let course = create_course(&app, &bio_json()).await;
    let ann = create(&app, &student("Ann", "Lee", "ann@example.com", 20)).await;

    let reply = enrol(&app, 999, ann).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error(), "no course has this id");
    // The course is looked up before the body's student.
    let reply = enrol(&app, 999, 999).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    for student_id in [json!(999), json!(0), json!(-3), json!(1e20)] {
        let reply = call(
            &app,
            Method::POST,
            &format!("/api/courses/{course}/enrolments"),
            Some(&json!({"student_id": student_id})),
            &[],
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{student_id}: {}",
            reply.body
        );
        assert_eq!(reply.field("student_id"), Some("No student has this id"));
    }
    let path = format!("/api/courses/{course}/enrolments");
    let reply = call(&app, Method::POST, &path, Some(&json!({})), &[]).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.field("student_id"), Some("Student id is required"));
    let reply = call(
        &app,
        Method::POST,
        &path,
        Some(&json!({"student_id": "1"})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.field("student_id").is_some(), "{}", reply.body);
    assert_eq!(get(&app, &path).await.body["total"], 0);
}

#[tokio::test]
async fn withdrawing_frees_the_seat_and_enrolling_again_reactivates_the_same_row() {
    let app = spawn_app().await;
    let course = course_with_capacity(&app, 1).await;
    let ann = create(&app, &student("Ann", "Lee", "ann@example.com", 20)).await;
    let bob = create(&app, &student("Bob", "Lee", "bob@example.com", 20)).await;
    let first = enrol(&app, course, ann).await.body["id"].as_i64().unwrap();

    let reply = set_status(&app, first, "withdrawn").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["status"], "withdrawn");
    assert_eq!(reply.body["withdrawn_on"], today());
    assert_eq!(
        get(&app, &format!("/api/courses/{course}")).await.body["enrolled"],
        0
    );

    // Ann's seat went to Bob; she can come back only when one is free.
    let bobs = enrol(&app, course, bob).await;
    assert_eq!(bobs.status, StatusCode::CREATED);
    let reply = enrol(&app, course, ann).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.error(), "the course is full: all 1 seats are taken");
    let reply = set_status(&app, first, "enrolled").await;
    assert_eq!(
        reply.status,
        StatusCode::CONFLICT,
        "re-enrolling by PATCH needs a seat too"
    );
    assert_eq!(reply.error(), "the course is full: all 1 seats are taken");

    let bobs = bobs.body["id"].as_i64().unwrap();
    let reply = set_status(&app, bobs, "completed").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["withdrawn_on"], Value::Null);
    let again = enrol(&app, course, ann).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(again.body["id"], first, "the same enrolment, made current");
    assert_eq!(again.body["status"], "enrolled");
    assert_eq!(again.body["withdrawn_on"], Value::Null);
    assert_eq!(
        again.header("location"),
        Some(format!("/api/enrolments/{first}").as_str())
    );

    // Setting the status it has changes nothing.
    let reply = set_status(&app, first, "enrolled").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, again.body);
}

#[tokio::test]
async fn status_patches_are_read_strictly() {
    let app = spawn_app().await;
    let course = create_course(&app, &bio_json()).await;
    let ann = create(&app, &student("Ann", "Lee", "ann@example.com", 20)).await;
    let id = enrol(&app, course, ann).await.body["id"].as_i64().unwrap();
    let path = format!("/api/enrolments/{id}");
    let reply = set_status(&app, id, "done").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.field("status").is_some());
    let reply = call(&app, Method::PATCH, &path, Some(&json!({})), &[]).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.field("status"), Some("Status is required"));
    let reply = call(
        &app,
        Method::PATCH,
        "/api/enrolments/999",
        Some(&json!({})),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = set_status(&app, 999, "withdrawn").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error(), "no enrolment has this id");
    let reply = call(&app, Method::DELETE, &path, None, &[]).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get(&app, &path).await.body["status"], "enrolled");
}

#[tokio::test]
async fn the_class_list_pages_and_sorts_with_each_students_summary() {
    let app = spawn_app().await;
    let course = create_course(&app, &bio_json()).await;
    for (first, last, email) in [
        ("Cat", "Young", "cat@example.com"),
        ("Ann", "Lee", "ann@example.com"),
        ("Bob", "Moss", "bob@example.com"),
    ] {
        let id = create(&app, &student(first, last, email, 20)).await;
        assert_eq!(enrol(&app, course, id).await.status, StatusCode::CREATED);
    }
    let path = format!("/api/courses/{course}/enrolments");
    let list = get(&app, &path).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let names = |reply: &Reply| -> Vec<String> {
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["student"]["lastname"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&list), ["Lee", "Moss", "Young"]);
    assert_eq!(list.body["total"], 3);
    let first = &list.body["items"][0];
    assert_eq!(first["status"], "enrolled");
    assert_eq!(first["course_id"], course);
    assert_eq!(
        first["student"],
        json!({"id": first["student_id"], "firstname": "Ann", "lastname": "Lee",
               "email": "ann@example.com"})
    );

    let page = get(&app, &format!("{path}?sort=name&dir=desc&per_page=2")).await;
    assert_eq!(names(&page), ["Young", "Moss"]);
    let next = page.body["next"].as_str().unwrap().to_owned();
    assert_eq!(next, format!("{path}?sort=name&dir=desc&per_page=2&page=2"));
    assert_eq!(names(&get(&app, &next).await), ["Lee"]);
    let by_day = get(&app, &format!("{path}?sort=enrolled")).await;
    assert_eq!(
        names(&by_day),
        ["Young", "Lee", "Moss"],
        "same day: by enrolment"
    );

    let reply = get(&app, &format!("{path}?sort=age")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.field("sort"), Some("must be one of name, enrolled"));
    assert_eq!(
        get(&app, "/api/courses/999/enrolments").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_students_enrolments_and_enrolment_count_follow_their_status() {
    let app = spawn_app().await;
    let bio = create_course(&app, &bio_json()).await;
    let che = create_course(
        &app,
        &json!({"code": "CHE-1", "title": "Chemistry", "credits": 3}),
    )
    .await;
    let ann = create(&app, &student("Ann", "Lee", "ann@example.com", 20)).await;
    let bob = create(&app, &student("Bob", "Lee", "bob@example.com", 20)).await;
    assert_eq!(
        get(&app, &format!("/api/students/{ann}")).await.body["enrolment_count"],
        0
    );

    let in_bio = enrol(&app, bio, ann).await.body["id"].as_i64().unwrap();
    enrol(&app, che, ann).await;
    enrol(&app, che, bob).await;
    let shown = get(&app, &format!("/api/students/{ann}")).await;
    assert_eq!(shown.body["enrolment_count"], 2);
    assert_eq!(
        shown.body["version"], 1,
        "enrolling is not an edit of the student"
    );

    assert_eq!(
        set_status(&app, in_bio, "withdrawn").await.status,
        StatusCode::OK
    );
    let count_of = |list: &Reply, id: i64| {
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["enrolment_count"].clone())
    };
    let list = get(&app, "/api/students").await;
    assert_eq!(
        count_of(&list, ann),
        Some(json!(1)),
        "only current enrolments count"
    );
    assert_eq!(count_of(&list, bob), Some(json!(1)));
    let patched = call(
        &app,
        Method::PATCH,
        &format!("/api/students/{ann}"),
        Some(&json!({"city": "Porto"})),
        &[],
    )
    .await;
    assert_eq!(patched.body["enrolment_count"], 1, "{}", patched.body);

    let mine = get(&app, &format!("/api/students/{ann}/enrolments")).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    let items = mine.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "every status");
    assert_eq!(
        items[0]["course"],
        json!({"id": bio, "code": "BIO-101", "title": "Marine Biology", "credits": 6})
    );
    assert_eq!(items[0]["status"], "withdrawn");
    assert_eq!(items[1]["course"]["code"], "CHE-1");
    assert_eq!(items[1]["status"], "enrolled");
    let reply = get(&app, "/api/students/999/enrolments").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error(), "no student has this id");
}

#[tokio::test]
async fn a_read_token_may_list_enrolments_but_not_change_their_status() {
    let app = spawn_app().await;
    let course = create_course(&app, &bio_json()).await;
    let ann = create(&app, &student("Ann", "Lee", "ann@example.com", 20)).await;
    let id = enrol(&app, course, ann).await.body["id"].as_i64().unwrap();
    let read = client_with_token(&create_token(&mut app.db(), &app.staff, Scope::Read));
    let path = format!("/api/enrolments/{id}");
    for path in [path.as_str(), &format!("/api/students/{ann}/enrolments")] {
        let reply = call_with(&read, &app, Method::GET, path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
    }
    let reply = call_with(
        &read,
        &app,
        Method::PATCH,
        &path,
        Some(&json!({"status": "withdrawn"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    assert_eq!(get(&app, &path).await.body["status"], "enrolled");
}

#[tokio::test]
async fn enrolling_and_status_changes_leave_their_events_naming_the_token() {
    let app = spawn_app().await;
    let course = create_course(&app, &bio_json()).await;
    let ann = create(&app, &student("Ann", "Lee", "ann@example.com", 20)).await;
    let id = enrol(&app, course, ann).await.body["id"].as_i64().unwrap();
    assert_eq!(
        set_status(&app, id, "withdrawn").await.status,
        StatusCode::OK
    );
    assert_eq!(enrol(&app, course, ann).await.status, StatusCode::CREATED);

    let mut events = audit::for_subject(&mut app.db(), Subject::Enrolment(id as i32), 100)
        .expect("read the history");
    events.reverse();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            Action::EnrolmentCreate.as_str(),
            Action::EnrolmentUpdate.as_str(),
            Action::EnrolmentUpdate.as_str()
        ]
    );
    for event in &events {
        assert_eq!(event.actor_user_id, Some(app.staff.id), "{event:?}");
        assert_eq!(event.actor_label, format!("token write of {STAFF_EMAIL}"));
    }
    assert_eq!(events[0].details()["student_id"], ann);
    assert_eq!(
        events[1].details()["status"],
        json!({"old": "enrolled", "new": "withdrawn"})
    );
    assert_eq!(
        events[2].details()["status"],
        json!({"old": "withdrawn", "new": "enrolled"})
    );
}

#[tokio::test]
async fn twenty_concurrent_enrolments_into_five_seats_give_exactly_five_201s() {
    let app = spawn_app().await;
    let course = course_with_capacity(&app, 5).await;
    let mut students = Vec::new();
    for n in 0..20 {
        students.push(
            create(
                &app,
                &student("Stu", "Dent", &format!("s{n}@example.com"), 20),
            )
            .await,
        );
    }
    let replies =
        futures::future::join_all(students.iter().map(|id| enrol(&app, course, *id))).await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let full = replies
        .iter()
        .filter(|r| {
            r.status == StatusCode::CONFLICT
                && r.body["error"] == "the course is full: all 5 seats are taken"
        })
        .count();
    assert_eq!(
        (created, full),
        (5, 15),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let shown = get(&app, &format!("/api/courses/{course}")).await;
    assert_eq!(shown.body["enrolled"], 5);
}
