//! What the app does when SQLite cannot store a write: the disk full at
//! commit time (a fault-injecting VFS, see `faulty_disk`), the database file
//! deleted or replaced under the running app, another process holding the
//! write lock. SQLite only: the faults are of a file. (tests/postgres/
//! postgres_only.rs has the read-only database.)

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use diesel_migrations::MigrationHarness;
use futures::future::join_all;
use reqwest::{Method, Response, StatusCode};
use scraper::Html;
use serde_json::{Value, json};
use student_registry::accounts::{Role, Scope, tokens};
use student_registry::audit;
use student_registry::students::seed;

use crate::faulty_disk;
use crate::helpers::{
    STAFF_EMAIL, TestApp, TestDatabase, all_students, create_account, create_token, field_value,
    free_port, sammy, spawn_app, text, with,
};

fn database_path(app: &TestApp) -> PathBuf {
    PathBuf::from(app.database.url())
}

/// A page response of the app's styled 503 for a write it did not store.
async fn assert_not_saved_page(what: &str, response: Response) -> Html {
    let status = response.status();
    let html = Html::parse_document(&response.text().await.expect("body"));
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {}",
        html.html()
    );
    // A form comes back with its alert and the typing kept; other pages
    // (delete) are the styled error page.
    let heading = text(&html, "[role=alert] h2")
        .or_else(|| text(&html, "h1"))
        .unwrap_or_default();
    assert_eq!(heading, "Not saved", "{what}");
    assert!(
        text(&html, "main")
            .unwrap_or_default()
            .contains("Nothing was changed; please try again."),
        "{what}: {}",
        html.html()
    );
    html
}

/// An API response of the API's error shape for a write it did not store.
async fn assert_not_saved_json(what: &str, response: Response) {
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
    let body: Value = serde_json::from_str(&body).expect("a JSON error");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|error| error.contains("not saved")),
        "{what}: {body}"
    );
    assert_eq!(body["fields"], json!({}), "{what}");
}

async fn api(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("API request")
}

/// Every write path, forms, API and seed, with the disk full when SQLite
/// commits: each answers an error and none is stored, nor its audit event. (Before, the form
/// create and delete answered 303 and the API create 201 with an id, none
/// of it stored, and the id went to the next student.)
#[tokio::test]
async fn no_write_is_reported_done_when_the_disk_is_full_at_commit() {
    faulty_disk::install();
    let app = spawn_app().await;
    let path = database_path(&app);
    let mut acknowledged = vec![
        app.create(&sammy()).await,
        app.create(&with(sammy(), "email", "second@example.com"))
            .await,
    ];
    let [first, second] = [acknowledged[0], acknowledged[1]];
    let (_, form) = app.page(&format!("/{first}/edit/")).await;
    let version = field_value(&form, "version");
    let before = app.students();
    let events_before = audit_events(&app);
    // Besides the test app's own setup (its account, its token).
    let creates = events_before
        .iter()
        .filter(|event| event.action == "student.create")
        .count();
    assert_eq!(creates, 2, "the two creates");
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    let full = faulty_disk::full(&path);

    let created = app
        .post_form("/create/", &with(sammy(), "email", "third@example.com"))
        .await;
    if let Some(id) = created_id(&created) {
        acknowledged.push(id);
    }
    let form = assert_not_saved_page("form create", created).await;
    assert_eq!(field_value(&form, "email"), "third@example.com");
    let form = assert_not_saved_page(
        "form edit",
        app.post_form(
            &format!("/{first}/edit/"),
            &with(with(sammy(), "city", "Porto"), "version", &version),
        )
        .await,
    )
    .await;
    assert_eq!(field_value(&form, "city"), "Porto", "the typing is kept");
    assert_not_saved_page(
        "form delete",
        app.post_form(&format!("/{second}/delete/"), &[]).await,
    )
    .await;

    let created = api(
        &app,
        Method::POST,
        "/api/students",
        Some(json!({"firstname": "Api", "lastname": "Made", "email": "api@example.com"})),
    )
    .await;
    if let Some(id) = created_id(&created) {
        acknowledged.push(id);
    }
    assert_not_saved_json("API create", created).await;
    let student = format!("/api/students/{first}");
    assert_not_saved_json(
        "API replace",
        api(
            &app,
            Method::PUT,
            &student,
            Some(json!({"firstname": "Put", "lastname": "Shark", "email": "put@example.com"})),
        )
        .await,
    )
    .await;
    assert_not_saved_json(
        "API update",
        api(&app, Method::PATCH, &student, Some(json!({"city": "Oslo"}))).await,
    )
    .await;
    assert_not_saved_json(
        "API delete",
        api(
            &app,
            Method::DELETE,
            &format!("/api/students/{second}"),
            None,
        )
        .await,
    )
    .await;
    assert!(
        seed::seed(&mut app.db(), 50).is_err(),
        "seed reports the failed commit"
    );
    assert_eq!(
        app.health_within_seconds(StatusCode::SERVICE_UNAVAILABLE)
            .await,
        StatusCode::SERVICE_UNAVAILABLE
    );

    drop(full);

    assert_eq!(app.students(), before, "nothing changed");
    assert_eq!(
        audit_events(&app),
        events_before,
        "no change that failed to commit left its audit event"
    );
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    // The app's connections that failed work again, and no id that was
    // ever acknowledged is handed out again.
    let fresh = app
        .create(&with(sammy(), "email", "fresh@example.com"))
        .await;
    assert!(
        acknowledged.iter().all(|&id| id < fresh),
        "id {fresh} was already acknowledged: {acknowledged:?}"
    );
    assert_eq!(app.students().len(), before.len() + 1);
}

