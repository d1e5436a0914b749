//! The course pages and the enrolment forms (issue 14), through the real
//! app: list, course page with its class list, create/edit/delete, adding
//! several students at once, withdrawing and enrolling again, and who may
//! do what.

use chrono::Utc;
use diesel::connection::SimpleConnection;
use reqwest::StatusCode;
use scraper::Html;
use student_registry::accounts::Role;
use student_registry::audit::Actor;
use student_registry::courses::listing::ClassListParams;
use student_registry::courses::queries;
use student_registry::courses::{Course, CourseDraft, Enrolment, EnrolmentStatus};
use student_registry::students::{self, StudentDraft};

use crate::helpers::*;

fn course(
    app: &TestApp,
    code: &str,
    title: &str,
    credits: Option<i32>,
    capacity: Option<i32>,
) -> Course {
    let draft = CourseDraft {
        code: code.into(),
        title: title.into(),
        credits: credits.map(|c| c.to_string()).unwrap_or_default(),
        capacity: capacity.map(|c| c.to_string()).unwrap_or_default(),
        ..CourseDraft::default()
    };
    queries::create(
        &mut app.db(),
        &Actor::command_line(),
        &draft.validate().unwrap(),
    )
    .unwrap()
}

fn student(app: &TestApp, first: &str, last: &str) -> i32 {
    let draft = StudentDraft {
        firstname: first.into(),
        lastname: last.into(),
        email: format!("{first}.{last}@example.com").to_lowercase(),
        ..StudentDraft::default()
    };
    students::queries::create(
        &mut app.db(),
        &Actor::command_line(),
        &draft.validate().unwrap(),
    )
    .unwrap()
    .id
}

fn enrol(app: &TestApp, course: &Course, student: i32) -> Enrolment {
    let today = Utc::now().date_naive();
    queries::enrol(
        &mut app.db(),
        &Actor::command_line(),
        course.id,
        student,
        today,
    )
    .unwrap()
}

fn status_of(app: &TestApp, enrolment: i32) -> EnrolmentStatus {
    queries::find_enrolment(&mut app.db(), enrolment)
        .unwrap()
        .expect("the enrolment")
        .status
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The flash messages the page at `path` shows (and so uses up).
async fn flashes(app: &TestApp, path: &str) -> Vec<String> {
    let (status, html) = app.page(path).await;
    assert_eq!(status, StatusCode::OK, "GET {path}");
    select(&html, ".flash")
}

fn enrol_form(course_id: i32, students: &[i32], return_to: &str) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("course_id", course_id.to_string()),
        ("return_to", return_to.to_owned()),
    ];
    fields.extend(students.iter().map(|id| ("student_id", id.to_string())));
    fields
}

fn status_form(status: &str, return_to: &str) -> Vec<(&'static str, String)> {
    vec![("status", status.into()), ("return_to", return_to.into())]
}

fn course_fields(code: &str, title: &str) -> Vec<(&'static str, String)> {
    vec![
        ("code", code.into()),
        ("title", title.into()),
        ("description", "Seas and what lives in them".into()),
        ("credits", "5".into()),
        ("capacity", "30".into()),
    ]
}

