//! Page arithmetic for every listing, in one place: what a listing request
//! may ask for (page, page size, order, search term), parsed leniently, and
//! which rows a page holds.

pub const DEFAULT_PER_PAGE: i64 = 25;
pub const MAX_PER_PAGE: i64 = 100;
/// Longer search terms are cut, so a pasted essay cannot cost a slow query.
pub const MAX_SEARCH_CHARS: usize = 100;

/// A page number as asked for: at least 1, else the first page.
pub fn page_number(value: Option<&str>) -> i64 {
    whole_number(value).filter(|&page| page >= 1).unwrap_or(1)
}

/// Rows per page as asked for: 1 to [`MAX_PER_PAGE`] (more is cut to it),
/// else [`DEFAULT_PER_PAGE`].
pub fn page_size(value: Option<&str>) -> i64 {
    whole_number(value)
        .filter(|&n| n >= 1)
        .map_or(DEFAULT_PER_PAGE, |n| n.min(MAX_PER_PAGE))
}

fn whole_number(value: Option<&str>) -> Option<i64> {
    value.and_then(|v| v.trim().parse::<i64>().ok())
}

/// A search term as typed: trimmed, cut to [`MAX_SEARCH_CHARS`]; `None` when
/// blank. NUL is dropped: no stored field holds one, and it ends a string
/// for SQLite's full-text query parser ("unterminated string").
pub fn search_term(value: Option<&str>) -> Option<String> {
    value
        .map(|term| {
            term.replace('\0', "")
                .trim()
                .chars()
                .take(MAX_SEARCH_CHARS)
                .collect::<String>()
                .trim()
                .to_owned()
        })
        .filter(|term| !term.is_empty())
}

/// The order of a listing's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

impl Direction {
    pub fn param(self) -> &'static str {
        match self {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "asc" => Some(Direction::Asc),
            "desc" => Some(Direction::Desc),
            _ => None,
        }
    }

    pub fn reversed(self) -> Self {
        match self {
            Direction::Asc => Direction::Desc,
            Direction::Desc => Direction::Asc,
        }
    }
}

/// Which rows one page holds, and how to fetch them cheaply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    /// The page shown (1-based), clamped to the pages that exist.
    pub page: i64,
    /// The page that was asked for, when it was past the end.
    pub requested_past_end: Option<i64>,
    pub per_page: i64,
    pub total: i64,
}

/// How to read a page: SQL `OFFSET` costs a step per skipped row, so a page in
/// the second half is read backwards from the end. The last page then costs
/// what the first does, and no page skips more than half the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    Forward {
        offset: i64,
        limit: i64,
    },
    /// Read in reverse order, then reverse the rows.
    Backward {
        offset: i64,
        limit: i64,
    },
}

impl Pagination {
    /// `requested` and `per_page` must already be at least 1.
    pub fn new(requested: i64, per_page: i64, total: i64) -> Self {
        let per_page = per_page.max(1);
        let last_page = last_page(total, per_page);
        let requested = requested.max(1);
        Self {
            page: requested.min(last_page),
            requested_past_end: (requested > last_page).then_some(requested),
            per_page,
            total: total.max(0),
        }
    }

    pub fn last_page(&self) -> i64 {
        last_page(self.total, self.per_page)
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }

    pub fn rows_on_page(&self) -> i64 {
        (self.total - self.offset()).clamp(0, self.per_page)
    }

    /// 1-based position of the first row shown (0 when there are none).
    pub fn first_row(&self) -> i64 {
        if self.total == 0 {
            0
        } else {
            self.offset() + 1
        }
    }

    pub fn last_row(&self) -> i64 {
        self.offset() + self.rows_on_page()
    }

    pub fn fetch(&self) -> Fetch {
        let rows = self.rows_on_page();
        let offset = self.offset();
        let from_end = self.total - offset - rows;
        if from_end < offset {
            Fetch::Backward {
                offset: from_end,
                limit: rows,
            }
        } else {
            Fetch::Forward {
                offset,
                limit: self.per_page,
            }
        }
    }

    /// The page numbers to link: the first, the last, and two either side of
    /// the current one; `None` marks a gap.
    pub fn window(&self) -> Vec<Option<i64>> {
        let last = self.last_page();
        let mut pages = vec![1];
        pages.extend((self.page - 2).max(2)..=(self.page + 2).min(last - 1));
        if last > 1 {
            pages.push(last);
        }
        let mut window = Vec::with_capacity(pages.len() + 2);
        for (i, &page) in pages.iter().enumerate() {
            if i > 0 && page > pages[i - 1] + 1 {
                window.push(None);
            }
            window.push(Some(page));
        }
        window
    }
}

fn last_page(total: i64, per_page: i64) -> i64 {
    ((total.max(0) + per_page - 1) / per_page).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_clamped_and_counted() {
        let p = Pagination::new(2, 25, 100_000);
        assert_eq!(
            (p.page, p.last_page(), p.first_row(), p.last_row()),
            (2, 4000, 26, 50)
        );
        let past = Pagination::new(5000, 25, 100_000);
        assert_eq!((past.page, past.requested_past_end), (4000, Some(5000)));
        let empty = Pagination::new(3, 25, 0);
        assert_eq!(
            (
                empty.page,
                empty.last_page(),
                empty.first_row(),
                empty.last_row()
            ),
            (1, 1, 0, 0)
        );
        let partial = Pagination::new(3, 10, 25);
        assert_eq!(
            (
                partial.rows_on_page(),
                partial.first_row(),
                partial.last_row()
            ),
            (5, 21, 25)
        );
    }

    #[test]
    fn the_second_half_is_read_from_the_end() {
        assert_eq!(
            Pagination::new(1, 25, 100_000).fetch(),
            Fetch::Forward {
                offset: 0,
                limit: 25
            }
        );
        assert_eq!(
            Pagination::new(4000, 25, 100_000).fetch(),
            Fetch::Backward {
                offset: 0,
                limit: 25
            }
        );
        assert_eq!(
            Pagination::new(3999, 25, 100_000).fetch(),
            Fetch::Backward {
                offset: 25,
                limit: 25
            }
        );
        // A partial last page is read from its own first row.
        assert_eq!(
            Pagination::new(3, 10, 25).fetch(),
            Fetch::Backward {
                offset: 0,
                limit: 5
            }
        );
        assert_eq!(
            Pagination::new(1, 25, 3).fetch(),
            Fetch::Forward {
                offset: 0,
                limit: 25
            }
        );
    }

    #[test]
    fn no_page_skips_more_than_half_the_rows() {
        let total = 10_007;
        for page in 1..=Pagination::new(1, 25, total).last_page() {
            let skipped = match Pagination::new(page, 25, total).fetch() {
                Fetch::Forward { offset, .. } | Fetch::Backward { offset, .. } => offset,
            };
            assert!(skipped <= total / 2, "page {page} skips {skipped}");
        }
    }

    #[test]
    fn the_window_shows_ends_and_neighbours() {
        let pages = |page, total| Pagination::new(page, 10, total).window();
        assert_eq!(pages(1, 5), [Some(1)]);
        assert_eq!(pages(1, 100), [Some(1), Some(2), Some(3), None, Some(10)]);
        assert_eq!(
            pages(6, 100),
            [
                Some(1),
                None,
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                None,
                Some(10)
            ]
        );
        assert_eq!(pages(10, 100), [Some(1), None, Some(8), Some(9), Some(10)]);
        assert_eq!(
            pages(4, 100),
            [
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                Some(6),
                None,
                Some(10)
            ]
        );
        assert_eq!(Pagination::new(2000, 25, 100_000).window().len(), 9);
    }
}
