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
use crate::schema::{students, students_count};

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
    let total: i64 = match search {
        // Kept by triggers: O(1) instead of a scan of every row.
        None => students_count::table
            .select(students_count::total)
            .first(conn)?,
        Some(_) => filtered(search).count().get_result(conn)?,
    };
    let pagination = Pagination::new(params.page, params.per_page, total);
    let students = match pagination.fetch() {
        Fetch::Forward { offset, limit } => {
            load_page(conn, search, params.sort, params.direction, offset, limit)?
        }
        Fetch::Backward { offset, limit } => {
            let reversed = params.direction.reversed();
            let mut rows = load_page(conn, search, params.sort, reversed, offset, limit)?;
            rows.reverse();
            rows
        }
    };
    Ok(StudentList {
        students,
        pagination,
    })
}

/// Applies the order for `(sort, direction)` to `$query` and evaluates `$then`
/// with the ordered query bound to `$q`. Each arm keeps its own static type:
/// diesel caches the prepared statement of a static query, while a boxed one
/// is parsed and planned again on every call. Every order ends with the id,
/// so pages never overlap or skip rows.
macro_rules! with_order {
    ($query:expr, $sort:expr, $direction:expr, |$q:ident| $then:expr) => {{
        use crate::schema::students::dsl as s;
        match ($sort, $direction) {
            (SortKey::Name, Direction::Asc) => {
                let $q = $query.order_by((
                    lower(s::lastname).asc(),
                    lower(s::firstname).asc(),
                    s::id.asc(),
                ));
                $then
            }
            (SortKey::Name, Direction::Desc) => {
                let $q = $query.order_by((
                    lower(s::lastname).desc(),
                    lower(s::firstname).desc(),
                    s::id.desc(),
                ));
                $then
            }
            (SortKey::Email, Direction::Asc) => {
                let $q = $query.order_by((lower(s::email).asc(), s::id.asc()));
                $then
            }
            (SortKey::Email, Direction::Desc) => {
                let $q = $query.order_by((lower(s::email).desc(), s::id.desc()));
                $then
            }
            (SortKey::Age, Direction::Asc) => {
                let $q = $query.order_by((s::age.asc(), s::id.asc()));
                $then
            }
            (SortKey::Age, Direction::Desc) => {
                let $q = $query.order_by((s::age.desc(), s::id.desc()));
                $then
            }
            (SortKey::City, Direction::Asc) => {
                let $q = $query.order_by((lower_nullable(s::city).asc(), s::id.asc()));
                $then
            }
            (SortKey::City, Direction::Desc) => {
                let $q = $query.order_by((lower_nullable(s::city).desc(), s::id.desc()));
                $then
            }
            (SortKey::Joined, Direction::Asc) => {
                let $q = $query.order_by((s::created_at.asc(), s::id.asc()));
                $then
            }
            (SortKey::Joined, Direction::Desc) => {
                let $q = $query.order_by((s::created_at.desc(), s::id.desc()));
                $then
            }
        }
    }};
}

/// One page of students in the given order; the unfiltered listing, the
/// common case, runs as a cached prepared statement.
fn load_page(
    conn: &mut DbConnection,
    search: Option<&str>,
    sort: SortKey,
    direction: Direction,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Student>> {
    match search {
        None => with_order!(students::table, sort, direction, |query| query
            .select(Student::as_select())
            .offset(offset)
            .limit(limit)
            .load(conn)),
        Some(_) => with_order!(filtered(search), sort, direction, |query| query
            .select(Student::as_select())
            .offset(offset)
            .limit(limit)
            .load(conn)),
    }
}

fn filtered(search: Option<&str>) -> StudentQuery {
    let query = students::table.into_boxed();
    match search {
        Some(term) => query.filter(matches(term)),
        None => query,
    }
}

/// Students with a word starting with each word of `term`, in their name,
/// email or city, ignoring case and accents.
fn matches(term: &str) -> Filter {
    match fts_query(term) {
        Some(query) => Box::new(
            sql::<Bool>(
                "students.id IN (SELECT rowid FROM students_search WHERE students_search MATCH ",
            )
            .bind::<Text, _>(query)
            .sql(")"),
        ),
        // Nothing but punctuation ("%", "@"): no words to look up, so look
        // for the characters themselves.
        None => {
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
}

/// `sammy shark` → `"sammy"* "shark"*`: each word quoted, so nothing the user
/// types is read as FTS5 syntax, and matched as a prefix.
fn fts_query(term: &str) -> Option<String> {
    let words: Vec<String> = term
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| format!("\"{word}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
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

/// Merges the search index's segments after a bulk load: a search then
/// reads one posting list per word instead of one per segment.
pub fn compact_search_index(conn: &mut DbConnection) -> Result<(), DbError> {
    diesel::sql_query("INSERT INTO students_search (students_search) VALUES ('optimize')")
        .execute(conn)?;
    Ok(())
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(students::table.count().get_result(conn)?)
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn search_terms_become_quoted_prefix_words() {
        assert_eq!(
            fts_query("Sammy Shark").as_deref(),
            Some("\"Sammy\"* \"Shark\"*")
        );
        assert_eq!(
            fts_query("sammy@example.com").as_deref(),
            Some("\"sammy\"* \"example\"* \"com\"*")
        );
        assert_eq!(
            fts_query("NEAR(\"x\" OR y)").as_deref(),
            Some("\"NEAR\"* \"x\"* \"OR\"* \"y\"*")
        );
        assert_eq!(fts_query("São"), Some("\"São\"*".to_owned()));
        assert_eq!(fts_query("% _ @"), None);
    }
}
