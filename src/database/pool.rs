//! The r2d2 pool: the manager that opens connections of the configured
//! backend, and the set-up each connection gets.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::{
    AnsiTransactionManager, Instrumentation, InstrumentationEvent, SimpleConnection,
    TransactionManager,
};
use diesel::prelude::*;
use diesel::r2d2::{CustomizeConnection, Pool, PooledConnection, R2D2Connection};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use secrecy::ExposeSecret;

use super::{AnyConnection, DbError, DbPool};
use crate::config::{DatabaseLocation, DatabaseSettings};

/// How long a SQLite connection waits for another writer's lock before
/// giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Longer than [`BUSY_TIMEOUT`], so a request waiting for a connection is not
/// failed while the connection it waits for is still legitimately busy.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(15);
/// PostgreSQL has no busy wait; when no connection comes within this, the
/// server is down or restarting, and the request gets a 503 page soon.
pub const POSTGRES_POOL_TIMEOUT: Duration = Duration::from_secs(5);

/// After a connection is found dead, every checkout is tested for this long:
/// a server restart kills every pooled connection at once.
pub const TEST_CHECKOUTS_AFTER_LOSS: Duration = Duration::from_secs(30);

pub(super) fn build(settings: &DatabaseSettings) -> anyhow::Result<CountedPool> {
    let location = &settings.location;
    let losses = Arc::new(ConnectionLosses::new());
    let builder = Pool::builder()
        .max_size(settings.pool_size)
        .connection_customizer(Box::new(ConnectionSetup {
            log_sql: settings.log_sql,
            statement_timeout: settings.query_timeout,
        }));
    let builder = match location {
        // A file does not drop connections; checking each checkout would add
        // a `SELECT 1` to every request.
        DatabaseLocation::Sqlite(_) => builder
            .connection_timeout(POOL_TIMEOUT)
            .test_on_check_out(false),
        // A server restart kills every pooled connection. A `SELECT 1` on
        // every checkout would find them, at the cost of a round trip on
        // every request (two per page); the manager only tests checkouts
        // for a while after a request found its connection dead (see
        // `CountedPool::check_after_failure`), so one request sees the
        // restart, not all.
        DatabaseLocation::Postgres(_) => builder
            .connection_timeout(POSTGRES_POOL_TIMEOUT)
            .test_on_check_out(true),
    };
    let pool = builder
        .build(ConnectionManager {
            location: location.clone(),
            losses: Arc::clone(&losses),
        })
        .with_context(|| format!("cannot open database {location}"))?;
    Ok(CountedPool {
        pool,
        counts: Arc::default(),
        losses,
    })
}

/// When a pooled connection was last found dead. Until
/// [`TEST_CHECKOUTS_AFTER_LOSS`] after that, checkouts are tested.
#[derive(Debug)]
struct ConnectionLosses {
    started: Instant,
    /// Milliseconds after `started`, plus one (0: never).
    last_lost_at: AtomicU64,
}

impl ConnectionLosses {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            last_lost_at: AtomicU64::new(0),
        }
    }

    fn since_start(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn record(&self) {
        // The latest wins, whichever thread stores last.
        self.last_lost_at
            .fetch_max(self.since_start() + 1, Ordering::Relaxed);
    }

    fn recent(&self) -> bool {
        match self.last_lost_at.load(Ordering::Relaxed) {
            0 => false,
            lost => {
                (self.since_start() + 1).saturating_sub(lost)
                    < u64::try_from(TEST_CHECKOUTS_AFTER_LOSS.as_millis()).unwrap_or(u64::MAX)
            }
        }
    }
}

/// The pool, and what r2d2 does not count: checkouts under way, and those
/// that gave up.
#[derive(Clone)]
pub(super) struct CountedPool {
    pool: DbPool,
    counts: Arc<Checkouts>,
    losses: Arc<ConnectionLosses>,
}

#[derive(Debug, Default)]
struct Checkouts {
    waiting: AtomicU64,
    timed_out: AtomicU64,
    /// Every connection handed out: one per trip to the database.
    handed_out: AtomicU64,
}

impl CountedPool {
    /// A connection, counted. r2d2 fails a checkout only when its wait ran
    /// out.
    pub(super) fn get(&self) -> Result<PooledConnection<ConnectionManager>, DbError> {
        self.counts.waiting.fetch_add(1, Ordering::Relaxed);
        let conn = self.pool.get();
        self.counts.waiting.fetch_sub(1, Ordering::Relaxed);
        if conn.is_ok() {
            self.counts.handed_out.fetch_add(1, Ordering::Relaxed);
        } else {
            self.counts.timed_out.fetch_add(1, Ordering::Relaxed);
            // With room in the pool, new connections are failing (the server
            // is away), not merely all in use.
            if self.pool.state().connections < self.pool.max_size() {
                self.losses.record();
            }
        }
        conn.map_err(|err| DbError::Unavailable(Arc::new(err)))
    }

    /// After work on `conn` failed: whether the connection itself is dead
    /// (PostgreSQL: its server restarted, or ended it). If so, it is marked
    /// broken (r2d2 then closes it instead of pooling it), checkouts are
    /// tested for a while, and every idle connection is tested now: the
    /// pool hands out its most recently used first, so one deeper in it
    /// might otherwise wait, dead, until after that while.
    pub(super) fn check_after_failure(&self, conn: &mut AnyConnection) {
        let AnyConnection::Postgresql(pg) = conn else {
            return;
        };
        if pg.ping().is_ok() {
            return;
        }
        AnsiTransactionManager::transaction_manager_status_mut(pg).set_in_error();
        self.losses.record();
        // Each checkout is tested now, and a dead one closed; those that
        // pass are held until the end, so each idle connection is met once.
        let mut live = Vec::new();
        for _ in 0..self.pool.max_size() {
            match self.pool.try_get() {
                Some(conn) => live.push(conn),
                None => break,
            }
        }
    }

