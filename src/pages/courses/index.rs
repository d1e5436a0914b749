//! The course list: its template, and everything around the rows (search,
//! sorting, paging) as the page shows it.

use askama::Template;
use askama_web::WebTemplate;

use super::views::CourseView;
use crate::courses::listing::{ListParams, SortKey};
use crate::format::thousands;
use crate::pages::Page;
use crate::pages::listing::{PageLink, SortHeader, page_links, past_end_notice, rows_shown};
use crate::pagination::Pagination;

#[derive(Template, WebTemplate)]
#[template(path = "courses/index.html")]
pub struct IndexPage {
    pub page: Page,
    pub courses: Vec<CourseView>,
    pub listing: ListingView,
}

/// Everything around the rows of the list: search, sorting, paging.
pub struct ListingView {
    pub search: Option<String>,
    /// Hidden inputs that keep the sort and page size when searching.
    pub kept_params: Vec<(&'static str, String)>,
    /// "Showing 1–25 of 40 courses" or "3 courses match 'bio'".
    pub summary: String,
    /// Set when the requested page did not exist.
    pub notice: Option<String>,
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
            kept_params: params.kept_params(),
            summary: summary(params, pagination),
            notice: past_end_notice(pagination),
            headers: sort_headers(params),
            pages: page_links(pagination, |page| list_url(params, page)),
            clear_search_href: list_url(&without_search, 1),
        }
    }
}

fn summary(params: &ListParams, pagination: &Pagination) -> String {
    let total = pagination.total;
    let noun = if total == 1 { "course" } else { "courses" };
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

fn sort_headers(params: &ListParams) -> Vec<SortHeader> {
    SortKey::ALL
        .into_iter()
        .map(|key| {
            let label = match key {
                SortKey::Code => "Code",
                SortKey::Title => "Title",
                SortKey::Credits => "Credits",
            };
            SortHeader::new(label, key == params.sort, params.direction, |direction| {
                let sorted = ListParams {
                    sort: key,
                    direction,
                    ..params.clone()
                };
                list_url(&sorted, 1)
            })
        })
        .collect()
}

/// The list's URL for a page of this listing; the first page has no `page`.
fn list_url(params: &ListParams, page: i64) -> String {
    match params.query_string((page != 1).then_some(page)) {
        query if query.is_empty() => "/courses/".to_owned(),
        query => format!("/courses/?{query}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_links_keep_search_sort_and_size() {
        let params = ListParams::parse(Some("bio & co"), Some("title"), None, None, Some("50"));
        assert_eq!(
            list_url(&params, 2),
            "/courses/?q=bio+%26+co&sort=title&dir=asc&per_page=50&page=2"
        );
        assert_eq!(list_url(&ListParams::default(), 1), "/courses/");
    }
}
