//! Builds the application: the same function serves `main` and the tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{Condition, Logger, from_fn};
use actix_web::{App, HttpServer, web};
use actix_web_flash_messages::{FlashMessagesFramework, Level};
use anyhow::Context;
use secrecy::ExposeSecret;

use crate::accounts::throttle::ThrottleRules;
use crate::accounts::{self, sessions::SessionLifetime};
use crate::config::Settings;
use crate::courses::EnrolQueue;
use crate::database::{DataUpgrade, Database};
use crate::http::BODY_LIMIT;
use crate::http::compression;
use crate::http::deadline::{self, BodyDeadline};
use crate::http::headers::security_headers;
use crate::http::hosts::{self, HostPolicy};
use crate::http::metrics::{self, Metrics};
use crate::pages::session::{self, DatabaseSessionStore, FlashStore};
use crate::pages::{self, AppError, PasswordChecks, SetupToken};
use crate::{api, students};

/// What each resource brings stored rows up to date with at start-up, after
/// the migrations.
pub const DATA_UPGRADES: [DataUpgrade; 1] = [students::stored_emails::standardise];

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
    /// Kept so the pool is closed here once the server has stopped (see
    /// [`close_when_released`]).
    database: web::Data<Database>,
    /// The `/metrics` server (`METRICS_ADDR`) and its port.
    metrics: Option<(Server, u16)>,
    /// The first-run setup page's address, while there is no account.
    setup_url: Option<String>,
}

impl Application {
    /// Opens the database (running migrations), binds the port and builds the
    /// server. Port 0 picks a free port; [`Application::port`] tells which.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db_settings = settings.database.clone();
        let database = web::block(move || Database::connect(&db_settings, &DATA_UPGRADES))
            .await
            .context("database start-up was cancelled")??;
        let accounts = database
            .run(accounts::queries::count)
            .await
            .context("cannot count the accounts")?;
        // No default account: the first admin is made through a page only
        // whoever can read this process's log can open.
        let setup = (accounts == 0).then(SetupToken::generate);
        Self::build_with_database(settings, database, setup)
    }

    pub fn build_with_database(
        settings: Settings,
        database: Database,
        setup: Option<SetupToken>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.host, settings.port))
            .with_context(|| format!("cannot listen on {}:{}", settings.host, settings.port))?;
        let port = listener.local_addr()?.port();
        let database = web::Data::new(database);
        let (metrics, metrics_server) = match settings.metrics_addr {
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .with_context(|| format!("cannot serve the metrics on {addr}"))?;
                let port = listener.local_addr()?.port();
                let metrics = web::Data::new(Metrics::new()?);
                let server = metrics::serve(listener, metrics.clone(), database.clone())?;
                (Some(metrics), Some((server, port)))
            }
            None => (None, None),
        };
        let setup_url = setup.as_ref().map(|setup| setup.url(settings.host, port));
        let setup = web::Data::new(setup.unwrap_or_else(SetupToken::used));
        let server = serve(listener, database.clone(), metrics, setup, &settings)?;
        Ok(Self {
            port,
            server,
            database,
            metrics: metrics_server,
            setup_url,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where to create the first admin, when the database has no account:
    /// `serve` logs it. It works once.
    pub fn setup_url(&self) -> Option<&str> {
        self.setup_url.as_deref()
    }

    /// The port `/metrics` is served on, if `METRICS_ADDR` is set (port 0
    /// picks a free one).
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// Runs until SIGINT/SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(server, _)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let stopped = self.server.await;
        // It holds a handle on the database too: stopped first. At once: a
        // scrape cut short loses nothing, and a graceful stop would wait for
        // the scraper's idle keep-alive connection.
        if let Some((handle, server)) = metrics {
            handle.stop(false).await;
            let _ = server.await;
        }
        close_when_released(self.database).await;
        stopped
    }
}

