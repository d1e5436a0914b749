//! The student index: its template, and everything around the rows (search,
//! sorting, paging) as the page shows it.

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use askama::Template;
use askama_web::WebTemplate;

use super::views::StudentView;
use crate::format::thousands;
use crate::pages::Page;
use crate::pages::listing::{
    PageLink, SortHeader, Target, page_links_by, past_end_notice, rows_shown,
};
use crate::pagination::Pagination;
use crate::students::Student;
use crate::students::listing::{
    Cursor, DEFAULT_PER_PAGE, Direction, ListParams, Side, SortKey, SortValues,
};
use crate::students::queries::ListedCourse;

#[derive(Template, WebTemplate)]
#[template(path = "students/index.html")]
pub struct IndexPage {
    pub page: Page,
    pub rows: Vec<IndexRow>,
    pub listing: ListingView,
}

impl IndexPage {
    /// A little more than the page's HTML takes (measured: 33 kB with 25
    /// rows, 122 kB with 100; a row with a bio's excerpt is longer), so it
    /// is written into one buffer, never grown.
    pub fn expected_len(&self) -> usize {
        const AROUND_THE_ROWS: usize = 8 * 1024;
        const A_ROW: usize = 1300;
        AROUND_THE_ROWS + self.rows.len() * A_ROW
    }
}

/// A student's row: the student, and the courses they are enrolled in now.
pub struct IndexRow {
    pub student: StudentView,
    pub courses: i32,
}

/// What the page knows of the course its listing is narrowed to.
#[derive(Clone, Copy)]
pub enum CourseRead<'a> {
    Found(&'a ListedCourse),
    /// Read, and there is no such course.
    Missing,
    /// Not read: the search was refused before anything was read.
    NotRead,
}

/// The course a listing is narrowed to, as the page names it.
pub struct CourseFilter {
    /// "BIO-101 (Biology)", or "#12" for a course not read or that does not
    /// exist.
    pub name: String,
    /// The course's page; `None` when there is no such course (the page
    /// says so).
    pub href: Option<String>,
    /// The same listing without the filter.
    pub clear_href: String,
}

