//! Every query the application makes about students.
//!
//! Functions take a connection and block; handlers call them through
//! [`crate::database::Database::run`].

use diesel::dsl::{now, sql};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Bool, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::{PgConnection, SqliteConnection};

use super::listing::{Direction, ListParams, SortKey};
use super::model::Student;
use super::validation::{FieldErrors, StudentDetails};
use crate::database::{DbConnection, DbError, on_backend};
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

// SQLite sorts NULL first and PostgreSQL last; saying it keeps both in step
// (and both backends' indexes are built in this order).
diesel::postfix_operator!(
    NullsFirst,
    " NULLS FIRST",
    diesel::expression::expression_types::NotSelectable
);
diesel::postfix_operator!(
    NullsLast,
    " NULLS LAST",
    diesel::expression::expression_types::NotSelectable
);

/// One page of a listing and where it sits in the whole.
#[derive(Debug)]
pub struct StudentList {
    pub students: Vec<Student>,
    pub pagination: Pagination,
}

/// Two queries whatever the page size: the count, then the page; none for a
/// search with no letters or digits.
pub fn list(conn: &mut DbConnection, params: &ListParams) -> Result<StudentList, DbError> {
    let search = params.search.as_deref();
    if search.is_some_and(|term| !is_searchable(term)) {
        return Ok(StudentList {
            students: Vec::new(),
            pagination: Pagination::new(params.page, params.per_page, 0),
        });
    }
    let total: i64 = match search {
        // Kept by triggers: O(1) instead of a scan of every row.
        None => on_backend!(conn, |c| students_count::table
            .select(students_count::total)
            .first(c))?,
        Some(term) => on_backend!(conn, |c| c.students_matching(term).count().get_result(c))?,
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
/// is parsed and planned again on every call. Every order is total (it ends
/// with the id, or is by the unique email), so pages never overlap or skip
/// rows.
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
            // Emails are unique ignoring case, so they need no tie-breaker,
            // and the unique index serves the order on its own.
            (SortKey::Email, Direction::Asc) => {
                let $q = $query.order_by(lower(s::email).asc());
                $then
            }
            (SortKey::Email, Direction::Desc) => {
                let $q = $query.order_by(lower(s::email).desc());
                $then
            }
            (SortKey::Age, Direction::Asc) => {
                let $q = $query.order_by((NullsFirst::new(s::age.asc()), s::id.asc()));
                $then
            }
            (SortKey::Age, Direction::Desc) => {
                let $q = $query.order_by((NullsLast::new(s::age.desc()), s::id.desc()));
                $then
            }
            (SortKey::City, Direction::Asc) => {
                let $q =
                    $query.order_by((NullsFirst::new(lower_nullable(s::city).asc()), s::id.asc()));
                $then
            }
            (SortKey::City, Direction::Desc) => {
                let $q =
                    $query.order_by((NullsLast::new(lower_nullable(s::city).desc()), s::id.desc()));
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
        None => on_backend!(conn, |c| with_order!(
            students::table,
            sort,
            direction,
            |query| query
                .select(Student::as_select())
                .offset(offset)
                .limit(limit)
                .load(c)
        )),
        Some(term) => on_backend!(conn, |c| with_order!(
            c.students_matching(term),
            sort,
            direction,
            |query| query
                .select(Student::as_select())
                .offset(offset)
                .limit(limit)
                .load(c)
        )),
    }
}

type Filter<DB> = Box<dyn BoxableExpression<students::table, DB, SqlType = Bool>>;

/// Search is the one query each backend writes its own way: each has its own
/// full-text index.
pub trait FullTextSearch: Connection {
    /// Students with a word of their name, email or city starting with each
    /// word of `term`, ignoring case and accents.
    fn students_matching(&self, term: &str) -> students::BoxedQuery<'static, Self::Backend>;
}

impl FullTextSearch for SqliteConnection {
    fn students_matching(&self, term: &str) -> students::BoxedQuery<'static, Sqlite> {
        let filter: Filter<Sqlite> = match search_words(term) {
            Some(words) => Box::new(
                sql::<Bool>(
                    "students.id IN (SELECT rowid FROM students_search WHERE students_search MATCH ",
                )
                .bind::<Text, _>(fts5_query(&words))
                .sql(")"),
            ),
            None => Box::new(matches_nothing()),
        };
        students::table.into_boxed().filter(filter)
    }
}

