//! What a student's page shows of them, on PostgreSQL in one statement: the
//! student, their courses and their history (the two lists as JSON built by
//! PostgreSQL), and the number of open courses, which tells whether the
//! enrol form lists them.
//!
//! Why: on PostgreSQL each statement is a round trip with a fixed cost (the
//! trip, the executor's start and end). SQLite has no trip to save and
//! reads the same through the separate queries, which the one statement
//! must agree with: the app's tests run on both backends.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::page_json::{self, date, decode, history_json_column, json_column};
use super::{CourseSummary, StudentCourse, all_open_to_student, for_student};
use crate::audit::{self, AuditEvent, Subject};
use crate::courses::model::{Enrolment, EnrolmentStatus, OpenCourse};
use crate::database::{AnyConnection, DbConnection, DbError, on_backend};
use crate::schema::{courses_count, students};
use crate::students::Student;
use crate::students::queries as student_queries;

/// What a student's page shows of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentPage {
    pub student: Student,
    /// As [`for_student`] reads them.
    pub courses: Vec<StudentCourse>,
    /// As [`all_open_to_student`] answers, when asked for; else empty.
    pub open_courses: Option<Vec<OpenCourse>>,
    /// The newest `history` first, as [`audit::for_subject`] reads them.
    pub events: Vec<AuditEvent>,
}

/// The page of student `id`, `None` if there is no such student.
/// `list_open`: the most courses the enrol form lists before a search, to
/// answer as [`all_open_to_student`] does (`None`: not asked).
///
/// On PostgreSQL one statement. The open courses are read (two statements
/// more) only when the stored number of open courses, less the student's
/// own, does not already say they are more than `list_open`.
pub fn student_page(
    conn: &mut DbConnection,
    id: i32,
    list_open: Option<i64>,
    history: i64,
) -> Result<Option<StudentPage>, DbError> {
    let read = match conn {
        AnyConnection::Postgresql(pg) => read_in_one(pg, id, history)?,
        AnyConnection::Sqlite(_) => read_apart(conn, id, list_open.is_some(), history)?,
    };
    let Some(read) = read else {
        return Ok(None);
    };
    let open_courses = match list_open {
        None => Some(Vec::new()),
        Some(limit) => {
            let current = current_course_ids(&read.courses);
            // At least this many open courses are not the student's.
            let others = read
                .open_total
                .map(|open| open.saturating_sub(i64::try_from(current.len()).unwrap_or(i64::MAX)));
            if others.is_some_and(|others| others > limit) {
                None
            } else {
                all_open_to_student(conn, &current, limit)?
            }
        }
    };
    Ok(Some(StudentPage {
        student: read.student,
        courses: read.courses,
        open_courses,
        events: read.events,
    }))
}

/// The courses of `courses` the student is enrolled in now: the ones an
/// enrol form does not offer.
pub fn current_course_ids(courses: &[StudentCourse]) -> Vec<i32> {
    courses
        .iter()
        .filter(|row| row.enrolment.status == EnrolmentStatus::Enrolled)
        .map(|row| row.enrolment.course_id)
        .collect()
}

/// The page's reads before the open courses are sorted out.
struct Read {
    student: Student,
    courses: Vec<StudentCourse>,
    /// Courses with a seat left (or no limit), the student's own among
    /// them; `None` when not read.
    open_total: Option<i64>,
    events: Vec<AuditEvent>,
}

fn read_apart(
    conn: &mut DbConnection,
    id: i32,
    count_open: bool,
    history: i64,
) -> Result<Option<Read>, DbError> {
    let Some(student) = student_queries::find(conn, id)? else {
        return Ok(None);
    };
    let courses = for_student(conn, id)?;
    let open_total = if count_open {
        on_backend!(conn, |c| courses_count::table
            .select(courses_count::open)
            .first::<i64>(c)
            .optional())?
    } else {
        None
    };
    let events = audit::for_subject(conn, Subject::Student(id), history)?;
    Ok(Some(Read {
        student,
        courses,
        open_total,
        events,
    }))
}

/// [`read_apart`] in one statement (the count of open courses is one row,
/// read whether asked for or not).
fn read_in_one(
    conn: &mut PgConnection,
    id: i32,
    history: i64,
) -> Result<Option<Read>, DieselError> {
    type Row = (Student, Option<String>, Option<i64>, Option<String>);
    let row: Option<Row> = students::table
        .find(id)
        .select((
            Student::as_select(),
            CoursesJson,
            courses_count::table
                .select(courses_count::open)
                .single_value(),
            HistoryJson(history.max(0)),
        ))
        .first(conn)
        .optional()?;
    let Some((student, courses, open_total, events)) = row else {
        return Ok(None);
    };
    let courses = decode::<CourseRow>(courses)?
        .into_iter()
        .map(|row| row.into_course(student.id))
        .collect::<Result<_, _>>()?;
    let events = page_json::events(events)?;
    Ok(Some(Read {
        student,
        courses,
        open_total,
        events,
    }))
}

/// An enrolment and its course, as [`COURSES`] builds it: a JSON array,
/// which serde reads into the fields in order.
#[derive(serde::Deserialize)]
struct CourseRow {
    id: i32,
    course_id: i32,
    enrolled_on: String,
    status: String,
    withdrawn_on: Option<String>,
    code: String,
    title: String,
    credits: Option<i32>,
}

impl CourseRow {
    fn into_course(self, student_id: i32) -> Result<StudentCourse, DieselError> {
        let status = EnrolmentStatus::parse(&self.status).ok_or_else(|| {
            let message = format!("unknown enrolment status {:?}", self.status);
            DieselError::DeserializationError(message.into())
        })?;
        Ok(StudentCourse {
            enrolment: Enrolment {
                id: self.id,
                student_id,
                course_id: self.course_id,
                enrolled_on: date(&self.enrolled_on)?,
                status,
                withdrawn_on: self.withdrawn_on.as_deref().map(date).transpose()?,
            },
            course: CourseSummary {
                id: self.course_id,
                code: self.code,
                title: self.title,
                credits: self.credits,
            },
        })
    }
}

/// The student's enrolments with their courses, ordered as [`for_student`]
/// orders them.
const COURSES: &str = "(SELECT json_agg(json_build_array(e.id, e.course_id, e.enrolled_on, \
     e.status, e.withdrawn_on, c.code, c.title, c.credits) ORDER BY lower(c.code), e.id)::text \
     FROM enrolments e JOIN courses c ON c.id = e.course_id \
     WHERE e.student_id = \"students\".\"id\")";

json_column!(CoursesJson, |_this, out| {
    out.push_sql(COURSES);
    Ok(())
});

history_json_column!(HistoryJson, "student", "\"students\".\"id\"");
