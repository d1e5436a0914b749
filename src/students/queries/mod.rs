//! Every query the application makes about students: the listing and reads
//! here, [`search`] (each backend's full-text index), and [`mod@write`] (the one
//! write path both faces use).
//!
//! Functions take a connection and block; handlers call them through
//! [`crate::database::Database::run`].

mod search;
mod write;

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

pub use search::{FullTextSearch, is_searchable};
pub use write::{
    DeletedMany, EMAIL_UNIQUE_INDEX, IfUnchanged, SaveError, create, delete, delete_many,
    insert_many, tidy_after_bulk_load, update,
};

use super::listing::{Direction, ListParams, SortKey};
use super::model::Student;
use crate::database::{DbConnection, DbError, on_backend};
use crate::pagination::{Fetch, Pagination};
use crate::schema::{enrolments, students, students_count};

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

/// The stored status of a current enrolment: the courses domain's
/// `EnrolmentStatus::Enrolled`, written out because the student domain does
/// not import a sibling (tests/layers.rs); tests/app/student_courses.rs
/// checks that the two agree.
pub const CURRENT_ENROLMENT: &str = "enrolled";

/// The students a listing narrowed by a search, a course or both may show,
/// boxed for `$c`'s backend (the query's shape varies).
macro_rules! narrowed {
    ($c:ident, $search:expr, $course:expr) => {{
        let mut query = match $search {
            Some(term) => $c.students_matching(term),
            None => students::table.into_boxed(),
        };
        if let Some(course_id) = $course {
            // Served by the enrolments index on (course, status).
            query = query.filter(
                students::id.eq_any(
                    enrolments::table
                        .filter(enrolments::course_id.eq(course_id))
                        .filter(enrolments::status.eq(CURRENT_ENROLMENT))
                        .select(enrolments::student_id),
                ),
            );
        }
        query
    }};
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
    let course = params.course;
    let total: i64 = if search.is_none() && course.is_none() {
        // Kept by triggers: O(1) instead of a scan of every row.
        on_backend!(conn, |c| students_count::table
            .select(students_count::total)
            .first(c))?
    } else {
        on_backend!(conn, |c| narrowed!(c, search, course).count().get_result(c))?
    };
    let pagination = Pagination::new(params.page, params.per_page, total);
    let narrowing = Narrowing { search, course };
    let students = match pagination.fetch() {
        Fetch::Forward { offset, limit } => load_page(
            conn,
            narrowing,
            params.sort,
            params.direction,
            offset,
            limit,
        )?,
        Fetch::Backward { offset, limit } => {
            let reversed = params.direction.reversed();
            let mut rows = load_page(conn, narrowing, params.sort, reversed, offset, limit)?;
            rows.reverse();
            rows
        }
    };
    Ok(StudentList {
        students,
        pagination,
    })
}

/// What a listing is narrowed to, if anything.
#[derive(Clone, Copy)]
struct Narrowing<'a> {
    search: Option<&'a str>,
    course: Option<i32>,
}

/// The ORDER BY of one sort key in one direction, from the key's columns
/// listed once: `order_columns!(asc: a, b)` is `(a.asc(), b.asc())`, and one
/// column stays a bare expression, not a 1-tuple. A column marked
/// `@nullable` sorts NULL as its lowest value: first going up, last going
/// down.
macro_rules! order_columns {
    (@column asc: @nullable $column:expr) => {
        NullsFirst::new($column.asc())
    };
    (@column desc: @nullable $column:expr) => {
        NullsLast::new($column.desc())
    };
    (@column asc: $column:expr) => {
        $column.asc()
    };
    (@column desc: $column:expr) => {
        $column.desc()
    };
    ($direction:ident: $(@$marker:ident)? $column:expr) => {
        order_columns!(@column $direction: $(@$marker)? $column)
    };
    ($direction:ident: $($(@$marker:ident)? $column:expr),+) => {
        ($(order_columns!(@column $direction: $(@$marker)? $column)),+)
    };
}

/// Applies the order for `(sort, direction)` to `$query` and evaluates `$then`
/// with the ordered query bound to `$q`. Each arm keeps its own static type:
/// diesel caches the prepared statement of a static query, while a boxed one
/// is parsed and planned again on every call. Every order is total (it ends
/// with the id, or is by the unique email), so pages never overlap or skip
/// rows.
macro_rules! with_order {
    ($query:expr, $sort:expr, $direction:expr, |$q:ident| $then:expr) => {
        with_order!(@keys ($query, $sort, $direction, |$q| $then) {
            Name => [lower(s::lastname), lower(s::firstname), s::id],
            // Emails are unique ignoring case, so they need no tie-breaker,
            // and the unique index serves the order on its own.
            Email => [lower(s::email)],
            Age => [@nullable s::age, s::id],
            City => [@nullable lower_nullable(s::city), s::id],
            Joined => [s::created_at, s::id],
        })
    };
    // Both directions of every key, each its own arm.
    (@keys ($query:expr, $sort:expr, $direction:expr, |$q:ident| $then:expr) {
        $($key:ident => [$($columns:tt)+]),+ $(,)?
    }) => {{
        use crate::schema::students::dsl as s;
        match ($sort, $direction) {
            $(
                (SortKey::$key, Direction::Asc) => {
                    let $q = $query.order_by(order_columns!(asc: $($columns)+));
                    $then
                }
                (SortKey::$key, Direction::Desc) => {
                    let $q = $query.order_by(order_columns!(desc: $($columns)+));
                    $then
                }
            )+
        }
    }};
}

/// One page of students in the given order; the unfiltered listing, the
/// common case, runs as a cached prepared statement.
fn load_page(
    conn: &mut DbConnection,
    narrowing: Narrowing<'_>,
    sort: SortKey,
    direction: Direction,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Student>> {
    // The same page of either query: a macro, not a function, as every order
    // gives the query its own static type.
    macro_rules! page_of {
        ($query:expr, $c:ident) => {
            with_order!($query, sort, direction, |query| query
                .select(Student::as_select())
                .offset(offset)
                .limit(limit)
                .load($c))
        };
    }
    match narrowing {
        Narrowing {
            search: None,
            course: None,
        } => on_backend!(conn, |c| page_of!(students::table, c)),
        Narrowing { search, course } => {
            on_backend!(conn, |c| page_of!(narrowed!(c, search, course), c))
        }
    }
}

pub fn find(conn: &mut DbConnection, id: i32) -> Result<Option<Student>, DbError> {
    Ok(on_backend!(conn, |c| students::table
        .find(id)
        .select(Student::as_select())
        .first(c)
        .optional())?)
}

/// The students of `ids` that exist, in the index's default order (by
/// name): one statement.
pub fn find_many(conn: &mut DbConnection, ids: &[i32]) -> Result<Vec<Student>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_backend!(conn, |c| students::table
        .filter(students::id.eq_any(ids))
        .order_by((
            lower(students::lastname),
            lower(students::firstname),
            students::id
        ))
        .select(Student::as_select())
        .load(c))?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(on_backend!(conn, |c| students::table
        .count()
        .get_result(c))?)
}
