//! Every query the application makes about students: the listing and reads
//! here, [`search`] (each backend's full-text index), and [`mod@write`] (the one
//! write path both faces use).
//!
//! Functions take a connection and block; handlers call them through
//! [`crate::database::Database::run`].

mod search;
mod sqlite_seek;
mod write;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

pub use search::{FullTextSearch, is_searchable};
pub use write::{
    DeletedMany, EMAIL_UNIQUE_INDEX, IfUnchanged, SaveError, create, delete, delete_many,
    insert_many, tidy_after_bulk_load, update,
};

use super::listing::{Cursor, Direction, ListParams, Side, SortKey, SortValues};
use super::model::Student;
use crate::database::{
    DbConnection, DbError, PageOf, fixed_sql_type, in_ids, on_backend, rows_to_read,
};
use crate::pagination::{Fetch, Pagination};
use crate::schema::{courses, enrolments, students, students_count};

diesel::define_sql_function! {
    /// SQL `lower`, for case-insensitive ordering that the indexes serve.
    fn lower(text: Text) -> Text;
}

diesel::define_sql_function! {
    #[sql_name = "lower"]
    fn lower_nullable(text: Nullable<Text>) -> Nullable<Text>;
}

diesel::define_sql_function! {
    /// SQL `coalesce`, for the keys that may be NULL (age, city).
    fn coalesce(value: Nullable<Integer>, otherwise: Integer) -> Integer;
}

diesel::define_sql_function! {
    #[sql_name = "coalesce"]
    fn coalesce_text(value: Nullable<Text>, otherwise: Text) -> Text;
}

/// The age a student without one sorts as: below every age (1 to 150), so
/// NULL sorts first going up and last going down. Written as
/// `coalesce(age, 0)`, not `age NULLS FIRST`, so that every position in the
/// order, NULLs included, is one range of the index (`students_age_idx`
/// holds this expression; the SQL literal must stay the same text).
const NO_AGE: i32 = 0;

fixed_sql_type!(
    /// [`NO_AGE`] as the age index's expression writes it.
    NoAge: Integer = "0"
);

fixed_sql_type!(
    /// No city, as the city index's expression writes it.
    NoCity: Text = "''"
);

fixed_sql_type!(
    /// The number of students, read in the first page's statement: fixed
    /// text rather than `single_value()`, whose `LIMIT` would be a
    /// parameter (without one, PostgreSQL keeps one plan, design 14).
    StudentsTotal: Nullable<BigInt> = "(SELECT total FROM students_count)"
);

fixed_sql_type!(
    /// The number of rows a query matches, on each of its rows.
    MatchCount: BigInt = "count(*) OVER ()"
);

/// The age sort key as the index holds it.
macro_rules! age_key {
    () => {
        coalesce(
            crate::schema::students::age,
            crate::students::queries::NoAge,
        )
    };
}

/// The city sort key as the index holds it: no city sorts as the empty
/// text, below every other (`students_city_idx`).
macro_rules! city_key {
    () => {
        coalesce_text(
            lower_nullable(crate::schema::students::city),
            crate::students::queries::NoCity,
        )
    };
}

/// One page of a listing and where it sits in the whole.
#[derive(Debug)]
pub struct StudentList {
    pub students: Vec<Student>,
    pub pagination: Pagination,
    pub read: PageRead,
}

/// How a listing's page was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageRead {
    /// By its number (`OFFSET`), the request's cursor unused if it had one.
    Counted,
    /// From where the link said the page starts.
    FromCursor,
    /// The link's cursor had nothing after it any more (rows were added
    /// before it or removed after it since the link was made): the last
    /// page as counted now, which may repeat rows already seen.
    NothingAfterCursor,
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