#[tokio::test]
async fn the_course_list_searches_sorts_pages_and_shows_seats() {
    let app = spawn_app().await;
    let (_, html) = app.page("/courses/").await;
    assert_eq!(
        text(&html, ".empty-state h2").as_deref(),
        Some("No courses yet")
    );

    let bio = course(&app, "BIO-101", "Marine biology", Some(5), Some(30));
    course(&app, "CHE-200", "Chemistry", Some(10), None);
    course(&app, "ART-110", "Drawing", None, Some(2));
    let ann = student(&app, "Ann", "Lee");
    enrol(&app, &bio, ann);

    let (status, html) = app.page("/courses/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        select(&html, "td[data-label=Code]"),
        ["ART-110", "BIO-101", "CHE-200"]
    );
    assert_eq!(
        select(&html, "td[data-label='Enrolled / capacity']"),
        ["0 / 2", "1 / 30", "0 / unlimited"]
    );
    assert_eq!(
        attr(&html, "td[data-label=Code] a", "href"),
        Some("/courses/3/".to_owned()),
        "ART-110, created third, links to its page"
    );
    assert!(select(&html, ".page-header a").contains(&"Add course".to_owned()));

    // Search by code or title, ignoring case.
    let (_, html) = app.page("/courses/?q=bio").await;
    assert_eq!(select(&html, "td[data-label=Code]"), ["BIO-101"]);
    let (_, html) = app.page("/courses/?q=CHEMI").await;
    assert_eq!(select(&html, "td[data-label=Code]"), ["CHE-200"]);
    let (_, html) = app.page("/courses/?q=zzz").await;
    assert_eq!(
        text(&html, ".empty-state h2").as_deref(),
        Some("No courses match \u{2018}zzz\u{2019}")
    );

    // Sorting, with the sorted column marked.
    let (_, html) = app.page("/courses/?sort=credits&dir=desc").await;
    assert_eq!(
        select(&html, "td[data-label=Code]"),
        ["CHE-200", "BIO-101", "ART-110"]
    );
    assert_eq!(
        attr(&html, "th[aria-sort]", "aria-sort").as_deref(),
        Some("descending")
    );
    let (_, html) = app.page("/courses/?sort=title").await;
    assert_eq!(
        select(&html, "td[data-label=Code]"),
        ["CHE-200", "ART-110", "BIO-101"]
    );

    // Paging.
    let (_, html) = app.page("/courses/?per_page=2&page=2").await;
    assert_eq!(select(&html, "td[data-label=Code]"), ["CHE-200"]);
    assert_eq!(
        text(&html, ".summary").as_deref(),
        Some("Showing 3\u{2013}3 of 3 courses")
    );
    assert!(select(&html, ".pagination a").contains(&"Previous".to_owned()));
    let (_, html) = app.page("/courses/?per_page=2&page=9").await;
    assert!(
        text(&html, ".notice")
            .unwrap()
            .contains("There is no page 9")
    );
}