    pub(super) fn status(&self) -> PoolStatus {
        let state = self.pool.state();
        PoolStatus {
            in_use: state.connections - state.idle_connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
            waiting: self.counts.waiting.load(Ordering::Relaxed),
            timed_out: self.counts.timed_out.load(Ordering::Relaxed),
            checkouts: self.counts.handed_out.load(Ordering::Relaxed),
        }
    }
}

/// The pool at one moment, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections handed out.
    pub in_use: u32,
    /// Connections open and free.
    pub idle: u32,
    /// `DATABASE_POOL_SIZE`.
    pub max: u32,
    /// Checkouts under way: mostly 0, and above it while every connection
    /// is in use.
    pub waiting: u64,
    /// Checkouts that waited the pool's whole timeout for nothing, ever.
    pub timed_out: u64,
    /// Connections handed out, ever: each is one trip to the database off
    /// the async workers, and a thread woken for it.
    pub checkouts: u64,
}

#[derive(Debug)]
struct ConnectionSetup {
    log_sql: bool,
    /// PostgreSQL's share of the query budget (SQLite's is in `budget`).
    statement_timeout: Option<Duration>,
}

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        let setup = match conn {
            // busy_timeout goes first: the pragmas after it may already need
            // a lock. synchronous = FULL: in WAL mode NORMAL does not sync the
            // WAL at commit, so an acknowledged write could be lost to a power
            // cut; with writes grouped, one sync serves a whole group.
            AnyConnection::Sqlite(_) => format!(
                "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;",
                BUSY_TIMEOUT.as_millis()
            ),
            // Timestamps are stored without a zone and mean UTC; `now()` is
            // converted to the session's zone when stored, so that must be UTC.
            // statement_timeout is the query budget: the server cancels a
            // statement that runs longer (0 means never).
            AnyConnection::Postgresql(_) => format!(
                "SET TIME ZONE 'UTC'; SET statement_timeout = {};",
                self.statement_timeout
                    .map_or(0, |timeout| timeout.as_millis())
            ),
        };
        conn.batch_execute(&setup)
            .map_err(diesel::r2d2::Error::QueryError)?;
        if self.log_sql {
            conn.set_instrumentation(SqlLogger);
        }
        Ok(())
    }
}

/// Logs each statement as it starts, under the `sql` target: the SQL only.
/// Its bound values are personal data and password hashes, which have no
/// place in a log.
struct SqlLogger;

impl Instrumentation for SqlLogger {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            tracing::info!(target: "sql", "{}", without_binds(&query.to_string()));
        }
    }
}

/// diesel writes a statement as `SQL -- binds: [values]`.
fn without_binds(statement: &str) -> &str {
    statement
        .split_once(" -- binds: ")
        .map_or(statement, |(sql, _)| sql)
}

/// A `file:` URI for `path` that opens it only if it exists (`mode=rw`): the
/// pool's connections come after `migrate` created the file, so a missing
/// file was deleted under the running app, and a connection opened later
/// (the pool renews them) must fail rather than start a new, empty database
/// there.
fn existing_file_uri(path: &Path) -> String {
    // What SQLite's URI parser would read as syntax: `?` starts the query,
    // `#` the fragment, `%` an escape.
    const SYNTAX: &AsciiSet = &CONTROLS.add(b'%').add(b'?').add(b'#');
    let path = path.to_string_lossy();
    // `file:` then `//` would be read as an authority: an absolute path goes
    // after an empty one (`file:///var/…`).
    let authority = if path.starts_with('/') { "//" } else { "" };
    format!(
        "file:{authority}{}?mode=rw",
        utf8_percent_encode(&path, SYNTAX)
    )
}

/// Opens connections of the backend the location names. (diesel's own
/// manager for a multi-connection tries every backend in turn and reports
/// only "invalid connection url", hiding why PostgreSQL refused.)
#[derive(Debug)]
pub struct ConnectionManager {
    location: DatabaseLocation,
    losses: Arc<ConnectionLosses>,
}

impl ConnectionManager {
    /// A manager outside the app's pool (tests, tools): nothing records
    /// lost connections for it, so its checkouts are never tested.
    pub fn new(location: DatabaseLocation) -> Self {
        Self {
            location,
            losses: Arc::new(ConnectionLosses::new()),
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        let connection = match &self.location {
            DatabaseLocation::Sqlite(path) => AnyConnection::Sqlite(
                SqliteConnection::establish(&existing_file_uri(path))
                    .map_err(diesel::r2d2::Error::ConnectionError)?,
            ),
            DatabaseLocation::Postgres(url) => AnyConnection::Postgresql(
                PgConnection::establish(url.expose_secret())
                    .map_err(diesel::r2d2::Error::ConnectionError)?,
            ),
        };
        Ok(connection)
    }

    /// Only tested while connections are being lost (see `build`); r2d2
    /// replaces one that fails.
    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        if !self.losses.recent() {
            return Ok(());
        }
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

#[cfg(test)]
mod tests {
    use super::existing_file_uri;
    use std::path::Path;

    #[test]
    fn sqlite_paths_become_uris_that_open_only_an_existing_file() {
        assert_eq!(
            existing_file_uri(Path::new("students.db")),
            "file:students.db?mode=rw"
        );
        assert_eq!(
            existing_file_uri(Path::new("/var/lib/registry/students.db")),
            "file:///var/lib/registry/students.db?mode=rw"
        );
        assert_eq!(
            existing_file_uri(Path::new("//srv/50%?#.db")),
            "file:////srv/50%25%3F%23.db?mode=rw"
        );
    }
}
