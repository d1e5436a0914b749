//! Group commit for SQLite: the writes of many requests share one commit.
//!
//! SQLite has one writer at a time, and each commit writes every page it
//! changed to the WAL and takes and drops the write lock. So requests hand
//! their writes to one writer thread, which runs whatever is waiting (up to
//! [`MAX_GROUP`]) in one `BEGIN IMMEDIATE` transaction, commits once, and
//! only then answers each request.
//!
//! Each request still gets its own answer:
//! - its writes go through [`AnyConnection::write_transaction`], which inside
//!   a group is a savepoint: a write that fails (a duplicate email) is rolled
//!   back to it, and the others in the group are untouched;
//! - a request is answered only after the group's commit, with its own result
//!   if the commit succeeded and the commit's error if not, so no write is
//!   acknowledged before it is stored;
//! - if SQLite rolls the whole transaction back on its own (on a full disk,
//!   an I/O error, a statement stopped by the query budget), a rollback hook
//!   says so: the writes that ran are told they were not stored, and the
//!   ones after, which never ran, make the next group;
//! - while a group runs, a commit hook refuses every commit but the group's
//!   own, so no write can be stored outside the group (in autocommit after
//!   the transaction ended, say) while its request is told it was not.
//!
//! [`AnyConnection::write_transaction`]: super::AnyConnection::write_transaction

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use anyhow::Context;
use diesel::SqliteConnection;
use diesel::connection::SimpleConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use libsqlite3_sys as ffi;
use tokio::sync::oneshot;

use super::budget::Budget;
use super::pool::CountedPool;
use super::sqlite_extension::on_every_connection;
use super::{AnyConnection, ConnectionManager, DatabaseFile, DbConnection, DbError};
use diesel::r2d2::PooledConnection;

/// The most writes one commit takes. A group is whatever waited while the
/// previous one ran, so under light load it is one write; the cap bounds
/// how long the last write of a large group waits for its answer.
pub const MAX_GROUP: usize = 64;

thread_local! {
    /// Whether this thread is running a group's writes, and if so whether
    /// its transaction is still open. Only the writer thread sets it.
    static GROUP: Cell<Group> = const { Cell::new(Group::None) };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Group {
    /// Not in a group: a write transaction begins its own (the CLI, and
    /// PostgreSQL, whose writes are not grouped).
    None,
    Open,
    /// SQLite rolled the group's transaction back: nothing more may be
    /// written until the group ends.
    Lost,
}

/// What the connection's writes belong to on this thread.
pub(super) fn current_group() -> Group {
    match GROUP.try_with(Cell::get).unwrap_or(Group::None) {
        Group::Open if ROLLED_BACK.try_with(Cell::get).unwrap_or(true) => Group::Lost,
        group => group,
    }
}

/// The error of a write that found its group's transaction gone.
pub(super) fn lost_group() -> DieselError {
    DieselError::DatabaseError(
        DatabaseErrorKind::Unknown,
        Box::new(String::from(
            "SQLite rolled back the transaction of this group of writes",
        )),
    )
}

/// Writes waiting for, and done by, the writer thread.
#[derive(Clone)]
pub(super) struct GroupWriter {
    queue: mpsc::Sender<Box<dyn Write>>,
    counts: Arc<GroupCounts>,
}

/// Commits and the writes in them, since start-up.
#[derive(Debug, Default)]
pub(super) struct GroupCounts {
    pub(super) commits: AtomicU64,
    pub(super) writes: AtomicU64,
}

/// [`GroupCounts`] read at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommits {
    /// Group transactions ended (committed or not).
    pub commits: u64,
    /// Writes run in them.
    pub writes: u64,
}

impl GroupWriter {
    /// Starts the writer thread. It ends when the last handle is dropped.
    pub(super) fn start(
        pool: CountedPool,
        file: Option<Arc<DatabaseFile>>,
        budget: Option<Duration>,
    ) -> anyhow::Result<Self> {
        let (queue, waiting) = mpsc::channel::<Box<dyn Write>>();
        let counts = Arc::<GroupCounts>::default();
        let writer = Writer {
            pool,
            file,
            budget,
            counts: Arc::clone(&counts),
        };
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer.serve(&waiting))?;
        Ok(Self { queue, counts })
    }

    /// Runs `work` in the next group and answers once the group is
    /// committed (or failed).
    pub(super) async fn write<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Box::new(Pending { work, reply }))
            .map_err(|_| E::from(DbError::Cancelled))?;
        // No answer means the writer dropped the write unanswered: it
        // panicked, and its group was rolled back.
        answer.await.map_err(|_| E::from(DbError::Cancelled))?
    }

    pub(super) fn counts(&self) -> &GroupCounts {
        &self.counts
    }
}

