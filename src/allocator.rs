//! The process's memory allocator: jemalloc, for everything the process
//! allocates (SQLite's and libpq's memory too: it replaces `malloc` itself).
//!
//! glibc's malloc shares each arena between threads behind a lock. With two
//! actix workers and up to sixteen blocking threads for the database, those
//! locks were contended: futex waits and wake-ups on them were about a tenth
//! of a page's samples under load (perf). Giving each thread its own arena
//! instead (glibc's default) cost memory: 143 MiB peak RSS under
//! `scripts/bench.sh`. jemalloc serves most requests from a per-thread cache
//! without a lock: pages cost a fifth to a third less CPU, a search a
//! twelfth (bench/RESULTS.md).
//!
//! Its settings are compiled in (`JEMALLOC_SYS_WITH_MALLOC_CONF` in
//! `.cargo/config.toml`); `MALLOC_CONF` overrides them at run time.
//! - `narenas:1`: one arena behind the thread caches, so memory one thread
//!   frees is reused by the next, whichever thread it is; two arenas
//!   measured no faster and raised peak RSS (72 against 61 MiB).
//! - `dirty_decay_ms:1000`: freed pages go back to the system after about
//!   a second unused, while the process keeps allocating (there is no
//!   background thread to purge an idle one). Returning them at once (`0`)
//!   cost more than glibc's locks had: the index 202 µs of CPU against
//!   glibc's 191 in the same rounds, a search 1,165 against 844 (with the
//!   decay, 124 and 744).
//!
//! `tests/app/cli.rs` checks that the binary allocates with jemalloc and
//! these settings.

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
