//! Database setup: the connection pool, the pragmas every connection gets, the
//! embedded migrations, and [`Database::run`], the one way request handlers
//! reach the database (always off the async workers).

mod pool;

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::web;
use anyhow::Context;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseSettings;
pub use pool::{BUSY_TIMEOUT, POOL_TIMEOUT};

/// The migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type DbConnection = SqliteConnection;
pub type DbPool = Pool<ConnectionManager<DbConnection>>;

/// Failures of the database plumbing itself, as opposed to what a query found.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection became available")]
    Unavailable(#[source] diesel::r2d2::PoolError),
    #[error("database query failed")]
    Query(#[from] diesel::result::Error),
    #[error("the blocking database task was cancelled")]
    Cancelled,
}

/// A cloneable handle on the pool.
#[derive(Clone)]
pub struct Database {
    pool: DbPool,
    /// SQLite has one writer at a time. Writers that find the database locked
    /// poll with growing sleeps (the busy handler), so under many concurrent
    /// writes a few waited seconds and risked "database is locked". Queuing
    /// this process's writers here, before they take a connection, makes them
    /// wait their turn in order without holding a connection readers need.
    write_turn: Arc<Mutex<()>>,
}

impl Database {
    /// Opens (creating if needed) the SQLite file, switches it to WAL, applies
    /// pending migrations and builds the pool. Blocking: call it at start-up.
    pub fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let applied = migrate(settings)?;
        if !applied.is_empty() {
            tracing::info!("applied migrations: {}", applied.join(", "));
        }
        let url = database_url(&settings.path)?;
        let pool = pool::build(&url, settings)
            .with_context(|| format!("cannot open database {}", settings.path.display()))?;
        Ok(Self {
            pool,
            write_turn: Arc::default(),
        })
    }

    /// Runs `work` with a pooled connection on actix's blocking thread pool, so
    /// a slow query or a busy wait never stalls an async worker.
    pub async fn run<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(DbError::Unavailable)?;
            work(&mut conn)
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }

    /// Like [`Database::run`], for work that writes: it waits for this
    /// process's other writers first.
    pub async fn write<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let write_turn = Arc::clone(&self.write_turn);
        web::block(move || {
            // A writer that panicked leaves no half-done state behind the
            // lock (its transaction rolled back), so a poisoned lock is fine.
            let _turn = write_turn.lock().unwrap_or_else(PoisonError::into_inner);
            let mut conn = pool.get().map_err(DbError::Unavailable)?;
            work(&mut conn)
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }

    /// A connection for blocking code outside request handling (CLI commands).
    pub fn connection(&self) -> Result<PooledConnection<ConnectionManager<DbConnection>>, DbError> {
        self.pool.get().map_err(DbError::Unavailable)
    }

    /// Answers whether the database responds to a trivial query.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.run(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
    }
}

/// Opens (creating if needed) the SQLite file, switches it to WAL and applies
/// every pending migration. Returns the versions applied.
pub fn migrate(settings: &DatabaseSettings) -> anyhow::Result<Vec<String>> {
    let url = database_url(&settings.path)?;
    let mut conn = SqliteConnection::establish(&url)
        .with_context(|| format!("cannot open database {}", settings.path.display()))?;
    // WAL is a property of the file, so it is set once here rather than per
    // connection; it lets readers work while a writer commits.
    let mode: JournalMode = diesel::sql_query("PRAGMA journal_mode = WAL")
        .get_result(&mut conn)
        .with_context(|| format!("cannot use database {}", settings.path.display()))?;
    if !mode.journal_mode.eq_ignore_ascii_case("wal") {
        anyhow::bail!(
            "database {} refused WAL mode (it is in {} mode)",
            settings.path.display(),
            mode.journal_mode
        );
    }
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|err| anyhow::anyhow!(err))
        .with_context(|| format!("cannot migrate database {}", settings.path.display()))?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Makes sure the folder exists, so a fresh checkout can point DATABASE_URL at
/// `data/students.db` without preparing anything.
fn database_url(path: &Path) -> anyhow::Result<String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create database folder {}", parent.display()))?;
    }
    path.to_str()
        .map(str::to_owned)
        .with_context(|| format!("database path {} is not valid UTF-8", path.display()))
}

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = diesel::sql_types::Text)]
    journal_mode: String,
}
