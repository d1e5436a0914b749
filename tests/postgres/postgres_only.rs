//! What only PostgreSQL has to prove: its schema matches SQLite's, its
//! search uses its index, the app survives the server going away, two
//! admins demoting each other at once leave one admin, and a listing's first
//! page is not planned afresh each time.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Text};
use diesel_migrations::MigrationHarness;
use reqwest::StatusCode;
use student_registry::accounts::queries as account_queries;
use student_registry::accounts::{AccountError, NewPassword, Role, UserDraft};
use student_registry::audit::Actor;
use student_registry::config::{DatabaseLocation, DatabaseSettings};
use student_registry::courses::EnrolError;
use student_registry::database::{
    AnyConnection, Database, SQLITE_MIGRATIONS, TEST_CHECKOUTS_AFTER_LOSS,
};
use student_registry::schema::students;
use student_registry::startup::DATA_UPGRADES;
use student_registry::students::queries::FullTextSearch;
use student_registry::students::seed;

use crate::helpers::*;

#[derive(QueryableByName, Debug, PartialEq)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
}

/// The columns of both backends' migrated schemas, in order, agree: the one
/// `src/schema.rs` (printed from SQLite) describes PostgreSQL's too.
#[test]
fn the_postgres_schema_has_the_same_columns_as_sqlites() {
    let postgres = TestDatabase::new();
    postgres
        .connect()
        .run_pending_migrations(postgres.migrations())
        .unwrap();
    let postgres_columns: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name,
                CASE data_type WHEN 'integer' THEN 'integer' WHEN 'bigint' THEN 'bigint'
                     WHEN 'text' THEN 'text' WHEN 'timestamp without time zone' THEN 'timestamp'
                     WHEN 'boolean' THEN 'boolean'
                     ELSE data_type END AS data_type,
                is_nullable = 'NO' AS not_null
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name IN ('api_tokens', 'audit_events', 'courses', 'courses_count', 'enrolments', 'sessions', 'sign_in_failures', 'students', 'students_count', 'users')
         ORDER BY table_name, ordinal_position",
    )
    .load(&mut postgres.connect())
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut sqlite =
        SqliteConnection::establish(dir.path().join("s.db").to_str().unwrap()).unwrap();
    sqlite.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
    let sqlite_columns: Vec<Column> = diesel::sql_query(
        "SELECT m.name AS table_name, c.name AS column_name, lower(c.type) AS data_type,
                (c.\"notnull\" OR c.pk) AS not_null
         FROM sqlite_schema m JOIN pragma_table_info(m.name) c
         WHERE m.name IN ('api_tokens', 'audit_events', 'courses', 'courses_count', 'enrolments', 'sessions', 'sign_in_failures', 'students', 'students_count', 'users')
         ORDER BY m.name, c.cid",
    )
    .load(&mut sqlite)
    .unwrap();

    assert_eq!(postgres_columns.len(), 73);
    assert_eq!(postgres_columns, sqlite_columns);
}