/// Concurrent creates share commits (SQLite's writes are grouped): when the
/// commit fails, every one of them is refused and none is stored; once the
/// disk has room, each gets its own answer, a duplicate among them too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_sharing_a_failed_commit_are_all_refused() {
    faulty_disk::install();
    let app = spawn_app().await;
    let path = database_path(&app);
    let existing = app.create(&sammy()).await;
    let token = app.csrf_token().await;
    let forms = |prefix: &str| -> Vec<Vec<(&'static str, String)>> {
        (0..20)
            .map(|n| {
                with(
                    with(sammy(), "email", &format!("{prefix}{n}@example.com")),
                    "csrf_token",
                    &token,
                )
            })
            .collect()
    };
    let post_all = |forms: Vec<Vec<(&'static str, String)>>| {
        let app = &app;
        join_all(forms.into_iter().map(move |form| async move {
            let response = app
                .client
                .post(app.url("/create/"))
                .form(&form)
                .send()
                .await
                .expect("POST");
            let id = created_id(&response);
            (response.status(), id)
        }))
    };
    let before = app.students();
    let events_before = audit_events(&app);

    let full = faulty_disk::full(&path);
    let answers = post_all(forms("full")).await;
    drop(full);
    assert!(
        answers
            .iter()
            .all(|&(status, id)| status == StatusCode::SERVICE_UNAVAILABLE && id.is_none()),
        "every create refused: {answers:?}"
    );
    assert_eq!(app.students(), before, "none of them stored");
    assert_eq!(audit_events(&app), events_before, "nor their audit events");

    let mut fresh = forms("room");
    // The existing student's address, racing with the others.
    fresh.push(with(
        with(sammy(), "email", "SammyShark@example.com"),
        "csrf_token",
        &token,
    ));
    let answers = post_all(fresh).await;
    let created: Vec<i32> = answers.iter().filter_map(|&(_, id)| id).collect();
    assert_eq!(created.len(), 20, "{answers:?}");
    assert_eq!(
        answers
            .iter()
            .filter(|(status, _)| *status == StatusCode::UNPROCESSABLE_ENTITY)
            .count(),
        1,
        "the duplicate is refused on its own: {answers:?}"
    );
    assert!(created.iter().all(|&id| id > existing));
    assert_eq!(app.students().len(), before.len() + 20);
}