impl FullTextSearch for PgConnection {
    fn students_matching(&self, term: &str) -> students::BoxedQuery<'static, Pg> {
        let filter: Filter<Pg> = match search_words(term) {
            // The matching ids are collected first (one GIN index scan) and
            // the page is then taken from them: left to itself, the planner
            // may walk a sort index and test every row instead.
            Some(words) => Box::new(
                sql::<Bool>(
                    "students.id = ANY(ARRAY(SELECT s.id FROM students s \
                     WHERE students_search_document(s.firstname, s.lastname, s.email, s.city) \
                     @@ to_tsquery('simple'::regconfig, students_unaccent(",
                )
                .bind::<Text, _>(tsquery(&words))
                .sql("))))"),
            ),
            None => Box::new(matches_nothing()),
        };
        students::table.into_boxed().filter(filter)
    }
}

/// A term without words matches nothing: looking for punctuation would
/// mean reading every row. ([`list`] does not even ask.)
fn matches_nothing() -> diesel::expression::SqlLiteral<Bool> {
    sql::<Bool>("1 = 0")
}

/// Whether `term` has something to look up: at least one letter or digit.
/// One is enough: a one-character word is a prefix that both backends'
/// indexes answer (FTS5's prefix index, the GIN index's partial match)
/// without reading the table, and the query budget bounds what it costs.
pub fn is_searchable(term: &str) -> bool {
    search_words(term).is_some()
}

/// The words of a search term: runs of letters and digits.
fn search_words(term: &str) -> Option<Vec<&str>> {
    let words: Vec<&str> = term
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect();
    (!words.is_empty()).then_some(words)
}

/// `sammy shark` → `"sammy"* "shark"*`: each word quoted, so nothing the user
/// types is read as FTS5 syntax, and matched as a prefix.
fn fts5_query(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|word| format!("\"{word}\"*")).collect();
    quoted.join(" ")
}

/// `sammy shark` → `'sammy':* & 'shark':*`. The words hold letters and digits
/// only, so none can be read as tsquery syntax.
fn tsquery(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|word| format!("'{word}':*")).collect();
    quoted.join(" & ")
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
    /// The details that [`update`] was asked to store break a rule.
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
            _ => SaveError::Database(DbError::from(err)),
        }
    }
}

pub fn list_all(conn: &mut DbConnection) -> Result<Vec<Student>, DbError> {
    Ok(on_backend!(conn, |c| students::table
        .select(Student::as_select())
        .order(students::id.asc())
        .load(c))?)
}

pub fn find(conn: &mut DbConnection, id: i32) -> Result<Option<Student>, DbError> {
    Ok(on_backend!(conn, |c| students::table
        .find(id)
        .select(Student::as_select())
        .first(c)
        .optional())?)
}

/// In a transaction of its own, so that a failed commit is an error rather
/// than a record (and an id) reported but never stored.
pub fn create(conn: &mut DbConnection, details: &StudentDetails) -> Result<Student, SaveError> {
    conn.write_transaction(|conn| {
        Ok(on_backend!(conn, |c| diesel::insert_into(students::table)
            .values(details)
            .returning(Student::as_returning())
            .get_result(c))?)
    })
}

/// What [`update`] does with details equal to the stored ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfUnchanged {
    /// Write nothing and keep the version: a retried `PUT` or an empty
    /// `PATCH` is a no-op (the API).
    Keep,
    /// Save them as a new version all the same: the person pressed Save, and
    /// the record says when (the edit form).
    Save,
}

/// The one way to change a student, for both faces (the edit form replaces
/// every field; the API's PATCH merges a few onto the stored ones). Reads
/// the student, lets `change` turn it into the details to store, and stores
/// them, all in one write transaction: nothing can change in between, so a
/// merge of a few fields onto the stored ones never loses another edit.
///
/// `expected_versions`, when given, lists the versions the edit may replace;
/// any other is [`SaveError::Stale`].
pub fn update(
    conn: &mut DbConnection,
    id: i32,
    expected_versions: Option<&[i32]>,
    if_unchanged: IfUnchanged,
    change: impl FnOnce(&Student) -> Result<StudentDetails, FieldErrors>,
) -> Result<Student, SaveError> {
    conn.write_transaction(|conn| {
        let current = find_for_update(conn, id)?.ok_or(SaveError::NotFound)?;
        check_version(&current, expected_versions)?;
        let details = change(&current).map_err(SaveError::Invalid)?;
        if if_unchanged == IfUnchanged::Keep && details.is_stored_in(&current) {
            return Ok(current);
        }
        Ok(on_backend!(conn, |c| diesel::update(
            students::table.find(id)
        )
        .set((
            &details,
            students::version.eq(students::version + 1),
            students::updated_at.eq(now),
        ))
        .returning(Student::as_returning())
        .get_result(c))?)
    })
}