/// `EXPLAIN` of a query, as a query.
struct Explain<Q>(Q);

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Explain<Q> {
    type SqlType = Text;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("EXPLAIN ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q> RunQueryDsl<PgConnection> for Explain<Q> {}

#[tokio::test]
async fn search_is_answered_from_the_full_text_index() {
    let app = spawn_app().await;
    let mut conn = app.db();
    seed::seed(&mut conn, 5_000).unwrap();
    let AnyConnection::Postgresql(conn) = &mut conn else {
        panic!("a PostgreSQL connection")
    };
    // "s e" begins a word of every generated student (their email's
    // "students" and "example"): the index must still be read, not every row.
    for term in ["ada", "chloé mont", "ross", "s e"] {
        let page = conn
            .students_matching(term)
            .select(students::id)
            .order(students::id)
            .limit(25);
        let plan: Vec<String> = Explain(page).load(conn).unwrap();
        let plan = plan.join("\n");
        assert!(
            plan.contains("Bitmap Index Scan on students_search_idx"),
            "{term}: {plan}"
        );
        let count = conn.students_matching(term).count();
        let plan: Vec<String> = Explain(count).load(conn).unwrap();
        assert!(
            plan.join("\n").contains("students_search_idx"),
            "{term}: {plan:?}"
        );
    }
}

/// A restart, as the app sees it: every connection dies and new ones are
/// refused for a while. Requests in that window get a 503 page; once the
/// database takes connections again, requests succeed without restarting
/// the app.
#[tokio::test]
async fn the_app_answers_503_while_postgres_is_away_and_recovers_by_itself() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);

    let name = app.database.name().to_owned();
    let mut admin = app.database.admin();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = '{name}' AND pid <> pg_backend_pid();"
        ))
        .unwrap();

    let (status, html) = app.page(&format!("/{id}/")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        text(&html, "h1").as_deref(),
        Some("Temporarily unavailable")
    );
    let api = app.get("/api/students").await;
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    // Its token could not be checked: that is not the caller's fault.
    assert!(api.headers().get("www-authenticate").is_none());
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    admin
        .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, html) = app.page(&format!("/{id}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&html, "h1").as_deref(), Some("Sammy Shark"));
    // Enough requests, some at once, to go through every pooled connection:
    // none of the dead ones is handed out again.
    for _ in 0..6 {
        let statuses = futures::future::join_all(
            ["/", "/api/students", &format!("/{id}/"), "/healthz"].map(|path| app.get(path)),
        )
        .await;
        for response in statuses {
            assert_eq!(response.status(), StatusCode::OK, "{}", response.url());
        }
    }
    let created = app
        .create(&with(sammy(), "email", "after@example.com"))
        .await;
    assert!(app.student(created).is_some());
}

/// The server ends every connection and takes new ones at once (a quick
/// restart, a failover, an idle-connection reaper). Checkouts are not
/// tested while nothing fails (that would be a `SELECT 1` on every request),
/// so the first request meets a dead connection and answers 503. That one
/// request makes the pool test every idle connection, so no dead one is
/// handed out later, however long after and however deep into the pool.
#[tokio::test]
async fn after_the_server_ends_every_connection_only_the_request_that_finds_it_fails() {
    let app = spawn_app_with(|settings| settings.database.pool_size = 8).await;
    let id = app.create(&sammy()).await;
    let paths = ["/".to_owned(), format!("/{id}/"), "/courses/".to_owned()];
    let all_at_once = |times: usize| {
        futures::future::join_all(paths.iter().cycle().take(times).map(|path| app.get(path)))
    };
    // Every connection of the pool open, and back in it.
    for response in all_at_once(16).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    let name = app.database.name().to_owned();
    let mut admin = app.database.admin();
    let ended: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .get_result(&mut admin)
    .unwrap();
    assert!(ended >= 4, "only {ended} connections were open");
    for _ in 0..100 {
        let left: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .get_result(&mut admin)
        .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    assert_eq!(
        app.get(&format!("/{id}/")).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    // Past the while in which every checkout is tested: only the connections
    // tested when the loss was found can be handed out now.
    tokio::time::sleep(TEST_CHECKOUTS_AFTER_LOSS + Duration::from_secs(1)).await;
    for _ in 0..3 {
        for response in all_at_once(16).await {
            assert_eq!(response.status(), StatusCode::OK, "{}", response.url());
        }
    }
}

/// Drops the role when the test ends, whatever happens: roles outlive
/// databases.
struct TemporaryRole<'a> {
    db: &'a TestDatabase,
    name: String,
}

impl Drop for TemporaryRole<'_> {
    fn drop(&mut self) {
        let _ = self
            .db
            .admin()
            .batch_execute(&format!("DROP ROLE IF EXISTS {}", self.name));
    }
}

/// The usual split: the migrations ran as the tables' owner, and the app
/// logs in as a role that may only read and write them. It still starts
/// (nothing is pending, so it runs no DDL), and `seed` still loads every row:
/// the tidy-up that needs ownership (merging the search index's pending list)
/// is skipped instead of failing, and rolling back, the whole load.
#[test]
fn the_app_starts_and_seeds_as_a_role_that_does_not_own_the_tables() {
    let db = TestDatabase::new();
    db.connect()
        .run_pending_migrations(db.migrations())
        .unwrap();
    let role = TemporaryRole {
        name: format!("{}_app", db.name()),
        db: &db,
    };
    let password = format!("pw{}", std::process::id());
    db.admin()
        .batch_execute(&format!(
            "CREATE ROLE {} LOGIN PASSWORD '{password}' IN ROLE pg_read_all_data, pg_write_all_data",
            role.name
        ))
        .unwrap();
    let url = db.url_as(&role.name, &password);

    let app_db = Database::connect(
        &DatabaseSettings::new(DatabaseLocation::from_url(&url).unwrap()),
        &DATA_UPGRADES,
    )
    .expect("the app starts as a role that only reads and writes");
    let mut conn = app_db.connection().unwrap();
    let report = seed::seed(&mut conn, 2_000).expect("seeding as a non-owner");

    assert_eq!(report.inserted, 2_003);
    let stored: i64 = students::table.count().get_result(&mut *conn).unwrap();
    assert_eq!(stored, 2_003);
}

/// A database that refuses writes (here made read-only; a full disk or a
/// lost standby promotion look the same to the app): every write answers the
/// 503 "not saved", health says so, nothing changes, and once writes are
/// taken again the app recovers by itself.
#[tokio::test]
async fn a_database_that_refuses_writes_answers_503_not_saved_and_fails_health() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    // Followed, as a browser would: the page shows (and clears) the flash.
    assert_eq!(app.get(&format!("/{id}/")).await.status(), StatusCode::OK);
    let before = app.students();
    let name = app.database.name().to_owned();
    let mut admin = app.database.admin();
    // New sessions start read-only; ending the app's sessions makes its
    // pool open new ones.
    let end_sessions = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid();"
    );
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} SET default_transaction_read_only = on; {end_sessions}"
        ))
        .unwrap();

    assert_eq!(
        app.health_within_seconds(StatusCode::SERVICE_UNAVAILABLE)
            .await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let response = app
        .post_form("/create/", &with(sammy(), "email", "new@example.com"))
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert_eq!(text(&html, "[role=alert] h2").as_deref(), Some("Not saved"));
    assert_eq!(field_value(&html, "email"), "new@example.com");
    let response = app
        .client
        .patch(app.url(&format!("/api/students/{id}")))
        .json(&serde_json::json!({"city": "Oslo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("not saved"),
        "{body}"
    );
    assert_eq!(app.students(), before);

    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} RESET default_transaction_read_only; {end_sessions}"
        ))
        .unwrap();
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let created = app
        .create(&with(sammy(), "email", "after@example.com"))
        .await;
    assert!(created > id);
}

