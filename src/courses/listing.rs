//! What a listing of courses, or a course's class list, may ask for: a
//! search, an order, a page. Parsed leniently, like the student listing: a
//! mistyped URL still shows a listing.

pub use crate::pagination::{DEFAULT_PER_PAGE, Direction, MAX_PER_PAGE, MAX_SEARCH_CHARS};
use crate::pagination::{page_number, page_size, search_term};

/// The orders of the course list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Code,
    Title,
    Credits,
}

impl SortKey {
    pub const ALL: [SortKey; 3] = [SortKey::Code, SortKey::Title, SortKey::Credits];

    /// The value of `?sort=`.
    pub fn param(self) -> &'static str {
        match self {
            SortKey::Code => "code",
            SortKey::Title => "title",
            SortKey::Credits => "credits",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|key| key.param().eq_ignore_ascii_case(value.trim()))
    }
}

/// The orders of a course's class list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClassSortKey {
    /// By last name, then first name.
    #[default]
    Name,
    /// By the day of enrolment.
    Enrolled,
}

impl ClassSortKey {
    pub const ALL: [ClassSortKey; 2] = [ClassSortKey::Name, ClassSortKey::Enrolled];

    pub fn param(self) -> &'static str {
        match self {
            ClassSortKey::Name => "name",
            ClassSortKey::Enrolled => "enrolled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|key| key.param().eq_ignore_ascii_case(value.trim()))
    }
}

/// A course-list request, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    /// Trimmed; `None` when blank. Matches anywhere in the code or title,
    /// ignoring case.
    pub search: Option<String>,
    pub sort: SortKey,
    pub direction: Direction,
    /// At least 1; may be past the last page (the query clamps it).
    pub page: i64,
    pub per_page: i64,
}

impl Default for ListParams {
    fn default() -> Self {
        Self {
            search: None,
            sort: SortKey::default(),
            direction: Direction::default(),
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl ListParams {
    /// Unknown or malformed values fall back to the defaults; they are never
    /// an error.
    pub fn parse(
        search: Option<&str>,
        sort: Option<&str>,
        direction: Option<&str>,
        page: Option<&str>,
        per_page: Option<&str>,
    ) -> Self {
        let search = search_term(search);
        Self {
            search,
            sort: sort.and_then(SortKey::parse).unwrap_or_default(),
            direction: direction.and_then(Direction::parse).unwrap_or_default(),
            page: page_number(page),
            per_page: page_size(per_page),
        }
    }

    /// The query string that asks for `page` of this listing (none when
    /// `None`); default values are left out so links stay short.
    pub fn query_string(&self, page: Option<i64>) -> String {
        let search = self.search.iter().map(|term| ("q", term.clone()));
        query_string(search.chain(self.kept_params()), page)
    }

    /// The order and page size where they differ from the defaults: what
    /// the search form keeps (as hidden inputs) when the term changes.
    pub fn kept_params(&self) -> Vec<(&'static str, String)> {
        order_and_size(self.sort, self.sort.param(), self.direction, self.per_page)
    }
}

/// A class-list request, normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassListParams {
    pub sort: ClassSortKey,
    pub direction: Direction,
    pub page: i64,
    pub per_page: i64,
}

impl Default for ClassListParams {
    fn default() -> Self {
        Self {
            sort: ClassSortKey::default(),
            direction: Direction::default(),
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl ClassListParams {
    pub fn parse(
        sort: Option<&str>,
        direction: Option<&str>,
        page: Option<&str>,
        per_page: Option<&str>,
    ) -> Self {
        Self {
            sort: sort.and_then(ClassSortKey::parse).unwrap_or_default(),
            direction: direction.and_then(Direction::parse).unwrap_or_default(),
            page: page_number(page),
            per_page: page_size(per_page),
        }
    }

    /// The parameters that differ from the defaults, page aside: what a
    /// link to another page, or a form on the same page, keeps.
    pub fn kept_params(&self) -> Vec<(&'static str, String)> {
        order_and_size(self.sort, self.sort.param(), self.direction, self.per_page)
    }

    /// The query string that asks for `page` of this class list (none when
    /// `None`); default values are left out so links stay short.
    pub fn query_string(&self, page: Option<i64>) -> String {
        query_string(self.kept_params(), page)
    }
}

/// `sort` and `dir` (together, so a link never half-keeps an order) and
/// `per_page`, each only where it differs from the default.
fn order_and_size<K: Default + PartialEq>(
    sort: K,
    sort_param: &'static str,
    direction: Direction,
    per_page: i64,
) -> Vec<(&'static str, String)> {
    let mut kept = Vec::new();
    if sort != K::default() || direction != Direction::default() {
        kept.push(("sort", sort_param.to_owned()));
        kept.push(("dir", direction.param().to_owned()));
    }
    if per_page != DEFAULT_PER_PAGE {
        kept.push(("per_page", per_page.to_string()));
    }
    kept
}

/// `params`, then `page` when given, as a query string.
fn query_string(
    params: impl IntoIterator<Item = (&'static str, String)>,
    page: Option<i64>,
) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, &value);
    }
    if let Some(page) = page {
        query.append_pair("page", &page.to_string());
    }
    query.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_values_fall_back_to_defaults() {
        let params = ListParams::parse(
            Some(" \0 "),
            Some("size"),
            Some("up"),
            Some("-1"),
            Some("x"),
        );
        assert_eq!(params, ListParams::default());
        let class = ClassListParams::parse(Some("age"), None, Some("0"), Some("1000"));
        assert_eq!(
            class,
            ClassListParams {
                per_page: MAX_PER_PAGE,
                ..ClassListParams::default()
            }
        );
    }

    #[test]
    fn query_strings_keep_what_differs_from_the_defaults() {
        let params = ListParams::parse(Some("bio"), Some("TITLE"), Some("desc"), None, Some("50"));
        assert_eq!(
            params.query_string(Some(2)),
            "q=bio&sort=title&dir=desc&per_page=50&page=2"
        );
        assert_eq!(ListParams::default().query_string(None), "");
        let class = ClassListParams::parse(Some("enrolled"), Some("desc"), None, Some("10"));
        assert_eq!(
            class.query_string(Some(3)),
            "sort=enrolled&dir=desc&per_page=10&page=3"
        );
        assert_eq!(ClassListParams::default().query_string(None), "");
    }
}
