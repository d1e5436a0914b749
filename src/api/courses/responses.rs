//! Responses several course operations document alike (see
//! [`crate::api::responses`]).

use utoipa::IntoResponses;

use super::json::CourseRecord;
use crate::api::error::ErrorBody;

/// A `PUT` or `PATCH` that was stored.
#[derive(IntoResponses)]
#[response(status = 200, description = "Saved; the body is the stored course.",
    headers(("ETag" = String, description = "The course's version and `enrolled`, as in the \
        body, quoted.")))]
pub struct Saved(pub CourseRecord);

#[derive(IntoResponses)]
#[response(status = 404, description = "No course has this id.",
    example = json!({"error": "no course has this id", "fields": {}}))]
pub struct NoSuchCourse(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 409, description = "Another course has this code (ignoring case).",
    example = json!({"error": "another course already uses this code",
                     "fields": {"code": "Another course already uses this code"}}))]
pub struct CodeTaken(pub ErrorBody);

/// A `PUT` or `PATCH` whose `If-Match` no longer matches.
#[derive(IntoResponses)]
#[response(status = 412, description = "`If-Match` names a version that is no longer stored; \
    nothing changed.",
    headers(("ETag" = String, description = "The course's current ETag: the version that is \
        stored now and `enrolled`, quoted.")),
    example = json!({"error": "the course has changed since the version If-Match \
        names; it is now at ETag \"3.12\"", "fields": {}}))]
pub struct Stale(pub ErrorBody);
