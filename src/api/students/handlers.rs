//! The student endpoints: list, show, create, replace, patch, delete. The
//! `#[utoipa::path]` on each is its entry in the OpenAPI document.

use std::collections::BTreeMap;

use actix_web::http::header::{CACHE_CONTROL, ETAG, LOCATION};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};

use super::conditional;
use super::error::{ApiError, ErrorBody, too_large_message};
use super::json::{JsonBody, ListQuery, StudentInput, StudentPage, StudentPatch, StudentRecord};
use crate::database::{Database, DbError};
use crate::http::body_limit_text;
use crate::students::listing::{Direction, ListParams, MAX_PER_PAGE, SortKey};
use crate::students::queries::IfUnchanged;
use crate::students::{self, Student, StudentDraft, queries};

/// The 413 response's description in the OpenAPI document.
fn too_large_description() -> String {
    format!("The body is over {}.", body_limit_text())
}

/// Where the student endpoints live.
pub const COLLECTION: &str = "/api/students";

/// Students are personal data: kept by the client only (not shared caches),
/// and revalidated (`ETag`) before each use.
const PRIVATE: &str = "private, no-cache";

/// Lists students a page at a time.
///
/// The same search, order and paging as the index page, with `next` and
/// `prev` links that keep them.
#[utoipa::path(
    get,
    path = "/api/students",
    tag = "students",
    operation_id = "listStudents",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of students.", body = StudentPage),
        (status = 400, description = "A query parameter is not one of the values described.",
            body = ErrorBody,
            example = json!({"error": "invalid query parameters",
                             "fields": {"per_page": "must be a whole number from 1 to 100"}})),
        (status = 503, description = "The search needed more work than one request may \
            take (`QUERY_TIMEOUT_MS`), or the database is not answering.",
            body = ErrorBody,
            example = json!({"error": "That search matched too much; add more letters.",
                             "fields": {}})),
    )
)]
pub async fn list(
    db: web::Data<Database>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = list_params(&query)?;
    let list = students::list(&db, params.clone()).await;
    let list = match list {
        Ok(list) => list,
        Err(err @ DbError::TooSlow(_)) if params.search.is_some() => {
            return Err(ApiError::SearchTooBroad(err));
        }
        Err(err) => return Err(err.into()),
    };
    let pagination = list.pagination;
    let page = StudentPage {
        items: list.students.iter().map(StudentRecord::from).collect(),
        total: pagination.total,
        page: pagination.page,
        per_page: pagination.per_page,
        next: (pagination.page < pagination.last_page())
            .then(|| list_url(&params, pagination.page + 1)),
        prev: (pagination.page > 1).then(|| list_url(&params, pagination.page - 1)),
    };
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, PRIVATE))
        .json(page))
}

/// Checks each parameter strictly, then normalises them as the index page
/// does (the search trimmed and cut), so both list the same students.
fn list_params(query: &ListQuery) -> Result<ListParams, ApiError> {
    let mut fields = BTreeMap::new();
    if let Some(sort) = &query.sort
        && !SortKey::ALL.iter().any(|key| key.param() == sort)
    {
        let names: Vec<&str> = SortKey::ALL.iter().map(|key| key.param()).collect();
        fields.insert(
            "sort".into(),
            format!("must be one of {}", names.join(", ")),
        );
    }
    if let Some(dir) = &query.dir
        && ![Direction::Asc, Direction::Desc]
            .iter()
            .any(|direction| direction.param() == dir)
    {
        fields.insert("dir".into(), "must be asc or desc".into());
    }
    if let Some(page) = &query.page
        && whole_number(page, 1, i32::MAX.into()).is_none()
    {
        let message = format!("must be a whole number from 1 to {}", i32::MAX);
        fields.insert("page".into(), message);
    }
    if let Some(per_page) = &query.per_page
        && whole_number(per_page, 1, MAX_PER_PAGE).is_none()
    {
        let message = format!("must be a whole number from 1 to {MAX_PER_PAGE}");
        fields.insert("per_page".into(), message);
    }
    if !fields.is_empty() {
        return Err(ApiError::BadRequest {
            message: "invalid query parameters".into(),
            fields,
        });
    }
    Ok(ListParams::parse(
        query.q.as_deref(),
        query.sort.as_deref(),
        query.dir.as_deref(),
        query.page.as_deref(),
        query.per_page.as_deref(),
    ))
}

