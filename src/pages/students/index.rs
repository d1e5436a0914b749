//! The student index: its template, and everything around the rows (search,
//! sorting, paging) as the page shows it.

use askama::Template;
use askama_web::WebTemplate;

use super::views::StudentView;
use crate::format::thousands;
use crate::pages::Page;
use crate::pagination::Pagination;
use crate::students::listing::{DEFAULT_PER_PAGE, Direction, ListParams, SortKey};

#[derive(Template, WebTemplate)]
#[template(path = "students/index.html")]
pub struct IndexPage {
    pub page: Page,
    pub students: Vec<StudentView>,
    pub listing: ListingView,
}

/// Everything around the rows of the index: search, sorting, paging.
pub struct ListingView {
    pub search: Option<String>,
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

pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    /// `aria-sort` on the column the table is sorted by.
    pub aria_sort: Option<&'static str>,
    pub indicator: &'static str,
}

pub struct PageLink {
    pub label: String,
    /// `None` for the current page, a gap, or an end already reached.
    pub href: Option<String>,
    pub current: bool,
    pub accessible_label: String,
}

impl ListingView {
    pub fn new(params: &ListParams, pagination: &Pagination) -> Self {
        let without_search = ListParams {
            search: None,
            ..params.clone()
        };
        Self {
            search: params.search.clone(),
            kept_params: kept_params(params),
            summary: summary(params, pagination),
            notice: pagination.requested_past_end.map(|requested| {
                let last = pagination.last_page();
                format!("There is no page {requested}; this is the last page, {last}.")
            }),
            search_problem: None,
            headers: sort_headers(params),
            pages: page_links(params, pagination),
            clear_search_href: index_url(&without_search, 1),
        }
    }
}

/// "Showing 26–50 of 100,000 students", or for a search "12 students match
/// ‘shark’" (with ", showing 1–10" when they fill more than a page).
fn summary(params: &ListParams, pagination: &Pagination) -> String {
    let total = pagination.total;
    let noun = if total == 1 { "student" } else { "students" };
    let shown = format!(
        "{}\u{2013}{}",
        thousands(pagination.first_row()),
        thousands(pagination.last_row())
    );
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

/// One link per sortable column: the sorted column flips its direction,
/// another starts ascending.
fn sort_headers(params: &ListParams) -> Vec<SortHeader> {
    SortKey::ALL
        .into_iter()
        .map(|key| {
            let current = key == params.sort;
            let direction = if current {
                params.direction.reversed()
            } else {
                Direction::Asc
            };
            let sorted = ListParams {
                sort: key,
                direction,
                ..params.clone()
            };
            SortHeader {
                label: match key {
                    SortKey::Name => "Name",
                    SortKey::Email => "Email",
                    SortKey::Age => "Age",
                    SortKey::City => "City",
                    SortKey::Joined => "Joined",
                },
                href: index_url(&sorted, 1),
                aria_sort: current.then_some(match params.direction {
                    Direction::Asc => "ascending",
                    Direction::Desc => "descending",
                }),
                indicator: match (current, params.direction) {
                    (false, _) => "",
                    (true, Direction::Asc) => " \u{25B2}",
                    (true, Direction::Desc) => " \u{25BC}",
                },
            }
        })
        .collect()
}

/// First, Previous, a window of numbered pages with gaps, Next, Last; none
/// when everything fits on one page.
fn page_links(params: &ListParams, pagination: &Pagination) -> Vec<PageLink> {
    let last = pagination.last_page();
    if last == 1 {
        return Vec::new();
    }
    let link = |label: &str, target: i64, accessible: String| PageLink {
        label: label.to_owned(),
        href: (target != pagination.page).then(|| index_url(params, target)),
        current: false,
        accessible_label: accessible,
    };
    let mut pages = vec![
        link("First", 1, "First page".into()),
        link(
            "Previous",
            (pagination.page - 1).max(1),
            "Previous page".into(),
        ),
    ];
    for entry in pagination.window() {
        pages.push(match entry {
            Some(number) => PageLink {
                current: number == pagination.page,
                ..link(&thousands(number), number, format!("Page {number}"))
            },
            None => PageLink {
                label: "\u{2026}".into(),
                href: None,
                current: false,
                accessible_label: "More pages".into(),
            },
        });
    }
    pages.push(link(
        "Next",
        (pagination.page + 1).min(last),
        "Next page".into(),
    ));
    pages.push(link("Last", last, format!("Last page, {last}")));
    pages
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
    kept
}

/// The index URL for a page of this listing; the first page has no `page`.
fn index_url(params: &ListParams, page: i64) -> String {
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
