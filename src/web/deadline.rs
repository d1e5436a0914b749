//! Request bodies must arrive in time: a client trickling one byte a second
//! would otherwise hold its connection (and a file descriptor) for as long as
//! it likes. Past the deadline the request is answered 408 and the
//! connection closed.

use std::future::Future;
use std::time::Duration;

use actix_web::HttpRequest;

/// How long a request body may take to arrive once the request's head has
/// (`BODY_TIMEOUT_SECS`); app data, set by `startup`.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// The default of `BODY_TIMEOUT_SECS`: a 64 KB form takes well under a
/// second on any connection a person would use.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The body did not arrive within its deadline.
#[derive(Debug)]
pub struct BodyTooSlow;

/// Reads a body (`read`, an extractor's future) within the app's deadline.
pub fn read_within<F: Future>(
    req: &HttpRequest,
    read: F,
) -> impl Future<Output = Result<F::Output, BodyTooSlow>> + use<F> {
    let deadline = req
        .app_data::<BodyDeadline>()
        .map_or(DEFAULT_BODY_TIMEOUT, |deadline| deadline.0);
    async move {
        actix_web::rt::time::timeout(deadline, read)
            .await
            .map_err(|_| BodyTooSlow)
    }
}