/// Deletes a student if it is at one of `expected_versions` (any version when
/// `None`), and returns what was deleted.
pub fn delete(
    conn: &mut DbConnection,
    id: i32,
    expected_versions: Option<&[i32]>,
) -> Result<Student, SaveError> {
    conn.write_transaction(|conn| {
        let current = find_for_update(conn, id)?.ok_or(SaveError::NotFound)?;
        check_version(&current, expected_versions)?;
        on_backend!(conn, |c| diesel::delete(students::table.find(id))
            .execute(c))?;
        Ok(current)
    })
}

/// Reads a student inside a write transaction, keeping others from changing
/// it until the transaction ends. SQLite's write transaction already excludes
/// every other writer; PostgreSQL locks just this row.
fn find_for_update(conn: &mut DbConnection, id: i32) -> Result<Option<Student>, DbError> {
    match conn {
        DbConnection::Sqlite(_) => find(conn, id),
        DbConnection::Postgresql(c) => Ok(students::table
            .find(id)
            .select(Student::as_select())
            .for_update()
            .first(c)
            .optional()?),
    }
}

fn check_version(current: &Student, expected_versions: Option<&[i32]>) -> Result<(), SaveError> {
    match expected_versions {
        Some(versions) if !versions.contains(&current.version) => Err(SaveError::Stale {
            current: Box::new(current.clone()),
        }),
        _ => Ok(()),
    }
}

/// Inserts many students in one statement, skipping emails already taken.
/// Returns how many rows were inserted. Call it inside
/// [`DbConnection::write_transaction`] (as `seed` does), which reports a
/// failed commit.
pub fn insert_many(conn: &mut DbConnection, batch: &[StudentDetails]) -> Result<usize, DbError> {
    let inserted = match conn {
        DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(students::table)
            .values(batch)
            .execute(c)?,
        // Without a target, DO NOTHING covers the unique index on lower(email).
        DbConnection::Postgresql(c) => diesel::insert_into(students::table)
            .values(batch)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(inserted)
}

/// Tidies up after a bulk load. SQLite: merges the search index's segments,
/// so a search reads one posting list per word instead of one per segment.
/// PostgreSQL: merges the search index's pending list into the index (every
/// search would read it in full) and refreshes the planner's statistics; both
/// otherwise wait for autovacuum, which may be off. Merging needs to own the
/// index, so a role that only writes the tables skips it rather than failing
/// (and rolling back) the load; ANALYZE just warns for such a role.
pub fn tidy_after_bulk_load(conn: &mut DbConnection) -> Result<(), DbError> {
    let statements: &[&str] = match conn {
        DbConnection::Sqlite(_) => {
            &["INSERT INTO students_search (students_search) VALUES ('optimize')"]
        }
        DbConnection::Postgresql(_) => &[
            "SELECT gin_clean_pending_list(index.oid) FROM pg_class AS index \
             WHERE index.oid = 'students_search_idx'::regclass \
             AND pg_has_role(index.relowner, 'USAGE')",
            "ANALYZE students",
        ],
    };
    for statement in statements {
        diesel::sql_query(*statement).execute(conn)?;
    }
    Ok(())
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(on_backend!(conn, |c| students::table
        .count()
        .get_result(c))?)
}

#[cfg(test)]
mod tests {
    use super::{fts5_query, search_words, tsquery};

    fn words(term: &str) -> Vec<&str> {
        search_words(term).expect("words")
    }

    #[test]
    fn search_terms_become_quoted_prefix_words() {
        assert_eq!(fts5_query(&words("Sammy Shark")), "\"Sammy\"* \"Shark\"*");
        assert_eq!(
            fts5_query(&words("sammy@example.com")),
            "\"sammy\"* \"example\"* \"com\"*"
        );
        assert_eq!(
            fts5_query(&words("NEAR(\"x\" OR y)")),
            "\"NEAR\"* \"x\"* \"OR\"* \"y\"*"
        );
        assert_eq!(fts5_query(&words("São")), "\"São\"*");
        assert_eq!(search_words("% _ @"), None);
    }

    #[test]
    fn postgres_search_terms_become_prefix_tsqueries() {
        assert_eq!(tsquery(&words("Sammy Shark")), "'Sammy':* & 'Shark':*");
        assert_eq!(
            tsquery(&words("o'brien & !x | y:*")),
            "'o':* & 'brien':* & 'x':* & 'y':*"
        );
        assert_eq!(tsquery(&words("Chloé")), "'Chloé':*");
    }
}
