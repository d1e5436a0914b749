//! The student pages' side of courses (issue 14): the index's Courses
//! column and course filter, its bulk actions (the selection pages and the
//! one-transaction delete), and a student's Courses section.

use chrono::NaiveDate;
use reqwest::StatusCode;
use scraper::Html;
use student_registry::accounts::Role;
use student_registry::audit::{self, Actor, Subject};
use student_registry::courses::queries as course_queries;
use student_registry::courses::{Course, CourseDraft, EnrolmentStatus};

use crate::helpers::{self, TestApp, attr, select, spawn_app, text, with};

fn actor() -> Actor {
    Actor {
        user_id: None,
        label: "tester".into(),
        address: None,
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
}

fn add_course(app: &TestApp, code: &str, capacity: Option<i32>) -> Course {
    let draft = CourseDraft {
        code: code.into(),
        title: format!("Title of {code}"),
        capacity: capacity.map(|c| c.to_string()).unwrap_or_default(),
        ..CourseDraft::default()
    };
    course_queries::create(&mut app.db(), &actor(), &draft.validate().unwrap()).unwrap()
}

fn enrol(app: &TestApp, course: &Course, student: i32) -> i32 {
    course_queries::enrol(&mut app.db(), &actor(), course.id, student, today())
        .unwrap()
        .id
}

/// A student through the form, named `first last`.
async fn add_student(app: &TestApp, first: &str, last: &str) -> i32 {
    let fields = with(helpers::sammy(), "firstname", first);
    let fields = with(fields, "lastname", last);
    let email = format!("{first}.{last}@example.com").to_lowercase();
    app.create(&with(fields, "email", &email)).await
}

/// The index's rows: (name, courses column).
fn rows(html: &Html) -> Vec<(String, String)> {
    select(html, "tbody tr .cell-name a")
        .into_iter()
        .zip(select(html, "tbody tr td[data-label=Courses]"))
        .collect()
}

#[test]
fn the_student_listing_names_current_enrolments_as_the_courses_do() {
    assert_eq!(
        student_registry::students::queries::CURRENT_ENROLMENT,
        EnrolmentStatus::Enrolled.as_str()
    );
}

#[tokio::test]
async fn the_index_counts_each_students_current_courses() {
    let app = spawn_app().await;
    let ann = add_student(&app, "Ann", "Abbot").await;
    let bo = add_student(&app, "Bo", "Baker").await;
    add_student(&app, "Cy", "Cole").await;
    let bio = add_course(&app, "BIO-101", None);
    let chem = add_course(&app, "CHEM-1", None);
    let art = add_course(&app, "ART-1", None);
    enrol(&app, &bio, ann);
    enrol(&app, &chem, ann);
    let withdrawn = enrol(&app, &art, ann);
    course_queries::set_status(
        &mut app.db(),
        &actor(),
        withdrawn,
        EnrolmentStatus::Withdrawn,
        today(),
    )
    .unwrap();
    enrol(&app, &bio, bo);

    let (status, html) = app.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        rows(&html),
        [
            ("Ann Abbot".to_owned(), "2".to_owned()),
            ("Bo Baker".to_owned(), "1".to_owned()),
            ("Cy Cole".to_owned(), "0".to_owned()),
        ],
        "withdrawn enrolments do not count"
    );
}

