//! Database setup: the connection pool, the settings every connection gets,
//! the embedded migrations, and [`Database::run`], the one way request
//! handlers reach the database (always off the async workers).
//!
//! SQLite (a file, the default) and PostgreSQL (for several app instances on
//! one database) are both built in; `DATABASE_URL` picks one at start-up.

mod budget;
mod connection;
mod error;
mod fixed_sql;
mod group_commit;
mod id_list;
mod migrations;
mod paging;
mod pool;
mod sqlite_extension;
mod timestamp;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::web;
use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{Pool, PooledConnection};
use tokio::sync::Semaphore;

use crate::config::{DatabaseLocation, DatabaseSettings};
pub use budget::restart as restart_budget;
pub use connection::AnyConnection;
pub(crate) use connection::on_backend;
pub use error::DbError;
pub use fixed_sql::FixedSql;
pub(crate) use fixed_sql::fixed_sql_type;
use group_commit::GroupWriter;
pub use group_commit::{GroupCommits, MAX_GROUP};
pub use id_list::in_ids;
pub use migrations::{DataUpgrade, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, migrate};
pub use paging::{PageOf, rows_to_read};
pub use pool::{
    BUSY_TIMEOUT, ConnectionManager, POOL_TIMEOUT, POSTGRES_POOL_TIMEOUT, PoolStatus,
    TEST_CHECKOUTS_AFTER_LOSS,
};
pub use timestamp::{StoredDate, StoredOptionalTime, StoredTime};

pub type DbConnection = AnyConnection;
pub type DbPool = Pool<ConnectionManager>;

/// A quarter of the pool (2 of the default 8), at least one.
fn search_lanes(pool_size: u32) -> usize {
    (pool_size as usize / 4).max(1)
}

/// A cloneable handle on the pool.
#[derive(Clone)]
pub struct Database {
    /// Counts every checkout, for [`Database::pool_status`].
    pool: pool::CountedPool,
    /// SQLite has one writer at a time: this process's writes queue for one
    /// writer thread, which commits whatever waited together (see
    /// [`group_commit`]). PostgreSQL locks rows, not the database, and runs
    /// each write on its own.
    group: Option<GroupWriter>,
    /// The SQLite file as opened, to notice it being deleted or replaced.
    file: Option<Arc<DatabaseFile>>,
    /// When [`Database::ping`] last proved that a write commits.
    write_probe: Arc<Mutex<WriteProbe>>,
    /// How long a request's work may hold its connection.
    query_timeout: Option<Duration>,
    /// Searches are the one request whose cost a client chooses. Letting
    /// only a few run at once leaves the other connections (and CPU time)
    /// to page reads, however many clients search.
    search_lanes: Arc<Semaphore>,
    /// How long a search waits for a lane: as long as for a connection.
    lane_timeout: Duration,
}

/// How long a successful write probe vouches for the database. `/healthz` is
/// public: proving writability on every call would let anyone queue writes
/// behind the real ones, so a write is tried at most about this often while
/// writes succeed (and on every call while they fail, so recovery shows at
/// once).
pub const WRITE_PROBE_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct WriteProbe {
    verified_at: Option<Instant>,
    in_flight: bool,
}

impl WriteProbe {
    /// Whether this caller should try a write now; if so, it is marked as
    /// under way so concurrent callers rely on the last result meanwhile.
    fn claim(&mut self) -> bool {
        match self.verified_at {
            Some(at) if at.elapsed() < WRITE_PROBE_INTERVAL => false,
            Some(at) if self.in_flight && at.elapsed() < 5 * WRITE_PROBE_INTERVAL => false,
            _ => {
                self.in_flight = true;
                true
            }
        }
    }

    fn finish(&mut self, succeeded: bool) {
        self.in_flight = false;
        self.verified_at = succeeded.then(Instant::now);
    }
}

