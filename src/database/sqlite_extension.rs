//! Code that runs on every SQLite connection as it opens. diesel does not
//! expose the raw `sqlite3` handle, so the query budget's progress handler
//! and group commit's hooks reach it through `sqlite3_auto_extension`. And
//! SQLite's settings for the whole process, taken before any connection.

use std::ffi::{c_char, c_int};

use libsqlite3_sys as ffi;

/// What SQLite calls with each connection it opens.
pub(super) type Register = unsafe extern "C" fn(
    *mut ffi::sqlite3,
    *mut *mut c_char,
    *const ffi::sqlite3_api_routines,
) -> c_int;

/// Has SQLite run `register` on every connection opened from now on. Call
/// it before the pool opens its first connection. Registering the same
/// function again changes nothing: SQLite keeps each once.
pub(super) fn on_every_connection(register: Register) -> anyhow::Result<()> {
    // SAFETY: `register` has the signature SQLite expects of an automatic
    // extension, and a function lives as long as the process.
    let rc = unsafe { ffi::sqlite3_auto_extension(Some(register)) };
    anyhow::ensure!(
        rc == ffi::SQLITE_OK,
        "SQLite did not take an automatic extension (error {rc})"
    );
    Ok(())
}

/// SQLite's process-wide settings, which it takes only before it first
/// initialises (on the first connection or automatic extension):
/// - multi-thread mode: the pool hands a connection to one thread at a time,
///   so SQLite need not lock the connection on every call it makes;
/// - no memory statistics, whose counters take a process-wide lock on every
///   allocation SQLite makes.
///
/// Too late (SQLite already initialised, as in a test process that opened
/// a database before the app) leaves SQLite's defaults: slower, not wrong.
pub(super) fn configure_library() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: SQLITE_CONFIG_MULTITHREAD takes no argument and
        // SQLITE_CONFIG_MEMSTATUS one int; SQLite refuses both (MISUSE)
        // once it has initialised, and changes nothing then.
        let (threading, statistics) = unsafe {
            (
                ffi::sqlite3_config(ffi::SQLITE_CONFIG_MULTITHREAD),
                ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int),
            )
        };
        if threading != ffi::SQLITE_OK || statistics != ffi::SQLITE_OK {
            tracing::warn!("SQLite was initialised already: its default locking stays");
        }
    });
}