/// Every audit event, newest first.
fn audit_events(app: &TestApp) -> Vec<audit::AuditEvent> {
    let filter = audit::ActivityFilter::default();
    audit::list(
        &mut app.db(),
        &filter,
        audit::Cursor::Newest,
        audit::MAX_PER_PAGE,
    )
    .expect("read the audit log")
    .events
}

/// The id a successful create answered with (a redirect to the student's
/// page, or the API's Location), if the create claimed success.
fn created_id(response: &Response) -> Option<i32> {
    if !(response.status().is_success() || response.status().is_redirection()) {
        return None;
    }
    let location = response.headers().get("location")?.to_str().ok()?;
    location
        .trim_end_matches('/')
        .rsplit('/')
        .next()?
        .parse()
        .ok()
}

/// An API call records its token's use (a write, at most once a minute):
/// with the disk full, a read is still answered, and the use goes
/// unrecorded.
#[tokio::test]
async fn an_api_read_is_answered_when_its_tokens_use_cannot_be_recorded() {
    faulty_disk::install();
    let app = spawn_app().await;
    let full = faulty_disk::full(&database_path(&app));
    let response = app.get("/api/students").await;
    assert_eq!(response.status(), StatusCode::OK);
    drop(full);
    let tokens = tokens::list_for_user(&mut app.db(), app.staff.id).unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].last_used_at, None, "not recorded");
    // Once writes work again, it is.
    assert_eq!(app.get("/api/students").await.status(), StatusCode::OK);
    let tokens = tokens::list_for_user(&mut app.db(), app.staff.id).unwrap();
    assert!(tokens[0].last_used_at.is_some());
}

/// A database file deleted under the running app: health says so, and a
/// write is refused instead of going into the deleted file, where no one
/// would ever read it.
#[tokio::test]
async fn a_deleted_database_file_fails_health_and_is_not_written_into() {
    let app = spawn_app().await;
    let id = app.create(&sammy()).await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let token = app.csrf_token().await;
    let path = database_path(&app);
    // Held open, the deleted file can still be read, as the app's
    // connections can. (SQLite itself refuses reads of it.)
    let mut deleted = std::fs::File::open(&path).expect("open the database file");
    std::fs::remove_file(&path).expect("delete the database file");
    let contents = |file: &mut std::fs::File| {
        file.seek(SeekFrom::Start(0)).expect("seek");
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).expect("read");
        let wal = std::fs::read(suffixed(&path, "-wal")).unwrap_or_default();
        (bytes, wal)
    };
    let before = contents(&mut deleted);

    assert_health_and_create_refused(&app, &token).await;
    assert_not_saved_json(
        "API delete",
        api(&app, Method::DELETE, &format!("/api/students/{id}"), None).await,
    )
    .await;
    assert!(
        contents(&mut deleted) == before,
        "nothing written into the deleted file or its WAL"
    );
}

/// `/healthz` says the database is unusable, and so does every page: even
/// who is signed in can no longer be read from the file the path names, so
/// a form create (with the token the page gave before) is refused.
async fn assert_health_and_create_refused(app: &TestApp, token: &str) {
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let (status, html) = app.page("/").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        text(&html, "h1").as_deref(),
        Some("Temporarily unavailable")
    );
    let created = app
        .client
        .post(app.url("/create/"))
        .form(&with(
            with(sammy(), "email", "lost@example.com"),
            "csrf_token",
            token,
        ))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), StatusCode::SERVICE_UNAVAILABLE);
}

/// Another database moved over the app's file: health says so, and writes
/// stop rather than go on into a file the path no longer names.
#[tokio::test]
async fn a_replaced_database_file_fails_health_and_is_not_written_into() {
    let app = spawn_app().await;
    app.create(&sammy()).await;
    let before = app.students();
    let mut replaced = app.db();
    let token = app.csrf_token().await;

    let other = TestDatabase::new();
    other
        .connect()
        .run_pending_migrations(other.migrations())
        .expect("migrate the other database");
    let path = database_path(&app);
    std::fs::rename(other.url(), &path).expect("move the other database over");

    assert_health_and_create_refused(&app, &token).await;
    // (Not read through the path: the old file's WAL is still beside it.)
    assert_eq!(all_students(&mut replaced), before);
}

