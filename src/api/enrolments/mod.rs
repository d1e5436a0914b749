//! Enrolments, the students' places in courses:
//!
//! - `/api/courses/{id}/enrolments`: the course's class list, and enrolling
//!   a student ([`class`]);
//! - `/api/students/{id}/enrolments`: a student's enrolments ([`student`]);
//! - `/api/enrolments/{id}`: one enrolment, and changing its status
//!   ([`handlers`]);
//! - [`json`]: what goes over the wire; [`responses`]: the responses
//!   several operations document alike.

pub mod class;
pub mod handlers;
pub mod json;
pub mod responses;
pub mod student;

use actix_web::{Scope, web};

use super::{ApiError, path_config, record_id, resource};
use crate::courses::EnrolError;

/// Where one enrolment lives: `/api/enrolments/{id}`.
pub const COLLECTION: &str = "/api/enrolments";

/// Enrolments say who studies what: personal data, as students are.
pub use super::students::PRIVATE;

/// Adds the enrolment routes to the `/api` scope.
pub fn configure(scope: Scope) -> Scope {
    let no_such_course = || ApiError::NO_SUCH_COURSE;
    let no_such_student = || ApiError::NO_SUCH_STUDENT;
    let no_such_enrolment = || ApiError::NO_SUCH_ENROLMENT;
    scope
        .service(
            resource("/courses/{id}/enrolments", "GET, HEAD, POST, OPTIONS")
                .app_data(path_config(no_such_course))
                .route(web::get().to(class::list))
                .route(web::head().to(class::list))
                .route(web::post().to(class::enrol)),
        )
        .service(
            resource("/students/{id}/enrolments", "GET, HEAD, OPTIONS")
                .app_data(path_config(no_such_student))
                .route(web::get().to(student::list))
                .route(web::head().to(student::list)),
        )
        .service(
            resource("/enrolments/{id}", "GET, HEAD, PATCH, OPTIONS")
                .app_data(path_config(no_such_enrolment))
                .route(web::get().to(handlers::show))
                .route(web::head().to(handlers::show))
                .route(web::patch().to(handlers::update)),
        )
}

/// An id is digits only; anything else, or a number no enrolment can have,
/// names no enrolment.
pub fn enrolment_id(segment: &str) -> Result<i32, ApiError> {
    record_id(segment, ApiError::NO_SUCH_ENROLMENT)
}

/// The message beside `student_id` when it names no student.
pub const NO_SUCH_STUDENT_ID: &str = "No student has this id";

impl From<EnrolError> for ApiError {
    fn from(err: EnrolError) -> Self {
        match err {
            EnrolError::AlreadyEnrolled => Self::AlreadyEnrolled,
            EnrolError::CourseFull { capacity } => Self::CourseFull { capacity },
            // Only enrolling names a student, in its body.
            EnrolError::NoSuchStudent => Self::invalid_field("student_id", NO_SUCH_STUDENT_ID),
            EnrolError::NoSuchCourse => Self::NO_SUCH_COURSE,
            EnrolError::NoSuchEnrolment => Self::NO_SUCH_ENROLMENT,
            EnrolError::Database(err) => err.into(),
        }
    }
}

/// Today, in UTC: the day an enrolment or a withdrawal is dated.
fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}
