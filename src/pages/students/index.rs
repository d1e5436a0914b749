//! The student index: its template, and everything around the rows (search,
//! sorting, paging) as the page shows it.

use askama::Template;
use askama_web::WebTemplate;

use super::views::StudentView;
use crate::courses::Course;
use crate::format::thousands;
use crate::pages::Page;
use crate::pages::listing::{PageLink, SortHeader, page_links, past_end_notice, rows_shown};
use crate::pagination::Pagination;
use crate::students::listing::{DEFAULT_PER_PAGE, Direction, ListParams, SortKey};

#[derive(Template, WebTemplate)]
#[template(path = "students/index.html")]
pub struct IndexPage {
    pub page: Page,
    pub rows: Vec<IndexRow>,
    pub listing: ListingView,
}

/// A student's row: the student, and the courses they are enrolled in now.
pub struct IndexRow {
    pub student: StudentView,
    pub courses: i64,
}

/// The course a listing is narrowed to, as the page names it.
pub struct CourseFilter {
    /// "BIO-101 (Biology)", or "#12" for a course that does not exist.
    pub name: String,
    /// The course's page; `None` when there is no such course.
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
    /// `course` is the course the listing is narrowed to, when it exists.
    pub fn new(params: &ListParams, pagination: &Pagination, course: Option<&Course>) -> Self {
        let without_search = ListParams {
            search: None,
            ..params.clone()
        };
        let course_filter = params.course.map(|id| CourseFilter {
            name: course.map_or_else(
                || format!("#{id}"),
                |course| format!("{} ({})", course.code, course.title),
            ),
            href: course.map(|course| format!("/courses/{}/", course.id)),
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
            here: index_url(params, pagination.page),
            kept_params: kept_params(params),
            summary: summary(
                params,
                pagination,
                course.map(|course| course.code.as_str()),
            ),
            notice: past_end_notice(pagination),
            search_problem: None,
            headers: sort_headers(params),
            pages: page_links(pagination, |page| index_url(params, page)),
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
    match params.query_string((page != 1).then_some(page)) {
        query if query.is_empty() => "/".to_owned(),
        query => format!("/?{query}"),
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
