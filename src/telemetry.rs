//! Logging: `RUST_LOG` filters it; the default shows one line per request and
//! every warning or error.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// `log_sql` makes sure SQL statements show even when `RUST_LOG` is quieter.
pub fn init(log_sql: bool) {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if log_sql {
        filter = filter.add_directive("sql=info".parse().expect("a valid directive"));
    }
    // `try_init`: a second call (tests) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Logs go to stderr, so command output on stdout stays clean.
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