/// One request's write, type-erased so one queue carries them all.
trait Write: Send {
    /// Runs the work; its result waits for the group's commit.
    fn run(self: Box<Self>, conn: &mut DbConnection) -> Box<dyn Done>;
    /// Answers with `failure` without running the work.
    fn refuse(self: Box<Self>, failure: DbError);
}

/// A write that ran, waiting for its group's commit.
trait Done: Send {
    /// Answers the request: its own result if the group was committed,
    /// `failure` if not.
    fn answer(self: Box<Self>, failure: Option<DbError>);
}

struct Pending<F, T, E> {
    work: F,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<F, T, E> Write for Pending<F, T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &mut DbConnection) -> Box<dyn Done> {
        let result = (self.work)(conn);
        Box::new(Ran {
            result,
            reply: self.reply,
        })
    }

    fn refuse(self: Box<Self>, failure: DbError) {
        // A request that went away needs no answer.
        let _ = self.reply.send(Err(E::from(failure)));
    }
}

struct Ran<T, E> {
    result: Result<T, E>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E> Done for Ran<T, E>
where
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    fn answer(self: Box<Self>, failure: Option<DbError>) {
        // A failed commit undid this write too, whatever it found: even
        // one that failed on its own may have stored a part before.
        let answer = match failure {
            None => self.result,
            Some(failure) => Err(E::from(failure)),
        };
        let _ = self.reply.send(answer);
    }
}

struct Writer {
    pool: CountedPool,
    file: Option<Arc<DatabaseFile>>,
    /// The query budget, for each write on its own.
    budget: Option<Duration>,
    counts: Arc<GroupCounts>,
}

impl Writer {
    fn serve(&self, waiting: &mpsc::Receiver<Box<dyn Write>>) {
        while let Ok(first) = waiting.recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match waiting.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) => break,
                }
            }
            // A panicking write must not end the thread that every later
            // write needs. Unwinding drops the group's replies (each request
            // is answered "cancelled") and its connection, which the pool
            // discards (it checks for a panic), rolling the group back.
            let ran = std::panic::catch_unwind(AssertUnwindSafe(|| self.commit_group(group)));
            GROUP.set(Group::None);
            if ran.is_err() {
                tracing::error!("a write panicked; its group of writes was rolled back");
            }
        }
    }

    fn commit_group(&self, group: Vec<Box<dyn Write>>) {
        let mut waiting = group;
        while !waiting.is_empty() {
            waiting = self.commit_some(waiting);
        }
    }

    /// Runs the writes of `group` in one transaction and commits it. If
    /// SQLite ends the transaction under one of them, the writes before it
    /// and that one are refused, and the ones after it, which never ran, are
    /// returned to make the next group.
    fn commit_some(&self, group: Vec<Box<dyn Write>>) -> Vec<Box<dyn Write>> {
        let mut conn = match self.begin() {
            Ok(conn) => conn,
            Err(failure) => {
                refuse_all(group, &failure);
                return Vec::new();
            }
        };
        ROLLED_BACK.set(false);
        COMMIT_ALLOWED.set(false);
        GROUP.set(Group::Open);
        let mut done = Vec::with_capacity(group.len());
        let mut writes = group.into_iter();
        for write in writes.by_ref() {
            let _budget = Budget::start(self.budget);
            done.push(write.run(&mut conn));
            if ROLLED_BACK.get() {
                break;
            }
        }
        let unrun: Vec<_> = writes.collect();
        let sqlite = sqlite(&mut conn);
        let failure = if ROLLED_BACK.get() {
            // Brings diesel's idea of the connection in line with SQLite's
            // (no transaction); the error is the expected "no transaction".
            let _ = AnsiTransactionManager::rollback_transaction(sqlite);
            Some(DbError::NotSaved(lost_group()))
        } else if transaction_depth(sqlite) != Some(1) {
            // A savepoint left open (one whose release failed): diesel's
            // "commit" would only release it, and nothing would be stored.
            // The connection, still in a transaction for diesel, is then
            // discarded by the pool.
            let _ = sqlite.batch_execute("ROLLBACK");
            Some(DbError::NotSaved(lost_group()))
        } else {
            COMMIT_ALLOWED.set(true);
            AnsiTransactionManager::commit_transaction(sqlite)
                .err()
                .map(DbError::NotSaved)
        };
        COMMIT_ALLOWED.set(true);
        GROUP.set(Group::None);
        // Back to the pool before anyone is answered: an answered request
        // holds no connection.
        drop(conn);
        self.counts.commits.fetch_add(1, Ordering::Relaxed);
        self.counts
            .writes
            .fetch_add(done.len() as u64, Ordering::Relaxed);
        if let Some(failure) = &failure {
            tracing::warn!(
                "a group of {} writes was not stored ({} more run again): {failure:?}",
                done.len(),
                unrun.len()
            );
        }
        for write in done {
            write.answer(failure.as_ref().map(DbError::replicate));
        }
        unrun
    }

    /// A connection in a new write transaction, on the file that was opened.
    fn begin(&self) -> Result<Connection, DbError> {
        if let Some(file) = &self.file {
            file.check()?;
        }
        let mut conn = self.pool.get()?;
        AnsiTransactionManager::begin_transaction_sql(sqlite(&mut conn), "BEGIN IMMEDIATE")?;
        Ok(conn)
    }
}

