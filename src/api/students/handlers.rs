//! The endpoints of one student: show, create, replace, patch, delete (the
//! listing is in [`super::list`]). The `#[utoipa::path]` on each is its entry
//! in the OpenAPI document.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};

use super::json::{StudentInput, StudentPatch, StudentRecord};
use super::responses::{EmailTaken, NoSuchStudent, Saved, Stale};
use super::{COLLECTION, PRIVATE};
use crate::api::auth::ApiCaller;
use crate::api::body::JsonBody;
use crate::api::conditional;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::record_id;
use crate::api::responses::{BodyRefused, NotSaved, ReadOnly, Unauthenticated};
use crate::database::Database;
use crate::students::queries::IfUnchanged;
use crate::students::{SaveError, StudentDraft, queries};

/// Shows one student.
///
/// The `ETag` header holds the student's version and enrolment count,
/// `"3.2"`. Send it back in `If-None-Match` to get a bodiless 304 while
/// neither has changed (`*` matches any student).
#[utoipa::path(
    get,
    path = "/api/students/{id}",
    tag = "students",
    operation_id = "getStudent",
    params(("id" = i32, Path, description = "The student's id.", minimum = 1, example = 2)),
    responses(
        (status = 200, description = "The student.", body = StudentRecord,
            headers(("ETag" = String, description = "The student's version and \
                `enrolment_count`, quoted: `\"1.2\"`."))),
        (status = 304, description = "`If-None-Match` names the current ETag: neither the \
            student nor its enrolment count have changed.",
            headers(("ETag" = String, description = "The student's version and \
                `enrolment_count`, quoted."))),
        (status = 400, description = "`If-None-Match` is not `*` or a list of quoted ETags.",
            body = ErrorBody,
            example = json!({"error": "if-none-match must be * or a list of quoted ETags, like \"3.2\"",
                             "fields": {}})),
        NoSuchStudent,
        Unauthenticated,
    )
)]
pub async fn show(
    db: web::Data<Database>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = student_id(&id)?;
    let student = db
        .run(move |conn| queries::find(conn, id)?.ok_or(ApiError::NO_SUCH_STUDENT))
        .await?;
    let student = StudentRecord::new(&student);
    Ok(conditional::read(&req, student.etag(), PRIVATE, &student)?)
}

/// Adds a student.
///
/// The same rules as the add-student form: 422 with a message per field
/// when a value breaks one, 409 when another student has the email
/// (ignoring case; the database decides, so racing requests cannot both
/// win).
#[utoipa::path(
    post,
    path = "/api/students",
    tag = "students",
    operation_id = "createStudent",
    request_body(content = StudentInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Added; the body is the stored student.",
            body = StudentRecord,
            headers(
                ("Location" = String, description = "The new student's URL: `/api/students/{id}`."),
                ("ETag" = String, description = "The student's version and \
                    `enrolment_count`, quoted: `\"1.0\"`.")
            ),
            links(
                ("getStudent" = (operation_id = "getStudent",
                    parameters(("id" = "$response.body#/id")))),
                ("replaceStudent" = (operation_id = "replaceStudent",
                    parameters(("id" = "$response.body#/id")))),
                ("updateStudent" = (operation_id = "updateStudent",
                    parameters(("id" = "$response.body#/id")))),
                ("deleteStudent" = (operation_id = "deleteStudent",
                    parameters(("id" = "$response.body#/id")))),
                ("listStudentEnrolments" = (operation_id = "listStudentEnrolments",
                    parameters(("id" = "$response.body#/id"))))
            )),
        (status = 400, description = "The body is not JSON, or not a JSON object with the \
            fields described (a wrong type or an unknown field).", body = ErrorBody,
            example = json!({"error": "the JSON does not fit this request",
                             "fields": {"age": "invalid type: string \"twenty\", expected a JSON number"}})),
        EmailTaken,
        BodyRefused,
        (status = 422, description = "Some fields break the rules; one message per field.",
            body = ErrorBody,
            example = json!({"error": "validation failed",
                             "fields": {"firstname": "First name is required",
                                        "age": "Age must be a whole number from 1 to 150"}})),
        NotSaved,
        Unauthenticated,
        ReadOnly,
    )
)]
pub async fn create(
    caller: ApiCaller,
    db: web::Data<Database>,
    body: JsonBody<StudentInput>,
) -> Result<HttpResponse, ApiError> {
    let details = StudentDraft::from(body.0)
        .validate()
        .map_err(ApiError::from)?;
    let actor = caller.actor();
    let student = db
        .write(move |conn| queries::create(conn, &actor, &details).map_err(refusal))
        .await?;
    Ok(record(
        HttpResponse::Created().insert_header((LOCATION, format!("{COLLECTION}/{}", student.id))),
        StudentRecord::new(&student),
    ))
}