/// Digits only (no sign, no spaces), within `min..=max`.
fn whole_number(value: &str, min: i64, max: i64) -> Option<i64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
}

/// A listing URL for `page`, keeping the search, order and page size; default
/// values are left out, as on the index page.
fn list_url(params: &ListParams, page: i64) -> String {
    format!("{COLLECTION}?{}", params.query_string(Some(page)))
}

/// Shows one student.
///
/// The `ETag` header holds the student's version. Send it back in
/// `If-None-Match` to get a bodiless 304 while the student is unchanged
/// (`*` matches any version).
#[utoipa::path(
    get,
    path = "/api/students/{id}",
    tag = "students",
    operation_id = "getStudent",
    params(("id" = i32, Path, description = "The student's id.", minimum = 1, example = 2)),
    responses(
        (status = 200, description = "The student.", body = StudentRecord,
            headers(("ETag" = String, description = "The student's version, quoted: `\"1\"`."))),
        (status = 304, description = "`If-None-Match` names the current version.",
            headers(("ETag" = String, description = "The student's version, quoted."))),
        (status = 400, description = "`If-None-Match` is not `*` or a list of quoted ETags.",
            body = ErrorBody,
            example = json!({"error": "if-none-match must be * or a list of quoted ETags, like \"3\"",
                             "fields": {}})),
        (status = 404, description = "No student has this id.", body = ErrorBody,
            example = json!({"error": "no student has this id", "fields": {}})),
    )
)]
pub async fn show(
    db: web::Data<Database>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = student_id(&id)?;
    let student = db
        .run(move |conn| queries::find(conn, id))
        .await?
        .ok_or(ApiError::NO_SUCH_STUDENT)?;
    if conditional::if_none_match_hits(&req, student.version)? {
        // A 304 carries the caching headers the 200 would (RFC 9110 §15.4.5).
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, conditional::etag(student.version)))
            .insert_header((CACHE_CONTROL, PRIVATE))
            .finish());
    }
    Ok(record(
        HttpResponse::Ok().insert_header((CACHE_CONTROL, PRIVATE)),
        &student,
    ))
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
                ("ETag" = String, description = "The student's version, quoted: `\"1\"`.")
            ),
            links(
                ("getStudent" = (operation_id = "getStudent",
                    parameters(("id" = "$response.body#/id")))),
                ("replaceStudent" = (operation_id = "replaceStudent",
                    parameters(("id" = "$response.body#/id")))),
                ("updateStudent" = (operation_id = "updateStudent",
                    parameters(("id" = "$response.body#/id")))),
                ("deleteStudent" = (operation_id = "deleteStudent",
                    parameters(("id" = "$response.body#/id"))))
            )),
        (status = 400, description = "The body is not JSON, or not a JSON object with the \
            fields described (a wrong type or an unknown field).", body = ErrorBody,
            example = json!({"error": "the JSON does not fit this request",
                             "fields": {"age": "invalid type: string \"twenty\", expected a JSON number"}})),
        (status = 409, description = "Another student has this email address.",
            body = ErrorBody,
            example = json!({"error": "another student already uses this email address",
                             "fields": {"email": "Another student already uses this email address"}})),
        (status = 413, description = too_large_description(), body = ErrorBody,
            example = json!({"error": too_large_message(), "fields": {}})),
        (status = 415, description = "The body is not sent as JSON.", body = ErrorBody,
            example = json!({"error": "the request body must be JSON, sent with Content-Type: application/json",
                             "fields": {}})),
        (status = 422, description = "Some fields break the rules; one message per field.",
            body = ErrorBody,
            example = json!({"error": "validation failed",
                             "fields": {"firstname": "First name is required",
                                        "age": "Age must be a whole number from 1 to 150"}})),
        (status = 503, description = "The database could not store the change (its disk is \
            full, it is read-only, or it is unreachable); nothing was changed. Try again.",
            body = ErrorBody,
            example = json!({"error": "the change was not saved: the database could not store \
                it; nothing was changed, please try again", "fields": {}})),
    )
)]
pub async fn create(
    db: web::Data<Database>,
    body: JsonBody<StudentInput>,
) -> Result<HttpResponse, ApiError> {
    let details = StudentDraft::from(body.0)
        .validate()
        .map_err(ApiError::Invalid)?;
    let student = db
        .write(move |conn| queries::create(conn, &details))
        .await?;
    Ok(record(
        HttpResponse::Created().insert_header((LOCATION, format!("{COLLECTION}/{}", student.id))),
        &student,
    ))
}

