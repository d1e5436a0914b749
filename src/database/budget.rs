//! The query budget: no request's database work holds its connection for
//! longer than `QUERY_TIMEOUT_MS`.
//!
//! PostgreSQL enforces it itself (`statement_timeout`, set on each pooled
//! connection). SQLite has no such setting; it calls a progress handler every
//! [`PROGRESS_STEPS`] virtual-machine instructions, and one that answers
//! non-zero interrupts the statement. diesel does not expose the raw `sqlite3`
//! handle, so the handler is installed through `sqlite3_auto_extension`, which
//! SQLite runs for every connection opened afterwards. It reads the deadline
//! of the work running on its own thread: [`Database::run`] sets it around
//! the work, on the blocking thread that runs it.
//!
//! [`Database::run`]: super::Database::run

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::time::{Duration, Instant};

use libsqlite3_sys as ffi;

use super::sqlite_extension::on_every_connection;

/// About 10-50 µs of work between checks: a statement overruns its deadline
/// by no more than that, and reading the clock that often costs well under 1%.
const PROGRESS_STEPS: c_int = 1000;

thread_local! {
    /// When the work running on this thread must stop; `None` outside request
    /// work (start-up, the CLI, r2d2's own threads), which is never stopped.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// The budget the work running on this thread started with.
    static LIMIT: Cell<Option<Duration>> = const { Cell::new(None) };
}

/// Registers the SQLite progress handler for every connection opened from now
/// on. Call before the pool opens its first connection.
pub(super) fn install_sqlite_handler() {
    if let Err(err) = on_every_connection(register) {
        tracing::error!("cannot install the SQLite query budget: {err}");
    }
}

/// Runs as each new SQLite connection opens.
unsafe extern "C" fn register(
    db: *mut ffi::sqlite3,
    _error_message: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite passes the connection being opened, valid here; the
    // handler takes no argument.
    unsafe {
        ffi::sqlite3_progress_handler(
            db,
            PROGRESS_STEPS,
            Some(past_deadline),
            std::ptr::null_mut(),
        )
    };
    ffi::SQLITE_OK
}

/// SQLite's progress handler: non-zero interrupts the running statement,
/// which then fails with SQLITE_INTERRUPT ("interrupted").
unsafe extern "C" fn past_deadline(_: *mut c_void) -> c_int {
    // `try_with`: this must not panic across the FFI boundary, not even while
    // the thread's locals are being destroyed.
    DEADLINE
        .try_with(|deadline| deadline.get())
        .ok()
        .flatten()
        .is_some_and(|deadline| Instant::now() >= deadline) as c_int
}

/// The deadline of the work running on this thread, for as long as it lives;
/// dropped (also by a panic), it clears the deadline, so the next work on
/// this pooled thread starts without one.
pub(super) struct Budget(());

impl Budget {
    /// Starts a budget of `limit` (none when `None`) on this thread.
    pub(super) fn start(limit: Option<Duration>) -> Self {
        LIMIT.set(limit);
        DEADLINE.set(limit.map(|limit| Instant::now() + limit));
        Self(())
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        LIMIT.set(None);
        DEADLINE.set(None);
    }
}

/// Gives the work on this thread its whole budget again, from now: for a
/// second request's worth of work in the same trip (a page's read after its
/// session's), which would otherwise have had a trip and a budget of its
/// own. Outside a budget it does nothing.
pub fn restart() {
    let limit = LIMIT.try_with(Cell::get).ok().flatten();
    if let Some(limit) = limit {
        DEADLINE.set(Some(Instant::now() + limit));
    }
}

/// Whether the work on this thread has used up its budget: a query that
/// failed then was stopped for it (SQLite's "interrupted", PostgreSQL's
/// "canceling statement due to statement timeout", whatever the server's
/// language).
pub(super) fn spent() -> bool {
    DEADLINE
        .try_with(|deadline| deadline.get())
        .ok()
        .flatten()
        .is_some_and(|deadline| Instant::now() >= deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restarted_budget_runs_its_whole_length_again_from_now() {
        let budget = Budget::start(Some(Duration::from_millis(30)));
        std::thread::sleep(Duration::from_millis(40));
        assert!(spent());
        restart();
        assert!(!spent(), "the whole budget again");
        std::thread::sleep(Duration::from_millis(40));
        assert!(spent());
        drop(budget);
        restart();
        assert!(!spent(), "outside a budget there is nothing to restart");
    }
}
