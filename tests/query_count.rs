//! An index page costs a fixed number of queries, whatever its size: no
//! per-row queries. Its own test binary, because diesel's default
//! instrumentation is process-wide.

#[allow(dead_code)]
#[path = "app/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "app/test_database.rs"]
mod test_database;

/// On SQLite: PostgreSQL's pool adds a health check to each checkout.
const BACKEND: test_database::Backend = test_database::Backend::Sqlite;

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use student_registry::courses::queries as course_queries;
use student_registry::students::seed;

static QUERIES: AtomicUsize = AtomicUsize::new(0);

struct CountQueries;

impl Instrumentation for CountQueries {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            QUERIES.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// One test: the counter is process-wide, so two tests running at once
/// would count each other's queries.
#[tokio::test]
async fn pages_issue_a_fixed_number_of_queries_whatever_their_size() {
    set_default_instrumentation(|| Some(Box::new(CountQueries))).unwrap();
    let app = helpers::spawn_app().await;
    index_pages(&app).await;
    course_pages(&app).await;
    student_pages(&app).await;
    activity_pages(&app).await;
    sessionless(&app).await;
    account_pages(&app).await;
}

/// The accounts list and one's tokens, with few rows and with many: the
/// same queries.
async fn account_pages(app: &helpers::TestApp) {
    let mut conn = app.db();
    let measure = |path: &'static str| async move {
        QUERIES.store(0, Ordering::SeqCst);
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        (
            helpers::select(&page, "tbody tr").len(),
            QUERIES.load(Ordering::SeqCst),
        )
    };
    let few = (measure("/users/").await, measure("/account/tokens/").await);
    for n in 0..20 {
        helpers::create_account(
            &mut conn,
            &format!("staff{n}@example.com"),
            student_registry::accounts::Role::Viewer,
        );
        student_registry::accounts::tokens::create(
            &mut conn,
            &student_registry::audit::Actor::command_line(),
            app.staff.id,
            &format!("token {n}"),
            student_registry::accounts::Scope::Read,
            None,
        )
        .unwrap();
    }
    let many = (measure("/users/").await, measure("/account/tokens/").await);
    for ((few_rows, few_queries), (many_rows, many_queries)) in [(few.0, many.0), (few.1, many.1)] {
        assert!(many_rows >= few_rows + 20, "{few:?} {many:?}");
        assert_eq!(few_queries, many_queries, "{few:?} {many:?}");
    }
}

/// The stylesheet, with a session cookie: no query at all (static files are
/// served outside the sessions).
async fn sessionless(app: &helpers::TestApp) {
    let (_, page) = app.page("/").await;
    let stylesheet = helpers::attr(&page, "link[rel=stylesheet]", "href").unwrap();
    QUERIES.store(0, Ordering::SeqCst);
    assert_eq!(app.get(&stylesheet).await.status(), 200);
    assert_eq!(QUERIES.load(Ordering::SeqCst), 0, "a static file");
}

/// Who the test's own writes are by.
fn tester() -> student_registry::audit::Actor {
    student_registry::audit::Actor {
        user_id: None,
        label: "tester".into(),
        address: None,
    }
}