/// Two admins demoting each other at once: exactly one succeeds, and one
/// active admin remains. A third transaction holds the admins' rows until
/// both demotions wait for them, so the two really do run at once.
#[test]
fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let db = TestDatabase::new();
    let mut conn = db.connect();
    conn.run_pending_migrations(db.migrations()).unwrap();
    let admins = ["ada@example.com", "bob@example.com"];
    for email in admins {
        create_account(&mut conn, email, "admin");
    }

    let AnyConnection::Postgresql(blocker) = &mut conn else {
        panic!("a PostgreSQL connection")
    };
    blocker
        .batch_execute("BEGIN; SELECT id FROM users WHERE role = 'admin' FOR UPDATE")
        .unwrap();
    let demotions: Vec<_> = admins
        .into_iter()
        .map(|email| {
            let mut conn = db.connect();
            std::thread::spawn(move || {
                account_queries::set_role(&mut conn, &Actor::command_line(), email, Role::Editor)
                    .map(|_| email)
            })
        })
        .collect();
    wait_for_lock_waiters(&db, 2);
    blocker.batch_execute("COMMIT").unwrap();

    let results: Vec<_> = demotions
        .into_iter()
        .map(|demotion| demotion.join().unwrap())
        .collect();
    let succeeded: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(succeeded.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(AccountError::LastAdmin(_)))),
        "{results:?}"
    );
    let active_admins: Vec<_> = account_queries::list(&mut conn)
        .unwrap()
        .into_iter()
        .filter(|user| user.active && user.role == Role::Admin)
        .collect();
    assert_eq!(active_admins.len(), 1, "{active_admins:?}");
}

fn create_account(conn: &mut AnyConnection, email: &str, role: &str) {
    let user = UserDraft {
        email: email.to_owned(),
        display_name: "A Colleague".to_owned(),
        role: role.to_owned(),
    }
    .validate()
    .unwrap();
    let password = NewPassword::parse("violet tractor mango reef", email, "A Colleague").unwrap();
    account_queries::create(conn, &Actor::command_line(), &user, &password.hash()).unwrap();
}

/// Waits until `count` sessions of the test database wait for a lock.
fn wait_for_lock_waiters(db: &TestDatabase, count: i64) {
    let mut observer = db.connect();
    let waiting = format!(
        "(SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND wait_event_type = 'Lock')",
        db.name()
    );
    let started = std::time::Instant::now();
    while diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&waiting))
        .get_result::<i64>(&mut observer)
        .unwrap()
        < count
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no change ever waited for the admins' rows"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An admin promoted while a demotion waits for the admins' rows counts: the
/// demotion leaves an admin, so it is allowed (and not refused as removing
/// the last one, which a count taken before the wait would say).
#[test]
fn an_admin_promoted_while_a_demotion_waits_lets_it_through() {
    let db = TestDatabase::new();
    let mut conn = db.connect();
    conn.run_pending_migrations(db.migrations()).unwrap();
    create_account(&mut conn, "ada@example.com", "admin");
    create_account(&mut conn, "carl@example.com", "viewer");

    let AnyConnection::Postgresql(promoter) = &mut conn else {
        panic!("a PostgreSQL connection")
    };
    promoter
        .batch_execute(
            "BEGIN; SELECT id FROM users WHERE role = 'admin' FOR UPDATE; \
             UPDATE users SET role = 'admin' WHERE email = 'carl@example.com'",
        )
        .unwrap();
    let mut demoter = db.connect();
    let demotion = std::thread::spawn(move || {
        account_queries::set_role(
            &mut demoter,
            &Actor::command_line(),
            "ada@example.com",
            Role::Editor,
        )
    });
    wait_for_lock_waiters(&db, 1);
    promoter.batch_execute("COMMIT").unwrap();

    let demoted = demotion.join().unwrap();
    assert!(demoted.is_ok(), "{demoted:?}");
    let admins: Vec<_> = account_queries::list(&mut conn)
        .unwrap()
        .into_iter()
        .filter(|user| user.active && user.role == Role::Admin)
        .map(|user| user.email)
        .collect();
    assert_eq!(admins, ["carl@example.com"]);
}