/// Two queries whatever the page size: the count, then the page (one for
/// the whole list's first page, see [`first_page`]; for a search's numbered
/// page, its ids with the count, then its rows: see [`searched_page`]; three
/// past a search's end); none for a search with no letters or digits.
pub fn list(conn: &mut DbConnection, params: &ListParams) -> Result<StudentList, DbError> {
    let search = params.search.as_deref();
    if search.is_some_and(|term| !is_searchable(term)) {
        return Ok(StudentList {
            students: Vec::new(),
            pagination: Pagination::new(params.page, params.per_page, 0),
            read: PageRead::Counted,
        });
    }
    if search.is_some() && params.cursor.is_none() {
        return searched_page(conn, params);
    }
    let course = params.course;
    if search.is_none() && course.is_none() && params.page <= 1 && params.cursor.is_none() {
        return first_page(conn, params);
    }
    let total: i64 = match (search, course) {
        // Kept by triggers: O(1) instead of a scan of every row.
        (None, None) => on_backend!(conn, |c| students_count::table
            .select(students_count::total)
            .first(c))?,
        // A course's students: read with the course, whose count is their
        // total.
        (None, Some(_)) => return Ok(list_with_course(conn, params)?.0),
        (Some(_), _) => on_backend!(conn, |c| narrowed!(c, search, course).count().get_result(c))?,
    };
    listed(conn, params, total)
}

/// Orders `$query` as a course's class list in name order, and evaluates
/// `$then` with the ordered query bound to `$q`: each enrolment keeps its
/// student's sort name (a trigger copies it), so enrolments_course_name_idx
/// walks the course's rows in this order and only the page's students are
/// read. The same order as the students' own: (lower(lastname),
/// lower(firstname), id).
macro_rules! in_class_list_order {
    ($query:expr, $direction:expr, |$q:ident| $then:expr) => {{
        use crate::schema::enrolments::dsl as e;
        match $direction {
            Direction::Asc => {
                let $q = $query.order_by((
                    e::sort_lastname.asc(),
                    e::sort_firstname.asc(),
                    e::student_id.asc(),
                ));
                $then
            }
            Direction::Desc => {
                let $q = $query.order_by((
                    e::sort_lastname.desc(),
                    e::sort_firstname.desc(),
                    e::student_id.desc(),
                ));
                $then
            }
        }
    }};
}

/// The course a listing is narrowed to: what the page names it by, and its
/// count of current students (the listing's total unless it searches too).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = courses, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ListedCourse {
    pub id: i32,
    pub code: String,
    pub title: String,
    pub enrolled_count: i32,
}

/// [`list`], with the course it is narrowed to when `params.course` names
/// one (`None`: no such course, and no students). The first page in name
/// order, the one a course's page links to, is one statement
/// ([`first_page_in_course`]); any other reads the course, then the page.
pub fn list_with_course(
    conn: &mut DbConnection,
    params: &ListParams,
) -> Result<(StudentList, Option<ListedCourse>), DbError> {
    let Some(course_id) = params.course else {
        return Ok((list(conn, params)?, None));
    };
    let first_by_name = params.search.is_none()
        && params.cursor.is_none()
        && params.page <= 1
        && params.sort == SortKey::Name;
    if first_by_name && let Some((list, course)) = first_page_in_course(conn, params, course_id)? {
        return Ok((list, Some(course)));
    }
    let course: Option<ListedCourse> = on_backend!(conn, |c| courses::table
        .find(course_id)
        .select(ListedCourse::as_select())
        .first(c)
        .optional())?;
    // The course's count is the total (no student is counted), unless the
    // listing searches too.
    let total = course.as_ref().map_or(0, |course| course.enrolled_count);
    let list = if params.search.is_some() {
        list(conn, params)?
    } else if first_by_name && total == 0 {
        // The first page just read found no one, and no one is enrolled:
        // not read again.
        StudentList {
            students: Vec::new(),
            pagination: Pagination::new(1, params.per_page.max(1), 0),
            read: PageRead::Counted,
        }
    } else {
        listed(conn, params, i64::from(total))?
    };
    Ok((list, course))
}

