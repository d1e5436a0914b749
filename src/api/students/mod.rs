//! The student records under `/api/students`:
//!
//! - [`list`]: the listing, `GET /api/students`, and
//!   [`handlers`]: the endpoints of one student, each with its OpenAPI
//!   description;
//! - [`json`]: what goes over the wire;
//! - [`schemas`]: the fields' schemas, from the rules' own constants;
//! - [`responses`]: the responses several operations document alike.

pub mod handlers;
pub mod json;
pub mod list;
pub mod responses;
pub mod schemas;

use actix_web::{Scope, web};

use super::{ApiError, path_config, resource};

/// Where the student endpoints live.
pub const COLLECTION: &str = "/api/students";

/// Students are personal data: kept by the client only (not shared caches),
/// and revalidated (`ETag`) before each use.
pub const PRIVATE: &str = "private, no-cache";

/// Adds the student routes to the `/api` scope.
pub fn configure(scope: Scope) -> Scope {
    let no_such_student = || ApiError::NO_SUCH_STUDENT;
    scope
        .service(
            resource(COLLECTION, "GET, HEAD, POST, OPTIONS")
                .route(web::get().to(list::list))
                .route(web::head().to(list::list))
                .route(web::post().to(handlers::create)),
        )
        .service(
            resource("/students/{id}", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
                .app_data(path_config(no_such_student))
                .route(web::get().to(handlers::show))
                .route(web::head().to(handlers::show))
                .route(web::put().to(handlers::replace))
                .route(web::patch().to(handlers::update))
                .route(web::delete().to(handlers::delete)),
        )
}
