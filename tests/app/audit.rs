//! The audit history: each change through the pages and the API leaves
//! exactly its event, in the same transaction as the change (an event that
//! cannot be recorded undoes the change); the activity listing pages by id
//! with its filters; `audit prune` keeps a retention period.

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use student_registry::accounts::Role;
use student_registry::audit::{
    self, Action, ActivityFilter, Actor, AuditEvent, Cursor, MAX_PER_PAGE, Subject,
};
use student_registry::database::{AnyConnection, DbError};

use crate::cli::registry_with_input;
use crate::helpers::*;

/// Every event about one student, newest first.
fn history(app: &TestApp, id: i32) -> Vec<AuditEvent> {
    audit::for_subject(&mut app.db(), Subject::Student(id), 100).expect("read the history")
}

/// Empties the log: the tests here count events, and the accounts the
/// helpers create before a test are recorded as well.
fn clear_log(conn: &mut AnyConnection) {
    diesel::sql_query("DELETE FROM audit_events")
        .execute(conn)
        .expect("empty the log");
}

/// Every event in the log, newest first, read past the app.
fn all_events(conn: &mut AnyConnection) -> Vec<AuditEvent> {
    let page = audit::list(
        conn,
        &ActivityFilter::default(),
        Cursor::Newest,
        MAX_PER_PAGE,
    )
    .expect("read the log");
    assert!(
        page.older.is_none(),
        "the tests keep fewer events than a page"
    );
    page.events
}

/// Who an event names: the account's id, the label, the address.
type Who = (Option<i32>, String, Option<String>);

/// The admin every test app is signed in as, on loopback.
fn staff(app: &TestApp) -> Who {
    (
        Some(app.staff.id),
        format!("admin <{STAFF_EMAIL}>"),
        Some("127.0.0.1".to_owned()),
    )
}

/// The same admin, through the write token the test client sends the API.
fn staff_token(app: &TestApp) -> Who {
    (
        Some(app.staff.id),
        format!("token write of {STAFF_EMAIL}"),
        Some("127.0.0.1".to_owned()),
    )
}

/// The events about students (the test client's own sign-in is one too).
fn student_events(conn: &mut AnyConnection) -> Vec<AuditEvent> {
    all_events(conn)
        .into_iter()
        .filter(|event| event.subject_type.as_deref() == Some("student"))
        .collect()
}

fn assert_event(event: &AuditEvent, who: &Who, action: Action, id: i32, details: Value) {
    assert_eq!(event.action, action.as_str(), "{event:?}");
    assert_eq!(event.subject(), Some(Subject::Student(id)), "{event:?}");
    assert_eq!(
        &(
            event.actor_user_id,
            event.actor_label.clone(),
            event.address.clone()
        ),
        who,
        "{event:?}"
    );
    assert_eq!(event.details(), details, "{event:?}");
}

fn sammy_fields() -> Value {
    json!({
        "firstname": "Sammy",
        "lastname": "Shark",
        "email": "sammyshark@example.com",
        "age": 20,
        "bio": "Marine biology student",
        "city": "Lisbon",
    })
}