#[tokio::test]
async fn a_course_page_shows_its_facts_history_and_a_paged_sorted_class_list() {
    let app = spawn_app().await;
    let bio = course(&app, "BIO-101", "Marine biology", Some(5), Some(30));
    let ids = [
        student(&app, "Cleo", "Zane"),
        student(&app, "Ann", "Lee"),
        student(&app, "Bob", "Ray"),
    ];
    let enrolments: Vec<Enrolment> = ids.iter().map(|id| enrol(&app, &bio, *id)).collect();
    // Cleo withdraws, Bob completes.
    let today = Utc::now().date_naive();
    let actor = Actor::command_line();
    queries::set_status(
        &mut app.db(),
        &actor,
        enrolments[0].id,
        EnrolmentStatus::Withdrawn,
        today,
    )
    .unwrap();
    queries::set_status(
        &mut app.db(),
        &actor,
        enrolments[2].id,
        EnrolmentStatus::Completed,
        today,
    )
    .unwrap();

    let path = format!("/courses/{}/", bio.id);
    let (status, html) = app.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&html, "h1").as_deref(), Some("Marine biology"));
    let facts = text(&html, ".facts").unwrap();
    assert!(facts.contains("BIO-101") && facts.contains("5 credits") && facts.contains("30 seats"));
    assert!(facts.contains("1 taken, 29 left"), "{facts}");
    assert_eq!(
        attr(&html, "a[href^='/?course=']", "href"),
        Some(format!("/?course={}", bio.id))
    );
    assert!(
        select(&html, ".history-head")
            .iter()
            .any(|e| e.contains("Course added"))
    );

    // Every status, by last name.
    assert_eq!(
        select(&html, "#class-list td[data-label=Name]"),
        ["Ann Lee", "Bob Ray", "Cleo Zane"]
    );
    let statuses = select(&html, "#class-list td[data-label=Status]");
    assert_eq!(statuses[0], "Enrolled");
    assert_eq!(statuses[1], "Completed");
    assert!(statuses[2].starts_with("Withdrawn on "), "{statuses:?}");
    assert_eq!(
        attr(&html, "#class-list td[data-label=Name] a", "href"),
        Some(format!("/{}/", ids[1]))
    );
    // Editors get a button for each row.
    assert_eq!(
        select(&html, "#class-list button").len(),
        4,
        "withdraw, complete, enrol again x2"
    );

    // Paged and sorted by enrolment, newest first (ids break the tie).
    let (_, html) = app
        .page(&format!("{path}?sort=enrolled&dir=desc&per_page=2"))
        .await;
    assert_eq!(
        select(&html, "#class-list td[data-label=Name]"),
        ["Bob Ray", "Ann Lee"]
    );
    let next = attr(&html, ".pagination a[aria-label='Next page']", "href").unwrap();
    assert!(
        next.contains("sort=enrolled") && next.contains("page=2"),
        "{next}"
    );
    let (_, html) = app.page(&next).await;
    assert_eq!(
        select(&html, "#class-list td[data-label=Name]"),
        ["Cleo Zane"]
    );

    assert_eq!(app.page("/courses/999999/").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.page("/courses/999999/edit/").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_add_students_search_lists_matches_with_their_standing() {
    let app = spawn_app().await;
    let bio = course(&app, "BIO-101", "Marine biology", None, None);
    let ann = student(&app, "Ann", "Lee");
    student(&app, "Anna", "Berg");
    student(&app, "Bob", "Ray");
    enrol(&app, &bio, ann);

    let (_, html) = app.page(&format!("/courses/{}/?find=ann", bio.id)).await;
    let listed = select(&html, ".candidates label");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed[0].starts_with("Anna Berg"));
    assert!(listed[1].starts_with("Ann Lee") && listed[1].contains("already enrolled"));
    assert!(attr(&html, &format!("#candidate-{ann}"), "disabled").is_some());
    // By full name and by email too.
    let (_, html) = app
        .page(&format!("/courses/{}/?find=bob+ray", bio.id))
        .await;
    assert_eq!(select(&html, ".candidates label").len(), 1);
    let (_, html) = app
        .page(&format!("/courses/{}/?find=LEE%40EXAMPLE", bio.id))
        .await;
    assert_eq!(select(&html, ".candidates label").len(), 1);
    let (_, html) = app.page(&format!("/courses/{}/?find=nobody", bio.id)).await;
    assert!(
        text(&html, "#add-students .notice")
            .unwrap()
            .contains("No students match")
    );
}