/// Closes the pool's connections before `main` returns. The stopped workers
/// drop their handles on it from their own threads, possibly after the
/// server reports it has stopped; a PostgreSQL connection closed by one of
/// them while the process exits can crash in OpenSSL's exit handler. So wait
/// (briefly) until this is the last handle, and close them here.
async fn close_when_released(database: web::Data<Database>) {
    let database = database.into_inner();
    for _ in 0..200 {
        if Arc::strong_count(&database) == 1 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    // Closing a connection is blocking I/O.
    let _ = web::block(move || drop(database)).await;
}

fn serve(
    listener: TcpListener,
    database: web::Data<Database>,
    metrics: Option<web::Data<Metrics>>,
    setup: web::Data<SetupToken>,
    settings: &Settings,
) -> anyhow::Result<Server> {
    let key = cookie_key(settings);
    let secure_cookies = settings.secure_cookies;
    // Known only now: with PORT=0 the system picked the port.
    let hosts = web::Data::new(
        HostPolicy::new(
            settings.host,
            listener.local_addr()?.port(),
            &settings.allowed_hosts,
            settings.trust_proxy,
        )
        .refusing_with(|req| {
            if api::serves(req.path()) {
                api::host_refused(req)
            } else {
                pages::host_refused(req)
            }
        }),
    );
    let session_store = DatabaseSessionStore::new(
        database.get_ref().clone(),
        SessionLifetime {
            idle: settings.session_idle_timeout,
            absolute: settings.session_max_age,
        },
    );
    let throttle = web::Data::new(ThrottleRules::from(&settings.sign_in));
    let password_checks = web::Data::new(PasswordChecks::new());
    let enrol_queue = web::Data::new(EnrolQueue::new(database.get_ref().clone()));
    let body_timeout = settings.body_timeout;

    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(session_store.clone(), key.clone())
            .cookie_name(session::cookie_name(secure_cookies).to_owned())
            .cookie_content_security(CookieContentSecurity::Signed)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_secure(secure_cookies)
            .build();
        // Flash messages ride in an encrypted cookie of their own, which
        // costs no database write (see pages::session::flash).
        let flashes = FlashMessagesFramework::builder(FlashStore::new(key.clone(), secure_cookies))
            .minimum_level(Level::Info)
            .build();

        App::new()
            // zstd, brotli or gzip, as the client asks (and `Vary:
            // Accept-Encoding`). Pages carry their CSRF token masked afresh
            // each time, so compression cannot leak it (see pages::csrf).
            // Inside the host check, so even its 406 goes only to a host
            // served.
            .wrap(from_fn(compression::compress))
            // Before sessions and handlers: a request for a host not served
            // must not read or write anything.
            .wrap(from_fn(hosts::check_host))
            .wrap(security_headers())
            .wrap(Logger::new("%r %s %Dms"))
            .wrap(from_fn(deadline::close_after_unread_body))
            // Outermost: every answer counts, however early it was given.
            .wrap(Condition::new(metrics.is_some(), from_fn(metrics::record)))
            .configure(|config| {
                if let Some(metrics) = &metrics {
                    config.app_data(metrics.clone());
                }
            })
            .app_data(database.clone())
            .app_data(hosts.clone())
            .app_data(setup.clone())
            .app_data(throttle.clone())
            .app_data(password_checks.clone())
            .app_data(enrol_queue.clone())
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .app_data(BodyDeadline(body_timeout))
            .app_data(web::PathConfig::default().error_handler(|err, _| AppError::from(err).into()))
            .app_data(
                web::QueryConfig::default().error_handler(|err, _| AppError::from(err).into()),
            )
            // The API never reads a session: its callers present a token.
            .configure(api::configure)
            .configure(pages::configure_sessionless)
            .service(
                web::scope("")
                    // Innermost: it reads the session.
                    .wrap(from_fn(session::require_sign_in))
                    .wrap(flashes)
                    .wrap(sessions)
                    // Before the session loads: what the page will read, to
                    // be read with it.
                    .wrap(from_fn(pages::read_ahead))
                    .wrap(from_fn(session::storage_failure))
                    .configure(pages::configure)
                    .default_service(web::to(pages::not_found)),
            )
    })
    .listen(listener)?
    // The cap is per worker, and a worker's idle threads cannot serve
    // another's work: each worker may run as much database work as the pool
    // allows. Sharing the pool out among the workers (4 threads each on two
    // CPUs) saved a tenth of a page's CPU, but a worker's few threads were
    // then held by searches running to their budget, by password hashes and
    // by compression (which actix runs on these threads too), and a page
    // read behind them waited: bench/RESULTS.md, the stall rows.
    .worker_max_blocking_threads(settings.database.pool_size as usize)
    // The cap is per worker; actix starts one worker per available CPU.
    .max_connections(settings.max_connections.div_ceil(worker_count()))
    .shutdown_timeout(settings.shutdown_timeout.as_secs())
    // A compressed response goes out in more than one write (the headers,
    // then the body once compressed); with Nagle's algorithm the second
    // waited for the client's delayed ACK of the first, about 40 ms a page
    // (bench/RESULTS.md, the compressed rows).
    .tcp_nodelay(true)
    .run();
    Ok(server)
}

/// The number of workers actix starts by default.
fn worker_count() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Signs the session and flash cookies.
fn cookie_key(settings: &Settings) -> Key {
    match &settings.secret_key {
        Some(secret) => Key::derive_from(secret.expose_secret().as_bytes()),
        None => {
            tracing::warn!(
                "SECRET_KEY is not set: using a random key, so sessions and flash messages \
                 will not survive a restart or be shared between instances"
            );
            Key::generate()
        }
    }
}