async fn api(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> StatusCode {
    let mut request = app.client.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("API request").status()
}

#[tokio::test]
async fn a_create_edit_and_delete_through_the_forms_each_leave_their_event() {
    let app = spawn_app().await;
    clear_log(&mut app.db());
    let id = app.create(&sammy()).await;
    let events = history(&app, id);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_event(
        &events[0],
        &staff(&app),
        Action::StudentCreate,
        id,
        sammy_fields(),
    );

    let edit = |version: String| {
        with(
            with(with(sammy(), "city", "Porto"), "age", ""),
            "version",
            &version,
        )
    };
    let response = app
        .post_form(&format!("/{id}/edit/"), &edit("1".into()))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let events = history(&app, id);
    assert_eq!(events.len(), 2, "{events:?}");
    // Only the changed fields, each with its old and new value.
    assert_event(
        &events[0],
        &staff(&app),
        Action::StudentUpdate,
        id,
        json!({"city": {"old": "Lisbon", "new": "Porto"}, "age": {"old": 20, "new": null}}),
    );

    // Saving the form again unchanged stores a new version but changes no
    // field: no event.
    let response = app
        .post_form(&format!("/{id}/edit/"), &edit("2".into()))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.student(id).map(|s| s.version), Some(3));
    assert_eq!(history(&app, id).len(), 2);

    let response = app.post_form(&format!("/{id}/delete/"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let events = history(&app, id);
    assert_eq!(events.len(), 3, "{events:?}");
    let mut deleted = sammy_fields();
    deleted["city"] = json!("Porto");
    deleted["age"] = Value::Null;
    assert_event(&events[0], &staff(&app), Action::StudentDelete, id, deleted);
    assert!(events[0].id > events[1].id && events[1].id > events[2].id);
    assert_eq!(student_events(&mut app.db()).len(), 3, "no other event");
}

#[tokio::test]
async fn a_create_replace_patch_and_delete_through_the_api_each_leave_their_event() {
    let app = spawn_app().await;
    clear_log(&mut app.db());
    let response = app
        .client
        .post(app.url("/api/students"))
        .json(&sammy_fields())
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.expect("JSON");
    let id = body["id"].as_i64().and_then(|id| i32::try_from(id).ok());
    let id = id.expect("an id");
    let path = format!("/api/students/{id}");
    let events = history(&app, id);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_event(
        &events[0],
        &staff_token(&app),
        Action::StudentCreate,
        id,
        sammy_fields(),
    );

    let patch = json!({"age": 21, "bio": null});
    assert_eq!(
        api(&app, Method::PATCH, &path, Some(patch)).await,
        StatusCode::OK
    );
    let events = history(&app, id);
    assert_eq!(events.len(), 2, "{events:?}");
    assert_event(
        &events[0],
        &staff_token(&app),
        Action::StudentUpdate,
        id,
        json!({"age": {"old": 20, "new": 21}, "bio": {"old": "Marine biology student", "new": null}}),
    );

    // A replacement equal to what is stored changes nothing: no event.
    let mut replacement = sammy_fields();
    replacement["age"] = json!(21);
    replacement["bio"] = Value::Null;
    assert_eq!(
        api(&app, Method::PUT, &path, Some(replacement.clone())).await,
        StatusCode::OK
    );
    assert_eq!(history(&app, id).len(), 2);
    replacement["email"] = json!("sammy@example.org");
    assert_eq!(
        api(&app, Method::PUT, &path, Some(replacement.clone())).await,
        StatusCode::OK
    );
    assert_event(
        &history(&app, id)[0],
        &staff_token(&app),
        Action::StudentUpdate,
        id,
        json!({"email": {"old": "sammyshark@example.com", "new": "sammy@example.org"}}),
    );

    assert_eq!(
        api(&app, Method::DELETE, &path, None).await,
        StatusCode::NO_CONTENT
    );
    let events = history(&app, id);
    assert_eq!(events.len(), 4, "{events:?}");
    assert_event(
        &events[0],
        &staff_token(&app),
        Action::StudentDelete,
        id,
        replacement,
    );
    assert_eq!(student_events(&mut app.db()).len(), 4, "no other event");
}

/// A write the database refused leaves no event either: one that failed
/// validation, named a stale version, or a student that does not exist.
#[tokio::test]
async fn a_refused_write_records_nothing() {
    let app = spawn_app().await;
    clear_log(&mut app.db());
    let id = app.create(&sammy()).await;
    let taken = app.post_form("/create/", &sammy()).await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let stale = app
        .post_form(
            &format!("/{id}/edit/"),
            &with(with(sammy(), "city", "Oslo"), "version", "7"),
        )
        .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let path = format!("/api/students/{id}");
    assert_eq!(
        api(&app, Method::PATCH, &path, Some(json!({"age": 0}))).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        api(&app, Method::DELETE, "/api/students/999", None).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(student_events(&mut app.db()).len(), 1, "only the create");
}

/// Makes the table refuse every insert, as a full or broken audit table
/// would.
fn refuse_audit_events(conn: &mut AnyConnection) {
    let sql = match conn {
        AnyConnection::Sqlite(_) => {
            "CREATE TRIGGER audit_events_refused BEFORE INSERT ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'audit events refused'); END;"
        }
        AnyConnection::Postgresql(_) => {
            "CREATE FUNCTION refuse_audit_events() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit events refused'; END $$; \
             CREATE TRIGGER audit_events_refused BEFORE INSERT ON audit_events \
             FOR EACH ROW EXECUTE FUNCTION refuse_audit_events();"
        }
    };
    conn.batch_execute(sql).expect("install the trigger");
}

/// The event is recorded in the change's own transaction: when it cannot
/// be, the change is undone and the user gets an error, never a change
/// without its history.
#[tokio::test]
async fn a_change_whose_event_cannot_be_recorded_is_not_made() {
    let app = spawn_app().await;
    clear_log(&mut app.db());
    let id = app.create(&sammy()).await;
    let before = app.students();
    refuse_audit_events(&mut app.db());

    let created = app
        .post_form("/create/", &with(sammy(), "email", "new@example.com"))
        .await;
    assert_eq!(created.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let edited = app
        .post_form(
            &format!("/{id}/edit/"),
            &with(with(sammy(), "city", "Oslo"), "version", "1"),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let deleted = app.post_form(&format!("/{id}/delete/"), &[]).await;
    assert_eq!(deleted.status(), StatusCode::INTERNAL_SERVER_ERROR);

    let path = format!("/api/students/{id}");
    let mut new_student = sammy_fields();
    new_student["email"] = json!("api@example.com");
    for (method, path, body) in [
        (Method::POST, "/api/students", Some(new_student)),
        (Method::PATCH, path.as_str(), Some(json!({"age": 30}))),
        (Method::DELETE, path.as_str(), None),
    ] {
        assert_eq!(
            api(&app, method.clone(), path, body).await,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{method} {path}"
        );
    }
    assert_eq!(app.students(), before, "nothing changed");
    assert_eq!(
        student_events(&mut app.db()).len(),
        1,
        "only the first create"
    );
}

/// Records an event past the app, as the domain does: inside a write
/// transaction.
fn record(conn: &mut AnyConnection, actor: &Actor, action: Action, subject: Subject) -> i32 {
    conn.write_transaction(|conn| {
        audit::record(conn, actor, action, Some(subject), &json!({}))?;
        Ok::<_, DbError>(())
    })
    .expect("record an event");
    all_events(conn)[0].id
}

fn set_occurred_at(conn: &mut AnyConnection, id: i32, at: &str) {
    diesel::sql_query(format!(
        "UPDATE audit_events SET occurred_at = '{at}' WHERE id = {id}"
    ))
    .execute(conn)
    .expect("set occurred_at");
}

/// Every page of a filtered listing, walked older and then back newer,
/// `per_page` at a time (the pages must be the same both ways): the ids seen.
fn walk(conn: &mut AnyConnection, filter: &ActivityFilter, per_page: i64) -> Vec<i32> {
    let ids = |page: &audit::ActivityPage| page.events.iter().map(|e| e.id).collect::<Vec<_>>();
    let mut older_pages = Vec::new();
    let mut page = audit::list(conn, filter, Cursor::Newest, per_page).expect("list");
    assert_eq!(page.newer, None, "the first page is the newest");
    loop {
        assert!(page.events.len() as i64 <= per_page);
        older_pages.push(ids(&page));
        match page.older {
            Some(before) => {
                page = audit::list(conn, filter, Cursor::Before(before), per_page).expect("list");
            }
            None => break,
        }
    }
    let mut newer_pages = vec![ids(&page)];
    while let Some(after) = page.newer {
        page = audit::list(conn, filter, Cursor::After(after), per_page).expect("list");
        newer_pages.push(ids(&page));
    }
    newer_pages.reverse();
    assert_eq!(older_pages, newer_pages, "the same pages either way");
    older_pages.into_iter().flatten().collect()
}

#[tokio::test]
async fn the_activity_listing_pages_by_id_with_each_filter() {
    let app = spawn_app().await;
    let mut conn = app.db();
    let editor = create_account(&mut conn, "editor@example.com", Role::Editor);
    // Only this test's events (not the test app's own setup).
    clear_log(&mut conn);
    let ada = Actor::user(app.staff.id, "admin <admin@example.com>", None);
    let eddie = Actor::user(
        editor.id,
        "editor <editor@example.com>",
        Some("192.0.2.7".into()),
    );
    let cli = Actor::command_line();
    // Seven events: who, what and when vary.
    let script = [
        (&ada, Action::StudentCreate, "2026-01-10 09:00:00"),
        (&eddie, Action::StudentUpdate, "2026-01-10 23:59:59"),
        (&cli, Action::UserCreate, "2026-01-11 00:00:00"),
        (&eddie, Action::StudentUpdate, "2026-01-12 08:00:00"),
        (&ada, Action::StudentDelete, "2026-01-13 12:00:00"),
        (&eddie, Action::StudentCreate, "2026-01-14 12:00:00"),
        (&eddie, Action::StudentUpdate, "2026-01-15 12:00:00"),
    ];
    let mut ids = Vec::new();
    for (n, (actor, action, at)) in script.iter().enumerate() {
        let id = record(&mut conn, actor, *action, Subject::Student(n as i32 + 1));
        set_occurred_at(&mut conn, id, at);
        ids.push(id);
    }
    let stored = &all_events(&mut conn)[6];
    assert_eq!(
        (stored.actor_user_id, stored.actor_label.as_str()),
        (Some(app.staff.id), "admin <admin@example.com>")
    );
    assert_eq!(
        all_events(&mut conn)[0].address.as_deref(),
        Some("192.0.2.7")
    );
    let newest_first = |picks: &[usize]| picks.iter().rev().map(|&n| ids[n]).collect::<Vec<_>>();
    let day = |d| NaiveDate::from_ymd_opt(2026, 1, d);

    let cases = [
        (
            ActivityFilter::default(),
            newest_first(&[0, 1, 2, 3, 4, 5, 6]),
        ),
        (
            ActivityFilter {
                actor_user_id: Some(editor.id),
                ..Default::default()
            },
            newest_first(&[1, 3, 5, 6]),
        ),
        (
            ActivityFilter {
                action: Some(Action::StudentUpdate),
                ..Default::default()
            },
            newest_first(&[1, 3, 6]),
        ),
        // Whole days, both ends included.
        (
            ActivityFilter {
                from: day(11),
                to: day(13),
                ..Default::default()
            },
            newest_first(&[2, 3, 4]),
        ),
        (
            ActivityFilter {
                to: day(10),
                ..Default::default()
            },
            newest_first(&[0, 1]),
        ),
        (
            ActivityFilter {
                actor_user_id: Some(editor.id),
                action: Some(Action::StudentUpdate),
                from: day(11),
                to: None,
            },
            newest_first(&[3, 6]),
        ),
        (
            ActivityFilter {
                action: Some(Action::TokenRevoke),
                ..Default::default()
            },
            Vec::new(),
        ),
    ];
    for (filter, expected) in cases {
        for per_page in [1, 2, 3, 100] {
            let seen = walk(&mut conn, &filter, per_page);
            assert_eq!(seen, expected, "{filter:?}, {per_page} per page");
        }
    }

    // A page size is kept within 1..=MAX_PER_PAGE.
    let all = ActivityFilter::default();
    let page = audit::list(&mut conn, &all, Cursor::Newest, 0).expect("list");
    assert_eq!(page.events.len(), 1);
    // A cursor past either end gives an empty page that links back.
    let past_oldest = audit::list(&mut conn, &all, Cursor::Before(ids[0]), 3).expect("list");
    assert!(past_oldest.events.is_empty());
    assert_eq!(
        (past_oldest.older, past_oldest.newer),
        (None, Some(ids[0] - 1))
    );
    let past_newest = audit::list(&mut conn, &all, Cursor::After(ids[6]), 3).expect("list");
    assert!(past_newest.events.is_empty());
    assert_eq!(
        (past_newest.older, past_newest.newer),
        (Some(ids[6] + 1), None)
    );

    // A record's history, newest first, limited.
    let subject = Subject::Student(4);
    let history = audit::for_subject(&mut conn, subject, 10).expect("history");
    assert_eq!(history.iter().map(|e| e.id).collect::<Vec<_>>(), [ids[3]]);
    record(&mut conn, &cli, Action::StudentDelete, subject);
    let history = audit::for_subject(&mut conn, subject, 1).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, "student.delete");
}

#[test]
fn prune_removes_the_events_older_than_the_days_given_and_says_how_many() {
    let db = TestDatabase::new();
    let migrate = registry_with_input(db.url(), &["migrate"], "");
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let mut conn = db.connect();
    let cli = Actor::command_line();
    let now = chrono::Utc::now().naive_utc();
    let ago = |days: i64| {
        (now - chrono::TimeDelta::days(days) - chrono::TimeDelta::minutes(1))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let mut kept = Vec::new();
    for (n, age) in [400, 31, 30, 29, 0].into_iter().enumerate() {
        let id = record(
            &mut conn,
            &cli,
            Action::UserCreate,
            Subject::User(n as i32 + 1),
        );
        set_occurred_at(&mut conn, id, &ago(age));
        if age < 30 {
            kept.push(id);
        }
    }

    let prune = |days: &str| {
        registry_with_input(db.url(), &["audit", "prune", "--older-than-days", days], "")
    };
    let pruned = prune("30");
    assert!(
        pruned.status.success(),
        "{}",
        String::from_utf8_lossy(&pruned.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&pruned.stdout),
        "removed 3 audit events older than 30 days\n"
    );
    let left: Vec<i32> = all_events(&mut conn).iter().rev().map(|e| e.id).collect();
    assert_eq!(left, kept);
    let again = prune("1");
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        "removed 1 audit event older than 1 day\n"
    );
    assert_eq!(all_events(&mut conn).len(), 1, "today's event stays");

    // The whole history is never one typo away.
    for bad in ["0", "-1", "x"] {
        let refused = prune(bad);
        assert!(!refused.status.success(), "--older-than-days {bad}");
    }
    assert_eq!(all_events(&mut conn).len(), 1);
}

#[tokio::test]
async fn the_student_page_shows_its_history_newest_first_with_before_and_after() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    let (_, form) = app.page(&format!("/{id}/edit/")).await;
    let version = field_value(&form, "version");
    let saved = app
        .post_form(
            &format!("/{id}/edit/"),
            &with(with(sammy(), "city", "Porto"), "version", &version),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    // A viewer reads it too.
    let viewer = app
        .client_as(student_registry::accounts::Role::Viewer)
        .await;
    let response = viewer
        .get(app.url(&format!("/{id}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        select(&html, ".history .history-head strong"),
        ["Student changed", "Student added"]
    );
    assert_eq!(
        select(
            &html,
            ".history .history-event:first-child .changes tbody td"
        ),
        ["Lisbon", "Porto"]
    );
    assert_eq!(
        text(&html, ".history .history-event:first-child .history-who").as_deref(),
        Some("By admin <admin@example.com> from 127.0.0.1")
    );
    // The creation lists every value set.
    assert_eq!(
        select(
            &html,
            ".history .history-event:last-child .changes tbody tr"
        )
        .len(),
        6
    );
}

#[tokio::test]
async fn admins_page_through_the_activity_log_and_filter_it_and_no_one_else_may() {
    let app = spawn_app().await;
    clear_log(&mut app.db());
    app.sign_in(&client(), STAFF_EMAIL).await;
    for n in 0..3 {
        app.create(&with(sammy(), "email", &format!("s{n}@example.com")))
            .await;
    }
    // A sign-in, three creates: four events; two a page.
    let (status, html) = app.page("/activity/?per_page=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        select(&html, ".history-head strong"),
        ["Student added", "Student added"]
    );
    let older = attr(&html, ".pagination a", "href").expect("an Older link");
    assert!(older.contains("before="), "{older}");
    let (_, html) = app.page(&older).await;
    assert_eq!(
        select(&html, ".history-head strong"),
        ["Student added", "Signed in"]
    );
    assert_eq!(select(&html, ".pagination a"), ["Newer"]);
    let (_, html) = app
        .page(&format!(
            "/activity/?action=user.sign_in&user={}",
            app.staff.id
        ))
        .await;
    assert_eq!(select(&html, ".history-head strong"), ["Signed in"]);
    assert_eq!(
        attr(&html, "#action option[selected]", "value").as_deref(),
        Some("user.sign_in")
    );
    let (_, html) = app.page("/activity/?to=2000-01-01").await;
    assert!(select(&html, ".history-event").is_empty());
    assert_eq!(
        text(&html, ".empty-state h2").as_deref(),
        Some("Nothing recorded that matches")
    );
    // The nav offers it to admins only.
    assert_eq!(select(&html, "nav a[href='/activity/']"), ["Activity"]);
    for role in [Role::Viewer, Role::Editor] {
        let other = app.client_as(role).await;
        let response = other.get(app.url("/activity/")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role}");
        let index = other.get(app.url("/")).send().await.unwrap();
        let html = scraper::Html::parse_document(&index.text().await.unwrap());
        assert!(select(&html, "nav a[href='/activity/']").is_empty());
    }
    let response = client().get(app.url("/activity/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// Years a timestamp column cannot hold (PostgreSQL: "timestamp out of
/// range") or that compare wrongly as text (SQLite) are no filter at all,
/// like any other malformed day.
#[tokio::test]
async fn days_in_impossible_years_are_ignored_not_a_server_error() {
    let app = spawn_app().await;
    clear_log(&mut app.db());
    app.create(&sammy()).await;
    for query in [
        "from=-5000-01-01",
        "to=99999-01-01",
        "from=%2B99999-01-01&to=-0001-12-31",
    ] {
        let (status, html) = app.page(&format!("/activity/?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(
            select(&html, ".history-head strong"),
            ["Student added"],
            "{query}"
        );
    }
}
