//! Every query the application makes about students.
//!
//! Functions take a connection and block; handlers call them through
//! [`crate::database::Database::run`].

use diesel::dsl::now;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::model::{Student, StudentDetails};
use crate::database::{DbConnection, DbError};
use crate::schema::students;

/// The unique index that keeps emails unique ignoring case.
pub const EMAIL_UNIQUE_INDEX: &str = "students_email_key";

/// Why a create or an edit was not stored.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("another student already uses this email address")]
    EmailTaken,
    #[error("no such student")]
    NotFound,
    /// The edit was based on an older version than the one stored.
    #[error("the student changed since the edit began")]
    Stale { current: Box<Student> },
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<DieselError> for SaveError {
    fn from(err: DieselError) -> Self {
        match &err {
            // The database decides, so two requests racing for one address get
            // the same answer as a plain duplicate.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some(EMAIL_UNIQUE_INDEX)
                    || info.message().contains(EMAIL_UNIQUE_INDEX) =>
            {
                SaveError::EmailTaken
            }
            _ => SaveError::Database(DbError::Query(err)),
        }
    }
}

pub fn list_all(conn: &mut DbConnection) -> Result<Vec<Student>, DbError> {
    Ok(students::table
        .select(Student::as_select())
        .order(students::id.asc())
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: i32) -> Result<Option<Student>, DbError> {
    Ok(students::table
        .find(id)
        .select(Student::as_select())
        .first(conn)
        .optional()?)
}

pub fn create(conn: &mut DbConnection, details: &StudentDetails) -> Result<Student, SaveError> {
    Ok(diesel::insert_into(students::table)
        .values(details)
        .returning(Student::as_returning())
        .get_result(conn)?)
}

/// Stores `details` if the student is still at `expected_version`.
pub fn update(
    conn: &mut DbConnection,
    id: i32,
    expected_version: i32,
    details: &StudentDetails,
) -> Result<Student, SaveError> {
    // IMMEDIATE takes the write lock up front, so the follow-up read that
    // explains a miss sees the same state the update saw.
    conn.immediate_transaction(|conn| {
        let updated = diesel::update(
            students::table
                .find(id)
                .filter(students::version.eq(expected_version)),
        )
        .set((
            details,
            students::version.eq(students::version + 1),
            students::updated_at.eq(now),
        ))
        .returning(Student::as_returning())
        .get_result(conn)
        .optional()?;
        match updated {
            Some(student) => Ok(student),
            None => match find(conn, id)? {
                Some(current) => Err(SaveError::Stale {
                    current: Box::new(current),
                }),
                None => Err(SaveError::NotFound),
            },
        }
    })
}

/// Deletes a student and returns it, or `None` if there was none.
pub fn delete(conn: &mut DbConnection, id: i32) -> Result<Option<Student>, DbError> {
    Ok(diesel::delete(students::table.find(id))
        .returning(Student::as_returning())
        .get_result(conn)
        .optional()?)
}

/// Inserts many students in one statement, skipping emails already taken.
/// Returns how many rows were inserted.
pub fn insert_many(conn: &mut DbConnection, batch: &[StudentDetails]) -> Result<usize, DbError> {
    Ok(diesel::insert_or_ignore_into(students::table)
        .values(batch)
        .execute(conn)?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(students::table.count().get_result(conn)?)
}
