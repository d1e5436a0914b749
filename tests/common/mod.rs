//! What more than one test binary needs: starting the real application. Used
//! by the integration tests (`tests/app/helpers.rs`, also run by
//! `tests/postgres`) and the browser tests (`tests/browser/app.rs`).

use student_registry::config::{DatabaseLocation, Settings};
use student_registry::startup::Application;

/// The application, started.
pub struct StartedApp {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub address: String,
    /// That of its metrics, if the settings turned them on.
    #[allow(dead_code)] // not every test binary asks
    pub metrics_address: Option<String>,
    /// The first-run setup page, when the database had no account.
    #[allow(dead_code)] // not every test binary asks
    pub setup_url: Option<String>,
}

/// Starts the application, built as `main` builds it, on a random loopback
/// port and on `location`, with the default settings and a test secret key
/// adjusted by `configure`.
pub async fn start_app(
    location: DatabaseLocation,
    configure: impl FnOnce(&mut Settings),
) -> StartedApp {
    let mut settings = Settings::from_lookup(|_| None).expect("default settings");
    settings.port = 0;
    settings.database.location = location;
    settings.secret_key = Some(
        "test-secret-key-that-is-long-enough-for-cookies"
            .to_owned()
            .into(),
    );
    configure(&mut settings);
    let app = Application::build(settings).await.expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let setup_url = app.setup_url().map(str::to_owned);
    tokio::spawn(app.run_until_stopped());
    StartedApp {
        address,
        metrics_address,
        setup_url,
    }
}
