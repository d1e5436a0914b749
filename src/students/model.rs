//! The student record as stored, and the validated details a user can change.

use chrono::NaiveDateTime;
use diesel::prelude::*;

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
    pub created_at: NaiveDateTime,
    /// UTC, set by the database.
    pub updated_at: NaiveDateTime,
}

impl Student {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.firstname, self.lastname)
    }
}

/// The fields a user edits, already validated: the only way to get one from
/// user input is [`crate::students::StudentDraft::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = students)]
// Clearing an optional field in the form must clear it in the database.
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct StudentDetails {
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub age: Option<i32>,
    pub bio: Option<String>,
    pub city: Option<String>,
}

impl From<&Student> for StudentDetails {
    fn from(student: &Student) -> Self {
        Self {
            firstname: student.firstname.clone(),
            lastname: student.lastname.clone(),
            email: student.email.clone(),
            age: student.age,
            bio: student.bio.clone(),
            city: student.city.clone(),
        }
    }
}
