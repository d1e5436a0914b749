//! What every paged, sortable table shows around its rows, whatever it
//! lists: the sort links in its header and the page links under it
//! (`templates/partials/pagination.html`). Each listing supplies its own
//! URLs; the links are built the same way everywhere.

use crate::format::thousands;
use crate::pagination::{Direction, Pagination};

/// A column header that sorts the table by that column.
pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    /// `aria-sort` on the column the table is sorted by.
    pub aria_sort: Option<&'static str>,
    pub indicator: &'static str,
}

impl SortHeader {
    /// The header of a column labelled `label`, `current` when the table is
    /// sorted by it in `direction`. `href` gets the direction the link asks
    /// for: the sorted column flips its direction, another starts ascending.
    pub fn new(
        label: &'static str,
        current: bool,
        direction: Direction,
        href: impl FnOnce(Direction) -> String,
    ) -> Self {
        let asked = if current {
            direction.reversed()
        } else {
            Direction::Asc
        };
        Self {
            label,
            href: href(asked),
            aria_sort: current.then_some(match direction {
                Direction::Asc => "ascending",
                Direction::Desc => "descending",
            }),
            indicator: match (current, direction) {
                (false, _) => "",
                (true, Direction::Asc) => " \u{25B2}",
                (true, Direction::Desc) => " \u{25BC}",
            },
        }
    }
}

pub struct PageLink {
    pub label: String,
    /// `None` for the current page, a gap, or an end already reached.
    pub href: Option<String>,
    pub current: bool,
    pub accessible_label: String,
}

/// How a link names its page: First and Last an end of the listing,
/// wherever its rows are now; the others a page seen from this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    End,
    Near,
}

/// First, Previous, a window of numbered pages with gaps, Next, Last; none
/// when everything fits on one page. `url` gives the address of a page.
pub fn page_links(pagination: &Pagination, url: impl Fn(i64) -> String) -> Vec<PageLink> {
    page_links_by(pagination, |page, _| url(page))
}

/// [`page_links`], for a listing whose link to a page depends on how the
/// link names it.
pub fn page_links_by(
    pagination: &Pagination,
    url: impl Fn(i64, Target) -> String,
) -> Vec<PageLink> {
    let last = pagination.last_page();
    if last == 1 {
        return Vec::new();
    }
    let link_by = |label: &str, target: i64, by: Target, accessible: String| PageLink {
        label: label.to_owned(),
        href: (target != pagination.page).then(|| url(target, by)),
        current: false,
        accessible_label: accessible,
    };
    let link = |label: &str, target: i64, accessible: String| {
        link_by(label, target, Target::Near, accessible)
    };
    let mut pages = vec![
        link_by("First", 1, Target::End, "First page".into()),
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
    pages.push(link_by(
        "Last",
        last,
        Target::End,
        format!("Last page, {last}"),
    ));
    pages
}

/// "26–50": the rows a page shows.
pub fn rows_shown(pagination: &Pagination) -> String {
    format!(
        "{}\u{2013}{}",
        thousands(pagination.first_row()),
        thousands(pagination.last_row())
    )
}

/// The notice for a page asked for past the last one.
pub fn past_end_notice(pagination: &Pagination) -> Option<String> {
    pagination.requested_past_end.map(|requested| {
        let last = pagination.last_page();
        format!("There is no page {requested}; this is the last page, {last}.")
    })
}