#[tokio::test]
async fn creating_a_course_validates_refuses_duplicates_and_redirects_with_a_flash() {
    let app = spawn_app().await;
    let (status, html) = app.page("/courses/create/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(field_value(&html, "code"), "");

    let invalid = with(
        with(course_fields("", "Marine biology"), "credits", "lots"),
        "code",
        "",
    );
    let response = app.post_form("/courses/create/", &invalid).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        field_error(&html, "code").as_deref(),
        Some("Code is required")
    );
    assert!(field_error(&html, "credits").is_some());
    assert_eq!(
        field_value(&html, "title"),
        "Marine biology",
        "typed values are kept"
    );
    assert_eq!(field_value(&html, "credits"), "lots");

    let response = app
        .post_form(
            "/courses/create/",
            &course_fields("bio-101", "Marine biology"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let path = location(&response);
    assert!(path.starts_with("/courses/"), "{path}");
    assert_eq!(flashes(&app, &path).await, ["Course BIO-101 added"]);

    let response = app
        .post_form("/courses/create/", &course_fields("Bio-101", "Another"))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        field_error(&html, "code").as_deref(),
        Some("Another course already uses this code")
    );
    assert_eq!(field_value(&html, "title"), "Another");
}

#[tokio::test]
async fn editing_a_course_validates_refuses_duplicates_and_stale_versions() {
    let app = spawn_app().await;
    let bio = course(&app, "BIO-101", "Marine biology", None, None);
    course(&app, "CHE-200", "Chemistry", None, None);
    let path = format!("/courses/{}/edit/", bio.id);
    let (_, form) = app.page(&path).await;
    let version = field_value(&form, "version");
    assert_eq!(field_value(&form, "code"), "BIO-101");

    let fields = |code: &str, title: &str, version: &str| {
        with(course_fields(code, title), "version", version)
    };
    let response = app.post_form(&path, &fields("BIO-101", "", &version)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        field_error(&html, "title").as_deref(),
        Some("Title is required")
    );

    let response = app
        .post_form(&path, &fields("che-200", "Marine", &version))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert!(field_error(&html, "code").is_some());

    let response = app
        .post_form(&path, &fields("BIO-101", "Ocean life", &version))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/courses/{}/", bio.id));
    assert_eq!(
        flashes(&app, &location(&response)).await,
        ["Course BIO-101 updated"]
    );

    // A second save from the same, now old, form.
    let response = app
        .post_form(&path, &fields("BIO-101", "Sea life", &version))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        text(&html, ".conflict h2").as_deref(),
        Some("Someone else changed this course while you were editing")
    );
    assert!(text(&html, ".conflict").unwrap().contains("Ocean life"));
    assert_eq!(
        field_value(&html, "title"),
        "Sea life",
        "what they typed is kept"
    );
    assert_ne!(field_value(&html, "version"), version);
    let stored = queries::find(&mut app.db(), bio.id).unwrap().unwrap();
    assert_eq!(stored.title, "Ocean life");
}

