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
