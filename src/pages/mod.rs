//! The HTML face: server-rendered pages. Each resource has its folder
//! (handlers, view models, form types; templates under `templates/<resource>/`),
//! over what every page needs:
//!
//! - [`error`]: the one error type of the pages, rendered as the styled page;
//! - [`csrf`]: the token every form carries, and the `Origin` check;
//! - [`context`]: the per-page context (flash messages, CSRF token);
//! - [`form`]: reading a form body; [`field`]: one labelled input;
//!   [`record_form`]: the create/edit form of a record (student, course);
//!   [`respond`]: a page with its status, a redirect;
//! - [`session`]: who is signed in, and the gate in front of every page;
//! - [`auth`]: signing in and out, and the first admin's setup page;
//! - [`courses`]: the course pages; [`enrolments`]: the enrolment forms;
//! - [`users`]: the admins' pages for staff accounts;
//! - [`account`]: one's own account (password, sessions, API tokens);
//! - the site's own routes: [`assets`] (the static files, compiled in),
//!   `/healthz`, the fallback 404/405.

mod account;
mod activity;
mod assets;
mod auth;
pub mod context;
mod courses;
pub mod csrf;
mod enrolments;
pub mod error;
mod fallback;
pub mod field;
pub mod form;
mod health;
pub mod history;
pub mod listing;
pub mod password;
pub mod record_form;
pub mod respond;
pub mod session;
mod students;
mod users;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, Resource, ResponseError, Route, guard, web};

pub use auth::{PasswordChecks, SetupToken};
pub use context::Page;
pub use error::AppError;
pub use fallback::not_found;

/// Registers every page that needs a session.
pub fn configure(cfg: &mut web::ServiceConfig) {
    account::configure(cfg);
    activity::configure(cfg);
    auth::configure(cfg);
    courses::configure(cfg);
    enrolments::configure(cfg);
    students::configure(cfg);
    users::configure(cfg);
}

/// Asks for the page's own read to be made with the session's, for the
/// pages that can say what they will read before the session loads (see
/// [`session::read_ahead`]). Each resource recognises its own pages.
pub async fn read_ahead(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        let request = req.request();
        if let Some(read) = students::read_ahead(request).or_else(|| courses::read_ahead(request)) {
            session::read_ahead::ask(read);
        }
    }
    next.call(req).await
}

/// The id in a path made of `prefix`, the id in ASCII digits and `/`
/// (`/courses/12/` for the prefix `/courses/`).
fn id_in_path(path: &str, prefix: &str) -> Option<i32> {
    let id = path.strip_prefix(prefix)?.strip_suffix('/')?;
    if id.is_empty() || !id.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// Registers what needs no session: the static files and `/healthz`. Mounted
/// outside the sessions, so a stylesheet or a health check never reads the
/// sessions table (and the styled 503 page keeps its stylesheet while the
/// database is down).
pub fn configure_sessionless(cfg: &mut web::ServiceConfig) {
    assets::configure(cfg);
    cfg.service(page("/healthz", "GET, HEAD").route(read().to(health::healthz)));
}

/// The answer to a request for a host this app does not serve.
pub fn host_refused(_: &HttpRequest) -> HttpResponse {
    AppError::BadRequest(
        "This site is not served at the address used. Check the address; \
         the administrator can allow more names with ALLOWED_HOSTS."
            .into(),
    )
    .error_response()
}

/// A resource that answers a method it does not serve with the styled 405,
/// whose `Allow` lists `allow`, the methods its routes take.
fn page(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || fallback::method_not_allowed(allow)))
}

/// GET, and HEAD with it: the same handler, whose body the server leaves out.
fn read() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

#[cfg(test)]
mod tests {
    use super::id_in_path;

    #[test]
    fn an_id_is_read_from_ascii_digits_between_the_prefix_and_a_slash() {
        assert_eq!(id_in_path("/12/", "/"), Some(12));
        assert_eq!(id_in_path("/courses/7/", "/courses/"), Some(7));
        for path in [
            "/",
            "//",
            "/12",
            "/12/edit/",
            "/+12/",
            "/-1/",
            "/%31/",
            "/99999999999/",
            "/courses/",
            "/courses/x/",
        ] {
            assert_eq!(id_in_path(path, "/"), None, "{path}");
        }
        assert_eq!(id_in_path("/12/", "/courses/"), None);
    }
}
