//! The real application, built as `main` builds it, on a random loopback port
//! with a fresh SQLite file (the same start-up as `tests/app/helpers.rs`).

use student_registry::config::{DatabaseLocation, Settings};
use student_registry::startup::Application;
use tempfile::TempDir;

pub struct TestApp {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub address: String,
    _dir: TempDir,
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::from_lookup(|_| None).expect("default settings");
    settings.port = 0;
    settings.database.location = DatabaseLocation::Sqlite(dir.path().join("registry.db"));
    settings.secret_key = Some(
        "browser-test-secret-key-that-is-long-enough"
            .to_owned()
            .into(),
    );
    let app = Application::build(settings).await.expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp { address, _dir: dir }
}
