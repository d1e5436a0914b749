//! What goes over the wire for enrolments: the enrolment, with the student
//! (in a class list) or the course (in a student's list) it relates, the
//! bodies clients send, and the class list's query.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::courses::queries::{ClassMember, CourseSummary, StudentCourse, StudentSummary};
use crate::courses::{Enrolment, EnrolmentStatus};
use crate::format::iso_date;

fn enrolment_example() -> serde_json::Value {
    serde_json::json!({
        "id": 7,
        "student_id": 2,
        "course_id": 3,
        "status": "enrolled",
        "enrolled_on": "2026-11-23",
        "withdrawn_on": null
    })
}

/// Where an enrolment stands. Only `enrolled` takes a seat.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = EnrolmentStatus)]
pub enum StatusName {
    Enrolled,
    Withdrawn,
    Completed,
}

impl From<EnrolmentStatus> for StatusName {
    fn from(status: EnrolmentStatus) -> Self {
        match status {
            EnrolmentStatus::Enrolled => Self::Enrolled,
            EnrolmentStatus::Withdrawn => Self::Withdrawn,
            EnrolmentStatus::Completed => Self::Completed,
        }
    }
}

impl From<StatusName> for EnrolmentStatus {
    fn from(status: StatusName) -> Self {
        match status {
            StatusName::Enrolled => Self::Enrolled,
            StatusName::Withdrawn => Self::Withdrawn,
            StatusName::Completed => Self::Completed,
        }
    }
}

/// A student's enrolment in a course: one per student and course, kept when
/// the student withdraws (and reactivated if they enrol again).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Enrolment, example = enrolment_example)]
pub struct EnrolmentRecord {
    pub id: i32,
    pub student_id: i32,
    pub course_id: i32,
    pub status: StatusName,
    /// The day of the latest enrolment (`YYYY-MM-DD`, UTC); enrolling again
    /// moves it.
    #[schema(format = Date)]
    pub enrolled_on: String,
    /// The day the student withdrew (`YYYY-MM-DD`, UTC); `null` unless the
    /// status is `withdrawn`.
    #[schema(format = Date, required = true)]
    pub withdrawn_on: Option<String>,
}

impl From<&Enrolment> for EnrolmentRecord {
    fn from(enrolment: &Enrolment) -> Self {
        let Enrolment {
            id,
            student_id,
            course_id,
            enrolled_on,
            status,
            withdrawn_on,
        } = enrolment;
        Self {
            id: *id,
            student_id: *student_id,
            course_id: *course_id,
            status: (*status).into(),
            enrolled_on: iso_date(enrolled_on),
            withdrawn_on: withdrawn_on.as_ref().map(iso_date),
        }
    }
}

/// The student of a class-list row.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StudentSummary)]
pub struct StudentSummaryRecord {
    pub id: i32,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
}

/// The course of one of a student's enrolments.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CourseSummary)]
pub struct CourseSummaryRecord {
    pub id: i32,
    pub code: String,
    pub title: String,
    #[schema(required = true)]
    pub credits: Option<i32>,
}

/// One row of a class list: the enrolment and its student.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ClassMember, example = json!({
    "id": 7, "student_id": 2, "course_id": 3, "status": "enrolled",
    "enrolled_on": "2026-11-23", "withdrawn_on": null,
    "student": {"id": 2, "firstname": "Sammy", "lastname": "Shark",
                "email": "sammyshark@example.com"}
}))]
pub struct ClassMemberRecord {
    #[serde(flatten)]
    pub enrolment: EnrolmentRecord,
    pub student: StudentSummaryRecord,
}

impl From<&ClassMember> for ClassMemberRecord {
    fn from(member: &ClassMember) -> Self {
        let StudentSummary {
            id,
            firstname,
            lastname,
            email,
        } = &member.student;
        Self {
            enrolment: EnrolmentRecord::from(&member.enrolment),
            student: StudentSummaryRecord {
                id: *id,
                firstname: firstname.clone(),
                lastname: lastname.clone(),
                email: email.clone(),
            },
        }
    }
}

/// One of a student's enrolments, with its course.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StudentEnrolment, example = json!({
    "id": 7, "student_id": 2, "course_id": 3, "status": "withdrawn",
    "enrolled_on": "2026-11-23", "withdrawn_on": "2026-12-01",
    "course": {"id": 3, "code": "BIO-101", "title": "Marine Biology", "credits": 6}
}))]
pub struct StudentEnrolmentRecord {
    #[serde(flatten)]
    pub enrolment: EnrolmentRecord,
    pub course: CourseSummaryRecord,
}

impl From<&StudentCourse> for StudentEnrolmentRecord {
    fn from(row: &StudentCourse) -> Self {
        let CourseSummary {
            id,
            code,
            title,
            credits,
        } = &row.course;
        Self {
            enrolment: EnrolmentRecord::from(&row.enrolment),
            course: CourseSummaryRecord {
                id: *id,
                code: code.clone(),
                title: title.clone(),
                credits: *credits,
            },
        }
    }
}

/// One page of a course's class list (every status).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassListPage {
    pub items: Vec<ClassMemberRecord>,
    /// How many enrolments the course has (any status), on all pages.
    pub total: i64,
    /// The page this is; a page past the end gives the last page.
    pub page: i64,
    pub per_page: i64,
    /// The next page's URL (path and query), `null` on the last page.
    #[schema(required = true)]
    pub next: Option<String>,
    /// The previous page's URL (path and query), `null` on the first page.
    #[schema(required = true)]
    pub prev: Option<String>,
}

/// Every enrolment of one student (any status), by course code.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudentEnrolments {
    pub items: Vec<StudentEnrolmentRecord>,
}

/// The class list's query, read strictly.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClassListQuery {
    /// The order: `name` (last name, then first name) or `enrolled` (the day
    /// of enrolment). Default `name`.
    #[param(value_type = Option<ClassSortParam>)]
    pub sort: Option<String>,
    /// `asc` or `desc`. Default `asc`.
    #[param(value_type = Option<crate::api::students::json::DirParam>)]
    pub dir: Option<String>,
    /// The page, from 1. Default 1; past the end gives the last page.
    #[param(value_type = Option<i32>, minimum = 1, maximum = 2147483647)]
    pub page: Option<String>,
    /// Enrolments per page, 1 to 100. Default 25.
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = ClassSort, rename_all = "lowercase")]
#[allow(dead_code)] // documents `sort`; the values are read in `class::list_params`
pub enum ClassSortParam {
    Name,
    Enrolled,
}

/// Enrols a student, for `POST /api/courses/{id}/enrolments`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"student_id": 2}))]
pub struct EnrolInput {
    /// The student's id. One that names no student is a 422.
    #[schema(value_type = i32, minimum = 1, maximum = 2147483647, required = true)]
    pub student_id: Option<crate::api::body::WholeNumber>,
}

/// A new status, for `PATCH /api/enrolments/{id}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "withdrawn"}))]
pub struct StatusInput {
    /// `withdrawn` (dated today), `completed`, or `enrolled` again (which
    /// needs a free seat and dates the enrolment today).
    #[schema(value_type = StatusName, required = true)]
    pub status: Option<StatusName>,
}
