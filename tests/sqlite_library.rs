//! SQLite's settings for the whole process, which it takes only before it
//! first initialises: only a process of their own shows that the app sets
//! them in time (the other test binaries open databases before any app).

use std::ffi::CString;

use libsqlite3_sys as ffi;
use student_registry::config::{DatabaseLocation, DatabaseSettings};
use student_registry::database::Database;

/// The pool hands a connection to one thread at a time, so the app opens
/// SQLite's connections without a lock taken on every call, and SQLite
/// keeps no memory statistics (a process-wide lock on every allocation).
#[test]
fn connections_opened_after_the_app_starts_take_no_lock_per_call() {
    let folder = tempfile::tempdir().expect("a folder");
    let path = folder.path().join("library.db");
    let settings = DatabaseSettings::new(DatabaseLocation::Sqlite(path.clone()));
    let _database = Database::connect(&settings, &[]).expect("a database");

    let name = CString::new(path.to_str().expect("a UTF-8 path")).expect("no NUL");
    let mut db = std::ptr::null_mut();
    // SAFETY: a valid path and out-pointer; the connection is closed below
    // and used on this thread only.
    unsafe {
        let rc = ffi::sqlite3_open_v2(
            name.as_ptr(),
            &mut db,
            ffi::SQLITE_OPEN_READWRITE,
            std::ptr::null(),
        );
        assert_eq!(rc, ffi::SQLITE_OK);
        let locked = !ffi::sqlite3_db_mutex(db).is_null();
        let counted = ffi::sqlite3_memory_used();
        ffi::sqlite3_close(db);
        assert!(!locked, "the connection has a lock of its own");
        assert_eq!(counted, 0, "SQLite counts its memory");
    }
}
