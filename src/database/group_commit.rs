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
//! - if SQLite rolls the whole transaction back on its own (it may, on a full
//!   disk or an I/O error), no later write of the group is run outside it:
//!   every request of the group is told its write was not stored.
//!
//! [`AnyConnection::write_transaction`]: super::AnyConnection::write_transaction

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once, mpsc};
use std::time::Duration;

use diesel::SqliteConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use libsqlite3_sys as ffi;
use tokio::sync::oneshot;

use super::budget::Budget;
use super::pool::CountedPool;
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
        let mut conn = match self.begin() {
            Ok(conn) => conn,
            Err(failure) => return refuse_all(group, &failure),
        };
        ROLLED_BACK.set(false);
        GROUP.set(Group::Open);
        let mut done = Vec::with_capacity(group.len());
        let mut unrun = Vec::new();
        for write in group {
            if ROLLED_BACK.get() {
                unrun.push(write);
                continue;
            }
            let _budget = Budget::start(self.budget);
            done.push(write.run(&mut conn));
        }
        let sqlite = sqlite(&mut conn);
        let failure = if ROLLED_BACK.get() {
            // Brings diesel's idea of the connection in line with SQLite's
            // (no transaction); the error is the expected "no transaction".
            let _ = AnsiTransactionManager::rollback_transaction(sqlite);
            Some(DbError::NotSaved(lost_group()))
        } else {
            AnsiTransactionManager::commit_transaction(sqlite)
                .err()
                .map(DbError::NotSaved)
        };
        GROUP.set(Group::None);
        self.counts.commits.fetch_add(1, Ordering::Relaxed);
        self.counts
            .writes
            .fetch_add(done.len() as u64, Ordering::Relaxed);
        if let Some(failure) = &failure {
            tracing::warn!(
                "a group of {} writes was not stored: {failure:?}",
                done.len() + unrun.len()
            );
        }
        for write in done {
            write.answer(failure.as_ref().map(DbError::replicate));
        }
        if let Some(failure) = &failure {
            refuse_all(unrun, failure);
        }
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
}

/// Has every SQLite connection opened from now on report whole-transaction
/// rollbacks to [`ROLLED_BACK`]. diesel does not expose the raw handle, so
/// the hook is set through `sqlite3_auto_extension`, as the query budget's.
/// Call it before the pool opens its first connection.
pub(super) fn install_rollback_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: `register` has the signature SQLite expects of an automatic
        // extension, and lives as long as the process.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(register)) };
        if rc != ffi::SQLITE_OK {
            tracing::error!("cannot install the SQLite rollback hook (error {rc})");
        }
    });
}

unsafe extern "C" fn register(
    db: *mut ffi::sqlite3,
    _error_message: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite passes the connection being opened, valid here; the
    // hook takes no argument.
    unsafe { ffi::sqlite3_rollback_hook(db, Some(rolled_back), std::ptr::null_mut()) };
    ffi::SQLITE_OK
}

/// SQLite calls it on the thread that ran the statement that rolled back.
unsafe extern "C" fn rolled_back(_: *mut c_void) {
    // `try_with`: no panic may cross the FFI boundary.
    let _ = ROLLED_BACK.try_with(|flag| flag.set(true));
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

    fn database(folder: &tempfile::TempDir) -> Database {
        let settings =
            DatabaseSettings::new(DatabaseLocation::Sqlite(folder.path().join("group.db")));
        let database = Database::connect(&settings, &[]).expect("a database");
        database
            .connection()
            .expect("a connection")
            .batch_execute("CREATE TABLE written (id INTEGER PRIMARY KEY)")
            .expect("a table to write to");
        database
    }

    /// Queues `work` as a request's write would, without awaiting it.
    fn queue<F>(writer: &GroupWriter, work: F) -> Answer
    where
        F: FnOnce(&mut DbConnection) -> Result<(), DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
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
    fn each_write_of_a_group_gets_its_own_answer_after_one_commit() {
        let folder = tempfile::tempdir().expect("a folder");
        let database = database(&folder);
        let writer = database.group.clone().expect("SQLite groups its writes");
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
        assert_eq!(stored(&database), [10, 11]);
        let counts = database.group_commits().expect("counted");
        assert_eq!(
            (counts.commits, counts.writes),
            (2, 4),
            "one group held, one of three"
        );
    }

    #[test]
    fn a_group_whose_transaction_sqlite_rolled_back_stores_and_acknowledges_nothing() {
        let folder = tempfile::tempdir().expect("a folder");
        let database = database(&folder);
        let writer = database.group.clone().expect("SQLite groups its writes");
        let (release, held) = hold(&writer);
        let before = queue(&writer, insert(20));
        // What SQLite does on its own on some failures (a full disk, an
        // I/O error, an interrupted statement): the whole transaction ends.
        let rolls_back = queue(&writer, |conn| {
            conn.batch_execute("ROLLBACK")?;
            Ok(())
        });
        let after = queue(&writer, insert(21));
        drop(release);

        held.blocking_recv().expect("an answer").expect("held");
        for (what, answer) in [
            ("before", before),
            ("rolling back", rolls_back),
            ("after", after),
        ] {
            let answer = answer.blocking_recv().expect("an answer");
            assert!(
                matches!(&answer, Err(err) if err.is_not_saved()),
                "{what}: {answer:?}"
            );
        }
        assert_eq!(
            stored(&database),
            [] as [i32; 0],
            "not even the write after it, in a transaction of its own"
        );

        let next = queue(&writer, insert(22));
        next.blocking_recv()
            .expect("an answer")
            .expect("the next group is stored");
        assert_eq!(stored(&database), [22]);
    }

    #[test]
    fn a_write_that_panics_rolls_its_group_back_and_the_writer_goes_on() {
        let folder = tempfile::tempdir().expect("a folder");
        let database = database(&folder);
        let writer = database.group.clone().expect("SQLite groups its writes");
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
