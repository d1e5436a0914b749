//! What a listing of students asks for: a search, an order, a page. Parsed
//! leniently: a listing URL someone mistyped still shows a listing.

pub use crate::pagination::{DEFAULT_PER_PAGE, Direction, MAX_PER_PAGE, MAX_SEARCH_CHARS};
use crate::pagination::{page_number, page_size, search_term};
/// Shown when a search used up the query budget (`QUERY_TIMEOUT_MS`).
pub const SEARCH_TOO_BROAD: &str = "That search matched too much; add more letters.";
/// Shown for a search of nothing but punctuation: it has no words to look up.
pub const SEARCH_NEEDS_WORDS: &str = "Type at least one letter or digit to search.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Email,
    Age,
    City,
    Joined,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [
        SortKey::Name,
        SortKey::Email,
        SortKey::Age,
        SortKey::City,
        SortKey::Joined,
    ];

    /// The value of `?sort=`.
    pub fn param(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Email => "email",
            SortKey::Age => "age",
            SortKey::City => "city",
            SortKey::Joined => "joined",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|key| key.param().eq_ignore_ascii_case(value.trim()))
    }
}

/// A listing request, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    /// Trimmed; `None` when blank.
    pub search: Option<String>,
    pub sort: SortKey,
    pub direction: Direction,
    /// At least 1; may be past the last page (the query clamps it).
    pub page: i64,
    pub per_page: i64,
    /// Only the students enrolled in this course now (`?course=ID`).
    pub course: Option<i32>,
}

impl Default for ListParams {
    fn default() -> Self {
        Self {
            search: None,
            course: None,
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
            course: None,
        }
    }

    /// Narrows the listing to a course's students; a value that is not a
    /// course id (not a positive whole number) is ignored, like any other
    /// malformed value.
    pub fn in_course(self, course: Option<&str>) -> Self {
        let course = course
            .and_then(|value| value.trim().parse::<i32>().ok())
            .filter(|id| *id > 0);
        Self { course, ..self }
    }

    /// The query string that asks for `page` of this listing (none when
    /// `None`), keeping the search, sort and page size. Default values are
    /// left out so links stay short. Both faces build their links with it.
    pub fn query_string(&self, page: Option<i64>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(term) = &self.search {
            query.append_pair("q", term);
        }
        if let Some(course) = self.course {
            query.append_pair("course", &course.to_string());
        }
        if self.sort != SortKey::default() || self.direction != Direction::default() {
            query.append_pair("sort", self.sort.param());
            query.append_pair("dir", self.direction.param());
        }
        if self.per_page != DEFAULT_PER_PAGE {
            query.append_pair("per_page", &self.per_page.to_string());
        }
        if let Some(page) = page {
            query.append_pair("page", &page.to_string());
        }
        query.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_values_fall_back_to_defaults() {
        let params = ListParams::parse(
            Some("   "),
            Some("shoe-size"),
            Some("sideways"),
            Some("abc"),
            Some("lots"),
        );
        assert_eq!(params, ListParams::default());
        for page in ["-3", "0", "1.5", "", "99999999999999999999999"] {
            assert_eq!(
                ListParams::parse(None, None, None, Some(page), None).page,
                1,
                "{page}"
            );
        }
    }

    #[test]
    fn a_course_filter_is_a_positive_id_kept_in_links() {
        let in_course = |value| ListParams::default().in_course(Some(value)).course;
        assert_eq!(in_course("12"), Some(12));
        for ignored in ["0", "-3", "x", "99999999999"] {
            assert_eq!(in_course(ignored), None, "{ignored}");
        }
        let params = ListParams::parse(Some("ann"), None, None, None, None).in_course(Some("7"));
        assert_eq!(params.query_string(Some(2)), "q=ann&course=7&page=2");
    }

    #[test]
    fn per_page_is_bounded() {
        let per_page = |value| ListParams::parse(None, None, None, None, Some(value)).per_page;
        assert_eq!(per_page("10"), 10);
        assert_eq!(per_page("100"), 100);
        assert_eq!(per_page("101"), 100);
        assert_eq!(per_page("0"), DEFAULT_PER_PAGE);
        assert_eq!(per_page("-5"), DEFAULT_PER_PAGE);
    }

    #[test]
    fn valid_values_are_kept() {
        let params = ListParams::parse(
            Some("  Sammy Shark "),
            Some("AGE"),
            Some("Desc"),
            Some("7"),
            Some("50"),
        );
        assert_eq!(params.search.as_deref(), Some("Sammy Shark"));
        assert_eq!(
            (params.sort, params.direction, params.page, params.per_page),
            (SortKey::Age, Direction::Desc, 7, 50)
        );
    }

    #[test]
    fn nul_characters_are_dropped_from_search_terms() {
        let search = |term| ListParams::parse(Some(term), None, None, None, None).search;
        assert_eq!(search("ab\0c").as_deref(), Some("abc"));
        assert_eq!(search(" \0 "), None);
    }

    #[test]
    fn search_terms_are_cut_to_a_sane_length() {
        let long = "x".repeat(500);
        let params = ListParams::parse(Some(&long), None, None, None, None);
        assert_eq!(params.search.unwrap().chars().count(), MAX_SEARCH_CHARS);
    }
}
