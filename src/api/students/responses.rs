//! Responses several student operations document alike (see
//! [`crate::api::responses`]).

use utoipa::IntoResponses;

use super::json::StudentRecord;
use crate::api::error::ErrorBody;

/// A `PUT` or `PATCH` that was stored.
#[derive(IntoResponses)]
#[response(status = 200, description = "Saved; the body is the stored student.",
    headers(("ETag" = String, description = "The student's version and `enrolment_count`, as in the \
        body, quoted.")))]
pub struct Saved(pub StudentRecord);

#[derive(IntoResponses)]
#[response(status = 404, description = "No student has this id.",
    example = json!({"error": "no student has this id", "fields": {}}))]
pub struct NoSuchStudent(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 409, description = "Another student has this email address.",
    example = json!({"error": "another student already uses this email address",
                     "fields": {"email": "Another student already uses this email address"}}))]
pub struct EmailTaken(pub ErrorBody);

/// A `PUT` or `PATCH` whose `If-Match` no longer matches.
#[derive(IntoResponses)]
#[response(status = 412, description = "`If-Match` names a version that is no longer stored; \
    nothing changed.",
    headers(("ETag" = String, description = "The student's current ETag: the version that is \
        stored now and `enrolment_count`, quoted.")),
    example = json!({"error": "the student has changed since the version If-Match \
        names; it is now at ETag \"3.2\"", "fields": {}}))]
pub struct Stale(pub ErrorBody);
