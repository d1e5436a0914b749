//! A disk that can be made to fail, for the SQLite databases of this test
//! process (the app under test runs in it): a VFS, registered as SQLite's
//! default, that hands everything to the real one except that writes, syncs
//! and truncations of a database marked full (its main file, WAL and
//! rollback journal) fail as on a full disk.
//!
//! Why a VFS: it needs no root (CI runs as root, which read-only files and
//! permissions do not stop), and it fails the commit itself, the WAL write.
//! `PRAGMA max_page_count` does not: it fails the INSERT statement, which the
//! app always reported.

use std::collections::BTreeSet;
use std::ffi::{CStr, c_int, c_void};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::{Mutex, OnceLock, PoisonError};

use libsqlite3_sys as ffi;

/// The databases whose disk is full, by their main file's canonical path.
static FULL: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// The VFS this one wraps (SQLite's default before ours), as an address:
/// a raw pointer is not `Sync`, and SQLite never frees a registered VFS.
static REAL: OnceLock<usize> = OnceLock::new();

/// Makes this VFS SQLite's default, once per process. Connections opened
/// before it keep the real one; every later one passes through it, which
/// changes nothing for databases never marked full, so the other tests of
/// this binary are unaffected.
pub fn install() {
    REAL.get_or_init(|| {
        // SAFETY: `sqlite3_vfs_find` and `sqlite3_vfs_register` are
        // thread-safe; the VFS we register is leaked, so it outlives every
        // connection, as SQLite requires. Our copy keeps the real VFS's
        // `pAppData` and methods, which the real `xOpen` and the other
        // methods read, and changes only its name, file size and `xOpen`.
        unsafe {
            let real = ffi::sqlite3_vfs_find(ptr::null());
            assert!(!real.is_null(), "SQLite has a default VFS");
            let mut vfs = *real;
            vfs.zName = c"faulty-disk".as_ptr();
            vfs.pNext = ptr::null_mut();
            vfs.szOsFile = c_int::try_from(HEADER).expect("small header") + (*real).szOsFile;
            vfs.xOpen = Some(x_open);
            let vfs = Box::leak(Box::new(vfs));
            assert_eq!(ffi::sqlite3_vfs_register(vfs, 1), ffi::SQLITE_OK);
            real as usize
        }
    });
}

/// The database at `path` is on a full disk until the guard is dropped.
#[must_use]
pub fn full(path: &Path) -> FullDisk {
    let path = canonical(path);
    FULL.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(path.clone());
    FullDisk { path }
}

pub struct FullDisk {
    path: PathBuf,
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        FULL.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.path);
    }
}

/// The folder resolved (SQLite hands its VFS full, resolved paths; a temp
/// folder may be reached through a symlink), the file's name kept.
fn canonical(path: &Path) -> PathBuf {
    let folder = path.parent().unwrap_or(Path::new("."));
    let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_owned());
    match path.file_name() {
        Some(name) => folder.join(name),
        None => folder,
    }
}

/// Our file: SQLite's `sqlite3_file` header first (its `pMethods` points at
/// [`METHODS`]), then which database the file belongs to, then, at
/// [`HEADER`], the real VFS's file.
#[repr(C)]
struct FaultyFile {
    base: ffi::sqlite3_file,
    /// The canonical path of the database whose main file, WAL or journal
    /// this is (a leaked `Box`, freed by `x_close`); null for other files.
    database: *mut PathBuf,
}

/// Where the real file starts: after ours, 8-aligned as SQLite aligns the
/// whole allocation.
const HEADER: usize = std::mem::size_of::<FaultyFile>().next_multiple_of(8);

/// The real VFS's file inside ours.
///
/// SAFETY: `file` is a `FaultyFile` allocated by SQLite with our `szOsFile`,
/// so the bytes from `HEADER` on are the real file's.
unsafe fn inner(file: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    unsafe { file.cast::<u8>().add(HEADER).cast() }
}

fn real_vfs() -> *mut ffi::sqlite3_vfs {
    *REAL.get().expect("installed before any open") as *mut ffi::sqlite3_vfs
}

/// Whether `file` belongs to a database on a full disk.
///
/// SAFETY: `file` is a `FaultyFile` that `x_open` opened.
unsafe fn on_full_disk(file: *mut ffi::sqlite3_file) -> bool {
    let database = unsafe { (*file.cast::<FaultyFile>()).database };
    // SAFETY: non-null, it is the Box `x_open` leaked, freed only by x_close.
    !database.is_null()
        && FULL
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(unsafe { &*database })
}

/// Which database a file SQLite opens belongs to, from its name and kind.
fn database_of(name: &str, flags: c_int) -> Option<PathBuf> {
    let main = if flags & ffi::SQLITE_OPEN_MAIN_DB != 0 {
        Some(name)
    } else if flags & ffi::SQLITE_OPEN_WAL != 0 {
        name.strip_suffix("-wal")
    } else if flags & ffi::SQLITE_OPEN_MAIN_JOURNAL != 0 {
        name.strip_suffix("-journal")
    } else {
        None
    };
    main.map(|main| canonical(Path::new(main)))
}

