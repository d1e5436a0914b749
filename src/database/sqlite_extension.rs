//! Code that runs on every SQLite connection as it opens. diesel does not
//! expose the raw `sqlite3` handle, so the query budget's progress handler
//! and group commit's hooks reach it through `sqlite3_auto_extension`.

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
