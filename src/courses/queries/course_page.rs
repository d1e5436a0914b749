//! What a course's page shows of it: the course, its history and a page of
//! its class list. On PostgreSQL the course and its history are one
//! statement (the history as JSON, as on a student's page), then the class
//! list, whose page needs the course's class size.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::page_json::{self, history_json_column};
use super::{ClassList, class_list_of, find_with_class_size};
use crate::audit::{self, AuditEvent, Subject};
use crate::courses::listing::ClassListParams;
use crate::courses::model::Course;
use crate::database::{AnyConnection, DbConnection, DbError};
use crate::schema::courses;

/// What a course's page shows of it.
#[derive(Debug)]
pub struct CoursePage {
    pub course: Course,
    /// The newest `history` first, as [`audit::for_subject`] reads them.
    pub events: Vec<AuditEvent>,
    /// The page of the class list `params` asks for, as [`class_list_of`]
    /// reads it.
    pub class: ClassList,
}

/// The page of course `id`, `None` if there is no such course. On
/// PostgreSQL two statements, on SQLite three.
pub fn course_page(
    conn: &mut DbConnection,
    id: i32,
    history: i64,
    params: &ClassListParams,
) -> Result<Option<CoursePage>, DbError> {
    let found = match conn {
        AnyConnection::Postgresql(pg) => read_in_one(pg, id, history)?,
        AnyConnection::Sqlite(_) => match find_with_class_size(conn, id)? {
            None => None,
            Some((course, class_size)) => {
                let events = audit::for_subject(conn, Subject::Course(id), history)?;
                Some((course, class_size, events))
            }
        },
    };
    let Some((course, class_size, events)) = found else {
        return Ok(None);
    };
    let class = class_list_of(conn, id, class_size, params)?;
    Ok(Some(CoursePage {
        course,
        events,
        class,
    }))
}

/// The course, its class size and its history in one statement.
fn read_in_one(
    conn: &mut PgConnection,
    id: i32,
    history: i64,
) -> Result<Option<(Course, i64, Vec<AuditEvent>)>, DieselError> {
    let row: Option<(Course, i32, Option<String>)> = courses::table
        .find(id)
        .select((
            Course::as_select(),
            courses::class_size,
            HistoryJson(history.max(0)),
        ))
        .first(conn)
        .optional()?;
    row.map(|(course, class_size, events)| {
        Ok((course, i64::from(class_size), page_json::events(events)?))
    })
    .transpose()
}

history_json_column!(HistoryJson, "course", "\"courses\".\"id\"");
