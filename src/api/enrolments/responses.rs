//! Responses several enrolment operations document alike (see
//! [`crate::api::responses`]).

use utoipa::IntoResponses;

use crate::api::error::ErrorBody;

#[derive(IntoResponses)]
#[response(status = 404, description = "No enrolment has this id.",
    example = json!({"error": "no enrolment has this id", "fields": {}}))]
pub struct NoSuchEnrolment(pub ErrorBody);

/// Every seat is taken: enrolling, or making an enrolment current again.
#[derive(IntoResponses)]
#[response(status = 409, description = "The student is already enrolled in this course \
    (`error`: \"the student is already enrolled in this course\", `fields.student_id` says \
    so too), or the course is full (`error`: \"the course is full: all N seats are \
    taken\", `fields` empty). Nothing changed.",
    example = json!({"error": "the course is full: all 30 seats are taken", "fields": {}}))]
pub struct EnrolRefused(pub ErrorBody);

#[derive(IntoResponses)]
#[response(status = 409, description = "The course is full: making the enrolment current \
    again needs a free seat. Nothing changed.",
    example = json!({"error": "the course is full: all 30 seats are taken", "fields": {}}))]
pub struct CourseFull(pub ErrorBody);
