//! One enrolment: show it, and change its status.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};

use super::json::{EnrolmentRecord, StatusInput};
use super::responses::{CourseFull, NoSuchEnrolment};
use super::{PRIVATE, enrolment_id, today};
use crate::api::auth::ApiCaller;
use crate::api::body::JsonBody;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::responses::{BodyRefused, NotSaved, ReadOnly, Unauthenticated};
use crate::courses::queries;
use crate::database::Database;

/// Shows one enrolment.
#[utoipa::path(
    get,
    path = "/api/enrolments/{id}",
    tag = "enrolments",
    operation_id = "getEnrolment",
    params(("id" = i32, Path, description = "The enrolment's id.", minimum = 1, example = 7)),
    responses(
        (status = 200, description = "The enrolment.", body = EnrolmentRecord),
        NoSuchEnrolment,
        Unauthenticated,
    )
)]
pub async fn show(
    db: web::Data<Database>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = enrolment_id(&id)?;
    let enrolment = db
        .run(move |conn| queries::find_enrolment(conn, id))
        .await?
        .ok_or(ApiError::NO_SUCH_ENROLMENT)?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, PRIVATE))
        .json(EnrolmentRecord::from(&enrolment)))
}

/// Changes an enrolment's status.
///
/// `withdrawn` frees the seat and dates the withdrawal today (UTC);
/// `completed` frees it too; `enrolled` makes the enrolment current again,
/// which needs a free seat (409 when the course is full) and dates it today.
/// Sending the status it already has changes nothing. An enrolment has no
/// version, so there is no `ETag` or `If-Match` here: the change is
/// idempotent, and the answer is the enrolment as stored after it.
#[utoipa::path(
    patch,
    path = "/api/enrolments/{id}",
    tag = "enrolments",
    operation_id = "updateEnrolment",
    params(("id" = i32, Path, description = "The enrolment's id.", minimum = 1, example = 7)),
    request_body(content(
        (StatusInput = "application/json"),
        (StatusInput = "application/merge-patch+json")
    )),
    responses(
        (status = 200, description = "Saved; the body is the stored enrolment.",
            body = EnrolmentRecord),
        (status = 400, description = "The body is not JSON, or not a JSON object with the \
            fields described (an unknown field, or a status that is not one of the three).",
            body = ErrorBody,
            example = json!({"error": "the JSON does not fit this request",
                             "fields": {"status": "unknown variant `done`, expected one of \
                                `enrolled`, `withdrawn`, `completed`"}})),
        NoSuchEnrolment,
        CourseFull,
        BodyRefused,
        (status = 422, description = "`status` is missing or `null`.", body = ErrorBody,
            example = json!({"error": "validation failed",
                             "fields": {"status": "Status is required"}})),
        NotSaved,
        Unauthenticated,
        ReadOnly,
    )
)]
pub async fn update(
    caller: ApiCaller,
    db: web::Data<Database>,
    id: web::Path<String>,
    body: JsonBody<StatusInput>,
) -> Result<HttpResponse, ApiError> {
    let id = enrolment_id(&id)?;
    let status = body.0.status;
    let actor = caller.actor();
    let enrolment = db
        .write(move |conn| {
            let Some(status) = status else {
                // An unknown enrolment is a 404 whatever the body says.
                queries::find_enrolment(conn, id)?.ok_or(ApiError::NO_SUCH_ENROLMENT)?;
                return Err(ApiError::invalid_field("status", "Status is required"));
            };
            Ok(queries::set_status(
                conn,
                &actor,
                id,
                status.into(),
                today(),
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(EnrolmentRecord::from(&enrolment)))
}