impl Database {
    /// Opens (creating if needed) the database, applies pending migrations
    /// and `upgrades`, and builds the pool. Blocking: call it at start-up.
    pub fn connect(settings: &DatabaseSettings, upgrades: &[DataUpgrade]) -> anyhow::Result<Self> {
        let is_sqlite = matches!(settings.location, DatabaseLocation::Sqlite(_));
        if is_sqlite {
            sqlite_extension::configure_library();
        }
        if is_sqlite && settings.query_timeout.is_some() {
            budget::install_sqlite_handler();
        }
        if is_sqlite {
            group_commit::install_hooks()?;
        }
        let applied = migrate(settings, upgrades)?;
        if !applied.is_empty() {
            tracing::info!("applied migrations: {}", applied.join(", "));
        }
        let pool = pool::build(settings)?;
        let file = match &settings.location {
            DatabaseLocation::Sqlite(path) => Some(Arc::new(DatabaseFile::opened(path)?)),
            DatabaseLocation::Postgres(_) => None,
        };
        let group = if is_sqlite {
            Some(GroupWriter::start(
                pool.clone(),
                file.clone(),
                settings.query_timeout,
            )?)
        } else {
            None
        };
        Ok(Self {
            pool,
            group,
            file,
            write_probe: Arc::default(),
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
        self.run_reporting(move |conn| {
            let done = work(conn);
            let failed = done.is_err();
            (done, failed)
        })
        .await
    }

    /// Like [`Database::run`], for work that can fail in part and still
    /// succeed (a read it only attempts after its own): it says beside its
    /// result whether anything in it failed, so that the connection is
    /// checked as after any failure.
    async fn run_reporting<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> (Result<T, E>, bool) + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let budget = self.query_timeout;
        web::block(move || {
            let mut conn = pool.get()?;
            let _budget = budget::Budget::start(budget);
            let (done, failed) = work(&mut conn);
            if failed {
                pool.check_after_failure(&mut conn);
            }
            done
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }

    /// Like [`Database::run`], first checking (on SQLite) that the file is
    /// still the one opened: for the read that decides who is signed in, so
    /// that a deleted or replaced database file stops every page, not only
    /// the writes. `work` says beside its result whether anything in it
    /// failed (see [`Database::run_reporting`]).
    pub async fn run_on_opened_file<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> (Result<T, E>, bool) + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let file = self.file.clone();
        self.run_reporting(move |conn| {
            if let Some(Err(err)) = file.as_ref().map(|file| file.check()) {
                return (Err(err.into()), true);
            }
            work(conn)
        })
        .await
    }

    /// Like [`Database::run`], for a search: it first waits for one of the
    /// few search lanes, so searches can never take every connection.
    pub async fn run_search<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let lane = actix_web::rt::time::timeout(
            self.lane_timeout,
            Arc::clone(&self.search_lanes).acquire_owned(),
        )
        .await
        .map_err(|_| DbError::Busy)?
        // Never closed.
        .map_err(|_| DbError::Busy)?;
        // The lane goes with the work onto the blocking thread: a client that
        // hangs up drops this future, but its query runs on to its end (or
        // the budget), and must keep its lane until then.
        self.run(move |conn| {
            let _lane = lane;
            work(conn)
        })
        .await
    }

    /// Like [`Database::run`], for work that writes. On SQLite it joins the
    /// next group of writes (see [`group_commit`]), on the file that was
    /// opened, and is answered after the group's commit. `work` writes
    /// through [`AnyConnection::write_transaction`], so a failed commit is
    /// an error.
    ///
    /// All of `work` is one write transaction too (a savepoint in its
    /// group, on SQLite): if it fails after some of its writes (a read after
    /// an update stopped by the budget, say), none of them is kept.
    pub async fn write<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        self.write_each(|conn| conn.write_transaction(work)).await
    }