#[tokio::test]
async fn deleting_a_course_is_refused_while_it_has_enrolments_of_any_status() {
    let app = spawn_app().await;
    let empty = course(&app, "ART-110", "Drawing", None, None);
    let response = app
        .post_form(&format!("/courses/{}/delete/", empty.id), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/courses/");
    assert_eq!(flashes(&app, "/courses/").await, ["Course ART-110 deleted"]);
    assert_eq!(queries::find(&mut app.db(), empty.id).unwrap(), None);

    let bio = course(&app, "BIO-101", "Marine biology", None, None);
    let withdrawn = enrol(&app, &bio, student(&app, "Ann", "Lee"));
    enrol(&app, &bio, student(&app, "Bob", "Ray"));
    queries::set_status(
        &mut app.db(),
        &Actor::command_line(),
        withdrawn.id,
        EnrolmentStatus::Withdrawn,
        Utc::now().date_naive(),
    )
    .unwrap();
    let response = app
        .post_form(&format!("/courses/{}/delete/", bio.id), &[])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        text(&html, "h1").as_deref(),
        Some("BIO-101 cannot be deleted")
    );
    assert!(text(&html, ".error-page").unwrap().contains("2 enrolments"));
    assert_eq!(
        attr(&html, ".error-page a", "href"),
        Some(format!("/courses/{}/", bio.id))
    );
    assert!(queries::find(&mut app.db(), bio.id).unwrap().is_some());

    let response = app.post_form("/courses/999999/delete/", &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn adding_several_students_answers_for_each_one() {
    let app = spawn_app().await;
    let bio = course(&app, "BIO-101", "Marine biology", None, Some(2));
    let ann = student(&app, "Ann", "Lee");
    let bob = student(&app, "Bob", "Ray");
    let cleo = student(&app, "Cleo", "Zane");
    enrol(&app, &bio, ann);
    let missing = 999_999;

    let response = app
        .post_form(
            "/enrolments/",
            &enrol_form(bio.id, &[ann, bob, cleo, missing], "course"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/courses/{}/", bio.id));
    assert_eq!(
        flashes(&app, &location(&response)).await,
        [
            "Enrolled in BIO-101: Bob Ray.",
            "Already enrolled in BIO-101: Ann Lee.",
            "Not enrolled, BIO-101 is full (2 seats): Cleo Zane.",
            "Not enrolled, no such student: #999999.",
        ]
    );
    let class = queries::class_list(&mut app.db(), bio.id, &ClassListParams::default()).unwrap();
    let mut enrolled: Vec<i32> = class.members.iter().map(|m| m.student.id).collect();
    enrolled.sort();
    assert_eq!(enrolled, [ann, bob]);

    // Nobody chosen: back, with what to do.
    let response = app
        .post_form("/enrolments/", &enrol_form(bio.id, &[], "course"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        flashes(&app, &location(&response)).await,
        ["No student was chosen: choose at least one student to enrol."]
    );

    // From a student's page, back to it.
    let open = course(&app, "CHE-200", "Chemistry", None, None);
    let response = app
        .post_form("/enrolments/", &enrol_form(open.id, &[cleo], "student"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/{cleo}/"));
    assert_eq!(
        flashes(&app, &format!("/{cleo}/")).await,
        ["Enrolled in CHE-200: Cleo Zane."]
    );

    let response = app
        .post_form("/enrolments/", &enrol_form(999_999, &[cleo], "course"))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // No such course, and nobody it could have been found through.
    let response = app
        .post_form("/enrolments/", &enrol_form(999_999, &[missing], "course"))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let too_many: Vec<i32> = (1..=201).collect();
    let response = app
        .post_form("/enrolments/", &enrol_form(open.id, &too_many, "course"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_student_can_be_withdrawn_completed_and_enrolled_again_while_a_seat_is_free() {
    let app = spawn_app().await;
    let bio = course(&app, "BIO-101", "Marine biology", None, Some(1));
    let ann = student(&app, "Ann", "Lee");
    let bob = student(&app, "Bob", "Ray");
    let anns = enrol(&app, &bio, ann);
    let path = format!("/enrolments/{}/status/", anns.id);

    let response = app
        .post_form(&path, &status_form("withdrawn", "course"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/courses/{}/", bio.id));
    assert_eq!(
        flashes(&app, &location(&response)).await,
        ["Ann Lee withdrawn from BIO-101"]
    );
    assert_eq!(status_of(&app, anns.id), EnrolmentStatus::Withdrawn);

    // Bob takes the only seat; Ann cannot come back.
    enrol(&app, &bio, bob);
    let response = app
        .post_form(&path, &status_form("enrolled", "student"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/{ann}/"));
    assert_eq!(
        flashes(&app, &location(&response)).await,
        ["Ann Lee was not enrolled in BIO-101 again: it is full (1 seat)."]
    );
    assert_eq!(status_of(&app, anns.id), EnrolmentStatus::Withdrawn);

    // Bob completes, freeing the seat.
    let bobs = queries::for_student(&mut app.db(), bob).unwrap()[0]
        .enrolment
        .id;
    let response = app
        .post_form(
            &format!("/enrolments/{bobs}/status/"),
            &status_form("completed", "course"),
        )
        .await;
    assert_eq!(
        flashes(&app, &location(&response)).await,
        ["Bob Ray marked as having completed BIO-101"]
    );
    let response = app
        .post_form(&path, &status_form("enrolled", "course"))
        .await;
    assert_eq!(
        flashes(&app, &location(&response)).await,
        ["Ann Lee enrolled in BIO-101 again"]
    );
    assert_eq!(status_of(&app, anns.id), EnrolmentStatus::Enrolled);

    let response = app
        .post_form(&path, &status_form("expelled", "course"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = app
        .post_form(
            "/enrolments/999999/status/",
            &status_form("withdrawn", "course"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// A class list's buttons share one form, which carries the CSRF token and
/// where to come back to; each posts its own enrolment's address and status
/// (a click without JavaScript, as the browser makes it).
#[tokio::test]
async fn each_class_list_button_changes_its_own_enrolment() {
    let app = spawn_app().await;
    let bio = course(&app, "BIO-101", "Marine biology", None, None);
    let ann = student(&app, "Ann", "Lee");
    let bob = student(&app, "Bob", "Ray");
    let anns = enrol(&app, &bio, ann);
    let bobs = enrol(&app, &bio, bob);
    let page = format!("/courses/{}/", bio.id);
    let button = |enrolment: &Enrolment, status: &str| {
        format!(
            "#class-list button[form=class-list-change][formaction='/enrolments/{}/status/'][value={status}]",
            enrolment.id
        )
    };

    let (_, html) = app.page(&page).await;
    assert_eq!(select(&html, "#class-list input[name=csrf_token]").len(), 1);
    let response = app.click(&html, &button(&bobs, "withdrawn")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), page);
    assert_eq!(status_of(&app, bobs.id), EnrolmentStatus::Withdrawn);
    assert_eq!(status_of(&app, anns.id), EnrolmentStatus::Enrolled);

    let (_, html) = app.page(&page).await;
    let response = app.click(&html, &button(&bobs, "enrolled")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, bobs.id), EnrolmentStatus::Enrolled);
    let (_, html) = app.page(&page).await;
    let response = app.click(&html, &button(&anns, "completed")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, anns.id), EnrolmentStatus::Completed);
    assert_eq!(status_of(&app, bobs.id), EnrolmentStatus::Enrolled);
}

#[tokio::test]
async fn course_forms_without_a_csrf_token_are_refused() {
    let app = spawn_app().await;
    let bio = course(&app, "BIO-101", "Marine biology", None, None);
    let ann = student(&app, "Ann", "Lee");
    let anns = enrol(&app, &bio, ann);
    let forms: Vec<(String, Vec<(&str, String)>)> = vec![
        (
            "/courses/create/".into(),
            course_fields("ART-110", "Drawing"),
        ),
        (format!("/courses/{}/delete/", bio.id), vec![]),
        ("/enrolments/".into(), enrol_form(bio.id, &[ann], "course")),
        (
            format!("/enrolments/{}/status/", anns.id),
            status_form("withdrawn", "course"),
        ),
    ];
    for (path, fields) in forms {
        let response = app
            .client
            .post(app.url(&path))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "POST {path}");
    }
    assert_eq!(status_of(&app, anns.id), EnrolmentStatus::Enrolled);
    assert!(queries::find(&mut app.db(), bio.id).unwrap().is_some());
}

#[tokio::test]
async fn viewers_see_no_buttons_and_every_write_refuses_them() {
    let app = spawn_app().await;
    let bio = course(&app, "BIO-101", "Marine biology", None, None);
    let ann = student(&app, "Ann", "Lee");
    let anns = enrol(&app, &bio, ann);
    let viewer = app.client_as(Role::Viewer).await;

    let get = |path: String| {
        let viewer = viewer.clone();
        let url = app.url(&path);
        async move {
            let response = viewer.get(url).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "GET {path}");
            Html::parse_document(&response.text().await.unwrap())
        }
    };
    let html = get("/courses/".into()).await;
    assert!(select(&html, "main a.button").is_empty(), "no Add course");
    assert_eq!(select(&html, "nav a.nav-link")[0], "Courses");
    let html = get(format!("/courses/{}/?find=ann", bio.id)).await;
    assert!(
        select(&html, "main button").is_empty(),
        "no Edit, Delete, Withdraw or Enrol"
    );
    assert!(select(&html, "main form").is_empty(), "no forms at all");
    assert!(select(&html, "#add-students").is_empty());
    assert_eq!(
        select(&html, "#class-list td[data-label=Name]"),
        ["Ann Lee"]
    );

    let account = get("/account/".into()).await;
    let token = attr(&account, "input[name=csrf_token]", "value").unwrap();
    let forms: Vec<(String, Vec<(&str, String)>)> = vec![
        (
            "/courses/create/".into(),
            course_fields("ART-110", "Drawing"),
        ),
        (
            format!("/courses/{}/edit/", bio.id),
            with(course_fields("BIO-101", "X"), "version", "1"),
        ),
        (format!("/courses/{}/delete/", bio.id), vec![]),
        ("/enrolments/".into(), enrol_form(bio.id, &[ann], "course")),
        (
            format!("/enrolments/{}/status/", anns.id),
            status_form("withdrawn", "course"),
        ),
    ];
    for (path, mut fields) in forms {
        fields.push(("csrf_token", token.clone()));
        let response = viewer
            .post(app.url(&path))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "POST {path}");
    }
    for path in [
        "/courses/create/".to_owned(),
        format!("/courses/{}/edit/", bio.id),
    ] {
        let response = viewer.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "GET {path}");
    }
    assert_eq!(status_of(&app, anns.id), EnrolmentStatus::Enrolled);
    let stored = queries::find(&mut app.db(), bio.id).unwrap().unwrap();
    assert_eq!(stored.title, "Marine biology");
}

#[tokio::test]
async fn a_database_failing_part_way_says_who_was_enrolled_and_who_was_not() {
    let app = spawn_app().await;
    let bio = course(&app, "BIO-101", "Marine biology", None, None);
    let ann = student(&app, "Ann", "Lee");
    let bob = student(&app, "Bob", "Ray");
    let cleo = student(&app, "Cleo", "Zane");
    // The database refuses Bob's row: Ann's enrolment is already committed,
    // Cleo's never tried.
    let refuse_bob = match crate::BACKEND {
        crate::test_database::Backend::Sqlite => format!(
            "CREATE TRIGGER refuse_bob BEFORE INSERT ON enrolments
             WHEN NEW.student_id = {bob}
             BEGIN SELECT RAISE(ABORT, 'the disk is unwell'); END;"
        ),
        crate::test_database::Backend::Postgres => format!(
            "CREATE FUNCTION refuse_bob() RETURNS trigger AS $$
             BEGIN RAISE EXCEPTION 'the disk is unwell'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse_bob BEFORE INSERT ON enrolments
             FOR EACH ROW WHEN (NEW.student_id = {bob}) EXECUTE FUNCTION refuse_bob();"
        ),
    };
    app.db().batch_execute(&refuse_bob).unwrap();

    let response = app
        .post_form(
            "/enrolments/",
            &enrol_form(bio.id, &[ann, bob, cleo], "course"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        text(&html, "h1").as_deref(),
        Some("Not every student was enrolled")
    );
    assert_eq!(
        select(&html, ".outcomes li"),
        [
            "Enrolled in BIO-101: Ann Lee.",
            "Not enrolled, stopped before them: Bob Ray, Cleo Zane.",
        ]
    );
    let class = queries::class_list(&mut app.db(), bio.id, &ClassListParams::default()).unwrap();
    let enrolled: Vec<i32> = class.members.iter().map(|m| m.student.id).collect();
    assert_eq!(enrolled, [ann], "what the page says is what is stored");
}

#[tokio::test]
async fn every_class_member_is_on_exactly_one_page_in_both_orders() {
    // Pages past the middle are read from the end, a whole page's worth and
    // cut to what the page holds: the short last page included.
    let app = spawn_app().await;
    let geo = course(&app, "GEO-1", "Geography", None, None);
    let names = ["Ada", "Ben", "Cy", "Di", "Ed", "Flo", "Gus"];
    for (n, first) in names.iter().enumerate() {
        let id = student(&app, first, &format!("Last{}", 7 - n));
        enrol(&app, &geo, id);
    }
    for (dir, expected) in [
        ("asc", ["Gus", "Flo", "Ed", "Di", "Cy", "Ben", "Ada"]),
        ("desc", ["Ada", "Ben", "Cy", "Di", "Ed", "Flo", "Gus"]),
    ] {
        let mut seen = Vec::new();
        for page in 1..=3 {
            let (_, html) = app
                .page(&format!(
                    "/courses/{}/?dir={dir}&per_page=3&page={page}",
                    geo.id
                ))
                .await;
            let rows: Vec<String> = select(&html, "#class-list td[data-label=Name]")
                .iter()
                .map(|name| name.split(' ').next().unwrap().to_owned())
                .collect();
            assert_eq!(rows.len(), if page == 3 { 1 } else { 3 }, "{dir} {page}");
            seen.extend(rows);
        }
        assert_eq!(seen, expected, "{dir}");
    }
}