/// A bulk delete and an enrolment that touch the same student and course
/// do not deadlock: the bulk delete locks its students before any course,
/// the order enrolling takes. (Locking course X through the first
/// student's cascade, then waiting for a student the enrolment holds, gave
/// PostgreSQL a cycle to break, and the editor a 500.)
#[test]
fn a_bulk_delete_waits_for_an_enrolment_instead_of_deadlocking_with_it() {
    use chrono::NaiveDate;
    use student_registry::courses::queries as course_queries;
    use student_registry::students::queries as student_queries;

    let (db, mut conn, students, course) = students_and_a_course(2, "");
    let ids = students[..2].to_vec();
    let actor = Actor::command_line();
    let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    for &id in &ids {
        course_queries::enrol(&mut conn, &actor, course.id, id, today).unwrap();
    }

    // An enrolment under way: it holds the second student, as `enrol` does
    // first, and has not yet reached the course.
    let mut enrolling = db.connect();
    let AnyConnection::Postgresql(enrolment) = &mut enrolling else {
        panic!("a PostgreSQL connection")
    };
    enrolment
        .batch_execute(&format!(
            "BEGIN; SET LOCAL lock_timeout = '10s';              SELECT id FROM students WHERE id = {} FOR KEY SHARE",
            ids[1]
        ))
        .unwrap();
    let mut deleter = db.connect();
    let bulk = std::thread::spawn(move || {
        student_queries::delete_many(&mut deleter, &Actor::command_line(), &ids)
    });
    wait_for_lock_waiters(&db, 1);
    // Now the enrolment takes the course; the bulk delete must not hold it.
    enrolment
        .batch_execute(&format!(
            "SELECT id FROM courses WHERE id = {} FOR UPDATE; COMMIT",
            course.id
        ))
        .expect("the enrolment gets the course: the bulk delete does not hold it");
    let deleted = bulk
        .join()
        .unwrap()
        .expect("the bulk delete then goes through");
    assert_eq!(deleted.deleted.len(), 2);
    let course = course_queries::find(&mut conn, course.id).unwrap().unwrap();
    assert_eq!(course.enrolled_count, 0);
}

