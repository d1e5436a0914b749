//! The courses under `/api/courses`:
//!
//! - [`list`]: the listing, `GET /api/courses`, and [`handlers`]: the
//!   endpoints of one course, each with its OpenAPI description;
//! - [`json`]: what goes over the wire;
//! - [`schemas`]: the fields' schemas, from the rules' own constants;
//! - [`responses`]: the responses several operations document alike.
//!
//! A course's class list and enrolling into it are in
//! [`super::enrolments`].

pub mod handlers;
pub mod json;
pub mod list;
pub mod responses;
pub mod schemas;

use actix_web::{Scope, web};

use self::json::CourseRecord;
use super::{ApiError, path_config, record_id, resource};
use crate::courses::CourseSaveError;

/// Where the course endpoints live.
pub const COLLECTION: &str = "/api/courses";

/// As for students: the client may keep a course, but revalidates it.
pub use super::students::PRIVATE;

/// Adds the course routes to the `/api` scope.
pub fn configure(scope: Scope) -> Scope {
    let no_such_course = || ApiError::NO_SUCH_COURSE;
    scope
        .service(
            resource(COLLECTION, "GET, HEAD, POST, OPTIONS")
                .route(web::get().to(list::list))
                .route(web::head().to(list::list))
                .route(web::post().to(handlers::create)),
        )
        .service(
            resource("/courses/{id}", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
                .app_data(path_config(no_such_course))
                .route(web::get().to(handlers::show))
                .route(web::head().to(handlers::show))
                .route(web::put().to(handlers::replace))
                .route(web::patch().to(handlers::update))
                .route(web::delete().to(handlers::delete)),
        )
}

/// An id is digits only; anything else, or a number no course can have,
/// names no course.
pub fn course_id(segment: &str) -> Result<i32, ApiError> {
    record_id(segment, ApiError::NO_SUCH_COURSE)
}

impl From<CourseSaveError> for ApiError {
    fn from(err: CourseSaveError) -> Self {
        match err {
            CourseSaveError::CodeTaken => Self::CodeTaken,
            CourseSaveError::NotFound => Self::NO_SUCH_COURSE,
            CourseSaveError::Stale { current } => Self::PreconditionFailed {
                what: "course",
                current: CourseRecord::from(current.as_ref()).etag(),
            },
            CourseSaveError::Invalid(errors) => errors.into(),
            CourseSaveError::HasEnrolments { count } => Self::HasEnrolments { count },
            CourseSaveError::Database(err) => err.into(),
        }
    }
}

impl From<crate::courses::FieldErrors> for ApiError {
    fn from(errors: crate::courses::FieldErrors) -> Self {
        Self::Invalid(
            errors
                .iter()
                .map(|(field, message)| (field.name().to_owned(), message.to_owned()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_digits_within_i32() {
        assert_eq!(course_id("42").ok(), Some(42));
        for bad in ["", "0", "-1", "+1", " 1", "1.0", "abc", "2147483648"] {
            assert!(course_id(bad).is_err(), "{bad}");
        }
    }
}
