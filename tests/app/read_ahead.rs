//! A page's own read is made in its session's trip to the database (see
//! `pages::session::read_ahead`): the index, a student's page, the course
//! list and a course's page each take one trip, counted by the pool's
//! checkouts in `/metrics`, and show what they showed when they took two.

use chrono::Utc;
use reqwest::StatusCode;
use student_registry::accounts::Role;
use student_registry::audit::Actor;
use student_registry::courses::{CourseDraft, queries as course_queries};
use student_registry::database::AnyConnection;
use student_registry::students::{self, StudentDraft};

use crate::helpers::*;

/// Connections the pool has handed out so far: one per trip.
async fn checkouts(app: &TestApp) -> u64 {
    let address = app.metrics_address.as_ref().expect("metrics are on");
    let text = reqwest::get(format!("{address}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("body");
    text.lines()
        .find_map(|line| line.strip_prefix("db_pool_checkouts_total "))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no checkouts counted in\n{text}"))
}

/// The page at `path` as `client` sees it, and the trips to the database it
/// took. Read twice, the first time to let the session store the CSRF token
/// it hands out on a first page.
async fn read_page(app: &TestApp, client: &reqwest::Client, path: &str) -> (String, u64) {
    let (status, _) = app.page_as(client, path).await;
    assert_eq!(status, StatusCode::OK, "GET {path}");
    let before = checkouts(app).await;
    let response = client.get(app.url(path)).send().await.expect("GET");
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let body = response.text().await.expect("body");
    (body, checkouts(app).await - before)
}

/// A course made on the command line.
fn course(conn: &mut AnyConnection, code: &str, title: &str) -> i32 {
    let draft = CourseDraft {
        code: code.into(),
        title: title.into(),
        ..CourseDraft::default()
    };
    course_queries::create(
        conn,
        &Actor::command_line(),
        &draft.validate().expect("valid"),
    )
    .expect("the course")
    .id
}

/// A student enrolled in BIO-101, and CHEM-1, which they are not in, all made
/// on the command line.
fn student_in_course(app: &TestApp) -> (i32, i32) {
    let mut conn = app.db();
    let biology = course(&mut conn, "BIO-101", "Marine biology");
    let student = students::queries::create(
        &mut conn,
        &Actor::command_line(),
        &StudentDraft {
            firstname: "Sammy".into(),
            lastname: "Shark".into(),
            email: "sammy@example.com".into(),
            ..StudentDraft::default()
        }
        .validate()
        .expect("valid"),
    )
    .expect("the student")
    .id;
    course_queries::enrol(
        &mut conn,
        &Actor::command_line(),
        biology,
        student,
        Utc::now().date_naive(),
    )
    .expect("enrolled");
    // One the student is not in, which editors are offered.
    course(&mut conn, "CHEM-1", "Chemistry");
    (student, biology)
}

#[tokio::test]
async fn each_page_is_read_in_its_sessions_trip_to_the_database() {
    let app = spawn_app_with_metrics().await;
    let (student, course) = student_in_course(&app);
    for (path, shows) in [
        ("/".to_owned(), "Sammy Shark"),
        ("/?sort=age&dir=desc&per_page=10".to_owned(), "Sammy Shark"),
        (format!("/?course={course}"), "Sammy Shark"),
        (format!("/{student}/"), "BIO-101"),
        (format!("/{student}/?find_course=chem"), "Chemistry"),
        ("/courses/".to_owned(), "BIO-101"),
        (format!("/courses/{course}/"), "Sammy Shark"),
        (
            format!("/courses/{course}/?sort=enrolled&page=1"),
            "Sammy Shark",
        ),
    ] {
        let (body, trips) = read_page(&app, &app.client, &path).await;
        assert_eq!(trips, 1, "GET {path}");
        assert!(body.contains(shows), "GET {path} shows {shows}");
    }
    // A course page's "Add students" search is read after the page, on its
    // own, as a search.
    let (body, trips) =
        read_page(&app, &app.client, &format!("/courses/{course}/?find=shark")).await;
    assert_eq!(trips, 2, "a course page with a search for students");
    assert!(body.contains("Marine biology") && body.contains("sammy@example.com"));
    // A search waits for a search lane first, so it is read on its own.
    let (body, trips) = read_page(&app, &app.client, "/?q=sammy").await;
    assert_eq!(trips, 2, "a search");
    assert!(body.contains("Sammy Shark"));
}

/// What is read ahead depends on who asks, as of this request: an editor's
/// student page carries the enrol form and its courses, a viewer's does not,
/// and a viewer made an editor is offered them on their next page, each in
/// one trip.
#[tokio::test]
async fn what_is_read_ahead_follows_the_accounts_role() {
    let app = spawn_app_with_metrics().await;
    let (student, _) = student_in_course(&app);
    let path = format!("/{student}/");
    let (body, trips) = read_page(&app, &app.client, &path).await;
    assert_eq!(trips, 1);
    assert!(
        body.contains("CHEM-1"),
        "an admin is offered the open course"
    );
    let viewer = app.client_as(Role::Viewer).await;
    let (body, trips) = read_page(&app, &viewer, &path).await;
    assert_eq!(trips, 1);
    assert!(
        body.contains("BIO-101"),
        "a viewer sees the student's courses"
    );
    assert!(!body.contains("CHEM-1"), "but is offered no course");
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE users SET role = 'editor' WHERE role = 'viewer'"),
        &mut app.db(),
    )
    .expect("promoted");
    let before = checkouts(&app).await;
    let body = viewer
        .get(app.url(&path))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert_eq!(checkouts(&app).await - before, 1);
    assert!(body.contains("CHEM-1"), "an editor now, offered the course");
}

/// A page the read ahead does not recognise by its path (here, a student's
/// id written with percent-escapes, which the router decodes) still reads
/// its own data, in a trip of its own.
#[tokio::test]
async fn a_page_not_read_ahead_reads_for_itself() {
    let app = spawn_app_with_metrics().await;
    let (student, _) = student_in_course(&app);
    let escaped: String = student
        .to_string()
        .bytes()
        .map(|digit| format!("%{digit:02X}"))
        .collect();
    let (body, trips) = read_page(&app, &app.client, &format!("/{escaped}/")).await;
    assert_eq!(trips, 2);
    assert!(body.contains("Sammy Shark") && body.contains("BIO-101"));
}

/// A page whose read fails after its session's succeeded answers the error
/// page, as when it read on its own, and the connection serves the next
/// request.
#[tokio::test]
async fn a_page_read_that_fails_is_an_error_page_and_the_next_one_is_served() {
    let app = spawn_app_with_metrics().await;
    let (student, _) = student_in_course(&app);
    let path = format!("/{student}/");
    read_page(&app, &app.client, &path).await;
    let rename = |from: &str, to: &str| {
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!("ALTER TABLE {from} RENAME TO {to}")),
            &mut app.db(),
        )
        .expect("renamed");
    };
    rename("audit_events", "audit_events_away");
    let response = app.get(&path).await;
    assert!(response.status().is_server_error(), "{}", response.status());
    let body = response.text().await.expect("body");
    assert!(!body.contains("Sammy"), "nothing of the page");
    rename("audit_events_away", "audit_events");
    let (body, trips) = read_page(&app, &app.client, &path).await;
    assert_eq!(trips, 1);
    assert!(body.contains("Sammy Shark"));
}