/// Two instances on one database: a session started on one ends on the
/// other the moment the account is deactivated or signs out everywhere
/// there, with nothing cached in either.
#[tokio::test]
async fn ending_an_accounts_sessions_on_one_instance_ends_them_on_every_instance() {
    let app = spawn_app().await;
    let (other, _) = app.start_another().await;
    let editor = app.client_as(Role::Editor).await;
    // The same cookie works on both instances (one SECRET_KEY, one table).
    assert_eq!(
        editor.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        editor
            .get(format!("{other}/"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    account_queries::deactivate(&mut app.db(), &Actor::command_line(), "editor@example.com")
        .unwrap();
    for address in [app.address.as_str(), other.as_str()] {
        let response = editor.get(format!("{address}/")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{address}");
    }
    // Signing out on one instance ends the session on the other: its
    // cookie, replayed there, signs no one in.
    let cookie = app.cookie_header();
    let replay = || {
        client()
            .get(format!("{other}/"))
            .header(reqwest::header::COOKIE, cookie.clone())
            .send()
    };
    assert_eq!(replay().await.unwrap().status(), StatusCode::OK);
    let signed_out = app.post_form("/logout/", &[]).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(replay().await.unwrap().status(), StatusCode::SEE_OTHER);
}

#[derive(QueryableByName, Debug)]
struct PreparedStatement {
    #[diesel(sql_type = Text)]
    statement: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    generic_plans: i64,
}

/// The first page of the student index (whole, and narrowed to a course),
/// the course list and a class list is planned once on a connection and the plan kept (a generic plan), not
/// planned afresh on every page: with `LIMIT $1 OFFSET $2` PostgreSQL found
/// a plan made for the values cheaper every time (database::paging).
#[test]
fn the_first_page_of_each_listing_keeps_one_plan_on_a_connection() {
    use student_registry::courses::listing::{ClassListParams, ListParams as CourseListParams};
    use student_registry::courses::queries as course_queries;
    use student_registry::students::listing::ListParams;
    use student_registry::students::queries as student_queries;

    let db = TestDatabase::new();
    let mut conn = db.connect();
    conn.run_pending_migrations(db.migrations()).unwrap();
    seed::seed(&mut conn, 3_000).unwrap();
    // Thirty courses (two pages of them), ten of 300 students each: with
    // classes this size, bound LIMIT and OFFSET had the class list and the
    // index planned afresh every time (no generic plan in ten runs). At 30
    // courses the course list kept its generic plan either way; its text is
    // checked.
    conn.batch_execute(
        "INSERT INTO courses (code, title)
            SELECT 'BIO-' || n, 'Biology ' || n FROM generate_series(1, 30) AS n;
         INSERT INTO enrolments (student_id, course_id, enrolled_on, status)
            SELECT students.id, courses.id, '2026-12-05', 'enrolled'
            FROM students JOIN courses ON students.id % 10 = courses.id - 1;
         ANALYZE;",
    )
    .unwrap();

    let in_course = ListParams {
        course: Some(1),
        ..ListParams::default()
    };
    for _ in 0..10 {
        student_queries::list(&mut conn, &ListParams::default()).unwrap();
        course_queries::list(&mut conn, &CourseListParams::default()).unwrap();
        course_queries::class_list(&mut conn, 1, &ClassListParams::default()).unwrap();
        let (page, course) = student_queries::list_with_course(&mut conn, &in_course).unwrap();
        assert_eq!((page.students.len(), course.map(|c| c.id)), (25, Some(1)));
    }

    let AnyConnection::Postgresql(pg) = &mut conn else {
        panic!("a PostgreSQL connection")
    };
    let prepared: Vec<PreparedStatement> =
        diesel::sql_query("SELECT statement, generic_plans FROM pg_prepared_statements")
            .load(pg)
            .unwrap();
    let mut replanned = Vec::new();
    for listing in [
        r#"FROM "students" ORDER BY"#,
        r#"FROM "courses" ORDER BY"#,
        r#""student_email" FROM "enrolments" WHERE"#,
    ] {
        let statement = prepared
            .iter()
            .find(|prepared| prepared.statement.contains(listing))
            .unwrap_or_else(|| panic!("no statement {listing} among {prepared:#?}"));
        // At most the five plans made for the values that PostgreSQL tries
        // first, then the generic plan.
        if !statement.statement.ends_with(" LIMIT 25") || statement.generic_plans < 5 {
            replanned.push(statement);
        }
    }
    // The index narrowed to a course, its first page (the course's columns
    // on each row): its LIMIT stays bound, and the plan is kept all the same.
    let statement = prepared
        .iter()
        .find(|prepared| prepared.statement.contains(r#"INNER JOIN "courses""#))
        .unwrap_or_else(|| panic!("no statement joining courses among {prepared:#?}"));
    if statement.generic_plans < 5 {
        replanned.push(statement);
    }
    assert!(
        replanned.is_empty(),
        "planned again for each page: {replanned:#?}"
    );
}

/// Work that fails in part and still succeeds (a page's read made after its
/// session's, which failed when the session's did not) says so, and the
/// pool then checks its connections as after any failure. Here the server
/// ends every connection while the work runs, its own too, and the work
/// answers success; the idle connection, dead too, is not handed out after.
#[tokio::test]
async fn work_reported_as_failing_in_part_makes_the_pool_check_its_connections() {
    let db = TestDatabase::new();
    db.connect()
        .run_pending_migrations(db.migrations())
        .unwrap();
    let mut settings = DatabaseSettings::new(DatabaseLocation::from_url(&db.url()).unwrap());
    settings.pool_size = 2;
    let database = Database::connect(&settings, &DATA_UPGRADES).expect("connected");
    let select_one = || {
        database.run(|conn| {
            std::thread::sleep(Duration::from_millis(50));
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .map_err(student_registry::database::DbError::from)
        })
    };
    // Both connections open, and back in the pool.
    let (first, second) = futures::join!(select_one(), select_one());
    first.and(second).expect("two connections");
    let ended = database
        .run_on_opened_file(|conn| {
            let others = diesel::sql_query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .execute(conn)
            .is_ok();
            let itself = diesel::sql_query("SELECT pg_terminate_backend(pg_backend_pid())")
                .execute(conn)
                .is_err();
            (
                Ok::<_, student_registry::database::DbError>(others && itself),
                true,
            )
        })
        .await
        .expect("reported as a success");
    assert!(ended, "both connections were ended");
    // Both at once, so that one of them needs the connection that was idle.
    let (first, second) = futures::join!(select_one(), select_one());
    first.and(second).expect("two live connections");
}

/// Enrolments into one course that arrive while a group for it runs wait,
/// then go in together as the next group: one transaction for all of them
/// (one `xmin`), each with its own answer.
#[actix_web::test]
async fn enrolments_that_wait_for_a_course_commit_together_as_the_next_group() {
    use student_registry::courses::{EnrolQueue, SeatRequest};

    let (db, mut conn, ids, course) = students_and_a_course(12, "10");
    let database = Database::connect(&DatabaseSettings::new(db.location()), &[]).unwrap();
    let queue = EnrolQueue::new(database);
    let enrol = |student_id: i32| {
        let queue = queue.clone();
        actix_web::rt::spawn(async move {
            let request = SeatRequest {
                student_id,
                actor: Actor::command_line(),
            };
            queue.enrol(course.id, request).await
        })
    };

    // Someone else holds the course: the first group waits for it.
    let mut holder = db.connect();
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM courses WHERE id = {} FOR UPDATE",
            course.id
        ))
        .unwrap();
    let first = enrol(ids[0]);
    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    wait_for_lock_waiters(&db, 1);
    let rest: Vec<_> = ids[1..].iter().map(|&id| enrol(id)).collect();
    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    holder.batch_execute("COMMIT").unwrap();

    let mut answers = vec![first.await.unwrap().answer];
    for waiting in rest {
        answers.push(waiting.await.unwrap().answer);
    }
    let enrolled = answers.iter().filter(|answer| answer.is_ok()).count();
    let full = answers
        .iter()
        .filter(|answer| matches!(answer, Err(EnrolError::CourseFull { capacity: 10 })))
        .count();
    assert_eq!((enrolled, full), (10, ids.len() - 10), "{answers:?}");
    let transactions: i64 = diesel::sql_query(format!(
        "SELECT count(DISTINCT xmin::text) AS count FROM enrolments WHERE course_id = {}",
        course.id
    ))
    .get_result::<Count>(pg_of(&mut conn))
    .unwrap()
    .count;
    assert_eq!(transactions, 2, "the first group, then all that waited");
}

/// A group that PostgreSQL aborts to break a conflict (40001 here; a
/// deadlock, 40P01, alike) is run again once: its requests are answered by
/// the second try, and what is stored is what they are told.
#[actix_web::test]
async fn a_group_aborted_by_a_conflict_is_tried_once_more() {
    use student_registry::courses::queries as course_queries;
    use student_registry::courses::{EnrolQueue, SeatRequest};

    let (db, mut conn, students, course) = students_and_a_course(2, "");
    let student = students[0];
    // The first insert into enrolments fails as a serialization conflict
    // would; a sequence counts the tries, as a rollback does not undo it.
    conn.batch_execute(
        "CREATE SEQUENCE tries;
         CREATE FUNCTION conflict_once() RETURNS trigger AS $$
         BEGIN
           IF nextval('tries') = 1 THEN
             RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001';
           END IF;
           RETURN NEW;
         END $$ LANGUAGE plpgsql;
         CREATE TRIGGER conflict_once BEFORE INSERT ON enrolments
         FOR EACH ROW EXECUTE FUNCTION conflict_once();",
    )
    .unwrap();
    let database = Database::connect(&DatabaseSettings::new(db.location()), &[]).unwrap();
    let queue = EnrolQueue::new(database);
    let request = SeatRequest {
        student_id: student,
        actor: Actor::command_line(),
    };
    let seated = queue.enrol(course.id, request).await;
    let enrolment = seated.answer.expect("enrolled at the second try");
    assert_eq!(enrolment.student_id, student);
    let tries: i64 = diesel::sql_query("SELECT last_value AS count FROM tries")
        .get_result::<Count>(pg_of(&mut conn))
        .unwrap()
        .count;
    assert_eq!(tries, 2, "tried twice");
    let stored = course_queries::for_student(&mut conn, student).unwrap();
    assert_eq!(stored.len(), 1, "stored once");
}

/// A migrated database with `count` generated students (and the seed's
/// own), their ids in order, and one course, BIO-101, with `capacity` seats
/// ("": no limit).
fn students_and_a_course(
    count: u64,
    capacity: &str,
) -> (
    TestDatabase,
    AnyConnection,
    Vec<i32>,
    student_registry::courses::Course,
) {
    use student_registry::courses::CourseDraft;
    use student_registry::courses::queries as course_queries;

    let db = TestDatabase::new();
    let mut conn = db.connect();
    conn.run_pending_migrations(db.migrations()).unwrap();
    seed::seed(&mut conn, count).unwrap();
    let ids: Vec<i32> = students::table
        .select(students::id)
        .order_by(students::id)
        .load(pg_of(&mut conn))
        .unwrap();
    let draft = CourseDraft {
        code: "BIO-101".into(),
        title: "Marine biology".into(),
        capacity: capacity.into(),
        ..CourseDraft::default()
    };
    let course = course_queries::create(
        &mut conn,
        &Actor::command_line(),
        &draft.validate().unwrap(),
    )
    .unwrap();
    (db, conn, ids, course)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

fn pg_of(conn: &mut AnyConnection) -> &mut diesel::PgConnection {
    match conn {
        AnyConnection::Postgresql(pg) => pg,
        AnyConnection::Sqlite(_) => unreachable!("a PostgreSQL connection"),
    }
}

/// Counts the statements a connection starts.
struct CountStatements(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl diesel::connection::Instrumentation for CountStatements {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// A student's page is one statement on PostgreSQL (two more when the enrol
/// form lists its courses), and it reads what the separate queries read on
/// SQLite: each status, text JSON must escape, a missing title's credits,
/// and the history's order and length.
#[test]
fn a_students_page_is_one_statement_that_reads_what_the_queries_read() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::NaiveDate;
    use student_registry::audit::{self, Action, Subject};
    use student_registry::courses::queries as course_queries;
    use student_registry::courses::{CourseDraft, EnrolmentStatus};
    use student_registry::students::queries as student_queries;

    let (_db, mut conn, ids, full) = students_and_a_course(3, "1");
    let student = ids[0];
    let actor = Actor::command_line();
    let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
    let mut course = |code: &str, title: &str, credits: &str| {
        let draft = CourseDraft {
            code: code.into(),
            title: title.into(),
            credits: credits.into(),
            ..CourseDraft::default()
        };
        course_queries::create(&mut conn, &actor, &draft.validate().unwrap())
            .unwrap()
            .id
    };
    let chemistry = course("CHE-1", "Chimie \"organique\" \\ niveau 2 — 化学", "5");
    let geography = course("GEO-1", "Géographie", "");
    let unused = course("ART-1", "Art", "");
    course_queries::enrol(&mut conn, &actor, full.id, student, day(1)).unwrap();
    let left = course_queries::enrol(&mut conn, &actor, chemistry, student, day(2)).unwrap();
    course_queries::set_status(
        &mut conn,
        &actor,
        left.id,
        EnrolmentStatus::Withdrawn,
        day(3),
    )
    .unwrap();
    let done = course_queries::enrol(&mut conn, &actor, geography, student, day(4)).unwrap();
    course_queries::set_status(
        &mut conn,
        &actor,
        done.id,
        EnrolmentStatus::Completed,
        day(5),
    )
    .unwrap();
    for note in ["first", "\"quoted\" \\ é\n化"] {
        audit::record(
            &mut conn,
            &actor,
            Action::StudentUpdate,
            Some(Subject::Student(student)),
            &serde_json::json!({ "note": note }),
        )
        .unwrap();
    }

    let page = course_queries::student_page(&mut conn, student, Some(50), 50)
        .unwrap()
        .expect("the student");
    assert_eq!(
        Some(page.student),
        student_queries::find(&mut conn, student).unwrap()
    );
    assert_eq!(
        page.courses,
        course_queries::for_student(&mut conn, student).unwrap()
    );
    assert_eq!(page.courses.len(), 3);
    assert_eq!(
        page.events,
        audit::for_subject(&mut conn, Subject::Student(student), 50).unwrap()
    );
    assert_eq!(page.events.len(), 2);
    // Chemistry (withdrawn), geography (completed) and art have seats; the
    // full course is the student's own.
    let listed: Vec<i32> = page
        .open_courses
        .expect("few enough to list")
        .iter()
        .map(|course| course.id)
        .collect();
    assert_eq!(listed, [unused, chemistry, geography]);
    let newest = course_queries::student_page(&mut conn, student, None, 1)
        .unwrap()
        .unwrap();
    assert_eq!(
        newest.events,
        audit::for_subject(&mut conn, Subject::Student(student), 1).unwrap()
    );
    assert!(
        course_queries::student_page(&mut conn, i32::MAX, Some(50), 50)
            .unwrap()
            .is_none()
    );

    let statements = Arc::new(AtomicUsize::new(0));
    pg_of(&mut conn).set_instrumentation(CountStatements(statements.clone()));
    let mut count = |list_open: Option<i64>| {
        statements.store(0, Ordering::SeqCst);
        let page = course_queries::student_page(&mut conn, student, list_open, 50)
            .unwrap()
            .unwrap();
        (
            page.open_courses.map(|open| open.len()),
            statements.load(Ordering::SeqCst),
        )
    };
    assert_eq!(count(None), (Some(0), 1), "no enrol form");
    // Three open courses, the student's one full course among their own:
    // the stored number alone says there are more than one to offer…
    assert_eq!(count(Some(1)), (None, 1), "a search");
    // …but not whether there are more than two (the ids tell).
    assert_eq!(count(Some(2)), (None, 2), "a search");
    // The ids of the open courses, then those courses.
    assert_eq!(count(Some(3)), (Some(3), 3), "listed");
}

/// A course's page reads the course and its history in one statement on
/// PostgreSQL, then its class list: what the separate queries read.
#[test]
fn a_courses_page_reads_the_course_and_its_history_in_one_statement() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::NaiveDate;
    use student_registry::audit::{self, Subject};
    use student_registry::courses::CourseDraft;
    use student_registry::courses::listing::ClassListParams;
    use student_registry::courses::queries::{self as course_queries, IfUnchanged};

    let (_db, mut conn, ids, course) = students_and_a_course(3, "2");
    let actor = Actor::command_line();
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    for &student in &ids[..2] {
        course_queries::enrol(&mut conn, &actor, course.id, student, day).unwrap();
    }
    let renamed = CourseDraft {
        code: "BIO-101".into(),
        title: "Biologie \"marine\" \\ 海洋".into(),
        capacity: "2".into(),
        ..CourseDraft::default()
    };
    course_queries::update(
        &mut conn,
        &actor,
        course.id,
        None,
        IfUnchanged::Save,
        |_| renamed.validate(),
    )
    .unwrap();

    let params = ClassListParams::default();
    let page = course_queries::course_page(&mut conn, course.id, 50, &params)
        .unwrap()
        .expect("the course");
    assert_eq!(
        Some(page.course),
        course_queries::find(&mut conn, course.id).unwrap()
    );
    let events = audit::for_subject(&mut conn, Subject::Course(course.id), 50).unwrap();
    assert_eq!(events.len(), 2, "created and renamed");
    assert_eq!(page.events, events);
    // Each row's student as the enrolment's copies give them: as stored.
    let mut shown = Vec::new();
    for member in &page.class.members {
        let student = student_registry::students::queries::find(&mut conn, member.student.id)
            .unwrap()
            .expect("the student");
        assert_eq!(
            (
                member.student.firstname.as_str(),
                member.student.lastname.as_str(),
                member.student.email.as_str()
            ),
            (
                student.firstname.as_str(),
                student.lastname.as_str(),
                student.email.as_str()
            )
        );
        shown.push(member.student.id);
    }
    shown.sort_unstable();
    assert_eq!(shown, ids[..2]);
    assert!(
        course_queries::course_page(&mut conn, i32::MAX, 50, &params)
            .unwrap()
            .is_none()
    );

    let statements = Arc::new(AtomicUsize::new(0));
    pg_of(&mut conn).set_instrumentation(CountStatements(statements.clone()));
    let page = course_queries::course_page(&mut conn, course.id, 1, &params)
        .unwrap()
        .unwrap();
    assert_eq!(page.events, events[..1]);
    assert_eq!(statements.load(Ordering::SeqCst), 2);
}

/// `TRUNCATE` fires no `DELETE` trigger: its own resets the course list's
/// total and the number of open courses, which then follow new courses.
#[test]
fn truncating_the_courses_resets_their_counts() {
    let (_db, mut conn, _ids, course) = students_and_a_course(2, "1");
    let counts = |conn: &mut AnyConnection| -> (i64, i64) {
        #[derive(QueryableByName)]
        struct Counts {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            total: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            open: i64,
        }
        let counts: Counts = diesel::sql_query("SELECT total, open FROM courses_count")
            .get_result(pg_of(conn))
            .unwrap();
        (counts.total, counts.open)
    };
    assert_eq!(counts(&mut conn), (1, 1), "{course:?}");
    conn.batch_execute("TRUNCATE enrolments, courses").unwrap();
    assert_eq!(counts(&mut conn), (0, 0));
    conn.batch_execute(
        "INSERT INTO courses (code, title, capacity, enrolled_count)
            VALUES ('ART-1', 'Art', NULL, 0), ('MUS-1', 'Music', 1, 1);",
    )
    .unwrap();
    assert_eq!(counts(&mut conn), (2, 1));
}
