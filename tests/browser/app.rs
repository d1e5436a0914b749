//! The real application on a fresh SQLite file, started as the integration
//! tests start it (`tests/common`).

use diesel::{Connection, SqliteConnection};
use secrecy::ExposeSecret;
use student_registry::accounts::{self, NewPassword, Scope, UserDraft, queries, tokens};
use student_registry::audit::Actor;
use student_registry::config::DatabaseLocation;
use student_registry::courses::{self, CourseDraft};
use student_registry::database::AnyConnection;
use tempfile::TempDir;

/// The admin every browser signs in as ([`crate::browser::Browser::start`]).
pub const STAFF_EMAIL: &str = "admin@example.com";
pub const STAFF_PASSWORD: &str = "violet tractor mango reef";

#[path = "../common/mod.rs"]
mod common;
use common::start_app;

pub struct TestApp {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub address: String,
    path: std::path::PathBuf,
    /// A write token of an editor, for what the tests do through the API
    /// beside the browser (`Authorization: Bearer`).
    pub api_token: String,
    _dir: TempDir,
}

impl TestApp {
    fn connect(&self) -> AnyConnection {
        AnyConnection::Sqlite(
            SqliteConnection::establish(self.path.to_str().expect("a UTF-8 path")).expect("open"),
        )
    }

    /// Adds a course (as its form would), with `capacity` seats or none.
    pub fn create_course(&self, code: &str, title: &str, capacity: Option<i32>) -> i32 {
        let draft = CourseDraft {
            code: code.to_owned(),
            title: title.to_owned(),
            capacity: capacity.map(|seats| seats.to_string()).unwrap_or_default(),
            ..CourseDraft::default()
        };
        let details = draft.validate().expect("a valid course");
        courses::queries::create(&mut self.connect(), &Actor::command_line(), &details)
            .expect("the course")
            .id
    }

    /// Adds a student through the API, as another system would; their id.
    pub async fn add_student(&self, first: &str, last: &str) -> i32 {
        let created: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/api/students", self.address))
            .bearer_auth(&self.api_token)
            .json(&serde_json::json!({
                "firstname": first,
                "lastname": last,
                "email": format!("{first}.{last}@example.com").to_lowercase(),
            }))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("the student is added")
            .json()
            .await
            .expect("the student as JSON");
        created["id"]
            .as_i64()
            .and_then(|id| i32::try_from(id).ok())
            .expect("the new student's id")
    }

    /// Creates an account with [`STAFF_PASSWORD`] and `role`.
    pub fn create_account(&self, email: &str, name: &str, role: &str) {
        let mut conn = self.connect();
        let account = UserDraft {
            email: email.to_owned(),
            display_name: name.to_owned(),
            role: role.to_owned(),
        }
        .validate()
        .expect("a valid account");
        let password = NewPassword::parse(STAFF_PASSWORD, email, name).expect("strong");
        accounts::queries::create(
            &mut conn,
            &Actor::command_line(),
            &account,
            &password.hash(),
        )
        .expect("the account");
    }
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("registry.db");
    let address = start_app(DatabaseLocation::Sqlite(path.clone()), |_| {})
        .await
        .address;
    let api_token = editor_token(&path.to_string_lossy());
    let app = TestApp {
        address,
        path,
        api_token,
        _dir: dir,
    };
    app.create_account(STAFF_EMAIL, "Ada Admin", "admin");
    app
}

/// Makes an editor account and a write token for it, as `users create` and
/// `tokens create` would.
fn editor_token(database: &str) -> String {
    let conn = &mut AnyConnection::Sqlite(
        SqliteConnection::establish(database).expect("open the test database"),
    );
    let draft = UserDraft {
        email: "api@example.com".to_owned(),
        display_name: "API".to_owned(),
        role: "editor".to_owned(),
    };
    let user = draft.validate().expect("a valid account");
    let password = NewPassword::parse("violet tractor mango reef", user.email(), "API")
        .expect("a strong password");
    let user = queries::create(conn, &Actor::command_line(), &user, &password.hash())
        .expect("create the account");
    let (_, token) = tokens::create(
        conn,
        &Actor::command_line(),
        user.id,
        "browser tests",
        Scope::Write,
        None,
    )
    .expect("create the token");
    token.expose_secret().to_owned()
}
