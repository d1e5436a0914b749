//! Who is signed in. Sessions live on the server ([`store`]): the cookie
//! holds a random key, and signing out, "sign out everywhere", deactivating
//! an account or changing its password ends the session on every instance
//! at once. A session ends after `SESSION_IDLE_TIMEOUT_SECS` without a
//! request, and `SESSION_MAX_AGE_SECS` after it started.
//!
//! [`gate`] lets only signed-in staff past, except to the sign-in and setup
//! pages, the health check and the static files.

pub mod flash;
pub mod gate;
pub mod preload;
pub mod read_ahead;
pub mod store;

use actix_session::storage::{SaveError, UpdateError};
use actix_session::{Session, SessionInsertError};
use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::middleware::Next;
use sha2::Digest;

use super::AppError;

pub use flash::FlashStore;
pub use gate::{Admin, Editor, SignedIn, require_sign_in};
pub use store::DatabaseSessionStore;

/// The session entry naming the signed-in account (its id).
pub const SIGNED_IN_AS: &str = "user_id";

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

/// The session entry naming the password it was signed in with (see
/// [`credentials`]).
pub const CREDENTIALS: &str = "credentials";

/// Signs `user_id` in on this session, under a new key (a key someone
/// planted before sign-in is worth nothing after it) and with a new CSRF
/// token. `password_hash` is the account's stored hash, checked just now.
pub fn sign_in(
    session: &Session,
    user_id: i32,
    password_hash: &str,
) -> Result<(), SessionInsertError> {
    session.renew();
    super::csrf::new_token(session)?;
    session.insert(CREDENTIALS, credentials(password_hash))?;
    session.insert(SIGNED_IN_AS, user_id)
}

/// Which password a session was signed in with: a digest of its stored
/// hash. A new password ends the account's sessions, but a sign-in checked
/// against the old one just before could still store its session just
/// after; the gate refuses a session whose password is no longer the
/// account's.
pub fn credentials(password_hash: &str) -> String {
    let digest = sha2::Sha256::digest(password_hash.as_bytes());
    digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The account this session is signed in as, if any (whether it still may
/// sign in is for [`gate`] to check).
pub fn signed_in_as(session: &Session) -> Option<i32> {
    session.get::<i32>(SIGNED_IN_AS).ok().flatten()
}

/// Answers a failure of the session store (the database) with the styled
/// 503. actix-session turns such failures into a bare 500 of its own, which
/// it builds from the store's error: that is how they are recognised.
pub async fn storage_failure(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // The slots in which the session store leaves the signed-in account for
    // the gate (see `preload`) and the page's data for its handler (see
    // `read_ahead`), for this request only. The inner services are called
    // inside them, so even what they do before their first await is in
    // scope.
    let request = async move { next.call(req).await };
    match preload::with_slot(read_ahead::with_slot(request)).await {
        Ok(response) => Ok(response.map_into_boxed_body()),
        Err(err) if is_storage_failure(&err) => {
            tracing::error!("the session store failed: {err:?}");
            Err(AppError::SessionStorage.into())
        }
        Err(err) => Err(err),
    }
}

fn is_storage_failure(err: &Error) -> bool {
    err.as_error::<InternalError<anyhow::Error>>().is_some()
        || err.as_error::<InternalError<SaveError>>().is_some()
        || err.as_error::<InternalError<UpdateError>>().is_some()
}
