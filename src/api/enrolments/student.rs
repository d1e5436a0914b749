//! A student's enrolments, `GET /api/students/{id}/enrolments`.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};

use super::PRIVATE;
use super::json::{StudentEnrolmentRecord, StudentEnrolments};
use crate::api::error::ApiError;
use crate::api::responses::Unauthenticated;
use crate::api::students::handlers::student_id;
use crate::api::students::responses::NoSuchStudent;
use crate::courses::queries;
use crate::database::Database;
use crate::students;

/// Lists every enrolment of a student (any status), each with its course,
/// by course code.
///
/// Not paged: a student has a few courses. Two SQL statements.
#[utoipa::path(
    get,
    path = "/api/students/{id}/enrolments",
    tag = "enrolments",
    operation_id = "listStudentEnrolments",
    params(("id" = i32, Path, description = "The student's id.", minimum = 1, example = 2)),
    responses(
        (status = 200, description = "The student's enrolments.", body = StudentEnrolments),
        NoSuchStudent,
        Unauthenticated,
    )
)]
pub async fn list(
    db: web::Data<Database>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = student_id(&id)?;
    let rows = db
        .run(move |conn| {
            students::queries::find(conn, id)?.ok_or(ApiError::NO_SUCH_STUDENT)?;
            Ok::<_, ApiError>(queries::for_student(conn, id)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, PRIVATE))
        .json(StudentEnrolments {
            items: rows.iter().map(StudentEnrolmentRecord::from).collect(),
        }))
}
