//! The endpoints of one course: show, create, replace, patch, delete (the
//! listing is in [`super::list`]). The `#[utoipa::path]` on each is its entry
//! in the OpenAPI document.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};

use super::json::{CourseInput, CoursePatch, CourseRecord};
use super::responses::{CodeTaken, NoSuchCourse, Saved, Stale};
use super::{COLLECTION, PRIVATE, course_id};
use crate::api::auth::ApiCaller;
use crate::api::body::JsonBody;
use crate::api::conditional;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::responses::{BodyRefused, NotSaved, ReadOnly, Unauthenticated};
use crate::courses::CourseDraft;
use crate::courses::queries::{self, IfUnchanged};
use crate::database::Database;

/// Shows one course, with its seats taken.
///
/// The `ETag` header holds the course's version and seats taken, `"3.12"`.
/// Send it back in `If-None-Match` to get a bodiless 304 while neither has
/// changed (`*` matches any course).
#[utoipa::path(
    get,
    path = "/api/courses/{id}",
    tag = "courses",
    operation_id = "getCourse",
    params(("id" = i32, Path, description = "The course's id.", minimum = 1, example = 3)),
    responses(
        (status = 200, description = "The course.", body = CourseRecord,
            headers(("ETag" = String, description = "The course's version and `enrolled`, \
                quoted: `\"1.12\"`."))),
        (status = 304, description = "`If-None-Match` names the current ETag: neither the \
            course nor its seats taken have changed.",
            headers(("ETag" = String, description = "The course's version and `enrolled`, \
                quoted."))),
        (status = 400, description = "`If-None-Match` is not `*` or a list of quoted ETags.",
            body = ErrorBody,
            example = json!({"error": "if-none-match must be * or a list of quoted ETags, like \"3.2\"",
                             "fields": {}})),
        NoSuchCourse,
        Unauthenticated,
    )
)]
pub async fn show(
    db: web::Data<Database>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = course_id(&id)?;
    let course = db
        .run(move |conn| queries::find(conn, id))
        .await?
        .ok_or(ApiError::NO_SUCH_COURSE)?;
    let course = CourseRecord::from(&course);
    Ok(conditional::read(&req, course.etag(), PRIVATE, &course)?)
}

/// Adds a course.
///
/// The same rules as the add-course form: 422 with a message per field
/// when a value breaks one, 409 when another course has the code (ignoring
/// case; the database decides, so racing requests cannot both win).
#[utoipa::path(
    post,
    path = "/api/courses",
    tag = "courses",
    operation_id = "createCourse",
    request_body(content = CourseInput, content_type = "application/json"),
    responses(
        (status = 201, description = "Added; the body is the stored course.",
            body = CourseRecord,
            headers(
                ("Location" = String, description = "The new course's URL: `/api/courses/{id}`."),
                ("ETag" = String, description = "The course's version and `enrolled`, \
                    quoted: `\"1.0\"`.")
            ),
            links(
                ("getCourse" = (operation_id = "getCourse",
                    parameters(("id" = "$response.body#/id")))),
                ("replaceCourse" = (operation_id = "replaceCourse",
                    parameters(("id" = "$response.body#/id")))),
                ("updateCourse" = (operation_id = "updateCourse",
                    parameters(("id" = "$response.body#/id")))),
                ("deleteCourse" = (operation_id = "deleteCourse",
                    parameters(("id" = "$response.body#/id")))),
                ("listClass" = (operation_id = "listClass",
                    parameters(("id" = "$response.body#/id")))),
                ("enrol" = (operation_id = "enrol",
                    parameters(("id" = "$response.body#/id"))))
            )),
        (status = 400, description = "The body is not JSON, or not a JSON object with the \
            fields described (a wrong type or an unknown field).", body = ErrorBody,
            example = json!({"error": "the JSON does not fit this request",
                             "fields": {"credits": "invalid type: string \"six\", expected a JSON number"}})),
        CodeTaken,
        BodyRefused,
        (status = 422, description = "Some fields break the rules; one message per field.",
            body = ErrorBody,
            example = json!({"error": "validation failed",
                             "fields": {"title": "Title is required",
                                        "capacity": "Capacity must be a whole number of at least 1"}})),
        NotSaved,
        Unauthenticated,
        ReadOnly,
    )
)]
pub async fn create(
    caller: ApiCaller,
    db: web::Data<Database>,
    body: JsonBody<CourseInput>,
) -> Result<HttpResponse, ApiError> {
    let details = CourseDraft::from(body.0).validate()?;
    let actor = caller.actor();
    let course = db
        .write(move |conn| queries::create(conn, &actor, &details))
        .await?;
    Ok(record(
        HttpResponse::Created().insert_header((LOCATION, format!("{COLLECTION}/{}", course.id))),
        CourseRecord::from(&course),
    ))
}