/// SAFETY (for every `extern "C"` function below): SQLite calls them with the
/// arguments its VFS interface documents; `file` is always one `x_open`
/// initialised.
unsafe extern "C" fn x_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    unsafe {
        let faulty = file.cast::<FaultyFile>();
        (*faulty).base.pMethods = ptr::null();
        (*faulty).database = ptr::null_mut();
        let real = real_vfs();
        let Some(open) = (*real).xOpen else {
            return ffi::SQLITE_CANTOPEN;
        };
        let inner = inner(file);
        (*inner).pMethods = ptr::null();
        let rc = open(real, name, inner, flags, out_flags);
        // SQLite calls xClose whenever pMethods is set, even after a failed
        // open; ours forwards it, so it is set exactly when the real one is.
        if !(*inner).pMethods.is_null() {
            (*faulty).base.pMethods = &METHODS;
            if !name.is_null()
                && let Ok(name) = CStr::from_ptr(name).to_str()
                && let Some(database) = database_of(name, flags)
            {
                (*faulty).database = Box::into_raw(Box::new(database));
            }
        }
        rc
    }
}

/// Calls the real file's method of that name with the same arguments.
macro_rules! forward {
    ($file:expr, $method:ident $(, $arg:expr)*) => {{
        let inner = inner($file);
        match (*(*inner).pMethods).$method {
            Some(method) => method(inner $(, $arg)*),
            None => ffi::SQLITE_IOERR,
        }
    }};
}

unsafe extern "C" fn x_close(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let rc = forward!(file, xClose);
        let faulty = file.cast::<FaultyFile>();
        if !(*faulty).database.is_null() {
            drop(Box::from_raw((*faulty).database));
            (*faulty).database = ptr::null_mut();
        }
        rc
    }
}

unsafe extern "C" fn x_read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amount: c_int,
    offset: ffi::sqlite3_int64,
) -> c_int {
    unsafe { forward!(file, xRead, buf, amount, offset) }
}

unsafe extern "C" fn x_write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: ffi::sqlite3_int64,
) -> c_int {
    unsafe {
        if on_full_disk(file) {
            return ffi::SQLITE_FULL;
        }
        forward!(file, xWrite, buf, amount, offset)
    }
}

unsafe extern "C" fn x_truncate(file: *mut ffi::sqlite3_file, size: ffi::sqlite3_int64) -> c_int {
    unsafe {
        if on_full_disk(file) {
            return ffi::SQLITE_FULL;
        }
        forward!(file, xTruncate, size)
    }
}

unsafe extern "C" fn x_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    unsafe {
        if on_full_disk(file) {
            return ffi::SQLITE_IOERR_FSYNC;
        }
        forward!(file, xSync, flags)
    }
}

unsafe extern "C" fn x_file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    unsafe { forward!(file, xFileSize, size) }
}

unsafe extern "C" fn x_lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe { forward!(file, xLock, level) }
}

unsafe extern "C" fn x_unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe { forward!(file, xUnlock, level) }
}

unsafe extern "C" fn x_check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    unsafe { forward!(file, xCheckReservedLock, out) }
}

unsafe extern "C" fn x_file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    unsafe { forward!(file, xFileControl, op, arg) }
}

unsafe extern "C" fn x_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe { forward!(file, xSectorSize) }
}

unsafe extern "C" fn x_device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe { forward!(file, xDeviceCharacteristics) }
}

unsafe extern "C" fn x_shm_map(
    file: *mut ffi::sqlite3_file,
    page: c_int,
    page_size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe { forward!(file, xShmMap, page, page_size, extend, out) }
}

unsafe extern "C" fn x_shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    unsafe { forward!(file, xShmLock, offset, n, flags) }
}

unsafe extern "C" fn x_shm_barrier(file: *mut ffi::sqlite3_file) {
    unsafe {
        let inner = inner(file);
        if let Some(barrier) = (*(*inner).pMethods).xShmBarrier {
            barrier(inner);
        }
    }
}

unsafe extern "C" fn x_shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    unsafe { forward!(file, xShmUnmap, delete) }
}

unsafe extern "C" fn x_fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe { forward!(file, xFetch, offset, amount, out) }
}

unsafe extern "C" fn x_unfetch(file: *mut ffi::sqlite3_file, offset: i64, p: *mut c_void) -> c_int {
    unsafe { forward!(file, xUnfetch, offset, p) }
}

/// Version 3: WAL needs the shared-memory methods (version 2), and the real
/// unix files have memory-mapped I/O (version 3).
static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: Some(x_fetch),
    xUnfetch: Some(x_unfetch),
};