#[tokio::test]
async fn the_course_filter_narrows_the_index_and_keeps_search_sort_and_pages() {
    let app = spawn_app().await;
    let bio = add_course(&app, "BIO-101", None);
    let mut enrolled = Vec::new();
    for n in 0..12 {
        let id = add_student(&app, &format!("Sam{n:02}"), "Shark").await;
        if n % 2 == 0 {
            enrol(&app, &bio, id);
            enrolled.push(format!("Sam{n:02} Shark"));
        }
    }
    let dropped = add_student(&app, "Sam99", "Shark").await;
    let dropped_row = enrol(&app, &bio, dropped);
    course_queries::set_status(
        &mut app.db(),
        &actor(),
        dropped_row,
        EnrolmentStatus::Withdrawn,
        today(),
    )
    .unwrap();
    add_student(&app, "Zed", "Zebra").await;

    let path = format!("/?course={}&per_page=5", bio.id);
    let (_, first) = app.page(&path).await;
    assert_eq!(
        text(&first, ".summary").unwrap(),
        "Showing 1\u{2013}5 of 6 students in BIO-101"
    );
    assert_eq!(select(&first, ".cell-name a"), enrolled[..5]);
    assert_eq!(
        attr(&first, ".filter-note a", "href").as_deref(),
        Some(format!("/courses/{}/", bio.id).as_str()),
        "the note links the course"
    );
    // Every link of the listing keeps the filter: pages, sort headers, and
    // the search form (as a hidden field).
    let next = attr(&first, "a[aria-label='Next page']", "href").unwrap();
    assert!(next.contains(&format!("course={}", bio.id)), "{next}");
    for header in select_attrs(&first, "thead a", "href") {
        assert!(header.contains(&format!("course={}", bio.id)), "{header}");
    }
    assert_eq!(
        attr(&first, "form.search input[name=course]", "value"),
        Some(bio.id.to_string())
    );
    let (_, second) = app.page(&next).await;
    assert_eq!(select(&second, ".cell-name a"), enrolled[5..]);

    // Combined with a search and a sort.
    let (_, searched) = app
        .page(&format!("/?course={}&q=sam0&sort=name&dir=desc", bio.id))
        .await;
    let mut expected: Vec<String> = enrolled
        .iter()
        .filter(|name| name.starts_with("Sam0"))
        .cloned()
        .collect();
    expected.reverse();
    assert_eq!(select(&searched, ".cell-name a"), expected);

    // "Show every student" drops only the filter.
    let clear = attr(&first, ".filter-note a:last-child", "href").unwrap();
    assert_eq!(clear, "/?per_page=5");
}