/// Replaces every field of a course.
///
/// Optional fields left out or `null` are cleared. With `If-Match` (the
/// `ETag` of a version read earlier), the change is made only if the course
/// is still at that version, else 412 and nothing changes; without it, or
/// with `*`, it is unconditional. Only the tag's version is compared: seats
/// taken since do not make it stale, and a bare version (`"3"`) matches too. A replacement equal to what is stored
/// changes nothing, not even the version.
#[utoipa::path(
    put,
    path = "/api/courses/{id}",
    tag = "courses",
    operation_id = "replaceCourse",
    params(("id" = i32, Path, description = "The course's id.", minimum = 1, example = 3)),
    request_body(content = CourseInput, content_type = "application/json"),
    responses(
        Saved,
        (status = 400, description = "The body is not JSON, or not a JSON object with the \
            fields described; or `If-Match` is malformed.", body = ErrorBody,
            example = json!({"error": "the JSON does not fit this request",
                             "fields": {"titel": "unknown field `titel`, expected one of \
                                `code`, `title`, `description`, `credits`, `capacity`"}})),
        NoSuchCourse,
        CodeTaken,
        Stale,
        BodyRefused,
        (status = 422, description = "Some fields break the rules; one message per field.",
            body = ErrorBody,
            example = json!({"error": "validation failed",
                             "fields": {"code": "Code may contain only letters A–Z, digits and hyphens, like BIO-101"}})),
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
    body: JsonBody<CourseInput>,
) -> Result<HttpResponse, ApiError> {
    let id = course_id(&id)?;
    let expected = conditional::if_match(&req)?;
    let draft = CourseDraft::from(body.0);
    let actor = caller.actor();
    let course = db
        .write(move |conn| {
            queries::update(
                conn,
                &actor,
                id,
                expected.as_deref(),
                IfUnchanged::Keep,
                |_| draft.validate(),
            )
        })
        .await?;
    Ok(record(&mut HttpResponse::Ok(), CourseRecord::from(&course)))
}

/// Changes some fields of a course.
///
/// A JSON merge patch: fields left out keep their values, `null` clears an
/// optional field, and the result must pass the same rules as a whole
/// course. The stored course is read and written in one transaction, so a
/// concurrent change is never lost. `If-Match` works as for `PUT`.
#[utoipa::path(
    patch,
    path = "/api/courses/{id}",
    tag = "courses",
    operation_id = "updateCourse",
    params(("id" = i32, Path, description = "The course's id.", minimum = 1, example = 3)),
    request_body(content(
        (CoursePatch = "application/json"),
        (CoursePatch = "application/merge-patch+json")
    )),
    responses(
        Saved,
        (status = 400, description = "The body is not JSON, or not a JSON object with the \
            fields described; or `If-Match` is malformed.", body = ErrorBody,
            example = json!({"error": "the JSON does not fit this request",
                             "fields": {"capacity": "invalid type: string \"ten\", expected a JSON number"}})),
        NoSuchCourse,
        CodeTaken,
        Stale,
        BodyRefused,
        (status = 422, description = "The result breaks the rules; one message per field.",
            body = ErrorBody,
            example = json!({"error": "validation failed",
                             "fields": {"title": "Title is required"}})),
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
    body: JsonBody<CoursePatch>,
) -> Result<HttpResponse, ApiError> {
    let id = course_id(&id)?;
    let expected = conditional::if_match(&req)?;
    let patch = body.0;
    let actor = caller.actor();
    let course = db
        .write(move |conn| {
            queries::update(
                conn,
                &actor,
                id,
                expected.as_deref(),
                IfUnchanged::Keep,
                |current| patch.apply(CourseDraft::from(current)).validate(),
            )
        })
        .await?;
    Ok(record(&mut HttpResponse::Ok(), CourseRecord::from(&course)))
}

/// Deletes a course.
///
/// Only a course without enrolments: one with any (enrolled, withdrawn or
/// completed; they are its history) is a 409 that says how many. With
/// `If-Match` (compared as for `PUT`), only if the course is still at that
/// version (else 412 and nothing is deleted).
#[utoipa::path(
    delete,
    path = "/api/courses/{id}",
    tag = "courses",
    operation_id = "deleteCourse",
    params(("id" = i32, Path, description = "The course's id.", minimum = 1, example = 3)),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`If-Match` is malformed.", body = ErrorBody,
            example = json!({"error": "if-match must be * or a list of quoted ETags, like \"3.2\"",
                             "fields": {}})),
        NoSuchCourse,
        (status = 409, description = "The course has enrolments (of any status), which are \
            kept as its history; nothing was deleted. The message says how many.",
            body = ErrorBody,
            example = json!({"error": "the course cannot be deleted: it has 12 enrolments \
                (enrolled, withdrawn or completed), which are kept as its history",
                "fields": {}})),
        (status = 412, description = "`If-Match` names a version that is no longer stored; \
            nothing was deleted.", body = ErrorBody,
            headers(("ETag" = String, description = "The course's current ETag: the version \
                that is stored now and `enrolled`, quoted.")),
            example = json!({"error": "the course has changed since the version If-Match \
                names; it is now at ETag \"3.12\"", "fields": {}})),
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
    let id = course_id(&id)?;
    let expected = conditional::if_match(&req)?;
    let actor = caller.actor();
    db.write(move |conn| queries::delete(conn, &actor, id, expected.as_deref()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A course as the body, tagged with the version and the count it shows.
fn record(response: &mut HttpResponseBuilder, course: CourseRecord) -> HttpResponse {
    conditional::tagged(response, course.etag(), &course)
}
