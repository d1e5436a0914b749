//! Every query about courses and enrolments: the reads and listings here,
//! [`mod@write`] the one write path. Each listing runs a fixed number of
//! statements whatever its page size (no N+1): a page of rows, then what
//! the page needs about them in one more statement.
//!
//! Functions take a connection and block; handlers call them through
//! [`crate::database::Database::run`].

mod course_page;
mod page_json;
mod student_page;
mod write;

use diesel::prelude::*;
use diesel::sql_types::Text;

pub use course_page::{CoursePage, course_page};
pub use student_page::{StudentPage, current_course_ids, student_page};
pub use write::{
    CODE_UNIQUE_INDEX, CourseSaveError, ENROLMENT_UNIQUE_INDEX, EnrolError, EnrolGroup,
    IfUnchanged, SeatRequest, create, delete, enrol, enrol_all, set_status, update,
};

use super::listing::{ClassListParams, ClassSortKey, Direction, ListParams, SortKey};
use super::model::{Course, Enrolment, EnrolmentStatus, OpenCourse};
use crate::database::{DbConnection, DbError, PageOf, in_ids, on_backend, rows_to_read};
use crate::pagination::{Fetch, Pagination};
use crate::schema::{courses, courses_count, enrolments, students};

diesel::define_sql_function! {
    /// SQL `lower`: case-insensitive order and search. Both sides of a
    /// search are lowered by the database, so they agree on each backend.
    fn lower(text: Text) -> Text;
}

// SQLite sorts NULL first and PostgreSQL last; saying it keeps both in step.
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

/// A course and how many students are enrolled in it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseWithSeats {
    pub course: Course,
    /// Rows with status `enrolled`: the seats taken.
    pub enrolled: i64,
}

impl From<Course> for CourseWithSeats {
    fn from(course: Course) -> Self {
        Self {
            enrolled: i64::from(course.enrolled_count),
            course,
        }
    }
}

impl CourseWithSeats {
    /// Seats still free; `None` when the course is unlimited.
    pub fn seats_left(&self) -> Option<i64> {
        super::model::seats_left(self.course.capacity, self.enrolled)
    }
}

/// One page of the course list.
#[derive(Debug)]
pub struct CourseList {
    pub courses: Vec<CourseWithSeats>,
    pub pagination: Pagination,
}

/// The student of a class-list row: what the list shows, not the record.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = students, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct StudentSummary {
    pub id: i32,
    pub firstname: String,
    pub lastname: String,
    pub email: String,
}

/// The course of a student's enrolment: what the student page shows.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = courses, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct CourseSummary {
    pub id: i32,
    pub code: String,
    pub title: String,
    pub credits: Option<i32>,
}

/// One row of a class list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassMember {
    pub enrolment: Enrolment,
    pub student: StudentSummary,
}

/// One page of a course's class list (every status).
#[derive(Debug)]
pub struct ClassList {
    pub members: Vec<ClassMember>,
    pub pagination: Pagination,
}

/// One of a student's enrolments, with its course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentCourse {
    pub enrolment: Enrolment,
    pub course: CourseSummary,
}

pub fn find(conn: &mut DbConnection, id: i32) -> Result<Option<Course>, DbError> {
    Ok(on_backend!(conn, |c| courses::table
        .find(id)
        .select(Course::as_select())
        .first(c)
        .optional())?)
}

/// A course and how many rows its class list has (every status), in one
/// statement: what its page needs before reading a page of the list
/// ([`class_list_of`]), instead of reading the course and counting apart.
pub fn find_with_class_size(
    conn: &mut DbConnection,
    id: i32,
) -> Result<Option<(Course, i64)>, DbError> {
    // Kept on the course's row by triggers (migration
    // `…_class_size_on_the_course`), so no class is counted.
    let found: Option<(Course, i32)> = on_backend!(conn, |c| courses::table
        .find(id)
        .select((Course::as_select(), courses::class_size))
        .first(c)
        .optional())?;
    Ok(found.map(|(course, class_size)| (course, i64::from(class_size))))
}