type Connection = PooledConnection<ConnectionManager>;

/// The writer is started for SQLite databases only.
fn sqlite(conn: &mut AnyConnection) -> &mut SqliteConnection {
    match conn {
        AnyConnection::Sqlite(sqlite) => sqlite,
        AnyConnection::Postgresql(_) => unreachable!("only SQLite's writes are grouped"),
    }
}

fn refuse_all(group: Vec<Box<dyn Write>>, failure: &DbError) {
    for write in group {
        write.refuse(failure.replicate());
    }
}

thread_local! {
    /// Set by SQLite's rollback hook: a transaction on a connection used on
    /// this thread was rolled back as a whole (savepoints do not count).
    static ROLLED_BACK: Cell<bool> = const { Cell::new(false) };
    /// Cleared by the writer while a group runs: any commit then, but the
    /// group's own, is one its answers would not report (a statement run in
    /// autocommit after SQLite ended the group's transaction, say), and the
    /// commit hook turns it into a rollback. Set everywhere else.
    static COMMIT_ALLOWED: Cell<bool> = const { Cell::new(true) };
}

/// diesel's count of open transactions and savepoints on `conn`.
fn transaction_depth(conn: &mut SqliteConnection) -> Option<u32> {
    AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten()
        .map(|depth| depth.get())
}

/// Has every SQLite connection opened from now on report whole-transaction
/// rollbacks to [`ROLLED_BACK`] and ask [`COMMIT_ALLOWED`] before it
/// commits. Call it before the pool opens its first connection: group
/// commit is not safe without it.
pub(super) fn install_hooks() -> anyhow::Result<()> {
    on_every_connection(register).context("group commit needs SQLite's hooks")
}

unsafe extern "C" fn register(
    db: *mut ffi::sqlite3,
    _error_message: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite passes the connection being opened, valid here; the
    // hooks take no argument.
    unsafe {
        ffi::sqlite3_rollback_hook(db, Some(rolled_back), std::ptr::null_mut());
        ffi::sqlite3_commit_hook(db, Some(refuse_commit), std::ptr::null_mut());
    }
    ffi::SQLITE_OK
}

/// SQLite calls it on the thread that ran the statement that rolled back.
unsafe extern "C" fn rolled_back(_: *mut c_void) {
    // `try_with`: no panic may cross the FFI boundary.
    let _ = ROLLED_BACK.try_with(|flag| flag.set(true));
}