/// Replaces every field of a student.
///
/// Optional fields left out or `null` are cleared. With `If-Match` (the
/// `ETag` of a version read earlier), the change is made only if the student
/// is still at that version, else 412 and nothing changes; without it, or
/// with `*`, it is unconditional. Only the tag's version is compared:
/// enrolments since do not make it stale, and a bare version (`"3"`)
/// matches too. A replacement equal to what is stored changes nothing, not
/// even the version.
#[utoipa::path(
    put,
    path = "/api/students/{id}",
    tag = "students",
    operation_id = "replaceStudent",
    params(("id" = i32, Path, description = "The student's id.", minimum = 1, example = 2)),
    request_body(content = StudentInput, content_type = "application/json"),
    responses(
        Saved,
        (status = 400, description = "The body is not JSON, or not a JSON object with the \
            fields described; or `If-Match` is malformed.", body = ErrorBody,
            example = json!({"error": "the JSON does not fit this request",
                             "fields": {"frist_name": "unknown field `frist_name`, expected one of \
                                `firstname`, `lastname`, `email`, `age`, `bio`, `city`"}})),
        NoSuchStudent,
        EmailTaken,
        Stale,
        BodyRefused,
        (status = 422, description = "Some fields break the rules; one message per field.",
            body = ErrorBody,
            example = json!({"error": "validation failed",
                             "fields": {"email": "Enter an email address like name@example.com"}})),
        NotSaved,
        Unauthenticated,
        ReadOnly,
    )
)]
pub async fn replace(
    caller: ApiCaller,
    db: web::Data<Database>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<StudentInput>,
) -> Result<HttpResponse, ApiError> {
    let id = student_id(&id)?;
    let expected = conditional::if_match(&req)?;
    let draft = StudentDraft::from(body.0);
    let actor = caller.actor();
    let student = db
        .write(move |conn| {
            let student = queries::update(
                conn,
                &actor,
                id,
                expected.as_deref(),
                IfUnchanged::Keep,
                |_| draft.validate(),
            )
            .map_err(refusal)?;
            Ok::<_, ApiError>(StudentRecord::new(&student))
        })
        .await?;
    Ok(record(&mut HttpResponse::Ok(), student))
}

/// Changes some fields of a student.
///
/// A JSON merge patch: fields left out keep their values, `null` clears an
/// optional field, and the result must pass the same rules as a whole
/// student. The stored student is read and written in one transaction, so a
/// concurrent change is never lost. `If-Match` works as for `PUT`.
#[utoipa::path(
    patch,
    path = "/api/students/{id}",
    tag = "students",
    operation_id = "updateStudent",
    params(("id" = i32, Path, description = "The student's id.", minimum = 1, example = 2)),
    request_body(content(
        (StudentPatch = "application/json"),
        (StudentPatch = "application/merge-patch+json")
    )),
    responses(
        Saved,
        (status = 400, description = "The body is not JSON, or not a JSON object with the \
            fields described; or `If-Match` is malformed.", body = ErrorBody,
            example = json!({"error": "the JSON does not fit this request",
                             "fields": {"age": "invalid type: string \"twenty\", expected a JSON number"}})),
        NoSuchStudent,
        EmailTaken,
        Stale,
        BodyRefused,
        (status = 422, description = "The result breaks the rules; one message per field.",
            body = ErrorBody,
            example = json!({"error": "validation failed",
                             "fields": {"lastname": "Last name is required"}})),
        NotSaved,
        Unauthenticated,
        ReadOnly,
    )
)]
pub async fn update(
    caller: ApiCaller,
    db: web::Data<Database>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<StudentPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = student_id(&id)?;
    let expected = conditional::if_match(&req)?;
    let patch = body.0;
    let actor = caller.actor();
    let student = db
        .write(move |conn| {
            let student = queries::update(
                conn,
                &actor,
                id,
                expected.as_deref(),
                IfUnchanged::Keep,
                |current| patch.apply(StudentDraft::from(current)).validate(),
            )
            .map_err(refusal)?;
            Ok::<_, ApiError>(StudentRecord::new(&student))
        })
        .await?;
    Ok(record(&mut HttpResponse::Ok(), student))
}

/// Deletes a student.
///
/// With `If-Match` (compared as for `PUT`), only if the student is still at
/// that version (else 412 and nothing is deleted).
#[utoipa::path(
    delete,
    path = "/api/students/{id}",
    tag = "students",
    operation_id = "deleteStudent",
    params(("id" = i32, Path, description = "The student's id.", minimum = 1, example = 2)),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`If-Match` is malformed.", body = ErrorBody,
            example = json!({"error": "if-match must be * or a list of quoted ETags, like \"3.2\"",
                             "fields": {}})),
        NoSuchStudent,
        (status = 412, description = "`If-Match` names a version that is no longer stored; \
            nothing was deleted.", body = ErrorBody,
            headers(("ETag" = String, description = "The student's current ETag: the version \
                that is stored now and `enrolment_count`, quoted.")),
            example = json!({"error": "the student has changed since the version If-Match \
                names; it is now at ETag \"3.2\"", "fields": {}})),
        NotSaved,
        Unauthenticated,
        ReadOnly,
    )
)]
pub async fn delete(
    caller: ApiCaller,
    db: web::Data<Database>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = student_id(&id)?;
    let expected = conditional::if_match(&req)?;
    let actor = caller.actor();
    db.write(move |conn| queries::delete(conn, &actor, id, expected.as_deref()).map_err(refusal))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An id is digits only; anything else, or a number no student can have,
/// names no student.
pub fn student_id(segment: &str) -> Result<i32, ApiError> {
    record_id(segment, ApiError::NO_SUCH_STUDENT)
}

/// A student as the body, tagged with the version and the count it shows.
fn record(response: &mut HttpResponseBuilder, student: StudentRecord) -> HttpResponse {
    conditional::tagged(response, student.etag(), &student)
}

/// Why a student was not saved, as the API answers it. A stale edit's 412
/// carries the student's current ETag, count included.
fn refusal(err: SaveError) -> ApiError {
    match err {
        SaveError::Stale { current } => ApiError::PreconditionFailed {
            what: "student",
            current: StudentRecord::new(&current).etag(),
        },
        SaveError::EmailTaken => ApiError::EmailTaken,
        SaveError::NotFound => ApiError::NO_SUCH_STUDENT,
        SaveError::Invalid(errors) => errors.into(),
        SaveError::Database(err) => err.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_digits_within_i32() {
        assert_eq!(student_id("42").ok(), Some(42));
        for bad in ["", "0", "-1", "+1", " 1", "1.0", "abc", "2147483648"] {
            assert!(student_id(bad).is_err(), "{bad}");
        }
    }
}
