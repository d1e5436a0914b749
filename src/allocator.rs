//! The process's memory allocator, tuned once at start-up.

/// Caps glibc's malloc arenas at one per core.
///
/// glibc gives each thread that meets contention an arena of its own (up to
/// eight per core) and gives little of a freed arena back. With two actix
/// workers and up to sixteen blocking threads for the database, peak RSS
/// under `scripts/bench.sh` at 100,000 students was 143 MiB; with an arena
/// per core (and the SQLite build flags of `.cargo/config.toml`), 51 MiB
/// (bench/RESULTS.md). Call it before any thread starts; elsewhere than
/// glibc it does nothing.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets a tuning parameter; no thread has
        // started to allocate concurrently yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
