//! The student record as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::database::StoredTime;
use crate::schema::students;

/// A stored student.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = students, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct Student {
    pub id: i32,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub age: Option<i32>,
    pub bio: Option<String>,
    pub city: Option<String>,
    /// Bumped on every change; an edit based on an older version is refused.
    pub version: i32,
    /// UTC, set by the database.
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    /// UTC, set by the database.
    #[diesel(deserialize_as = StoredTime)]
    pub updated_at: NaiveDateTime,
    /// Courses the student is enrolled in now (status `enrolled`): kept by
    /// the database's triggers, never written here.
    pub current_courses: i32,
}

impl Student {
    pub fn full_name(&self) -> String {
        [self.firstname.as_str(), " ", &self.lastname].concat()
    }
}
