//! The session's name and lifetime.
//!
//! The session lives in a signed cookie, so the server keeps no list of
//! sessions to expire: a client could send an old cookie back for ever. Each
//! session records when it started, and one older than the maximum age
//! (`SESSION_MAX_AGE_SECS`) is emptied before anything reads it, so the form
//! token it held no longer works.

use std::time::Duration;

use actix_session::{Session, SessionExt, SessionInsertError};
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

/// The session entry holding when it started, in milliseconds since 1970.
const STARTED_AT: &str = "started_at";

/// The cookie's name. `__Host-` makes browsers accept it only if it is
/// `Secure`, for the whole site (`Path=/`) and for this host alone (no
/// `Domain`), so neither a sibling subdomain nor plain HTTP can plant one;
/// it needs HTTPS, hence only with `COOKIE_SECURE`.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-registry_session"
    } else {
        "registry_session"
    }
}

/// How long a session lasts from its start, whatever the client sends.
#[derive(Debug, Clone, Copy)]
pub struct MaxAge(pub Duration);

/// Marks the session as starting now; called when it gets its first entry.
pub fn start(session: &Session) -> Result<(), SessionInsertError> {
    session.insert(STARTED_AT, now_millis())
}

/// Empties a session past its maximum age, or without a start (a cookie
/// made before sessions had one), before the handler and the flash messages
/// see it.
pub async fn expire_old(
    max_age: web::Data<MaxAge>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let session = req.get_session();
    if is_expired(&session, max_age.0) {
        tracing::debug!("session expired; emptied");
        // Not `purge`: a purged session takes no new entries, so the page
        // answering this request could not start a new one.
        session.clear();
    }
    next.call(req).await
}

fn is_expired(session: &Session, max_age: Duration) -> bool {
    match session.get::<i64>(STARTED_AT) {
        Ok(Some(started)) => {
            let max_age = i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX);
            now_millis().saturating_sub(started) > max_age
        }
        Ok(None) => !session.entries().is_empty(),
        Err(_) => true,
    }
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
