//! The real application on a fresh SQLite file, started as the integration
//! tests start it (`tests/common`).

use diesel::{Connection, SqliteConnection};
use student_registry::accounts::{self, NewPassword, UserDraft};
use student_registry::config::DatabaseLocation;
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
    _dir: TempDir,
}

impl TestApp {
    /// Creates an account with [`STAFF_PASSWORD`] and `role`.
    pub fn create_account(&self, email: &str, name: &str, role: &str) {
        let mut conn = AnyConnection::Sqlite(
            SqliteConnection::establish(self.path.to_str().expect("a UTF-8 path")).expect("open"),
        );
        let account = UserDraft {
            email: email.to_owned(),
            display_name: name.to_owned(),
            role: role.to_owned(),
        }
        .validate()
        .expect("a valid account");
        let password = NewPassword::parse(STAFF_PASSWORD, email, name).expect("strong");
        accounts::queries::create(&mut conn, &account, &password.hash()).expect("the account");
    }
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("registry.db");
    let address = start_app(DatabaseLocation::Sqlite(path.clone()), |_| {})
        .await
        .address;
    let app = TestApp {
        address,
        path,
        _dir: dir,
    };
    app.create_account(STAFF_EMAIL, "Ada Admin", "admin");
    app
}