fn select_attrs(html: &Html, selector: &str, name: &str) -> Vec<String> {
    let selector = scraper::Selector::parse(selector).unwrap();
    html.select(&selector)
        .filter_map(|element| element.value().attr(name).map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_filter_on_a_course_that_does_not_exist_says_so_and_lists_nobody() {
    let app = spawn_app().await;
    add_student(&app, "Ann", "Abbot").await;
    let (status, html) = app.page("/?course=999").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text(&html, ".filter-note")
            .unwrap()
            .contains("#999, which does not exist"),
        "{:?}",
        text(&html, ".filter-note")
    );
    assert!(select(&html, "tbody tr").is_empty());
    // A malformed course is ignored, like any malformed listing value.
    let (_, html) = app.page("/?course=abc").await;
    assert_eq!(select(&html, "tbody tr").len(), 1);
    assert!(select(&html, ".filter-note").is_empty());
}

/// A search refused before anything is read (no letters or digits) keeps
/// the course's filter, linked, without calling the course missing.
#[tokio::test]
async fn a_refused_search_within_a_course_does_not_call_the_course_missing() {
    let app = spawn_app().await;
    let bio = add_course(&app, "BIO-101", None);
    let (status, html) = app.page(&format!("/?course={}&q=--", bio.id)).await;
    assert_eq!(status, StatusCode::OK);
    let note = text(&html, ".filter-note").unwrap();
    assert!(!note.contains("does not exist"), "{note}");
    assert_eq!(
        attr(&html, ".filter-note a", "href"),
        Some(format!("/courses/{}/", bio.id))
    );
}

/// A course whose first page has no rows to carry its name (read with them
/// when it has some): named all the same, with no one listed.
#[tokio::test]
async fn a_filter_on_a_course_with_no_current_students_names_the_course() {
    let app = spawn_app().await;
    let bio = add_course(&app, "BIO-101", None);
    add_course(&app, "GEO-200", None);
    let ann = add_student(&app, "Ann", "Abbot").await;
    let left = enrol(&app, &bio, ann);
    course_queries::set_status(
        &mut app.db(),
        &actor(),
        left,
        EnrolmentStatus::Withdrawn,
        today(),
    )
    .unwrap();
    for query in ["", "&dir=desc"] {
        let (status, html) = app.page(&format!("/?course={}{query}", bio.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(select(&html, "tbody tr").is_empty(), "{query}");
        assert_eq!(
            text(&html, ".empty-state h2").as_deref(),
            Some("No students are enrolled in BIO-101 (Title of BIO-101)"),
            "{query}"
        );
        assert_eq!(
            attr(&html, ".filter-note a", "href"),
            Some(format!("/courses/{}/", bio.id)),
            "{query}"
        );
    }
    // Enrolled again, she is listed, under the same name of the course.
    course_queries::enrol(&mut app.db(), &actor(), bio.id, ann, today()).unwrap();
    let (_, html) = app.page(&format!("/?course={}", bio.id)).await;
    assert_eq!(select(&html, ".cell-name a"), ["Ann Abbot"]);
    assert_eq!(
        text(&html, ".summary").unwrap(),
        "Showing 1\u{2013}1 of 1 student in BIO-101"
    );
    assert_eq!(
        text(&html, ".filter-note a").as_deref(),
        Some("BIO-101 (Title of BIO-101)")
    );
}

#[tokio::test]
async fn enrol_selected_names_the_students_and_offers_courses_with_seats() {
    let app = spawn_app().await;
    let ann = add_student(&app, "Ann", "Abbot").await;
    let bo = add_student(&app, "Bo", "Baker").await;
    let full = add_course(&app, "FULL-1", Some(1));
    let open = add_course(&app, "OPEN-1", Some(3));
    enrol(&app, &full, bo);

    // The index's form is a GET: the ticked boxes and the button pressed.
    let (_, index) = app.page("/").await;
    assert_eq!(
        attr(&index, "form#bulk", "action").as_deref(),
        Some("/selection/")
    );
    assert_eq!(select(&index, "input[type=checkbox][form=bulk]").len(), 2);

    let (status, html) = app
        .page(&format!(
            "/selection/?action=enrol&student_id={ann}&student_id={bo}&back=%2F%3Fpage%3D1"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        select(&html, ".selected-students a"),
        ["Ann Abbot", "Bo Baker"]
    );
    assert_eq!(
        select(&html, "select[name=course_id] option"),
        ["Choose a course", "OPEN-1 Title of OPEN-1 (3 seats left)"],
        "a full course is not offered"
    );
    assert_eq!(
        select_attrs(&html, "select[name=course_id] option", "value"),
        [String::new(), open.id.to_string()]
    );
    assert_eq!(
        attr(
            &html,
            "form[action='/enrolments/'] input[name=return_to]",
            "value"
        )
        .as_deref(),
        Some("course")
    );
    assert_eq!(
        select_attrs(
            &html,
            "form[action='/enrolments/'] input[name=student_id]",
            "value"
        ),
        [ann.to_string(), bo.to_string()]
    );
    assert_eq!(
        attr(&html, ".breadcrumb a", "href").as_deref(),
        Some("/?page=1")
    );
}

#[tokio::test]
async fn an_empty_or_unreadable_selection_is_refused_clearly() {
    let app = spawn_app().await;
    let ann = add_student(&app, "Ann", "Abbot").await;
    // Nothing ticked: back to the listing, with a message.
    let response = app
        .get("/selection/?action=delete&back=%2F%3Fpage%3D2")
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/?page=2");
    let (_, html) = app.page("/").await;
    assert!(
        select(&html, ".flash")
            .concat()
            .contains("Tick at least one student"),
        "{:?}",
        select(&html, ".flash")
    );
    // A tampered id, an unknown action, a selection beyond the limit: 400.
    for query in [
        format!("action=delete&student_id=x{ann}"),
        format!("action=explode&student_id={ann}"),
        (1..=201)
            .map(|id| format!("student_id={id}"))
            .collect::<Vec<_>>()
            .join("&")
            + "&action=delete",
    ] {
        let response = app.get(&format!("/selection/?{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query:.60}");
    }
    // Only the index's own addresses are followed back to.
    for elsewhere in [
        "https%3A%2F%2Fevil.example%2F",
        "%2F%2Fevil.example",
        "%2Flogin%2F",
    ] {
        let response = app
            .get(&format!("/selection/?action=delete&back={elsewhere}"))
            .await;
        assert_eq!(response.headers()["location"], "/", "{elsewhere}");
    }
}

#[tokio::test]
async fn delete_selected_confirms_then_deletes_every_one_in_one_go() {
    let app = spawn_app().await;
    let ann = add_student(&app, "Ann", "Abbot").await;
    let bo = add_student(&app, "Bo", "Baker").await;
    let cy = add_student(&app, "Cy", "Cole").await;
    let bio = add_course(&app, "BIO-101", None);
    enrol(&app, &bio, ann);

    let (status, html) = app
        .page(&format!(
            "/selection/?action=delete&student_id={ann}&student_id={bo}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&html, "h1").unwrap(), "Delete these 2 students?");
    assert_eq!(
        select(&html, ".selected-students a"),
        ["Ann Abbot", "Bo Baker"]
    );
    assert_eq!(
        app.students().len(),
        3,
        "the confirmation page deletes nothing"
    );

    // Bo is deleted meanwhile: the rest still goes, and the page says so.
    app.post_form(&format!("/{bo}/delete/"), &[]).await;
    let response = app
        .post_form(
            "/selection/delete/",
            &[
                ("student_id", ann.to_string()),
                ("student_id", bo.to_string()),
                ("back", "/?sort=age".to_owned()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/?sort=age");
    let (_, after) = app.page("/").await;
    let flashes = select(&after, ".flash").concat();
    assert!(flashes.contains("Student Ann Abbot deleted"), "{flashes}");
    assert!(
        flashes.contains("1 of the selected students had already been deleted"),
        "{flashes}"
    );
    let left: Vec<i32> = app.students().iter().map(|s| s.id).collect();
    assert_eq!(left, [cy]);
    // Her enrolment went with her, and the course's seat count with it; the
    // history of her deletion keeps it.
    let course = course_queries::find(&mut app.db(), bio.id)
        .unwrap()
        .unwrap();
    assert_eq!(course.enrolled_count, 0);
    let events = audit::for_subject(&mut app.db(), Subject::Student(ann), 1).unwrap();
    assert_eq!(events[0].action, "student.delete");
    assert_eq!(events[0].details()["courses"], "BIO-101 (enrolled)");
}

#[tokio::test]
async fn a_bulk_delete_the_database_refuses_deletes_nobody() {
    let app = spawn_app().await;
    let ann = add_student(&app, "Ann", "Abbot").await;
    let bo = add_student(&app, "Bo", "Baker").await;
    // The audit row of the second delete cannot be stored: the whole
    // transaction, the first delete included, must roll back.
    refuse_second_audit_event(&app);
    let response = app
        .post_form(
            "/selection/delete/",
            &[
                ("student_id", ann.to_string()),
                ("student_id", bo.to_string()),
            ],
        )
        .await;
    assert!(response.status().is_server_error(), "{}", response.status());
    assert_eq!(app.students().len(), 2, "nothing half-done remains");
}

/// A trigger that refuses an audit event about the second student, so a
/// transaction deleting both fails part-way.
fn refuse_second_audit_event(app: &TestApp) {
    use diesel::connection::SimpleConnection;
    let mut conn = app.db();
    let sql = match &mut conn {
        student_registry::database::DbConnection::Sqlite(_) => {
            "CREATE TRIGGER refuse_bo BEFORE INSERT ON audit_events \
             WHEN NEW.action = 'student.delete' AND NEW.details LIKE '%Baker%' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END;"
        }
        student_registry::database::DbConnection::Postgresql(_) => {
            "CREATE FUNCTION refuse_bo() RETURNS trigger AS $$ BEGIN \
             IF NEW.action = 'student.delete' AND NEW.details::text LIKE '%Baker%' THEN \
             RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_bo BEFORE INSERT ON audit_events \
             FOR EACH ROW EXECUTE FUNCTION refuse_bo();"
        }
    };
    match &mut conn {
        student_registry::database::DbConnection::Sqlite(c) => c.batch_execute(sql).unwrap(),
        student_registry::database::DbConnection::Postgresql(c) => c.batch_execute(sql).unwrap(),
    }
}

#[tokio::test]
async fn viewers_get_no_bulk_actions_and_cannot_use_them() {
    let app = spawn_app().await;
    let ann = add_student(&app, "Ann", "Abbot").await;
    let viewer = app.client_as(Role::Viewer).await;
    let index = viewer.get(app.url("/")).send().await.unwrap();
    let html = Html::parse_document(&index.text().await.unwrap());
    let token = attr(&html, "input[name=csrf_token]", "value").unwrap();
    assert!(select(&html, "form#bulk").is_empty());
    assert!(select(&html, "input[type=checkbox]").is_empty());
    assert_eq!(
        select(&html, "td[data-label=Courses]"),
        ["0"],
        "they see the column"
    );
    let page = viewer
        .get(app.url(&format!("/selection/?action=delete&student_id={ann}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let post = viewer
        .post(app.url("/selection/delete/"))
        .form(&[("student_id", ann.to_string()), ("csrf_token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.students().len(), 1);
}

#[tokio::test]
async fn a_students_page_lists_their_courses_and_offers_the_open_ones() {
    let app = spawn_app().await;
    let ann = add_student(&app, "Ann", "Abbot").await;
    let bo = add_student(&app, "Bo", "Baker").await;
    let bio = add_course(&app, "BIO-101", None);
    let art = add_course(&app, "ART-1", Some(5));
    let full = add_course(&app, "FULL-1", Some(1));
    add_course(&app, "OPEN-2", None);
    enrol(&app, &bio, ann);
    let art_row = enrol(&app, &art, ann);
    course_queries::set_status(
        &mut app.db(),
        &actor(),
        art_row,
        EnrolmentStatus::Withdrawn,
        today(),
    )
    .unwrap();
    enrol(&app, &full, bo);
    // A status change's history names the student and the course, though
    // neither changed: the activity log links the enrolment by them.
    let events = audit::for_subject(&mut app.db(), Subject::Enrolment(art_row), 1).unwrap();
    assert_eq!(events[0].action, "enrolment.update");
    assert_eq!(events[0].details()["student_id"], ann);
    assert_eq!(events[0].details()["course_id"], art.id);

    let (status, html) = app.page(&format!("/{ann}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        select(&html, ".enrolments td[data-label=Code]"),
        ["ART-1", "BIO-101"]
    );
    assert_eq!(
        select(&html, ".enrolments td[data-label=Status]"),
        ["Withdrawn", "Enrolled"]
    );
    assert_eq!(
        select(&html, ".enrolments td[data-label=Withdrawn] time"),
        ["4 Dec 2026"]
    );
    // One Withdraw button, for the current enrolment.
    let withdraw = select_attrs(&html, ".enrolments form", "action");
    let bio_row = course_queries::for_student(&mut app.db(), ann).unwrap()[1]
        .enrolment
        .id;
    assert_eq!(withdraw, [format!("/enrolments/{bio_row}/status/")]);
    // The enrol form offers courses with a seat that she is not in now: a
    // withdrawn course again, not BIO-101, not the full one.
    let offered = select(&html, ".student-enrol-form option");
    assert_eq!(
        offered,
        [
            "Choose a course",
            "ART-1 Title of ART-1 (5 seats left)",
            "OPEN-2 Title of OPEN-2 (no seat limit)"
        ]
    );
    // Sent without choosing: a message, back on her page, nothing stored.
    let response = app
        .post_form(
            "/enrolments/",
            &[
                ("course_id", String::new()),
                ("student_id", ann.to_string()),
                ("return_to", "student".to_owned()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], format!("/{ann}/").as_str());
    let (_, html) = app.page(&format!("/{ann}/")).await;
    assert!(
        select(&html, ".flash")
            .concat()
            .contains("No course was chosen"),
        "{:?}",
        select(&html, ".flash")
    );
    assert_eq!(select(&html, ".enrolments tbody tr").len(), 2);

    // A viewer sees the courses, without buttons or the form.
    let viewer = app.client_as(Role::Viewer).await;
    let (_, html) = app.page_as(&viewer, &format!("/{ann}/")).await;
    assert_eq!(select(&html, ".enrolments tbody tr").len(), 2);
    assert!(select(&html, ".enrolments form").is_empty());
    assert!(select(&html, ".student-enrol-form").is_empty());

    let (_, html) = app.page(&format!("/{bo}/")).await;
    assert_eq!(select(&html, ".enrolments td[data-label=Code]"), ["FULL-1"]);
}

#[tokio::test]
async fn with_many_open_courses_a_students_page_searches_them_instead_of_listing_all() {
    let app = spawn_app().await;
    let ann = add_student(&app, "Ann", "Abbot").await;
    // 60 open courses (more than a form lists whole), one full, two she is
    // in (one among the first listed).
    let geo: Vec<_> = (0..60)
        .map(|n| add_course(&app, &format!("GEO-{n:03}"), None))
        .collect();
    let full = add_course(&app, "GEO-FULL", Some(1));
    let taken = add_course(&app, "GEO-TAKEN", None);
    let bo = add_student(&app, "Bo", "Baker").await;
    enrol(&app, &full, bo);
    enrol(&app, &taken, ann);
    enrol(&app, &geo[3], ann);

    // Unsearched: a search box and no partial list that would hide the rest.
    let (status, html) = app.page(&format!("/{ann}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        attr(&html, "#enrol form[role=search]", "action"),
        Some(format!("/{ann}/#enrol"))
    );
    assert!(select(&html, ".student-enrol-form").is_empty());
    assert!(select(&html, "select[name=course_id]").is_empty());

    // A broad search lists the first 20 by code, says more match, and keeps
    // the term in the box; neither the full course nor hers is offered.
    let (status, html) = app.page(&format!("/{ann}/?find_course=geo")).await;
    assert_eq!(status, StatusCode::OK);
    let offered = select(&html, ".student-enrol-form option");
    assert_eq!(offered.len(), 21, "{offered:?}");
    assert_eq!(offered[1], "GEO-000 Title of GEO-000 (no seat limit)");
    assert_eq!(
        offered[4], "GEO-004 Title of GEO-004 (no seat limit)",
        "not hers, GEO-003"
    );
    assert_eq!(offered[20], "GEO-020 Title of GEO-020 (no seat limit)");
    assert!(select(&html, "#course_id-hint")[0].contains("only the first 20"));
    assert_eq!(attr(&html, "#find_course", "value").as_deref(), Some("geo"));

    // A narrow one, by title and ignoring case, lists what matches; LIKE's
    // own characters are taken literally.
    let (_, html) = app.page(&format!("/{ann}/?find_course=OF+geo-05")).await;
    assert_eq!(
        select(&html, ".student-enrol-form option")[1..],
        (50..60)
            .map(|n| format!("GEO-{n:03} Title of GEO-{n:03} (no seat limit)"))
            .collect::<Vec<_>>()
    );
    assert!(select(&html, "#course_id-hint").is_empty());
    for term in ["GEO-FULL", "GEO-TAKEN", "GEO%25", "GEO_0"] {
        let (status, html) = app.page(&format!("/{ann}/?find_course={term}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(select(&html, ".student-enrol-form").is_empty(), "{term}");
        assert!(
            select(&html, "#enrol .notice")[0].contains("No course with a seat left matches"),
            "{term}"
        );
    }

    // The form a search lists enrols her, as the whole list does.
    let (_, html) = app.page(&format!("/{ann}/?find_course=GEO-042")).await;
    let values = select_attrs(&html, ".student-enrol-form option", "value");
    assert_eq!(values.len(), 2);
    let response = app
        .post_form(
            "/enrolments/",
            &[
                ("course_id", values[1].clone()),
                ("student_id", ann.to_string()),
                ("return_to", "student".to_owned()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.page(&format!("/{ann}/")).await;
    assert_eq!(
        select(&html, ".enrolments td[data-label=Code]"),
        ["GEO-003", "GEO-042", "GEO-TAKEN"]
    );

    // A viewer gets neither the search nor the form.
    let viewer = app.client_as(Role::Viewer).await;
    let (_, html) = app
        .page_as(&viewer, &format!("/{ann}/?find_course=geo"))
        .await;
    assert!(select(&html, "#enrol").is_empty());
    assert!(select(&html, "select[name=course_id]").is_empty());
}

#[tokio::test]
async fn a_students_enrol_form_lists_up_to_fifty_open_courses_whole() {
    // The form lists every course open to her while there are at most 50
    // (full ones and hers do not count), and searches from the 51st.
    let app = spawn_app().await;
    let ann = add_student(&app, "Ann", "Abbot").await;
    // ART-007 has one seat.
    let open: Vec<_> = (0..50)
        .map(|n| add_course(&app, &format!("ART-{n:03}"), (n == 7).then_some(1)))
        .collect();
    let full = add_course(&app, "ART-FULL", Some(1));
    let hers = add_course(&app, "AAA-HERS", None);
    let bo = add_student(&app, "Bo", "Baker").await;
    enrol(&app, &full, bo);
    let her_enrolment = enrol(&app, &hers, ann);

    let (status, html) = app.page(&format!("/{ann}/")).await;
    assert_eq!(status, StatusCode::OK);
    let offered = select(&html, ".student-enrol-form option");
    assert_eq!(offered.len(), 51, "a prompt and 50 courses: {offered:?}");
    assert_eq!(offered[8], "ART-007 Title of ART-007 (1 seat left)");
    assert_eq!(offered[1], "ART-000 Title of ART-000 (no seat limit)");
    assert_eq!(offered[50], "ART-049 Title of ART-049 (no seat limit)");
    assert!(select(&html, "#enrol form[role=search]").is_empty());

    // Withdrawn from hers, it is open to her again: 51, so a search box.
    course_queries::set_status(
        &mut app.db(),
        &actor(),
        her_enrolment,
        EnrolmentStatus::Withdrawn,
        today(),
    )
    .unwrap();
    let (_, html) = app.page(&format!("/{ann}/")).await;
    assert!(select(&html, ".student-enrol-form").is_empty());
    assert_eq!(
        attr(&html, "#enrol form[role=search]", "action"),
        Some(format!("/{ann}/#enrol"))
    );

    // ART-007 filled: 50 again, and a whole list.
    enrol(&app, &open[7], bo);
    let (_, html) = app.page(&format!("/{ann}/")).await;
    let offered = select(&html, ".student-enrol-form option");
    assert_eq!(offered.len(), 51, "{offered:?}");
    assert_eq!(offered[1], "AAA-HERS Title of AAA-HERS (no seat limit)");
    assert!(!offered.iter().any(|o| o.starts_with("ART-007")));
}

/// Renames student `id` through the edit form (its first version).
async fn rename(app: &TestApp, id: i32, first: &str, last: &str) {
    let email = format!("{first}.{last}@example.com").to_lowercase();
    let fields = with(with(helpers::sammy(), "firstname", first), "lastname", last);
    let fields = with(with(fields, "email", &email), "version", "1");
    let response = app.post_form(&format!("/{id}/edit/"), &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_course_filtered_index_is_in_name_order_as_students_are_named_now() {
    // Pages of a course's students by name are read in the order each
    // enrolment keeps of its student's name: a rename must move them, case
    // must not matter, and the id breaks a tie, as on the whole index.
    let app = spawn_app().await;
    let bio = add_course(&app, "BIO-101", None);
    let zoe = add_student(&app, "Zoe", "Young").await;
    let ann = add_student(&app, "ann", "young").await;
    let twin = app
        .create(&with(
            with(
                with(helpers::sammy(), "firstname", "Ann"),
                "lastname",
                "Young",
            ),
            "email",
            "twin@example.com",
        ))
        .await;
    let bo = add_student(&app, "Bo", "baker").await;
    let cy = add_student(&app, "Cy", "Cole").await;
    let left = add_student(&app, "Al", "Aaron").await;
    for id in [zoe, ann, twin, bo, cy] {
        enrol(&app, &bio, id);
    }
    let leaving = enrol(&app, &bio, left);
    // Al leaves the course; Zoe marries into the front of the list.
    course_queries::set_status(
        &mut app.db(),
        &actor(),
        leaving,
        EnrolmentStatus::Withdrawn,
        today(),
    )
    .unwrap();
    rename(&app, zoe, "Zoe", "Abbot").await;

    let expected = ["Zoe Abbot", "Bo baker", "Cy Cole", "ann young", "Ann Young"];
    let (_, html) = app.page(&format!("/?course={}", bio.id)).await;
    assert_eq!(select(&html, ".cell-name a"), expected);
    assert_eq!(
        text(&html, ".summary").unwrap(),
        "Showing 1\u{2013}5 of 5 students in BIO-101"
    );
    let (_, html) = app.page(&format!("/?course={}&dir=desc", bio.id)).await;
    let mut reversed = expected;
    reversed.reverse();
    assert_eq!(select(&html, ".cell-name a"), reversed);
    // Pages asked for by number, the last one read from the end.
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (_, html) = app
            .page(&format!("/?course={}&per_page=2&page={page}", bio.id))
            .await;
        seen.extend(select(&html, ".cell-name a"));
    }
    assert_eq!(seen, expected);
    // The same pages through their "Next page" links, which seek from the
    // last row shown (by the students' own names) rather than count.
    let mut seen = Vec::new();
    let mut next = Some(format!("/?course={}&per_page=2", bio.id));
    while let Some(path) = next {
        let (_, html) = app.page(&path).await;
        seen.extend(select(&html, ".cell-name a"));
        next = attr(&html, "a[aria-label='Next page']", "href");
    }
    assert_eq!(seen, expected);

    // The course's class list follows the rename too.
    let (_, html) = app.page(&format!("/courses/{}/", bio.id)).await;
    assert_eq!(
        select(&html, "#class-list td[data-label=Name]"),
        [
            "Al Aaron",
            "Zoe Abbot",
            "Bo baker",
            "Cy Cole",
            "ann young",
            "Ann Young"
        ]
    );
    // The names and emails shown are the enrolments' copies: an email
    // changed alone follows too.
    let emails = select(&html, "#class-list td.cell-email");
    assert!(
        emails.contains(&"zoe.abbot@example.com".to_string()),
        "{emails:?}"
    );
    let fields = with(
        with(
            with(helpers::sammy(), "firstname", "Bo"),
            "lastname",
            "baker",
        ),
        "email",
        "bo.new@example.com",
    );
    let response = app
        .post_form(&format!("/{bo}/edit/"), &with(fields, "version", "1"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.page(&format!("/courses/{}/", bio.id)).await;
    let emails = select(&html, "#class-list td.cell-email");
    assert_eq!(emails[2], "bo.new@example.com", "{emails:?}");
    assert_eq!(
        select(&html, "#class-list td[data-label=Name]")[2],
        "Bo baker"
    );
}
