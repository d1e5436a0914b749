//! A course and an enrolment as stored.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::prelude::*;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::database::{StoredDate, StoredTime};
use crate::schema::{courses, enrolments};

/// A stored course.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = courses, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Course {
    pub id: i32,
    /// Upper case, as validation stores it; unique ignoring case.
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub credits: Option<i32>,
    /// Seats for `enrolled` students; `None` is unlimited.
    pub capacity: Option<i32>,
    /// Its `enrolled` rows, kept by the database's triggers: the seats taken.
    /// Not an edit, so it does not bump the version.
    pub enrolled_count: i32,
    /// Bumped on every change; an edit based on an older version is refused.
    pub version: i32,
    /// UTC, set by the database.
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    /// UTC, set by the database.
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
}

/// A course as an enrol form offers it: no description or timestamps, so a
/// form listing a thousand courses reads and converts only these.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = courses, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct OpenCourse {
    pub id: i32,
    pub code: String,
    pub title: String,
    pub capacity: Option<i32>,
    pub enrolled_count: i32,
}

impl OpenCourse {
    /// Seats still free; `None` when the course is unlimited.
    pub fn seats_left(&self) -> Option<i64> {
        seats_left(self.capacity, i64::from(self.enrolled_count))
    }
}

/// Seats still free of `capacity` with `taken` enrolled; `None` when the
/// course is unlimited.
pub fn seats_left(capacity: Option<i32>, taken: i64) -> Option<i64> {
    capacity.map(|capacity| (i64::from(capacity) - taken).max(0))
}

/// Where an enrolment stands. Only `Enrolled` takes a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum EnrolmentStatus {
    Enrolled,
    Withdrawn,
    Completed,
}

impl EnrolmentStatus {
    pub const ALL: [EnrolmentStatus; 3] = [
        EnrolmentStatus::Enrolled,
        EnrolmentStatus::Withdrawn,
        EnrolmentStatus::Completed,
    ];

    /// The stored name (and the API's).
    pub fn as_str(self) -> &'static str {
        match self {
            EnrolmentStatus::Enrolled => "enrolled",
            EnrolmentStatus::Withdrawn => "withdrawn",
            EnrolmentStatus::Completed => "completed",
        }
    }

    /// A status by its name, exactly as [`EnrolmentStatus::as_str`] writes it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

impl std::fmt::Display for EnrolmentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<DB: Backend> FromSql<Text, DB> for EnrolmentStatus
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let name = String::from_sql(bytes)?;
        // The table's CHECK admits only the three names.
        Self::parse(&name).ok_or_else(|| format!("unknown enrolment status {name:?}").into())
    }
}

impl<DB: Backend> ToSql<Text, DB> for EnrolmentStatus
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.as_str().to_sql(out)
    }
}

/// A stored enrolment: one row per student and course, kept when the student
/// withdraws (and reactivated if they enrol again).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = enrolments, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Enrolment {
    pub id: i32,
    pub student_id: i32,
    pub course_id: i32,
    /// The day of the latest enrolment (a re-enrolment moves it).
    #[diesel(deserialize_as = StoredDate)]
    pub enrolled_on: NaiveDate,
    pub status: EnrolmentStatus,
    /// Set exactly when the status is `Withdrawn`.
    pub withdrawn_on: Option<NaiveDate>,
}
