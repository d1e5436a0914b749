//! The student index: its template, and everything around the rows (search,
//! sorting, paging) as the page shows it.

use askama::Template;
use askama_web::WebTemplate;

use super::views::StudentView;
use crate::format::thousands;
use crate::pages::Page;
use crate::pages::listing::{PageLink, SortHeader, page_links, past_end_notice, rows_shown};
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
            notice: past_end_notice(pagination),
            search_problem: None,
            headers: sort_headers(params),
            pages: page_links(pagination, |page| index_url(params, page)),
            clear_search_href: index_url(&without_search, 1),
        }
    }
}

/// "Showing 26–50 of 100,000 students", or for a search "12 students match
/// ‘shark’" (with ", showing 1–10" when they fill more than a page).
fn summary(params: &ListParams, pagination: &Pagination) -> String {
    let total = pagination.total;
    let noun = if total == 1 { "student" } else { "students" };
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
