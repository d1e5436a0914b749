//! The JSON API under `/api`: the student records for scripts and other
//! systems, from the same binary, on the same data, with the same rules and
//! queries as the pages.
//!
//! Shared by every resource:
//! - [`auth`]: every request but the OpenAPI document's needs an API token
//!   (`Authorization: Bearer`), checked in one place for the whole scope;
//! - [`error`]: the one error shape, [`ApiError`];
//! - [`body`]: how a JSON request body is read;
//! - [`conditional`]: `ETag`, `If-Match` and `If-None-Match`;
//! - [`responses`]: error responses many operations document alike;
//! - [`openapi`]: the OpenAPI document, served at `/api/openapi.json`.
//!
//! - [`paging`]: what every listing's query shares.
//!
//! One folder per resource: [`students`], [`courses`], [`enrolments`].
//!
//! Cross-site safety: bodies must be JSON (`application/json` or a `+json`
//! type), which a page on another site cannot send without a CORS preflight,
//! and this app approves none. The API never reads the session (a browser
//! sends its cookies by itself; it never sends a bearer token by itself), so
//! the pages' CSRF token is neither needed nor accepted here.

pub mod auth;
pub mod body;
pub mod conditional;
pub mod courses;
pub mod enrolments;
pub mod error;
pub mod openapi;
pub mod paging;
pub mod responses;
pub mod students;

use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::Method;
use actix_web::http::header::ALLOW;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, Resource, ResponseError, web};

pub use error::ApiError;

/// Where the OpenAPI document is served: the one URL under `/api` that
/// needs no token (see [`auth`]).
pub const OPENAPI_PATH: &str = "/api/openapi.json";

use crate::http::BODY_LIMIT;

/// Mounts `/api`. Call it before the pages' routes: its own default service
/// answers unknown `/api` URLs in JSON.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let scope = web::scope("/api")
        .app_data(json_config())
        .app_data(query_config());
    let scope = students::configure(scope);
    let scope = courses::configure(scope);
    let scope = enrolments::configure(scope);
    cfg.service(
        scope
            .service(
                resource(openapi::PATH, "GET, HEAD, OPTIONS")
                    .route(web::get().to(openapi::serve))
                    .route(web::head().to(openapi::serve)),
            )
            .default_service(web::to(error::not_found))
            // On the scope, so every route in it, and its default service,
            // is behind it: a new route cannot forget it.
            .wrap(from_fn(auth::require_token)),
    );
}

/// Whether `path` is the API's: its answers are JSON.
pub fn serves(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The answer to a request for a host this app does not serve.
pub fn host_refused(_: &HttpRequest) -> HttpResponse {
    ApiError::bad_request(
        "this server does not answer to the host named in the request (its Host header)",
    )
    .error_response()
}

/// A resource under `/api` (`path` given in full) that answers `OPTIONS` with
/// the methods it allows, and any other method it does not serve with a 405
/// that lists them.
pub fn resource(path: &str, allow: &'static str) -> Resource {
    let path = path.strip_prefix("/api").unwrap_or(path);
    web::resource(path)
        .route(web::method(Method::OPTIONS).to(move || async move {
            HttpResponse::NoContent()
                .insert_header((ALLOW, allow))
                .finish()
        }))
        .default_service(web::to(move || async move {
            Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow })
        }))
}

/// JSON bodies: at most [`BODY_LIMIT`], `application/json` or a `+json` type
/// (actix's default check), errors in the API's shape.
fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(BODY_LIMIT)
        .content_type_required(true)
        .error_handler(|err, _| ApiError::from(err).into())
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|_: QueryPayloadError, _| {
        ApiError::bad_request("the query string is malformed").into()
    })
}

/// For a resource's `app_data`: a path that does not parse names nothing
/// there, and `missing` is the resource's 404.
pub fn path_config(missing: fn() -> ApiError) -> web::PathConfig {
    web::PathConfig::default().error_handler(move |_: PathError, _| missing().into())
}

/// A record's id in its URL: digits only, from 1 and within `i32`; anything
/// else, or a number no record can have, names no record (`missing`).
pub fn record_id(segment: &str, missing: ApiError) -> Result<i32, ApiError> {
    whole_number(segment, 1, i32::MAX.into())
        .and_then(|id| i32::try_from(id).ok())
        .ok_or(missing)
}

/// A whole number in a URL (a path segment or a query value): digits only,
/// no sign or spaces, within `min..=max`.
pub fn whole_number(value: &str, min: i64, max: i64) -> Option<i64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
}