    /// Like [`Database::write`], for work that opens its write transactions
    /// itself, through [`AnyConnection::write_transaction`] (a group of
    /// enrolments, each with its own answer). On SQLite it shares its group's
    /// commit, as every write does.
    pub async fn write_each<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        match &self.group {
            Some(group) => group.write(work).await,
            None => self.run(work).await,
        }
    }

    /// Whether writes are grouped into commits ([`Database::write_each`]):
    /// SQLite's are.
    pub fn groups_writes(&self) -> bool {
        self.group.is_some()
    }

    /// Writes grouped into commits so far (SQLite), for the metrics.
    pub fn group_commits(&self) -> Option<GroupCommits> {
        self.group.as_ref().map(|group| {
            let counts = group.counts();
            GroupCommits {
                commits: counts.commits.load(std::sync::atomic::Ordering::Relaxed),
                writes: counts.writes.load(std::sync::atomic::Ordering::Relaxed),
            }
        })
    }

    /// A connection for blocking code outside request handling (CLI commands).
    /// The query budget is for requests: a bulk load may take longer, so
    /// PostgreSQL's `statement_timeout` is lifted on this connection.
    pub fn connection(&self) -> Result<PooledConnection<ConnectionManager>, DbError> {
        let mut conn = self.pool.get()?;
        if let AnyConnection::Postgresql(pg) = &mut *conn {
            pg.batch_execute("SET statement_timeout = 0")?;
        }
        Ok(conn)
    }

    /// The pool's connections and checkouts now (writers queued for
    /// SQLite's write turn are not yet waiting for a connection).
    pub fn pool_status(&self) -> PoolStatus {
        self.pool.status()
    }

    /// Answers whether the database answers a read and takes a write. The
    /// read (and, on SQLite, the check that the file is still the one
    /// opened) happens on every call; the write, a one-row upsert committed
    /// like any other write so that a full disk or a read-only database
    /// shows, at most once per [`WRITE_PROBE_INTERVAL`] while it succeeds.
    pub async fn ping(&self) -> Result<(), DbError> {
        let file = self.file.clone();
        self.run(move |conn| {
            if let Some(file) = &file {
                file.check()?;
            }
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok::<_, DbError>(())
        })
        .await?;
        let claimed = lock(&self.write_probe).claim();
        if !claimed {
            return Ok(());
        }
        let written = self
            .write(|conn| {
                conn.write_transaction(|conn| {
                    // An upsert always writes, even if the row went missing:
                    // an update of no rows would commit nothing and prove
                    // nothing.
                    diesel::sql_query(
                        "INSERT INTO health_probe (id, checks) VALUES (1, 1) \
                         ON CONFLICT (id) DO UPDATE SET checks = health_probe.checks + 1",
                    )
                    .execute(conn)?;
                    Ok(())
                })
            })
            .await;
        lock(&self.write_probe).finish(written.is_ok());
        written
    }
}

/// A poisoned lock guards nothing half-done here: the probe state is two
/// plain fields.
fn lock(probe: &Mutex<WriteProbe>) -> std::sync::MutexGuard<'_, WriteProbe> {
    probe.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Which file a path named when the database was opened.
struct DatabaseFile {
    path: PathBuf,
    identity: FileIdentity,
}

#[cfg(unix)]
type FileIdentity = (u64, u64);
#[cfg(not(unix))]
type FileIdentity = ();

impl DatabaseFile {
    fn opened(path: &Path) -> anyhow::Result<Self> {
        let identity = Self::identity(path)
            .with_context(|| format!("cannot read the metadata of {}", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            identity,
        })
    }

    /// (device, inode): a file deleted and recreated, or another moved over
    /// it, has another inode even if it has the same name and size.
    #[cfg(unix)]
    fn identity(path: &Path) -> std::io::Result<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(path)?;
        Ok((metadata.dev(), metadata.ino()))
    }

    #[cfg(not(unix))]
    fn identity(path: &Path) -> std::io::Result<FileIdentity> {
        std::fs::metadata(path).map(|_| ())
    }

    /// Fails if the path no longer names the file that was opened.
    fn check(&self) -> Result<(), DbError> {
        match Self::identity(&self.path) {
            Ok(identity) if identity == self.identity => Ok(()),
            _ => Err(DbError::FileReplaced(self.path.display().to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WriteProbe;

    #[test]
    fn a_write_probe_vouches_for_a_while_only_after_success() {
        let mut probe = WriteProbe::default();
        assert!(probe.claim(), "nothing proven yet");
        assert!(probe.claim(), "unproven: others probe too");
        probe.finish(true);
        assert!(!probe.claim(), "just proven");
        probe.finish(false);
        assert!(probe.claim(), "a failed probe proves nothing");
        assert!(probe.claim(), "while failing, every caller probes");
    }
}