/// Non-zero turns the commit into a rollback.
unsafe extern "C" fn refuse_commit(_: *mut c_void) -> c_int {
    c_int::from(!COMMIT_ALLOWED.try_with(Cell::get).unwrap_or(true))
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use tokio::sync::oneshot;

    use super::{GroupWriter, Pending};
    use crate::config::{DatabaseLocation, DatabaseSettings};
    use crate::database::{Database, DbConnection, DbError};

    type Answer = oneshot::Receiver<Result<(), DbError>>;

    /// A SQLite database in `folder` with a table to write to, and its
    /// writer; `adjust` changes the settings first.
    fn open_with(
        folder: &tempfile::TempDir,
        adjust: impl FnOnce(&mut DatabaseSettings),
    ) -> (Database, GroupWriter) {
        let mut settings =
            DatabaseSettings::new(DatabaseLocation::Sqlite(folder.path().join("group.db")));
        adjust(&mut settings);
        let database = Database::connect(&settings, &[]).expect("a database");
        database
            .connection()
            .expect("a connection")
            .batch_execute("CREATE TABLE written (id INTEGER PRIMARY KEY)")
            .expect("a table to write to");
        let writer = database.group.clone().expect("SQLite groups its writes");
        (database, writer)
    }

    fn open(folder: &tempfile::TempDir) -> (Database, GroupWriter) {
        open_with(folder, |_| {})
    }

    /// Queues `work` as `Database::write` does (all of it one write
    /// transaction), without awaiting it.
    fn queue<F>(writer: &GroupWriter, work: F) -> Answer
    where
        F: FnOnce(&mut DbConnection) -> Result<(), DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let work = |conn: &mut DbConnection| conn.write_transaction(work);
        writer
            .queue
            .send(Box::new(Pending { work, reply }))
            .expect("the writer runs");
        answer
    }

    /// Holds the writer in a group of its own until the returned sender is
    /// used or dropped, so that what is queued meanwhile forms one group.
    fn hold(writer: &GroupWriter) -> (mpsc::Sender<()>, Answer) {
        let (started, running) = mpsc::channel::<()>();
        let (release, released) = mpsc::channel::<()>();
        let answer = queue(writer, move |_| {
            let _ = started.send(());
            let _ = released.recv();
            Ok(())
        });
        running.recv().expect("the writer takes the hold");
        (release, answer)
    }

    fn insert(id: i32) -> impl FnOnce(&mut DbConnection) -> Result<(), DbError> + Send {
        move |conn| {
            conn.write_transaction(|conn| {
                conn.batch_execute(&format!("INSERT INTO written (id) VALUES ({id})"))?;
                Ok(())
            })
        }
    }

    fn stored(database: &Database) -> Vec<i32> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            id: i32,
        }
        diesel::sql_query("SELECT id FROM written ORDER BY id")
            .load::<Row>(&mut *database.connection().expect("a connection"))
            .expect("the rows")
            .into_iter()
            .map(|row| row.id)
            .collect()
    }

    #[test]
    fn a_groups_commit_is_synced_to_disk() {
        #[derive(QueryableByName)]
        struct Synchronous {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            synchronous: i32,
        }
        let folder = tempfile::tempdir().expect("a folder");
        let (database, _) = open(&folder);
        let setting = diesel::sql_query("PRAGMA synchronous")
            .get_result::<Synchronous>(&mut *database.connection().expect("a connection"))
            .expect("the setting");
        assert_eq!(setting.synchronous, 2, "FULL: the WAL is synced at commit");
    }

    #[test]
    fn each_write_of_a_group_gets_its_own_answer_after_one_commit() {
        let folder = tempfile::tempdir().expect("a folder");
        let (database, writer) = open(&folder);
        let (release, held) = hold(&writer);
        let first = queue(&writer, insert(10));
        let duplicate = queue(&writer, insert(10));
        let third = queue(&writer, insert(11));
        drop(release);

        held.blocking_recv().expect("an answer").expect("held");
        first.blocking_recv().expect("an answer").expect("stored");
        let refused = duplicate.blocking_recv().expect("an answer");
        assert!(
            matches!(refused, Err(DbError::Query(_))),
            "the duplicate fails on its own: {refused:?}"
        );
        third
            .blocking_recv()
            .expect("an answer")
            .expect("stored after the failed one");
        assert_eq!(
            database.pool_status().in_use,
            0,
            "the connection went back before the answers"
        );
        assert_eq!(stored(&database), [10, 11]);
        let counts = database.group_commits().expect("counted");
        assert_eq!(
            (counts.commits, counts.writes),
            (2, 4),
            "one group held, one of three"
        );
    }

    /// Asserts that each answer says its write was not stored.
    fn assert_not_saved(answers: Vec<(&str, Answer)>) {
        for (what, answer) in answers {
            let answer = answer.blocking_recv().expect("an answer");
            assert!(
                matches!(&answer, Err(err) if err.is_not_saved()),
                "{what}: {answer:?}"
            );
        }
    }

    #[test]
    fn a_write_that_fails_after_writing_keeps_none_of_it() {
        let folder = tempfile::tempdir().expect("a folder");
        let (database, writer) = open(&folder);
        let (release, held) = hold(&writer);
        let before = queue(&writer, insert(50));
        let half_done = queue(&writer, |conn| {
            insert(51)(conn)?;
            insert(52)(conn)?;
            // A read after the writes, stopped by the budget, say.
            Err(DbError::Busy)
        });
        let after = queue(&writer, insert(53));
        drop(release);

        held.blocking_recv().expect("an answer").expect("held");
        before.blocking_recv().expect("an answer").expect("stored");
        let failed = half_done.blocking_recv().expect("an answer");
        assert!(matches!(failed, Err(DbError::Busy)), "{failed:?}");
        after.blocking_recv().expect("an answer").expect("stored");
        assert_eq!(stored(&database), [50, 53], "nothing of the failed write");
    }

    #[test]
    fn when_sqlite_ends_a_groups_transaction_what_ran_is_refused_and_the_rest_runs_again() {
        let folder = tempfile::tempdir().expect("a folder");
        let (database, writer) = open(&folder);
        let (release, held) = hold(&writer);
        let before = queue(&writer, insert(20));
        // What SQLite does on its own on some failures (a full disk, an
        // I/O error): the whole transaction ends.
        let rolls_back = queue(&writer, |conn| {
            conn.batch_execute("ROLLBACK")?;
            Ok(())
        });
        let after = queue(&writer, insert(21));
        drop(release);

        held.blocking_recv().expect("an answer").expect("held");
        assert_not_saved(vec![("before", before), ("rolling back", rolls_back)]);
        after
            .blocking_recv()
            .expect("an answer")
            .expect("never ran in the lost group: run in the next");
        assert_eq!(stored(&database), [21]);
    }

    #[test]
    fn a_write_stopped_by_the_budget_loses_its_group_but_not_the_writes_after_it() {
        let folder = tempfile::tempdir().expect("a folder");
        let (database, writer) = open_with(&folder, |settings| {
            settings.query_timeout = Some(std::time::Duration::from_millis(100));
        });
        let (release, held) = hold(&writer);
        let before = queue(&writer, insert(30));
        // Never ends: SQLite interrupts it at the budget, and an interrupted
        // INSERT rolls back the whole transaction.
        let endless = queue(&writer, |conn| {
            conn.write_transaction(|conn| {
                conn.batch_execute(
                    "INSERT INTO written (id) WITH RECURSIVE n(id) AS \
                     (SELECT 1000 UNION ALL SELECT id + 1 FROM n) SELECT id FROM n",
                )?;
                Ok(())
            })
        });
        let after = queue(&writer, insert(31));
        drop(release);

        held.blocking_recv().expect("an answer").expect("held");
        assert_not_saved(vec![("before", before), ("stopped", endless)]);
        after
            .blocking_recv()
            .expect("an answer")
            .expect("run in the next group");
        assert_eq!(stored(&database), [31]);
    }

    #[test]
    fn after_sqlite_ends_the_transaction_no_write_commits_on_its_own() {
        let folder = tempfile::tempdir().expect("a folder");
        let (database, writer) = open(&folder);
        let (release, held) = hold(&writer);
        let careless = queue(&writer, |conn| {
            conn.batch_execute("ROLLBACK")?;
            // A write transaction now would be a transaction of its own.
            let refused = insert(40)(conn);
            assert!(
                matches!(&refused, Err(err) if err.is_not_saved()),
                "{refused:?}"
            );
            // So would a statement in autocommit: the commit hook refuses it.
            let refused = conn.batch_execute("INSERT INTO written (id) VALUES (41)");
            assert!(refused.is_err(), "committed on its own");
            // A write that swallows its errors.
            Ok(())
        });
        drop(release);

        held.blocking_recv().expect("an answer").expect("held");
        assert_not_saved(vec![("careless", careless)]);
        assert_eq!(stored(&database), [] as [i32; 0]);
        queue(&writer, insert(42))
            .blocking_recv()
            .expect("an answer")
            .expect("the next group is stored");
        assert_eq!(stored(&database), [42]);
    }

    #[test]
    fn a_write_that_panics_rolls_its_group_back_and_the_writer_goes_on() {
        let folder = tempfile::tempdir().expect("a folder");
        let (database, writer) = open(&folder);
        let (release, held) = hold(&writer);
        let before = queue(&writer, insert(30));
        let panics = queue(&writer, |_| panic!("a bug in a write"));
        drop(release);

        held.blocking_recv().expect("an answer").expect("held");
        assert!(before.blocking_recv().is_err(), "unanswered: cancelled");
        assert!(panics.blocking_recv().is_err(), "unanswered: cancelled");
        assert_eq!(stored(&database), [] as [i32; 0]);

        let next = queue(&writer, insert(31));
        next.blocking_recv()
            .expect("an answer")
            .expect("the writer still runs");
        assert_eq!(stored(&database), [31]);
    }
}