/// Replaces every field of a student.
///
/// Optional fields left out or `null` are cleared. With `If-Match` (the
/// `ETag` of a version read earlier), the change is made only if the student
/// is still at that version, else 412 and nothing changes; without it, or
/// with `*`, it is unconditional. A replacement equal to what is stored
/// changes nothing, not even the version.
#[utoipa::path(
    put,
    path = "/api/students/{id}",
    tag = "students",
    operation_id = "replaceStudent",
    params(("id" = i32, Path, description = "The student's id.", minimum = 1, example = 2)),
    request_body(content = StudentInput, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved; the body is the stored student.",
            body = StudentRecord,
            headers(("ETag" = String, description = "The student's new version, quoted."))),
        (status = 400, description = "The body is not JSON, or not a JSON object with the \
            fields described; or `If-Match` is malformed.", body = ErrorBody,
            example = json!({"error": "the JSON does not fit this request",
                             "fields": {"frist_name": "unknown field `frist_name`, expected one of \
                                `firstname`, `lastname`, `email`, `age`, `bio`, `city`"}})),
        (status = 404, description = "No student has this id.", body = ErrorBody,
            example = json!({"error": "no student has this id", "fields": {}})),
        (status = 409, description = "Another student has this email address.",
            body = ErrorBody,
            example = json!({"error": "another student already uses this email address",
                             "fields": {"email": "Another student already uses this email address"}})),
        (status = 412, description = "`If-Match` names a version that is no longer stored; \
            nothing changed.", body = ErrorBody,
            headers(("ETag" = String, description = "The version that is stored now, quoted.")),
            example = json!({"error": "the student has changed since the version If-Match \
                names; it is now at ETag \"3\"", "fields": {}})),
        (status = 413, description = too_large_description(), body = ErrorBody,
            example = json!({"error": too_large_message(), "fields": {}})),
        (status = 415, description = "The body is not sent as JSON.", body = ErrorBody,
            example = json!({"error": "the request body must be JSON, sent with Content-Type: application/json",
                             "fields": {}})),
        (status = 422, description = "Some fields break the rules; one message per field.",
            body = ErrorBody,
            example = json!({"error": "validation failed",
                             "fields": {"email": "Enter an email address like name@example.com"}})),
        (status = 503, description = "The database could not store the change (its disk is \
            full, it is read-only, or it is unreachable); nothing was changed. Try again.",
            body = ErrorBody,
            example = json!({"error": "the change was not saved: the database could not store \
                it; nothing was changed, please try again", "fields": {}})),
    )
)]
pub async fn replace(
    db: web::Data<Database>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<StudentInput>,
) -> Result<HttpResponse, ApiError> {
    let id = student_id(&id)?;
    let expected = conditional::if_match(&req)?;
    let draft = StudentDraft::from(body.0);
    let student = db
        .write(move |conn| {
            queries::update(conn, id, expected.as_deref(), IfUnchanged::Keep, |_| {
                draft.validate()
            })
        })
        .await?;
    Ok(record(&mut HttpResponse::Ok(), &student))
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
        (status = 200, description = "Saved; the body is the stored student.",
            body = StudentRecord,
            headers(("ETag" = String, description = "The student's new version, quoted."))),
        (status = 400, description = "The body is not JSON, or not a JSON object with the \
            fields described; or `If-Match` is malformed.", body = ErrorBody,
            example = json!({"error": "the JSON does not fit this request",
                             "fields": {"age": "invalid type: string \"twenty\", expected a JSON number"}})),
        (status = 404, description = "No student has this id.", body = ErrorBody,
            example = json!({"error": "no student has this id", "fields": {}})),
        (status = 409, description = "Another student has this email address.",
            body = ErrorBody,
            example = json!({"error": "another student already uses this email address",
                             "fields": {"email": "Another student already uses this email address"}})),
        (status = 412, description = "`If-Match` names a version that is no longer stored; \
            nothing changed.", body = ErrorBody,
            headers(("ETag" = String, description = "The version that is stored now, quoted.")),
            example = json!({"error": "the student has changed since the version If-Match \
                names; it is now at ETag \"3\"", "fields": {}})),
        (status = 413, description = too_large_description(), body = ErrorBody,
            example = json!({"error": too_large_message(), "fields": {}})),
        (status = 415, description = "The body is not sent as JSON.", body = ErrorBody,
            example = json!({"error": "the request body must be JSON, sent with Content-Type: application/json",
                             "fields": {}})),
        (status = 422, description = "The result breaks the rules; one message per field.",
            body = ErrorBody,
            example = json!({"error": "validation failed",
                             "fields": {"lastname": "Last name is required"}})),
        (status = 503, description = "The database could not store the change (its disk is \
            full, it is read-only, or it is unreachable); nothing was changed. Try again.",
            body = ErrorBody,
            example = json!({"error": "the change was not saved: the database could not store \
                it; nothing was changed, please try again", "fields": {}})),
    )
)]
pub async fn update(
    db: web::Data<Database>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<StudentPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = student_id(&id)?;
    let expected = conditional::if_match(&req)?;
    let patch = body.0;
    let student = db
        .write(move |conn| {
            queries::update(
                conn,
                id,
                expected.as_deref(),
                IfUnchanged::Keep,
                |current| patch.apply(StudentDraft::from(current)).validate(),
            )
        })
        .await?;
    Ok(record(&mut HttpResponse::Ok(), &student))
}

