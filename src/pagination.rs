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
/// what the first does, and no page skips more than half the rows. (A
/// search's numbered pages are read forward: it sorts every match anyway,
/// see `students::queries::searched_page`.)
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

/// Which side of a known row a page starts on: a page link that carries a
/// cursor names the row just before its page (`After`) or just after it
/// (`Before`), so the page is found by seeking in an index, not by counting
/// rows with `OFFSET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    After,
    Before,
}

impl Side {
    /// The query parameter that carries a cursor of this side.
    pub fn param(self) -> &'static str {
        match self {
            Side::After => "after",
            Side::Before => "before",
        }
    }
}

/// Longer cursor tokens are refused unread: no valid one comes close.
pub const MAX_TOKEN_CHARS: usize = 1400;

/// The bytes of a cursor, written field by field and carried in a link as
/// unpadded URL-safe base64. Whole numbers are zigzag LEB128 (small ids and
/// ages take a byte or two), texts their byte length then their UTF-8.
#[derive(Debug, Default)]
pub struct TokenWriter(Vec<u8>);

impl TokenWriter {
    pub fn byte(mut self, value: u8) -> Self {
        self.0.push(value);
        self
    }

    pub fn int(mut self, value: i64) -> Self {
        let mut rest = ((value << 1) ^ (value >> 63)) as u64;
        loop {
            let low = (rest & 0x7f) as u8;
            rest >>= 7;
            if rest == 0 {
                self.0.push(low);
                return self;
            }
            self.0.push(low | 0x80);
        }
    }

    pub fn text(self, value: &str) -> Self {
        let mut written = self.int(value.len() as i64);
        written.0.extend_from_slice(value.as_bytes());
        written
    }

    pub fn finish(self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0)
    }
}

/// Reads what [`TokenWriter`] wrote, strictly: anything else (another
/// alphabet, padding, a number written the long way, a text that is not
/// UTF-8 or is too long, bytes left over) is `None`.
#[derive(Debug)]
pub struct TokenReader {
    bytes: Vec<u8>,
    at: usize,
}

impl TokenReader {
    pub fn new(token: &str) -> Option<Self> {
        use base64::Engine;
        if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()?;
        Some(Self { bytes, at: 0 })
    }

    pub fn byte(&mut self) -> Option<u8> {
        let value = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(value)
    }

    pub fn int(&mut self) -> Option<i64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let bits = u64::from(byte & 0x7f);
            // The tenth byte may hold one bit only; a last byte of zero
            // would be the same number written longer.
            if shift == 63 && bits > 1 {
                return None;
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return None;
                }
                return Some(((value >> 1) as i64) ^ -((value & 1) as i64));
            }
        }
        None
    }

    /// A text of at most `max_chars` characters, none of them NUL.
    pub fn text(&mut self, max_chars: usize) -> Option<String> {
        let len = usize::try_from(self.int()?).ok()?;
        // A character takes at most four bytes.
        if len > max_chars.saturating_mul(4) {
            return None;
        }
        let end = self.at.checked_add(len)?;
        let text = std::str::from_utf8(self.bytes.get(self.at..end)?).ok()?;
        self.at = end;
        // No stored text holds NUL, and PostgreSQL refuses one in a query.
        (text.chars().count() <= max_chars && !text.contains('\0')).then(|| text.to_owned())
    }

    /// `Some` when every byte was read.
    pub fn end(self) -> Option<()> {
        (self.at == self.bytes.len()).then_some(())
    }
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
    fn tokens_read_back_what_was_written() {
        let token = TokenWriter::default()
            .byte(7)
            .int(0)
            .int(-1)
            .int(150)
            .int(i64::MAX)
            .int(i64::MIN)
            .text("Zoë O'Brien & co/?=+")
            .text("")
            .finish();
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{token}"
        );
        let mut read = TokenReader::new(&token).unwrap();
        assert_eq!(read.byte(), Some(7));
        assert_eq!(read.int(), Some(0));
        assert_eq!(read.int(), Some(-1));
        assert_eq!(read.int(), Some(150));
        assert_eq!(read.int(), Some(i64::MAX));
        assert_eq!(read.int(), Some(i64::MIN));
        assert_eq!(read.text(100).as_deref(), Some("Zoë O'Brien & co/?=+"));
        assert_eq!(read.text(100).as_deref(), Some(""));
        assert_eq!(read.end(), Some(()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        use base64::Engine;
        let raw = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        // Not base64url, padded, empty, too long.
        for token in ["a+b/", "AA==", "", "!!", &"A".repeat(MAX_TOKEN_CHARS + 4)] {
            assert!(TokenReader::new(token).is_none(), "{token}");
        }
        // Bytes left over.
        let mut read = TokenReader::new(&raw(&[1, 2])).unwrap();
        assert_eq!(read.byte(), Some(1));
        assert_eq!(read.end(), None);
        // A number written the long way, one that overflows, one cut off.
        for bytes in [&[0x80, 0x00][..], &[0xff; 11][..], &[0x80][..]] {
            assert_eq!(
                TokenReader::new(&raw(bytes)).unwrap().int(),
                None,
                "{bytes:?}"
            );
        }
        // A text longer than allowed, not UTF-8, or longer than the token.
        let long = TokenWriter::default().text("abcd").finish();
        assert_eq!(TokenReader::new(&long).unwrap().text(3), None);
        assert_eq!(
            TokenReader::new(&raw(&[4, 0xff, 0xfe, 0xfd, 0xfc]))
                .unwrap()
                .text(9),
            None
        );
        assert_eq!(TokenReader::new(&raw(&[8, b'a'])).unwrap().text(9), None);
        assert_eq!(
            TokenReader::new(&raw(&[2, 0])).unwrap().text(9),
            None,
            "NUL"
        );
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