/// Everything around the rows of the index: search, sorting, paging.
pub struct ListingView {
    pub search: Option<String>,
    pub course: Option<CourseFilter>,
    /// This page of the listing: where the bulk actions come back to.
    pub here: String,
    /// Hidden inputs that keep the sort and page size when searching.
    pub kept_params: Vec<(&'static str, String)>,
    /// "Showing 26–50 of 100,000 students" or "12 students match 'shark'".
    pub summary: String,
    /// Set when the requested page did not exist.
    pub notice: Option<String>,
    /// Why the search found no students without being run, or was stopped:
    /// shown instead of "No students match".
    pub search_problem: Option<&'static str>,
    pub headers: Vec<SortHeader>,
    pub pages: Vec<PageLink>,
    pub clear_search_href: String,
}

impl ListingView {
    /// `course` is what was read of the course the listing is narrowed to;
    /// `shown` the rows of the page, in order (the page links start from
    /// them).
    pub fn new(
        params: &ListParams,
        pagination: &Pagination,
        course: CourseRead<'_>,
        shown: &[Student],
    ) -> Self {
        let without_search = ListParams {
            search: None,
            ..params.clone()
        };
        let found = match course {
            CourseRead::Found(course) => Some(course),
            CourseRead::Missing | CourseRead::NotRead => None,
        };
        let course_filter = params.course.map(|id| CourseFilter {
            name: found.map_or_else(
                || format!("#{id}"),
                |course| format!("{} ({})", course.code, course.title),
            ),
            href: match course {
                CourseRead::Found(course) => Some(format!("/courses/{}/", course.id)),
                CourseRead::Missing => None,
                // Linked by its number, never said to be missing unread.
                CourseRead::NotRead => Some(format!("/courses/{id}/")),
            },
            clear_href: index_url(
                &ListParams {
                    course: None,
                    ..params.clone()
                },
                1,
            ),
        });
        Self {
            search: params.search.clone(),
            here: index_url_at(params, pagination.page, params.cursor.as_ref()),
            kept_params: kept_params(params),
            summary: summary(params, pagination, found.map(|course| course.code.as_str())),
            notice: past_end_notice(pagination),
            search_problem: None,
            headers: sort_headers(params),
            pages: page_links_by(pagination, |page, by| {
                let cursor = match by {
                    Target::Near => seek_from(params, pagination, shown, page),
                    // Counted: the first page from the start, the last
                    // from the end, both cheap.
                    Target::End => None,
                };
                index_url_at(params, page, cursor.as_ref())
            }),
            clear_search_href: index_url(&without_search, 1),
            course: course_filter,
        }
    }
}

/// "Showing 26–50 of 100,000 students", or for a search "12 students match
/// ‘shark’" (with ", showing 1–10" when they fill more than a page); "in
/// BIO-101" when narrowed to a course.
fn summary(params: &ListParams, pagination: &Pagination, course_code: Option<&str>) -> String {
    let total = pagination.total;
    let noun = match (total, course_code) {
        (1, None) => "student".to_owned(),
        (_, None) => "students".to_owned(),
        (1, Some(code)) => format!("student in {code}"),
        (_, Some(code)) => format!("students in {code}"),
    };
    let shown = rows_shown(pagination);
    match &params.search {
        Some(term) => {
            let verb = if total == 1 { "matches" } else { "match" };
            let showing = if total > pagination.rows_on_page() {
                format!(", showing {shown}")
            } else {
                String::new()
            };
            format!(
                "{} {noun} {verb} \u{2018}{term}\u{2019}{showing}",
                thousands(total)
            )
        }
        None => format!("Showing {shown} of {} {noun}", thousands(total)),
    }
}

/// One link per sortable column.
fn sort_headers(params: &ListParams) -> Vec<SortHeader> {
    SortKey::ALL
        .into_iter()
        .map(|key| {
            let label = match key {
                SortKey::Name => "Name",
                SortKey::Email => "Email",
                SortKey::Age => "Age",
                SortKey::City => "City",
                SortKey::Joined => "Joined",
            };
            SortHeader::new(label, key == params.sort, params.direction, |direction| {
                let sorted = ListParams {
                    sort: key,
                    direction,
                    ..params.clone()
                };
                index_url(&sorted, 1)
            })
        })
        .collect()
}

/// The sort and page size a search keeps, as hidden inputs of its form.
fn kept_params(params: &ListParams) -> Vec<(&'static str, String)> {
    let mut kept = Vec::new();
    if params.sort != SortKey::default() || params.direction != Direction::default() {
        kept.push(("sort", params.sort.param().to_owned()));
        kept.push(("dir", params.direction.param().to_owned()));
    }
    if params.per_page != DEFAULT_PER_PAGE {
        kept.push(("per_page", params.per_page.to_string()));
    }
    if let Some(course) = params.course {
        kept.push(("course", course.to_string()));
    }
    kept
}

/// The index URL for a page of this listing; the first page has no `page`.
pub fn index_url(params: &ListParams, page: i64) -> String {
    index_url_at(params, page, None)
}

/// [`index_url`], with where the page starts when that is known.
fn index_url_at(params: &ListParams, page: i64, cursor: Option<&Cursor>) -> String {
    match params.query_string_at((page != 1).then_some(page), cursor) {
        query if query.is_empty() => "/".to_owned(),
        query => format!("/?{query}"),
    }
}

/// Pages at most this far from the current one are linked by where they
/// start, from the current page's first or last row (the numbered links
/// reach two either side). Each skips at most this many pages less one.
const SEEK_PAGES: i64 = 2;

/// Where page `target` starts, seen from the rows `shown` on the current
/// page: the cursor its link carries, so the database seeks to it instead
/// of counting rows, and rows added or removed before it since do not
/// shift it. `None` for pages further away: they are counted.
fn seek_from(
    params: &ListParams,
    pagination: &Pagination,
    shown: &[Student],
    target: i64,
) -> Option<Cursor> {
    // The first page needs no cursor (offset 0 costs nothing), and one would
    // hide rows added before it since: its First and Previous links are gone.
    if target == 1 {
        return None;
    }
    let distance = target - pagination.page;
    let (side, row) = if (1..=SEEK_PAGES).contains(&distance) {
        (Side::After, shown.last()?)
    } else if (1..=SEEK_PAGES).contains(&-distance) {
        (Side::Before, shown.first()?)
    } else {
        return None;
    };
    Some(Cursor {
        side,
        row: SortValues::of(row, params.sort),
        skip: (distance.abs() - 1) * pagination.per_page,
    })
}

/// Where a page link says its page starts (`after=` or `before=`): read
/// beside [`super::forms::IndexQuery`], as leniently, the first of each.
#[derive(Debug, Default)]
pub struct PageStart {
    after: Option<String>,
    before: Option<String>,
}

impl PageStart {
    /// `params` starting where the link said, when its cursor is valid for
    /// them.
    pub fn apply(&self, params: ListParams) -> ListParams {
        params.at_cursor(self.after.as_deref(), self.before.as_deref())
    }

    pub(super) fn parse(query: &str) -> Self {
        let mut read = Self::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match name.as_ref() {
                "after" => &mut read.after,
                "before" => &mut read.before,
                _ => continue,
            };
            slot.get_or_insert_with(|| value.into_owned());
        }
        read
    }
}

impl FromRequest for PageStart {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::parse(req.query_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_links_keep_search_sort_and_size_and_drop_defaults() {
        let params = ListParams::parse(
            Some("o'brien & co"),
            Some("age"),
            Some("desc"),
            Some("3"),
            Some("50"),
        );
        assert_eq!(
            index_url(&params, 4),
            "/?q=o%27brien+%26+co&sort=age&dir=desc&per_page=50&page=4"
        );
        assert_eq!(index_url(&ListParams::default(), 1), "/");
    }
}
