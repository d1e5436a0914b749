//! The JSON API under `/api`: the student records for scripts and other
//! systems, from the same binary, on the same data, with the same rules and
//! queries as the pages.
//!
//! - [`students`]: the handlers, each with its OpenAPI description;
//! - [`json`]: what goes over the wire, and the schemas that describe it;
//! - [`error`]: the one error shape, and the extractor settings that use it;
//! - [`conditional`]: `ETag`, `If-Match` and `If-None-Match`;
//! - [`openapi`]: the OpenAPI document, served at `/api/openapi.json`.
//!
//! Cross-site safety: bodies must be JSON (`application/json` or a `+json`
//! type), which a page on another site cannot send without a CORS preflight,
//! and this app approves none. The API never reads the session, so the pages'
//! CSRF token is neither needed nor accepted here.

pub mod conditional;
pub mod error;
pub mod json;
pub mod openapi;
pub mod students;

use actix_web::http::Method;
use actix_web::http::header::ALLOW;
use actix_web::{HttpRequest, HttpResponse, Resource, ResponseError, web};

pub use error::ApiError;

/// Mounts `/api`. Call it before the pages' routes: its own default service
/// answers unknown `/api` URLs in JSON.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .app_data(error::json_config())
            .app_data(error::path_config())
            .app_data(error::query_config())
            .service(
                resource(students::COLLECTION, "GET, HEAD, POST, OPTIONS")
                    .route(web::get().to(students::list))
                    .route(web::head().to(students::list))
                    .route(web::post().to(students::create)),
            )
            .service(
                resource("/students/{id}", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
                    .route(web::get().to(students::show))
                    .route(web::head().to(students::show))
                    .route(web::put().to(students::replace))
                    .route(web::patch().to(students::update))
                    .route(web::delete().to(students::delete)),
            )
            .service(
                resource(openapi::PATH, "GET, HEAD, OPTIONS")
                    .route(web::get().to(openapi::serve))
                    .route(web::head().to(openapi::serve)),
            )
            .default_service(web::to(error::not_found)),
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
fn resource(path: &str, allow: &'static str) -> Resource {
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
