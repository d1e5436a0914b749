//! Database setup: the connection pool, the settings every connection gets,
//! the embedded migrations, and [`Database::run`], the one way request
//! handlers reach the database (always off the async workers).
//!
//! SQLite (a file, the default) and PostgreSQL (for several app instances on
//! one database) are both built in; `DATABASE_URL` picks one at start-up.

mod budget;
mod connection;
mod migrations;
mod pool;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{Pool, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tokio::sync::Semaphore;

use crate::config::{DatabaseLocation, DatabaseSettings};
pub use connection::AnyConnection;
pub(crate) use connection::on_backend;
pub use migrations::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, migrate};
pub use pool::{BUSY_TIMEOUT, ConnectionManager, POOL_TIMEOUT, POSTGRES_POOL_TIMEOUT};

pub type DbConnection = AnyConnection;
pub type DbPool = Pool<ConnectionManager>;

/// Failures of the database plumbing itself, as opposed to what a query found.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection became available")]
    Unavailable(#[source] diesel::r2d2::PoolError),
    /// The server went away under a query (PostgreSQL restarting, say). The
    /// pool replaces the connection; the request cannot be answered.
    #[error("the connection to the database was lost")]
    ConnectionLost(#[source] DieselError),
    #[error("database query failed")]
    Query(#[source] DieselError),
    #[error("the blocking database task was cancelled")]
    Cancelled,
    /// Every search lane stayed taken for as long as a request waits for a
    /// connection.
    #[error("too many searches are running")]
    Busy,
    /// The work used up the query budget (`QUERY_TIMEOUT_MS`) and was
    /// stopped: a search that matched too much, typically.
    #[error("the query took longer than its budget and was stopped")]
    TooSlow(#[source] DieselError),
}

impl From<DieselError> for DbError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Self::ConnectionLost(err),
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if stopped_by_budget(info.message()) =>
            {
                Self::TooSlow(err)
            }
            err => Self::Query(err),
        }
    }
}

/// SQLite's progress handler interrupts only for the budget; PostgreSQL says
/// "canceling statement due to statement timeout" (in English: and in any
/// language, its deadline has then passed).
fn stopped_by_budget(message: &str) -> bool {
    message == "interrupted" || message.contains("statement timeout") || budget::spent()
}

impl DbError {
    /// The database is down or unreachable, as opposed to a query that failed:
    /// worth a "try again shortly" rather than an error report.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(_) | Self::ConnectionLost(_) | Self::Busy
        )
    }
}

/// A quarter of the pool (2 of the default 8), at least one.
fn search_lanes(pool_size: u32) -> usize {
    (pool_size as usize / 4).max(1)
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
    /// PostgreSQL locks rows, not the database, and needs no such queue.
    write_turn: Option<Arc<Mutex<()>>>,
    /// How long a request's work may hold its connection.
    query_timeout: Option<Duration>,
    /// Searches are the one request whose cost a client chooses. Letting
    /// only a few run at once leaves the other connections (and CPU time)
    /// to page reads, however many clients search.
    search_lanes: Arc<Semaphore>,
    /// How long a search waits for a lane: as long as for a connection.
    lane_timeout: Duration,
}

impl Database {
    /// Opens (creating if needed) the database, applies pending migrations
    /// and builds the pool. Blocking: call it at start-up.
    pub fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let is_sqlite = matches!(settings.location, DatabaseLocation::Sqlite(_));
        if is_sqlite && settings.query_timeout.is_some() {
            budget::install_sqlite_handler();
        }
        let applied = migrate(settings)?;
        if !applied.is_empty() {
            tracing::info!("applied migrations: {}", applied.join(", "));
        }
        let pool = pool::build(settings)?;
        Ok(Self {
            pool,
            write_turn: is_sqlite.then(Arc::default),
            query_timeout: settings.query_timeout,
            search_lanes: Arc::new(Semaphore::new(search_lanes(settings.pool_size))),
            lane_timeout: if is_sqlite {
                POOL_TIMEOUT
            } else {
                POSTGRES_POOL_TIMEOUT
            },
        })
    }

    /// Runs `work` with a pooled connection on actix's blocking thread pool, so
    /// a slow query or a busy wait never stalls an async worker. Past the
    /// query budget its query is stopped and fails with [`DbError::TooSlow`].
    pub async fn run<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let budget = self.query_timeout;
        web::block(move || {
            let mut conn = pool.get().map_err(DbError::Unavailable)?;
            let _budget = budget::Budget::start(budget);
            work(&mut conn)
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }

    /// Like [`Database::run`], for a search: it first waits for one of the
    /// few search lanes, so searches can never take every connection.
    pub async fn run_search<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let _lane = actix_web::rt::time::timeout(self.lane_timeout, self.search_lanes.acquire())
            .await
            .map_err(|_| DbError::Busy)?
            // Never closed.
            .map_err(|_| DbError::Busy)?;
        self.run(work).await
    }

    /// Like [`Database::run`], for work that writes: on SQLite it waits for
    /// this process's other writers first.
    pub async fn write<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let write_turn = self.write_turn.clone();
        // A SQLite writer may first wait up to BUSY_TIMEOUT for another
        // process's lock, a wait that runs no instructions but passes time;
        // the budget is for the work after it.
        let budget = self.query_timeout.map(|budget| budget + BUSY_TIMEOUT);
        web::block(move || {
            // A writer that panicked leaves no half-done state behind the
            // lock (its transaction rolled back), so a poisoned lock is fine.
            let _turn = write_turn
                .as_ref()
                .map(|turn| turn.lock().unwrap_or_else(PoisonError::into_inner));
            let mut conn = pool.get().map_err(DbError::Unavailable)?;
            let _budget = budget::Budget::start(budget);
            work(&mut conn)
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }

    /// A connection for blocking code outside request handling (CLI commands).
    /// The query budget is for requests: a bulk load may take longer, so
    /// PostgreSQL's `statement_timeout` is lifted on this connection.
    pub fn connection(&self) -> Result<PooledConnection<ConnectionManager>, DbError> {
        let mut conn = self.pool.get().map_err(DbError::Unavailable)?;
        if let AnyConnection::Postgresql(pg) = &mut *conn {
            pg.batch_execute("SET statement_timeout = 0")?;
        }
        Ok(conn)
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