/// The first page of a course's students in name order (no search, no
/// cursor), each row with the course's columns: the course is not read
/// apart (on PostgreSQL, a round trip fewer), and its count is the one of
/// the same snapshot. `None` when the page has no rows to carry the course
/// (no such course, or no current students): [`list_with_course`] then
/// reads it on its own.
fn first_page_in_course(
    conn: &mut DbConnection,
    params: &ListParams,
    course_id: i32,
) -> Result<Option<(StudentList, ListedCourse)>, DbError> {
    let per_page = params.per_page.max(1);
    let rows: Vec<(Student, ListedCourse)> = on_backend!(conn, |c| in_class_list_order!(
        students::table
            .inner_join(enrolments::table.inner_join(courses::table))
            .filter(enrolments::course_id.eq(course_id))
            .filter(enrolments::status.eq(CURRENT_ENROLMENT))
            .select((Student::as_select(), ListedCourse::as_select()))
            // Bound, as in `load_page`: PostgreSQL keeps one plan.
            .limit(per_page),
        params.direction,
        |query| query.load(c)
    ))?;
    let mut rows = rows.into_iter();
    let Some((first, course)) = rows.next() else {
        return Ok(None);
    };
    let students = std::iter::once(first)
        .chain(rows.map(|(student, _)| student))
        .collect();
    let list = StudentList {
        students,
        pagination: Pagination::new(1, per_page, i64::from(course.enrolled_count)),
        read: PageRead::Counted,
    };
    Ok(Some((list, course)))
}

/// The page of a listing of `total` rows that `params` asks for.
fn listed(
    conn: &mut DbConnection,
    params: &ListParams,
    total: i64,
) -> Result<StudentList, DbError> {
    let (search, course) = (params.search.as_deref(), params.course);
    let mut pagination = Pagination::new(params.page, params.per_page, total);
    let narrowing = Narrowing { search, course };
    // A page past the end is shown as the last page, counted from the end.
    let cursor = params
        .cursor
        .as_ref()
        .filter(|_| pagination.requested_past_end.is_none());
    let Some(cursor) = cursor else {
        return Ok(StudentList {
            students: counted_page(conn, narrowing, params, &pagination)?,
            pagination,
            read: PageRead::Counted,
        });
    };
    let rows = seek_page(conn, narrowing, params, cursor)?;
    if !rows.is_empty() || total == 0 {
        return Ok(StudentList {
            students: rows,
            pagination,
            read: PageRead::FromCursor,
        });
    }
    // Nothing lies beyond the cursor any more, though the page number
    // still exists: counting it would show rows from the other side of the
    // cursor. Before it, that is the first page; after it, the last.
    let read = match cursor.side {
        Side::Before => {
            pagination = Pagination::new(1, params.per_page, total);
            PageRead::Counted
        }
        Side::After => {
            pagination = Pagination::new(pagination.last_page(), params.per_page, total);
            PageRead::NothingAfterCursor
        }
    };
    Ok(StudentList {
        students: counted_page(conn, narrowing, params, &pagination)?,
        pagination,
        read,
    })
}

