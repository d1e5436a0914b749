//! The real application on a fresh SQLite file, started as the integration
//! tests start it (`tests/common`).

use student_registry::config::DatabaseLocation;
use tempfile::TempDir;

#[path = "../common/mod.rs"]
mod common;
use common::start_app;

pub struct TestApp {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub address: String,
    _dir: TempDir,
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = DatabaseLocation::Sqlite(dir.path().join("registry.db"));
    let address = start_app(location, |_| {}).await.address;
    TestApp { address, _dir: dir }
}
