//! A fresh, empty database for each test, on the backend the test binary
//! runs on: a SQLite file in a temporary folder, or a PostgreSQL database of
//! its own, created on the local server and dropped when the test ends.

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::EmbeddedMigrations;
use student_registry::config::DatabaseLocation;
use student_registry::database::{AnyConnection, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use tempfile::TempDir;

/// The databases a test binary can run its tests on.
#[allow(dead_code)] // each test binary uses one
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the PostgreSQL suite creates its databases on.
///
/// Without TLS: on loopback it protects nothing, and the apps of finished
/// tests close their connections on worker threads that may still be doing
/// so when the process exits, while OpenSSL's exit handler frees its state
/// underneath them: the likeliest cause of a CI run that ended in SIGSEGV
/// after every test had passed.
pub const DEFAULT_POSTGRES_SERVER: &str = "postgres://postgres@127.0.0.1:5432?sslmode=disable";

pub enum TestDatabase {
    Sqlite { path: PathBuf, _dir: TempDir },
    Postgres { server: String, name: String },
}

impl TestDatabase {
    /// An empty database (no migrations applied) on this binary's backend.
    pub fn new() -> Self {
        match crate::BACKEND {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                Self::Sqlite {
                    path: dir.path().join("registry.db"),
                    _dir: dir,
                }
            }
            Backend::Postgres => {
                let server = postgres_server();
                let name = unique_database_name();
                admin_connection(server)
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create the test database");
                Self::Postgres {
                    server: server.to_owned(),
                    name,
                }
            }
        }
    }

    /// What `DATABASE_URL` would say to reach this database.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite { path, .. } => path.to_str().expect("UTF-8 temp path").to_owned(),
            Self::Postgres { server, name } => database_url(server, name),
        }
    }

    pub fn location(&self) -> DatabaseLocation {
        DatabaseLocation::from_url(&self.url()).expect("a valid database URL")
    }

    pub fn connect(&self) -> AnyConnection {
        match self {
            Self::Sqlite { .. } => AnyConnection::Sqlite(
                SqliteConnection::establish(&self.url()).expect("open the test database"),
            ),
            Self::Postgres { .. } => AnyConnection::Postgresql(
                PgConnection::establish(&self.url()).expect("connect to the test database"),
            ),
        }
    }

    /// What `DATABASE_URL` would say to reach this PostgreSQL database as
    /// another user.
    #[allow(dead_code)] // for tests/postgres/postgres_only.rs
    pub fn url_as(&self, user: &str, password: &str) -> String {
        let url = self.url();
        let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
        let hosts_and_rest = rest.rsplit_once('@').map_or(rest, |(_, hosts)| hosts);
        format!("{scheme}://{user}:{password}@{hosts_and_rest}")
    }

    /// The PostgreSQL database's name.
    #[allow(dead_code)] // for tests/postgres/postgres_only.rs
    pub fn name(&self) -> &str {
        match self {
            Self::Sqlite { .. } => panic!("a SQLite database has no name"),
            Self::Postgres { name, .. } => name,
        }
    }

    /// A connection to the PostgreSQL server's maintenance database, for
    /// what a test does to the server rather than to its database.
    #[allow(dead_code)] // for tests/postgres/postgres_only.rs
    pub fn admin(&self) -> PgConnection {
        match self {
            Self::Sqlite { .. } => panic!("a SQLite database has no server"),
            Self::Postgres { server, .. } => admin_connection(server),
        }
    }

    /// The migrations the app applies to this database.
    pub fn migrations(&self) -> EmbeddedMigrations {
        match self {
            Self::Sqlite { .. } => SQLITE_MIGRATIONS,
            Self::Postgres { .. } => POSTGRES_MIGRATIONS,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres { server, name } = self {
            // FORCE: the app under test may still hold pooled connections.
            let dropped = PgConnection::establish(&database_url(server, "postgres"))
                .map_err(|err| err.to_string())
                .and_then(|mut conn| {
                    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .map_err(|err| err.to_string())
                });
            if let Err(err) = dropped {
                let _ = writeln!(
                    std::io::stderr(),
                    "could not drop test database {name}: {err}"
                );
            }
        }
    }
}

/// `registry_test_<pid>_<n>`: unique within this run and across concurrent runs.
fn unique_database_name() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "registry_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

fn admin_connection(server: &str) -> PgConnection {
    PgConnection::establish(&database_url(server, "postgres")).expect("connect to PostgreSQL")
}

/// `server` (a `TEST_POSTGRES_URL`) with its database, if it names one,
/// replaced by `name`, and its parameters (`?sslmode=disable`, …) kept.
fn database_url(server: &str, name: &str) -> String {
    let (address, query) = match server.split_once('?') {
        Some((address, query)) => (address, format!("?{query}")),
        None => (server, String::new()),
    };
    let (scheme, rest) = address.split_once("://").unwrap_or(("postgres", address));
    let hosts = rest.split('/').next().unwrap_or_default();
    format!("{scheme}://{hosts}/{name}{query}")
}

/// The server from `TEST_POSTGRES_URL` (default [`DEFAULT_POSTGRES_SERVER`]),
/// checked once per run. Unreachable, the PostgreSQL suite is not run: it
/// says so and ends the test binary successfully, unless
/// `REQUIRE_POSTGRES=1` (CI) makes that a failure.
fn postgres_server() -> &'static str {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let server = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_SERVER.to_owned());
        match PgConnection::establish(&database_url(&server, "postgres")) {
            Ok(_) => Ok(server),
            Err(err) => Err(format!("cannot reach PostgreSQL at {server}: {err}")),
        }
    });
    match server {
        Ok(server) => server,
        Err(reason) if std::env::var_os("REQUIRE_POSTGRES").is_some_and(|v| v == "1") => {
            panic!("{reason} (REQUIRE_POSTGRES=1)")
        }
        Err(reason) => {
            static SAID: std::sync::Once = std::sync::Once::new();
            // Straight to stderr: the test harness would swallow a println.
            SAID.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "\nPostgreSQL tests NOT RUN: {}\n(set TEST_POSTGRES_URL to a server \
                 whose user may create databases; REQUIRE_POSTGRES=1 makes this an error)\n",
                    reason.trim()
                );
            });
            std::process::exit(0)
        }
    }
}
