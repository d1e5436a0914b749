//! HTTP pieces both faces share, below them: which hosts are served, the
//! security headers, how responses are compressed, how long and how large a
//! request body may be, what requests are counted in the metrics.

pub mod client;
pub mod compression;
pub mod deadline;
mod failure;
pub mod headers;
pub mod hosts;
pub mod metrics;

pub use failure::{DbErrorKind, ServiceFailure};

/// The largest request body accepted, forms and JSON alike: what the largest
/// resource's details can need (see [`crate::students::validation::BODY_LIMIT`]).
pub const BODY_LIMIT: usize = crate::students::validation::BODY_LIMIT;

/// The limit as messages state it: "126 KB".
pub fn body_limit_text() -> String {
    format!("{} KB", BODY_LIMIT / 1024)
}

/// `error: cause: cause of the cause…`, for `Debug` impls of error types that
/// end up in the log.
pub fn write_cause_chain(
    f: &mut std::fmt::Formatter<'_>,
    error: &dyn std::error::Error,
) -> std::fmt::Result {
    write!(f, "{error}")?;
    let mut source = error.source();
    while let Some(cause) = source {
        write!(f, ": {cause}")?;
        source = cause.source();
    }
    Ok(())
}

/// `Debug` for an error type as its whole cause chain (see
/// [`write_cause_chain`]), so a log line says what really failed.
macro_rules! debug_as_cause_chain {
    ($error:ty) => {
        impl std::fmt::Debug for $error {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                $crate::http::write_cause_chain(f, self)
            }
        }
    };
}
pub(crate) use debug_as_cause_chain;