/// The page `pagination` names, counted from the start or, past the middle,
/// from the end (`OFFSET`).
fn counted_page(
    conn: &mut DbConnection,
    narrowing: Narrowing<'_>,
    params: &ListParams,
    pagination: &Pagination,
) -> QueryResult<Vec<Student>> {
    Ok(match pagination.fetch() {
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
            let read = rows_to_read(conn, limit, params.per_page);
            let mut rows = load_page(conn, narrowing, params.sort, reversed, offset, read)?;
            rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            rows.reverse();
            rows
        }
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
/// column stays a bare expression, not a 1-tuple.
macro_rules! order_columns {
    ($direction:ident: $column:expr) => {
        $column.$direction()
    };
    ($direction:ident: $($column:expr),+) => {
        ($($column.$direction()),+)
    };
}

/// Applies the order for `(sort, direction)` to `$query` and evaluates `$then`
/// with the ordered query bound to `$q`. Each arm keeps its own type: diesel
/// finds the prepared statement of a static query by its type, and one whose
/// text varies (boxed, or holding a [`crate::database::FixedSql`]) by writing its text out
/// first. Every order is total (it ends with the id, or is by the unique
/// email), so pages never overlap or skip rows.
macro_rules! with_order {
    ($query:expr, $sort:expr, $direction:expr, |$q:ident| $then:expr) => {
        with_order!(@keys ($query, $sort, $direction, |$q| $then) {
            Name => [lower(s::lastname), lower(s::firstname), s::id],
            // Emails are unique ignoring case, so they need no tie-breaker,
            // and the unique index serves the order on its own.
            Email => [lower(s::email)],
            Age => [age_key!(), s::id],
            City => [city_key!(), s::id],
            Joined => [s::created_at, s::id],
        })
    };
    // Both directions of every key, each its own arm.
    (@keys ($query:expr, $sort:expr, $direction:expr, |$q:ident| $then:expr) {
        $($key:ident => [$($columns:expr),+]),+ $(,)?
    }) => {{
        use crate::schema::students::dsl as s;
        match ($sort, $direction) {
            $(
                (SortKey::$key, Direction::Asc) => {
                    let $q = $query.order_by(order_columns!(asc: $($columns),+));
                    $then
                }
                (SortKey::$key, Direction::Desc) => {
                    let $q = $query.order_by(order_columns!(desc: $($columns),+));
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
    match narrowing {
        Narrowing {
            search: None,
            course: None,
        } => on_backend!(conn, |c| with_order!(
            students::table,
            sort,
            direction,
            |query| c
                .page_of(query.select(Student::as_select()), offset, limit)
                .load(c)
        )),
        // A course's students by name: from the enrolments' index.
        Narrowing {
            search: None,
            course: Some(course_id),
        } if sort == SortKey::Name => on_backend!(conn, |c| {
            in_class_list_order!(
                students::table
                    .inner_join(enrolments::table)
                    .filter(enrolments::course_id.eq(course_id))
                    .filter(enrolments::status.eq(CURRENT_ENROLMENT))
                    .select(Student::as_select())
                    // Bound LIMIT and OFFSET, not `page_of`: with the limit
                    // in the text, PostgreSQL's generic plan (a third of a
                    // course's rows guessed current, where nine in ten are)
                    // looked dearer than one made for the values, and every
                    // page was planned again (its CPU a page 171 -> 320 us);
                    // bound, the generic plan is kept.
                    .offset(offset)
                    .limit(limit),
                direction,
                |query| query.load(c)
            )
        }),
        // Bound, as for the course by name above: `page_of` serves the
        // listings it was measured on; with a course's, the limit in the
        // text had PostgreSQL plan every page again.
        Narrowing { search, course } => on_backend!(conn, |c| with_order!(
            narrowed!(c, search, course),
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

/// The whole list's first page, the page most asked for, with the total in
/// the same statement (a subquery of `students_count`): the first page's
/// rows do not depend on the total, so it need not be read first, and a
/// statement fewer is a round trip fewer on PostgreSQL. No rows means no
/// students.
fn first_page(conn: &mut DbConnection, params: &ListParams) -> Result<StudentList, DbError> {
    let per_page = params.per_page.max(1);
    let rows: Vec<(Student, Option<i64>)> = on_backend!(conn, |c| with_order!(
        students::table,
        params.sort,
        params.direction,
        |query| c
            .page_of(
                query.select((Student::as_select(), StudentsTotal)),
                0,
                per_page
            )
            .load(c)
    ))?;
    let total = rows.first().and_then(|(_, total)| *total).unwrap_or(0);
    Ok(StudentList {
        students: rows.into_iter().map(|(student, _)| student).collect(),
        pagination: Pagination::new(1, per_page, total),
        read: PageRead::Counted,
    })
}

/// A search's numbered page: its ids and the number of matches in one
/// statement (`count(*) OVER ()` on each row), then those students. The
/// full-text match is a search's cost, and counting first ran it twice (a
/// third of a search, perf). Every page is read forward, so the search's
/// last pages skip more rows than a listing's (which reads them from the
/// end); a search sorts every match anyway. A student deleted between the
/// two reads leaves the page a row short (the count still has them), and one
/// edited meanwhile shows as edited at their old place, as the count and the
/// page read apart could before. A page past the end has no row to carry
/// the total: then it is counted, and the last page shown, as for any
/// listing.
fn searched_page(conn: &mut DbConnection, params: &ListParams) -> Result<StudentList, DbError> {
    let (search, course) = (params.search.as_deref(), params.course);
    let per_page = params.per_page.max(1);
    let offset = (params.page.max(1) - 1).saturating_mul(per_page);
    // Ids only: the count is over every match, which are all kept (and
    // sorted) for it; whole rows there cost more than the ids' second read.
    let page: Vec<(i32, i64)> = on_backend!(conn, |c| with_order!(
        narrowed!(c, search, course),
        params.sort,
        params.direction,
        |query| query
            .select((students::id, MatchCount))
            .offset(offset)
            .limit(per_page)
            .load(c)
    ))?;
    let total = match page.first() {
        Some((_, total)) => *total,
        None if params.page <= 1 => 0,
        None => {
            let total = on_backend!(conn, |c| narrowed!(c, search, course).count().get_result(c))?;
            return listed(conn, params, total);
        }
    };
    let ids: Vec<i32> = page.iter().map(|(id, _)| *id).collect();
    let mut rows: Vec<Student> = on_backend!(conn, |c| students::table
        .filter(in_ids(students::id, &ids))
        .select(Student::as_select())
        .load(c))?;
    rows.sort_by_key(|student| ids.iter().position(|id| *id == student.id));
    Ok(StudentList {
        students: rows,
        pagination: Pagination::new(params.page, per_page, total),
        read: PageRead::Counted,
    })
}

/// `$column $beyond $value`, or equal there and beyond on the next column,
/// and so on: the rows past a position in an order of several columns,
/// written out (not as a row value, which an index may serve).
macro_rules! beyond {
    ($beyond:ident: ($column:expr, $value:expr)) => {
        $column.$beyond($value)
    };
    ($beyond:ident: ($column:expr, $value:expr), $($rest:tt)+) => {
        $column
            .$beyond($value)
            .or($column.eq($value).and(beyond!($beyond: $($rest)+)))
    };
}

/// Narrows `$query` (a search's or a course's students) to the rows past
/// `$row`'s position, scanning in direction `$scan`. Written so no index
/// range serves it: those few rows are best read from their own index and
/// then sorted; given a range, the planner would walk the sort index from
/// the position and test every row after it.
macro_rules! seek {
    ($query:expr, $row:expr, $scan:expr) => {{
        use crate::schema::students::dsl as s;
        match $scan {
            Direction::Asc => seek!(@values $query, $row, gt),
            Direction::Desc => seek!(@values $query, $row, lt),
        }
    }};
    (@values $query:expr, $row:expr, $beyond:ident) => {
        match $row {
            SortValues::Name { lastname, firstname, id } => seek!(@columns $query, $beyond,
                (lower(s::lastname), lower(lastname.clone())),
                (lower(s::firstname), lower(firstname.clone())),
                (s::id, *id)),
            SortValues::Email { email } => {
                $query.filter(lower(s::email).$beyond(lower(email.clone())))
            }
            SortValues::Age { age, id } => seek!(@columns $query, $beyond,
                (age_key!(), age.unwrap_or(NO_AGE)),
                (s::id, *id)),
            SortValues::City { city, id } => seek!(@columns $query, $beyond,
                (city_key!(), lower(city.clone().unwrap_or_default())),
                (s::id, *id)),
            SortValues::Joined { created_at, id } => seek!(@columns $query, $beyond,
                (s::created_at, *created_at),
                (s::id, *id)),
        }
    };
    (@columns $query:expr, $beyond:ident, $($columns:tt)+) => {
        $query.filter(beyond!($beyond: $($columns)+))
    };
}

/// `(left...) > (right...)` (or `<`): PostgreSQL compares row values in
/// the index itself, starting its scan exactly at the position, where the
/// written-out form would start at the first column's value and then test
/// (fetching each from the table) every row sharing it: thousands for a
/// common surname. (SQLite uses no index for a row value compared with
/// expression-index columns: see [`sqlite_seek`].)
#[derive(Debug, Clone, Copy)]
struct RowBeyond<L, R> {
    left: L,
    right: R,
    less: bool,
}

impl<L, R> diesel::expression::Expression for RowBeyond<L, R> {
    type SqlType = diesel::sql_types::Bool;
}

impl<L, R, QS> diesel::expression::AppearsOnTable<QS> for RowBeyond<L, R>
where
    L: diesel::expression::AppearsOnTable<QS>,
    R: diesel::expression::AppearsOnTable<QS>,
{
}

impl<L, R> diesel::expression::ValidGrouping<()> for RowBeyond<L, R> {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl<L, R> diesel::query_builder::QueryId for RowBeyond<L, R> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<L, R> diesel::query_builder::QueryFragment<diesel::pg::Pg> for RowBeyond<L, R>
where
    L: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
    R: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        out.push_sql("((");
        self.left.walk_ast(out.reborrow())?;
        out.push_sql(if self.less { ") < (" } else { ") > (" });
        self.right.walk_ast(out.reborrow())?;
        out.push_sql("))");
        Ok(())
    }
}

/// [`seek!`] for PostgreSQL: one row-value comparison per key.
macro_rules! seek_rows {
    ($query:expr, $row:expr, $scan:expr) => {{
        use crate::schema::students::dsl as s;
        use diesel::IntoSql;
        let less = $scan == Direction::Desc;
        match $row {
            SortValues::Name {
                lastname,
                firstname,
                id,
            } => $query.filter(RowBeyond {
                left: (lower(s::lastname), lower(s::firstname), s::id),
                right: (
                    lower(lastname.clone()),
                    lower(firstname.clone()),
                    id.into_sql::<Integer>(),
                ),
                less,
            }),
            SortValues::Email { email } => $query.filter(RowBeyond {
                left: lower(s::email),
                right: lower(email.clone()),
                less,
            }),
            SortValues::Age { age, id } => $query.filter(RowBeyond {
                left: (age_key!(), s::id),
                right: (
                    age.unwrap_or(NO_AGE).into_sql::<Integer>(),
                    id.into_sql::<Integer>(),
                ),
                less,
            }),
            SortValues::City { city, id } => $query.filter(RowBeyond {
                left: (city_key!(), s::id),
                right: (
                    lower(city.clone().unwrap_or_default()),
                    id.into_sql::<Integer>(),
                ),
                less,
            }),
            SortValues::Joined { created_at, id } => $query.filter(RowBeyond {
                left: (s::created_at, s::id),
                right: (
                    created_at.into_sql::<diesel::sql_types::Timestamp>(),
                    id.into_sql::<Integer>(),
                ),
                less,
            }),
        }
    }};
}

/// The page a link's cursor names: `cursor.skip` rows past the cursor's
/// row, then a page, read from the index wherever the row sits. A page
/// before the row is read backwards from it, then put in order.
fn seek_page(
    conn: &mut DbConnection,
    narrowing: Narrowing<'_>,
    params: &ListParams,
    cursor: &Cursor,
) -> QueryResult<Vec<Student>> {
    let scan = match cursor.side {
        Side::After => params.direction,
        Side::Before => params.direction.reversed(),
    };
    let Narrowing { search, course } = narrowing;
    let (skip, limit) = (cursor.skip, params.per_page);
    macro_rules! page_of {
        ($query:expr, $c:ident) => {
            with_order!($query, params.sort, scan, |query| query
                .select(Student::as_select())
                .offset(skip)
                .limit(limit)
                .load($c))
        };
    }
    let whole_table = search.is_none() && course.is_none();
    let mut rows = match conn {
        DbConnection::Sqlite(c) if whole_table => {
            sqlite_seek::page(c, &cursor.row, scan, skip, limit)
        }
        DbConnection::Postgresql(c) if whole_table => {
            let query = seek_rows!(students::table.into_boxed(), &cursor.row, scan);
            page_of!(query, c)
        }
        DbConnection::Sqlite(c) => {
            let query = seek!(narrowed!(c, search, course), &cursor.row, scan);
            page_of!(query, c)
        }
        DbConnection::Postgresql(c) => {
            let query = seek!(narrowed!(c, search, course), &cursor.row, scan);
            page_of!(query, c)
        }
    }?;
    if cursor.side == Side::Before {
        rows.reverse();
    }
    Ok(rows)
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