async fn index_pages(app: &helpers::TestApp) {
    seed::seed(&mut app.db(), 997).unwrap();
    // Every student in one to five courses: the Courses column has counts
    // to show, and a course has enough students to fill a page.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    student_registry::courses::seed::seed(&mut app.db(), 8, today).unwrap();
    let course = course_queries::find(&mut app.db(), 1).unwrap().unwrap();
    assert!(course.enrolled_count > 100, "{course:?}");

    let measure = |query: String| async move {
        QUERIES.store(0, Ordering::SeqCst);
        let response = app.get(&format!("/?{query}")).await;
        assert_eq!(response.status(), 200, "{query}");
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        let rows = helpers::select(&page, "tbody tr").len();
        let counted = helpers::select(&page, "td[data-label=Courses]")
            .iter()
            .filter(|count| *count != "0")
            .count();
        // Some have only withdrawn or completed enrolments: most have some.
        assert!(
            rows > 0 && counted * 2 > rows,
            "{query}: {rows} rows, {counted} in a course now"
        );
        (query, rows, QUERIES.load(Ordering::SeqCst))
    };
    // A page reached by a link that carries where it starts (after= or
    // before=): the seek instead of the count from the start, the same
    // number of queries.
    let linked = |from: String, label: &'static str| async move {
        let (_, page) = app.page(&format!("/?{from}")).await;
        let href = helpers::attr(
            &page,
            &format!(".pagination a[aria-label='{label}']"),
            "href",
        )
        .unwrap_or_else(|| panic!("{from}: no {label}"));
        assert!(
            href.contains("after=") || href.contains("before="),
            "{href}"
        );
        href.trim_start_matches("/?").to_owned()
    };
    // The whole list's first page: the session, then the rows with the
    // total in the same statement.
    let mut first = Vec::new();
    for query in [
        "per_page=10",
        "per_page=100",
        "per_page=100&sort=age&dir=desc",
    ] {
        first.push(measure(query.to_owned()).await);
    }
    check_constant(&first, 2);
    assert_eq!(first[0].2, 2, "{first:?}");
    let mut plain = Vec::new();
    for query in [
        "per_page=10&page=2".to_owned(),
        "per_page=100&page=10".to_owned(),
        "per_page=100&sort=city&dir=desc&page=4".to_owned(),
        "q=ros&per_page=100".to_owned(),
        "q=ro&per_page=100".to_owned(),
        linked("per_page=100&page=3".into(), "Next page").await,
        linked(
            "per_page=10&sort=age&dir=desc&page=40".into(),
            "Previous page",
        )
        .await,
        linked("q=ro&per_page=10&page=2".into(), "Page 4").await,
    ] {
        plain.push(measure(query).await);
    }
    // The session with the signed-in account (one statement), then the
    // page's count and its rows (each with its count of courses).
    check_constant(&plain, 3);
    // Narrowed to a course, its first page in name order (the one the
    // course's page links to): the rows, each with the course's name and
    // count of students.
    let mut first_narrowed = Vec::new();
    for query in ["per_page=10", "per_page=100", "per_page=100&dir=desc"] {
        first_narrowed.push(measure(format!("course={}&{query}", course.id)).await);
    }
    check_constant(&first_narrowed, 2);
    // A course with no one in it now, and one that does not exist: the first
    // page finds no rows, then the course is read for its name; the page is
    // not read again.
    let empty = course_queries::create(
        &mut app.db(),
        &tester(),
        &student_registry::courses::CourseDraft {
            code: "EMPTY-1".into(),
            title: "No one yet".into(),
            ..Default::default()
        }
        .validate()
        .unwrap(),
    )
    .unwrap();
    for id in [empty.id, 999] {
        QUERIES.store(0, Ordering::SeqCst);
        let response = app.get(&format!("/?course={id}")).await;
        assert_eq!(response.status(), 200, "course {id}");
        assert_eq!(QUERIES.load(Ordering::SeqCst), 3, "course {id}");
    }
    course_queries::delete(&mut app.db(), &tester(), empty.id, None).unwrap();
    // Any other page: the course, then the rows.
    let mut narrowed = Vec::new();
    for query in ["per_page=10&page=2", "per_page=100&page=2&sort=age"] {
        narrowed.push(measure(format!("course={}&{query}", course.id)).await);
    }
    let next = linked(
        format!("course={}&per_page=10&page=2", course.id),
        "Next page",
    )
    .await;
    narrowed.push(measure(next).await);
    check_constant(&narrowed, 3);
    // …and searched too: the search's own count.
    let mut searched = Vec::new();
    for query in ["q=ro&per_page=10", "q=ro&per_page=100"] {
        searched.push(measure(format!("course={}&{query}", course.id)).await);
    }
    check_constant(&searched, 4);
}

/// The course list and a course's page (its class list, and the "Add
/// students" search), small and large: the same queries. Runs on
/// [`index_pages`]' data: 8 courses with hundreds of students each.
async fn course_pages(app: &helpers::TestApp) {
    let measure = |path: String, rows: &'static str| async move {
        QUERIES.store(0, Ordering::SeqCst);
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        let found = helpers::select(&page, rows).len();
        assert!(found > 0, "{path} shows {rows}");
        (path, found, QUERIES.load(Ordering::SeqCst))
    };
    let mut lists = Vec::new();
    for query in [
        "per_page=2",
        "per_page=100",
        "q=a&per_page=100",
        "sort=credits&dir=desc",
    ] {
        lists.push(measure(format!("/courses/?{query}"), "tbody tr").await);
    }
    // The session with the account, the count, the page.
    check_constant(&lists, 3);

    let mut course_page = Vec::new();
    for query in [
        "per_page=1",
        "per_page=100",
        "per_page=100&page=3&sort=enrolled&dir=desc",
    ] {
        course_page.push(
            measure(
                format!("/courses/1/?{query}"),
                "table[aria-describedby=class-summary] tbody tr",
            )
            .await,
        );
    }
    // The session with the account, the course with its class list's size,
    // its history, the class list's page.
    check_constant(&course_page, 4);
    let mut searching = Vec::new();
    for query in ["find=ro&per_page=1", "find=ro&per_page=100"] {
        searching.push(
            measure(
                format!("/courses/1/?{query}"),
                "table[aria-describedby=class-summary] tbody tr",
            )
            .await,
        );
    }
    // …and the students found.
    check_constant(&searching, 5);
}

