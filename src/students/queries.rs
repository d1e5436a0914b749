//! Every query the application makes about students.
//!
//! Functions take a connection and block; handlers call them through
//! [`crate::database::Database::run`].

use diesel::dsl::{now, sql};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Bool, Nullable, Text};
use diesel::sqlite::Sqlite;

use super::listing::{Direction, ListParams, SortKey};
use super::model::{Student, StudentDetails};
use super::validation::FieldErrors;
use crate::database::{DbConnection, DbError};
use crate::pagination::{Fetch, Pagination};
use crate::schema::students;

diesel::define_sql_function! {
    /// SQL `lower`, for case-insensitive ordering that the indexes serve.
    fn lower(text: Text) -> Text;
}

diesel::define_sql_function! {
    #[sql_name = "lower"]
    fn lower_nullable(text: Nullable<Text>) -> Nullable<Text>;
}

/// One page of a listing and where it sits in the whole.
#[derive(Debug)]
pub struct StudentList {
    pub students: Vec<Student>,
    pub pagination: Pagination,
}

type StudentQuery = students::BoxedQuery<'static, Sqlite>;
type Filter = Box<dyn BoxableExpression<students::table, Sqlite, SqlType = Bool>>;

/// Two queries whatever the page size: the count, then the page.
pub fn list(conn: &mut DbConnection, params: &ListParams) -> Result<StudentList, DbError> {
    let search = params.search.as_deref();
    let total: i64 = filtered(search).count().get_result(conn)?;
    let pagination = Pagination::new(params.page, params.per_page, total);
    let page = |direction: Direction, offset: i64, limit: i64| {
        ordered(filtered(search), params.sort, direction)
            .select(Student::as_select())
            .offset(offset)
            .limit(limit)
    };
    let students = match pagination.fetch() {
        Fetch::Forward { offset, limit } => page(params.direction, offset, limit).load(conn)?,
        Fetch::Backward { offset, limit } => {
            let mut rows = page(params.direction.reversed(), offset, limit).load(conn)?;
            rows.reverse();
            rows
        }
    };
    Ok(StudentList {
        students,
        pagination,
    })
}

fn filtered(search: Option<&str>) -> StudentQuery {
    let query = students::table.into_boxed();
    match search {
        Some(term) => query.filter(matches(term)),
        None => query,
    }
}

/// Students whose full name, email or city contains `term`, ignoring case.
fn matches(term: &str) -> Filter {
    if term.chars().count() >= 3 {
        // The trigram index answers any substring of three or more characters.
        let phrase = format!("\"{}\"", term.replace('"', "\"\""));
        Box::new(
            sql::<Bool>(
                "students.id IN (SELECT rowid FROM students_search WHERE students_search MATCH ",
            )
            .bind::<Text, _>(phrase)
            .sql(")"),
        )
    } else {
        // Too short for trigrams: a scan, which one or two letters rarely need.
        let pattern = format!(
            "%{}%",
            term.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        Box::new(
            sql::<Bool>("((students.firstname || ' ' || students.lastname) LIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(" ESCAPE '\\' OR students.email LIKE ")
                .bind::<Text, _>(pattern.clone())
                .sql(" ESCAPE '\\' OR students.city LIKE ")
                .bind::<Text, _>(pattern)
                .sql(" ESCAPE '\\')"),
        )
    }
}

/// Every order ends with the id, so pages never overlap or skip rows.
fn ordered(query: StudentQuery, sort: SortKey, direction: Direction) -> StudentQuery {
    use crate::schema::students::dsl::*;
    match (sort, direction) {
        (SortKey::Name, Direction::Asc) => {
            query.order_by((lower(lastname).asc(), lower(firstname).asc(), id.asc()))
        }
        (SortKey::Name, Direction::Desc) => {
            query.order_by((lower(lastname).desc(), lower(firstname).desc(), id.desc()))
        }
        (SortKey::Email, Direction::Asc) => query.order_by((lower(email).asc(), id.asc())),
        (SortKey::Email, Direction::Desc) => query.order_by((lower(email).desc(), id.desc())),
        (SortKey::Age, Direction::Asc) => query.order_by((age.asc(), id.asc())),
        (SortKey::Age, Direction::Desc) => query.order_by((age.desc(), id.desc())),
        (SortKey::City, Direction::Asc) => query.order_by((lower_nullable(city).asc(), id.asc())),
        (SortKey::City, Direction::Desc) => {
            query.order_by((lower_nullable(city).desc(), id.desc()))
        }
        (SortKey::Joined, Direction::Asc) => query.order_by((created_at.asc(), id.asc())),
        (SortKey::Joined, Direction::Desc) => query.order_by((created_at.desc(), id.desc())),
    }
}

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
    /// The details that [`modify`] was asked to store break a rule.
    #[error("the details break a rule")]
    Invalid(FieldErrors),
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

/// Reads the student, lets `change` turn it into the details to store, and
/// stores them, all in one write transaction: nothing can change in between,
/// so a merge of a few fields onto the stored ones never loses another edit.
///
/// `expected_versions`, when given, lists the versions the edit may replace;
/// any other is [`SaveError::Stale`]. Details equal to the stored ones are not
/// written, so a change that changes nothing keeps the version.
pub fn modify(
    conn: &mut DbConnection,
    id: i32,
    expected_versions: Option<&[i32]>,
    change: impl FnOnce(&Student) -> Result<StudentDetails, FieldErrors>,
) -> Result<Student, SaveError> {
    conn.immediate_transaction(|conn| {
        let current = find(conn, id)?.ok_or(SaveError::NotFound)?;
        check_version(&current, expected_versions)?;
        let details = change(&current).map_err(SaveError::Invalid)?;
        if details == StudentDetails::from(&current) {
            return Ok(current);
        }
        Ok(diesel::update(students::table.find(id))
            .set((
                &details,
                students::version.eq(students::version + 1),
                students::updated_at.eq(now),
            ))
            .returning(Student::as_returning())
            .get_result(conn)?)
    })
}

/// Deletes a student if it is at one of `expected_versions` (any version when
/// `None`), and returns what was deleted.
pub fn delete_expecting(
    conn: &mut DbConnection,
    id: i32,
    expected_versions: Option<&[i32]>,
) -> Result<Student, SaveError> {
    conn.immediate_transaction(|conn| {
        let current = find(conn, id)?.ok_or(SaveError::NotFound)?;
        check_version(&current, expected_versions)?;
        diesel::delete(students::table.find(id)).execute(conn)?;
        Ok(current)
    })
}

fn check_version(current: &Student, expected_versions: Option<&[i32]>) -> Result<(), SaveError> {
    match expected_versions {
        Some(versions) if !versions.contains(&current.version) => Err(SaveError::Stale {
            current: Box::new(current.clone()),
        }),
        _ => Ok(()),
    }
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