/// The database holds personal data: its files are the owner's alone.
#[tokio::test]
async fn the_database_files_are_created_readable_by_their_owner_only() {
    let app = spawn_app().await;
    app.create(&sammy()).await;
    let path = database_path(&app);
    for file in [
        path.clone(),
        suffixed(&path, "-wal"),
        suffixed(&path, "-shm"),
    ] {
        let mode = std::fs::metadata(&file)
            .unwrap_or_else(|err| panic!("{}: {err}", file.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}: {mode:o}", file.display());
    }
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The cause of a write that was not saved is logged at error level, for the
/// operator who must free the disk or restore the file. (Run as the real
/// binary, whose log this is.)
#[test]
fn a_write_that_was_not_saved_is_logged_with_its_cause() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let db = TestDatabase::new();
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_student-registry"))
        .arg("serve")
        .env("DATABASE_URL", db.url())
        .env("PORT", port.to_string())
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let request = |raw: String| {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream.write_all(raw.as_bytes()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        Some(response)
    };
    let health =
        format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let started = Instant::now();
    while request(health.clone()).is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let staff = create_account(&mut db.connect(), STAFF_EMAIL, Role::Admin);
    let token = create_token(&mut db.connect(), &staff, Scope::Write);
    std::fs::remove_file(db.url()).unwrap();
    let body = r#"{"firstname": "Lost", "lastname": "Record", "email": "lost@example.com"}"#;
    let created = request(format!(
        "POST /api/students HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ))
    .expect("an answer");
    assert!(created.starts_with("HTTP/1.1 503"), "{created}");

    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut log = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    server
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.lines().any(|line| line.contains("ERROR")
            && line.contains("not saved")
            && line.contains("was deleted or replaced")),
        "{log}"
    );
}

/// The pool renews its connections (idle ones are closed after a while): one
/// opened after the file was deleted must fail, not start a new, empty
/// database at the path (created world-readable, without the tables).
#[test]
fn the_pool_does_not_recreate_a_deleted_database_file() {
    use diesel::r2d2::ManageConnection;
    use student_registry::config::DatabaseLocation;
    use student_registry::database::ConnectionManager;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deleted 50%?#.db");
    let manager = ConnectionManager::new(DatabaseLocation::Sqlite(path.clone()));
    assert!(manager.connect().is_err());
    assert!(!path.exists(), "{} was created", path.display());

    // An existing file is opened, whatever its name holds.
    std::fs::File::create(&path).unwrap();
    let mut conn = manager.connect().expect("open the existing file");
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "CREATE TABLE t (x)").unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 0);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "{files:?}");
}

/// A command run while the server writes (here: another connection holds
/// SQLite's write lock for a moment) waits for its turn at start-up, as the
/// pool's connections do, instead of failing with "database is locked".
#[test]
fn a_command_waits_for_a_running_servers_write_instead_of_failing() {
    use diesel::connection::SimpleConnection;

    let db = TestDatabase::new();
    let migrated = crate::cli::registry_with_input(db.url(), &["migrate"], "");
    assert!(migrated.status.success());
    // A stored email not yet in its standard form: start-up has a row to
    // upgrade, so it must write.
    db.connect()
        .batch_execute(
            "INSERT INTO students (firstname, lastname, email) \
             VALUES ('Ada', 'Lovelace', 'ada@EXAMPLE.org')",
        )
        .unwrap();

    let mut writer = db.connect();
    writer.batch_execute("BEGIN IMMEDIATE").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(700));
        writer.batch_execute("COMMIT").unwrap();
    });
    let listed = crate::cli::registry_with_input(db.url(), &["users", "list"], "");
    release.join().unwrap();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert_eq!(all_students(&mut db.connect())[0].email, "ada@example.org");
}