/// Deletes a student.
///
/// With `If-Match`, only if the student is still at that version (else 412
/// and nothing is deleted).
#[utoipa::path(
    delete,
    path = "/api/students/{id}",
    tag = "students",
    operation_id = "deleteStudent",
    params(("id" = i32, Path, description = "The student's id.", minimum = 1, example = 2)),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`If-Match` is malformed.", body = ErrorBody,
            example = json!({"error": "if-match must be * or a list of quoted ETags, like \"3\"",
                             "fields": {}})),
        (status = 404, description = "No student has this id.", body = ErrorBody,
            example = json!({"error": "no student has this id", "fields": {}})),
        (status = 412, description = "`If-Match` names a version that is no longer stored; \
            nothing was deleted.", body = ErrorBody,
            headers(("ETag" = String, description = "The version that is stored now, quoted.")),
            example = json!({"error": "the student has changed since the version If-Match \
                names; it is now at ETag \"3\"", "fields": {}})),
        (status = 503, description = "The database could not store the change (its disk is \
            full, it is read-only, or it is unreachable); nothing was changed. Try again.",
            body = ErrorBody,
            example = json!({"error": "the change was not saved: the database could not store \
                it; nothing was changed, please try again", "fields": {}})),
    )
)]
pub async fn delete(
    db: web::Data<Database>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = student_id(&id)?;
    let expected = conditional::if_match(&req)?;
    db.write(move |conn| queries::delete(conn, id, expected.as_deref()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An id is digits only; anything else, or a number no student can have,
/// names no student.
fn student_id(segment: &str) -> Result<i32, ApiError> {
    whole_number(segment, 1, i32::MAX.into())
        .and_then(|id| i32::try_from(id).ok())
        .ok_or(ApiError::NO_SUCH_STUDENT)
}

/// A student as the body, with its version as the `ETag`.
fn record(response: &mut HttpResponseBuilder, student: &Student) -> HttpResponse {
    response
        .insert_header((ETAG, conditional::etag(student.version)))
        .json(StudentRecord::from(student))
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

    #[test]
    fn list_links_keep_everything_but_defaults() {
        let params =
            ListParams::parse(Some(" shark "), Some("age"), Some("desc"), None, Some("10"));
        assert_eq!(
            list_url(&params, 3),
            "/api/students?q=shark&sort=age&dir=desc&per_page=10&page=3"
        );
        assert_eq!(list_url(&ListParams::default(), 2), "/api/students?page=2");
    }

    #[test]
    fn list_parameters_are_read_strictly() {
        let query = |pairs: &[(&str, &str)]| -> ListQuery {
            serde_urlencoded::from_str(&serde_urlencoded::to_string(pairs).unwrap()).unwrap()
        };
        assert!(list_params(&query(&[("sort", "city"), ("dir", "desc"), ("page", "2")])).is_ok());
        for pairs in [
            &[("sort", "NAME")][..],
            &[("dir", "up")][..],
            &[("page", "0")][..],
            &[("page", "abc")][..],
            &[("page", "")][..],
            &[("per_page", "101")][..],
            &[("per_page", " 5")][..],
        ] {
            assert!(list_params(&query(pairs)).is_err(), "{pairs:?}");
        }
    }
}