/// Every measurement `(what, rows, queries)` ran the same number of
/// queries, at most `most`, whatever its number of rows.
fn check_constant(counts: &[(String, usize, usize)], most: usize) {
    for (what, _, count) in counts {
        assert!(*count <= most, "{what}: {count} queries");
        assert!(*count >= 1, "{what}: the counter saw no query at all");
    }
    assert!(
        counts.iter().all(|(_, _, count)| *count == counts[0].2),
        "{counts:?}"
    );
    let rows: Vec<usize> = counts.iter().map(|(_, rows, _)| *rows).collect();
    assert!(
        rows.iter().max() > rows.iter().min(),
        "sizes differ: {rows:?}"
    );
}

/// A student's page with one event in its history and one course, and with
/// thirty events and twenty courses: the same queries.
async fn student_pages(app: &helpers::TestApp) {
    let quiet = app
        .create(&helpers::with(
            helpers::sammy(),
            "email",
            "quiet@example.com",
        ))
        .await;
    let busy = app
        .create(&helpers::with(
            helpers::sammy(),
            "email",
            "busy@example.com",
        ))
        .await;
    for age in 30..59 {
        let (_, form) = app.page(&format!("/{busy}/edit/")).await;
        let version = helpers::field_value(&form, "version");
        let fields = helpers::with(
            helpers::with(
                helpers::with(helpers::sammy(), "email", "busy@example.com"),
                "age",
                &age.to_string(),
            ),
            "version",
            &version,
        );
        let saved = app.post_form(&format!("/{busy}/edit/"), &fields).await;
        assert_eq!(saved.status(), 303);
    }
    // Quiet is in one course, busy in twenty (and eleven more have seats:
    // the enrol form lists them).
    let actor = student_registry::audit::Actor::command_line();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    for n in 0..31 {
        let draft = student_registry::courses::seed::generated_course(1_000 + n);
        let course =
            course_queries::create(&mut app.db(), &actor, &draft.validate().unwrap()).unwrap();
        if n == 0 {
            course_queries::enrol(&mut app.db(), &actor, course.id, quiet, today).unwrap();
        }
        if n < 20 {
            course_queries::enrol(&mut app.db(), &actor, course.id, busy, today).unwrap();
        }
    }
    // Shows (and so clears) the last save's flash message, whose removal
    // would be a write of the session.
    app.get("/").await;
    let mut counts = Vec::new();
    for id in [quiet, busy] {
        QUERIES.store(0, Ordering::SeqCst);
        let response = app.get(&format!("/{id}/")).await;
        assert_eq!(response.status(), 200);
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        let events = helpers::select(&page, ".history-event").len();
        let courses = helpers::select(&page, ".enrolments tbody tr").len();
        counts.push((events, courses, QUERIES.load(Ordering::SeqCst)));
    }
    assert_eq!((counts[0].0, counts[0].1), (1, 1), "{counts:?}");
    assert_eq!((counts[1].0, counts[1].1), (30, 20), "{counts:?}");
    assert_eq!(counts[0].2, counts[1].2, "{counts:?}");
    // The session with the account, the student, their courses, the number
    // of courses with seats, their ids and those courses (the enrol form),
    // their history.
    assert_eq!(counts[0].2, 7, "{counts:?}");
    // The enrol form's course search costs less (one statement for the
    // courses that match)…
    QUERIES.store(0, Ordering::SeqCst);
    let response = app.get(&format!("/{busy}/?find_course=a")).await;
    assert_eq!(response.status(), 200);
    let page = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(!helpers::select(&page, ".student-enrol-form option").is_empty());
    assert_eq!(
        QUERIES.load(Ordering::SeqCst),
        counts[0].2 - 2,
        "{counts:?}"
    );
    // …and so does a form with too many courses to list (their number
    // says so).
    for n in 31..80 {
        let draft = student_registry::courses::seed::generated_course(1_000 + n);
        course_queries::create(&mut app.db(), &actor, &draft.validate().unwrap()).unwrap();
    }
    QUERIES.store(0, Ordering::SeqCst);
    let response = app.get(&format!("/{busy}/")).await;
    assert_eq!(response.status(), 200);
    let page = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(helpers::select(&page, ".student-enrol-form option").is_empty());
    assert_eq!(
        QUERIES.load(Ordering::SeqCst),
        counts[0].2 - 2,
        "{counts:?}"
    );
}

/// The activity log, 1 event a page and 100: the same queries (the session
/// with the account, the accounts for the filter, the page of events).
async fn activity_pages(app: &helpers::TestApp) {
    let mut counts = Vec::new();
    for per_page in [1, 100] {
        QUERIES.store(0, Ordering::SeqCst);
        let response = app.get(&format!("/activity/?per_page={per_page}")).await;
        assert_eq!(response.status(), 200);
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        let events = helpers::select(&page, ".history-event").len();
        counts.push((events, QUERIES.load(Ordering::SeqCst)));
    }
    assert_eq!(counts[0].0, 1);
    assert!(counts[1].0 > 30, "{counts:?}");
    assert_eq!(counts[0].1, counts[1].1, "{counts:?}");
    assert!(counts[0].1 <= 3, "{counts:?}");
}