pub fn find_enrolment(conn: &mut DbConnection, id: i32) -> Result<Option<Enrolment>, DbError> {
    Ok(on_backend!(conn, |c| enrolments::table
        .find(id)
        .select(Enrolment::as_select())
        .first(c)
        .optional())?)
}

/// The seats taken in a course: its `enrolled` rows (from the index on
/// course and status alone).
pub fn count_enrolled(conn: &mut DbConnection, course_id: i32) -> Result<i64, DbError> {
    Ok(on_backend!(conn, |c| enrolments::table
        .filter(enrolments::course_id.eq(course_id))
        .filter(enrolments::status.eq(EnrolmentStatus::Enrolled))
        .count()
        .get_result(c))?)
}

/// `%term%` for LIKE, with LIKE's own characters taken literally.
fn like_pattern(term: &str) -> String {
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The courses matching `$pattern` (an `Option<String>` from
/// [`like_pattern`]) anywhere in the code or title, ignoring case, as a query
/// boxed for `$backend`: a search is optional, so the query's shape varies.
macro_rules! matching_courses {
    ($pattern:expr, $backend:ty) => {{
        let mut query = courses::table.into_boxed::<$backend>();
        if let Some(pattern) = $pattern {
            query = query.filter(
                lower(courses::code)
                    .like(lower(pattern.clone()))
                    .escape('\\')
                    .or(lower(courses::title)
                        .like(lower(pattern.clone()))
                        .escape('\\')),
            );
        }
        query
    }};
}

/// Two statements whatever the page size: the count, then the page (each
/// course carries its seats taken).
pub fn list(conn: &mut DbConnection, params: &ListParams) -> Result<CourseList, DbError> {
    let pattern = params.search.as_deref().map(like_pattern);
    // Without a search both statements are static queries, which each
    // backend prepares once per connection and keeps; a search's (boxed) are
    // prepared afresh each time.
    let total: i64 = match (&pattern, &mut *conn) {
        // Kept by triggers: one row, not a count of every course.
        (None, conn) => on_backend!(conn, |c| courses_count::table
            .select(courses_count::total)
            .first(c))?,
        (Some(_), DbConnection::Sqlite(c)) => matching_courses!(&pattern, diesel::sqlite::Sqlite)
            .count()
            .get_result(c)?,
        (Some(_), DbConnection::Postgresql(c)) => matching_courses!(&pattern, diesel::pg::Pg)
            .count()
            .get_result(c)?,
    };
    let pagination = Pagination::new(params.page, params.per_page, total);
    let (offset, limit, direction, backward) = match pagination.fetch() {
        Fetch::Forward { offset, limit } => (offset, limit, params.direction, false),
        Fetch::Backward { offset, limit } => (offset, limit, params.direction.reversed(), true),
    };
    let wanted = limit;
    let limit = rows_to_read(conn, limit, params.per_page);
    // Every order ends in the id (or is by the unique code), so it is total
    // and pages never overlap or skip rows. Each order its own statement.
    macro_rules! page {
        ($query:expr, $c:ident) => {{
            let query = $query.select(Course::as_select());
            match (params.sort, direction) {
                (SortKey::Code, Direction::Asc) => $c
                    .page_of(query.order_by(lower(courses::code).asc()), offset, limit)
                    .load($c),
                (SortKey::Code, Direction::Desc) => $c
                    .page_of(query.order_by(lower(courses::code).desc()), offset, limit)
                    .load($c),
                (SortKey::Title, Direction::Asc) => $c
                    .page_of(
                        query.order_by((lower(courses::title).asc(), courses::id.asc())),
                        offset,
                        limit,
                    )
                    .load($c),
                (SortKey::Title, Direction::Desc) => $c
                    .page_of(
                        query.order_by((lower(courses::title).desc(), courses::id.desc())),
                        offset,
                        limit,
                    )
                    .load($c),
                (SortKey::Credits, Direction::Asc) => $c
                    .page_of(
                        query
                            .order_by((NullsFirst::new(courses::credits.asc()), courses::id.asc())),
                        offset,
                        limit,
                    )
                    .load($c),
                (SortKey::Credits, Direction::Desc) => $c
                    .page_of(
                        query.order_by((
                            NullsLast::new(courses::credits.desc()),
                            courses::id.desc(),
                        )),
                        offset,
                        limit,
                    )
                    .load($c),
            }
        }};
    }
    let mut page: Vec<Course> = match (&pattern, conn) {
        (None, conn) => on_backend!(conn, |c| page!(courses::table, c))?,
        (Some(_), DbConnection::Sqlite(c)) => {
            page!(matching_courses!(&pattern, diesel::sqlite::Sqlite), c)?
        }
        (Some(_), DbConnection::Postgresql(c)) => {
            page!(matching_courses!(&pattern, diesel::pg::Pg), c)?
        }
    };
    page.truncate(usize::try_from(wanted).unwrap_or(usize::MAX));
    if backward {
        page.reverse();
    }
    Ok(CourseList {
        courses: page.into_iter().map(CourseWithSeats::from).collect(),
        pagination,
    })
}

/// A course with a seat left: no limit, or fewer enrolled than it holds.
#[diesel::dsl::auto_type]
fn has_a_seat_left() -> _ {
    courses::capacity
        .is_null()
        .or(courses::capacity.gt(courses::enrolled_count.nullable()))
}

/// Every course that has a seat left (or no limit), by code: what an enrol
/// form offers. One statement.
pub fn with_seats_left(conn: &mut DbConnection) -> Result<Vec<OpenCourse>, DbError> {
    Ok(on_backend!(conn, |c| courses::table
        .filter(has_a_seat_left())
        .order_by(lower(courses::code))
        .select(OpenCourse::as_select())
        .load(c))?)
}

/// Every course a student could enrol in now, by code, for their enrol form
/// before any search: a seat left (or no limit) and not one of `current`
/// (the courses the student is enrolled in now, which the student's page has
/// read already). `None` when there are more than `limit`: the form then
/// asks for a search instead of listing them.
///
/// At a school's size (a thousand courses) the answer is nearly always
/// `None`, and reading and converting the first `limit` courses only to list
/// none of them was a fifth of the student page's time (perf). So the ids
/// come first, from one statement, and the courses themselves, from a
/// second, only when they will be listed (a course that fills up in
/// between is left out; enrolling checks the seats again anyway).
pub fn all_open_to_student(
    conn: &mut DbConnection,
    current: &[i32],
    limit: i64,
) -> Result<Option<Vec<OpenCourse>>, DbError> {
    // The student's own courses are left out here: asking the database to
    // check every course against the student's enrolments cost a probe of
    // the enrolments index per course (perf).
    let read = limit
        .saturating_add(1)
        .saturating_add(i64::try_from(current.len()).unwrap_or(i64::MAX));
    let ids: Vec<i32> = on_backend!(conn, |c| courses::table
        .filter(has_a_seat_left())
        .order_by(lower(courses::code))
        .limit(read)
        .select(courses::id)
        .load(c))?;
    let open: Vec<i32> = ids.into_iter().filter(|id| !current.contains(id)).collect();
    if i64::try_from(open.len()).unwrap_or(i64::MAX) > limit {
        return Ok(None);
    }
    if open.is_empty() {
        return Ok(Some(Vec::new()));
    }
    Ok(Some(on_backend!(conn, |c| courses::table
        .filter(in_ids(courses::id, &open))
        .filter(has_a_seat_left())
        .order_by(lower(courses::code))
        .select(OpenCourse::as_select())
        .load(c))?))
}

/// Up to `limit` courses a student could enrol in now whose code or title
/// contains `term` (ignoring case), by code: a seat left (or no limit), not
/// one of `current`. What a student's enrol form offers when searched; one
/// statement.
///
/// It reads `current.len()` courses more than `limit` and leaves the
/// student's own out here, as [`all_open_to_student`] does.
pub fn open_to_student_matching(
    conn: &mut DbConnection,
    current: &[i32],
    term: &str,
    limit: i64,
) -> Result<Vec<OpenCourse>, DbError> {
    let pattern = Some(like_pattern(term));
    let read = limit.saturating_add(i64::try_from(current.len()).unwrap_or(i64::MAX));
    macro_rules! open {
        ($c:ident, $backend:ty) => {{
            matching_courses!(&pattern, $backend)
                .filter(has_a_seat_left())
                .order_by(lower(courses::code))
                .limit(read)
                .select(OpenCourse::as_select())
                .load::<OpenCourse>($c)
        }};
    }
    let courses = match conn {
        DbConnection::Sqlite(c) => open!(c, diesel::sqlite::Sqlite)?,
        DbConnection::Postgresql(c) => open!(c, diesel::pg::Pg)?,
    };
    Ok(courses
        .into_iter()
        .filter(|course| !current.contains(&course.id))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}

/// Two statements whatever the page size: the count of the course's rows
/// (every status), then the page with each row's student.
pub fn class_list(
    conn: &mut DbConnection,
    course_id: i32,
    params: &ClassListParams,
) -> Result<ClassList, DbError> {
    let total = find_with_class_size(conn, course_id)?.map_or(0, |(_, size)| size);
    class_list_of(conn, course_id, total, params)
}

/// The page of a class list of `total` rows (as [`find_with_class_size`]
/// counted them) that `params` asks for, with each row's student: one
/// statement.
pub fn class_list_of(
    conn: &mut DbConnection,
    course_id: i32,
    total: i64,
    params: &ClassListParams,
) -> Result<ClassList, DbError> {
    let pagination = Pagination::new(params.page, params.per_page, total);
    let (offset, limit, direction, backward) = match pagination.fetch() {
        Fetch::Forward { offset, limit } => (offset, limit, params.direction, false),
        Fetch::Backward { offset, limit } => (offset, limit, params.direction.reversed(), true),
    };
    // On PostgreSQL a last page of a few rows is still asked for a whole
    // page's worth (and cut after): given `LIMIT 3`, its planner walked the
    // whole student name index backward, probing each student for this
    // course (801 students, 98 ms for 3 rows), instead of sorting the
    // course's ~300 rows. SQLite plans both the same way, and reading the
    // extra rows cost it 10-25% more CPU on that page, so it is not widened.
    // (A whole page's LIMIT also keeps the statement's text to the page
    // size's: `database::paging`.)
    let wanted = limit;
    let limit = rows_to_read(conn, limit, params.per_page);
    // Each order is its own statement, which each backend prepares once per
    // connection and keeps (PostgreSQL's first and last pages once per page
    // size: `database::paging`; a boxed query would be prepared afresh every
    // time). Each order ends in a unique id, so pages never overlap.
    // Each student's name and email come from the enrolment's copies (kept
    // by triggers), so a page in name order is read from
    // enrolments_course_name_idx alone, with no lookup of each student.
    // A macro, not a value: `as_select` is typed by the backend it runs on.
    macro_rules! query {
        () => {
            enrolments::table
                .filter(enrolments::course_id.eq(course_id))
                .select((
                    Enrolment::as_select(),
                    (
                        enrolments::student_id,
                        enrolments::student_firstname,
                        enrolments::student_lastname,
                        enrolments::student_email,
                    ),
                ))
        };
    }
    let mut rows: Vec<(Enrolment, StudentSummary)> =
        on_backend!(conn, |c| match (params.sort, direction) {
            // The student's name as each enrolment keeps it (a trigger copies
            // it), so enrolments_course_name_idx gives the order without reading
            // every student of the course.
            (ClassSortKey::Name, Direction::Asc) => c
                .page_of(
                    query!().order_by((
                        enrolments::sort_lastname.asc(),
                        enrolments::sort_firstname.asc(),
                        enrolments::student_id.asc(),
                    )),
                    offset,
                    limit
                )
                .load(c),
            (ClassSortKey::Name, Direction::Desc) => c
                .page_of(
                    query!().order_by((
                        enrolments::sort_lastname.desc(),
                        enrolments::sort_firstname.desc(),
                        enrolments::student_id.desc(),
                    )),
                    offset,
                    limit
                )
                .load(c),
            (ClassSortKey::Enrolled, Direction::Asc) => c
                .page_of(
                    query!().order_by((enrolments::enrolled_on.asc(), enrolments::id.asc())),
                    offset,
                    limit
                )
                .load(c),
            (ClassSortKey::Enrolled, Direction::Desc) => c
                .page_of(
                    query!().order_by((enrolments::enrolled_on.desc(), enrolments::id.desc())),
                    offset,
                    limit
                )
                .load(c),
        })?;
    rows.truncate(usize::try_from(wanted).unwrap_or(usize::MAX));
    if backward {
        rows.reverse();
    }
    Ok(ClassList {
        members: rows
            .into_iter()
            .map(|(enrolment, student)| ClassMember { enrolment, student })
            .collect(),
        pagination,
    })
}

/// A student's enrolments (every status) with their courses, by course
/// code: one statement.
pub fn for_student(
    conn: &mut DbConnection,
    student_id: i32,
) -> Result<Vec<StudentCourse>, DbError> {
    let rows: Vec<(Enrolment, CourseSummary)> = on_backend!(conn, |c| enrolments::table
        .inner_join(courses::table)
        .filter(enrolments::student_id.eq(student_id))
        .order_by((lower(courses::code), enrolments::id))
        .select((Enrolment::as_select(), CourseSummary::as_select()))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(enrolment, course)| StudentCourse { enrolment, course })
        .collect())
}

/// A student a course page offers to enrol, and where they stand in the
/// course (`None`: never enrolled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub student: StudentSummary,
    pub status: Option<EnrolmentStatus>,
}

/// Up to `limit` students whose name ("first last", either part) or email
/// contains `term`, ignoring case, by last and first name, each with their
/// status in `course_id`: what the course page's "Add students" search
/// lists. One statement.
pub fn students_matching(
    conn: &mut DbConnection,
    term: &str,
    course_id: i32,
    limit: i64,
) -> Result<Vec<Candidate>, DbError> {
    let pattern = like_pattern(term);
    let rows: Vec<(StudentSummary, Option<EnrolmentStatus>)> = on_backend!(conn, |c| {
        students::table
            .left_join(
                enrolments::table.on(enrolments::student_id
                    .eq(students::id)
                    .and(enrolments::course_id.eq(course_id))),
            )
            .filter(
                lower(students::firstname.concat(" ").concat(students::lastname))
                    .like(lower(pattern.clone()))
                    .escape('\\')
                    .or(lower(students::email)
                        .like(lower(pattern.clone()))
                        .escape('\\')),
            )
            .order_by((
                lower(students::lastname),
                lower(students::firstname),
                students::id,
            ))
            .limit(limit)
            .select((StudentSummary::as_select(), enrolments::status.nullable()))
            .load(c)
    })?;
    Ok(rows
        .into_iter()
        .map(|(student, status)| Candidate { student, status })
        .collect())
}

/// The students among `ids` that exist, in one statement: names for the
/// answer to an enrolment form.
pub fn students_named(
    conn: &mut DbConnection,
    ids: &[i32],
) -> Result<Vec<StudentSummary>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_backend!(conn, |c| students::table
        .filter(students::id.eq_any(ids))
        .select(StudentSummary::as_select())
        .load(c))?)
}

/// An enrolment with its student and course, in one statement: what the
/// answer to a status change names.
pub fn enrolment_parties(
    conn: &mut DbConnection,
    enrolment_id: i32,
) -> Result<Option<(Enrolment, StudentSummary, CourseSummary)>, DbError> {
    Ok(on_backend!(conn, |c| enrolments::table
        .inner_join(students::table)
        .inner_join(courses::table)
        .filter(enrolments::id.eq(enrolment_id))
        .select((
            Enrolment::as_select(),
            StudentSummary::as_select(),
            CourseSummary::as_select(),
        ))
        .first(c)
        .optional())?)
}
