//! The process's memory allocator: jemalloc, for everything the process
//! allocates (SQLite's and libpq's memory too: it replaces `malloc` itself).
//!
//! glibc's malloc shares each arena between threads behind a lock. With two
//! actix workers and up to sixteen blocking threads for the database, those
//! locks were contended: futex waits and wake-ups on them were about a tenth
//! of a page's samples under load (perf), and malloc and free another fifth.
//! Giving each thread its own arena instead (glibc's default) cost memory:
//! 143 MiB peak RSS under `scripts/bench.sh`. jemalloc serves most requests
//! from a per-thread cache without a lock: the index, a course page and a
//! student's page each cost a quarter to a third less CPU (bench/RESULTS.md).
//!
//! Its settings are compiled in (`JEMALLOC_SYS_WITH_MALLOC_CONF` in
//! `.cargo/config.toml`); `MALLOC_CONF` overrides them at run time.
//! - `narenas:1`: one arena behind the thread caches, so memory one thread
//!   frees is reused by the next, whichever thread it is; more arenas
//!   measured no faster and raised peak RSS (66 against 61 MiB).
//! - `dirty_decay_ms:1000`: freed pages go back to the system after about
//!   a second unused. Returning them at once (`0`) made the index 60% and a
//!   search 45% more expensive again.
//! - `muzzy_decay_ms:0`: no second, lazily freed stage.

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[cfg(test)]
mod tests {
    use tikv_jemalloc_ctl::{opt, raw};

    #[test]
    fn jemalloc_allocates_with_the_compiled_in_settings() {
        assert_eq!(opt::narenas::read().unwrap(), 1);
        // SAFETY: both options are `ssize_t` in jemalloc's mallctl namespace.
        let dirty: isize = unsafe { raw::read(b"opt.dirty_decay_ms\0") }.unwrap();
        let muzzy: isize = unsafe { raw::read(b"opt.muzzy_decay_ms\0") }.unwrap();
        assert_eq!((dirty, muzzy), (1000, 0));
    }

    #[test]
    fn memory_from_c_code_is_jemallocs_too() {
        // SQLite and libpq allocate with `malloc`: jemalloc must have
        // replaced it, or their memory would be glibc's, arenas and all.
        // SAFETY: a plain allocation, measured and freed here.
        unsafe {
            let block = libc::malloc(100);
            assert!(!block.is_null());
            // jemalloc rounds 100 up to its size class, 112; glibc to 104.
            assert_eq!(libc::malloc_usable_size(block), 112);
            libc::free(block);
        }
    }
}
