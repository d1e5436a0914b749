//! What a listing of students asks for: a search, an order, a page. Parsed
//! leniently: a listing URL someone mistyped still shows a listing.

use chrono::{DateTime, NaiveDateTime};

use super::model::Student;
pub use crate::pagination::{DEFAULT_PER_PAGE, Direction, MAX_PER_PAGE, MAX_SEARCH_CHARS, Side};
use crate::pagination::{TokenReader, TokenWriter, page_number, page_size, search_term};
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

    fn number(self) -> u8 {
        match self {
            SortKey::Name => 0,
            SortKey::Email => 1,
            SortKey::Age => 2,
            SortKey::City => 3,
            SortKey::Joined => 4,
        }
    }
}

/// The longest stored name, email or city, in characters (the tables'
/// CHECK constraints).
const MAX_TEXT_CHARS: usize = 100;
/// 9999-12-31T23:59:59Z, the last second a join time is read from a token.
const MAX_JOINED_SECONDS: i64 = 253_402_300_799;

/// A cursor skips at most this many rows past its row: enough for the
/// numbered links a few pages either side of the current one, and cheap.
pub const MAX_SKIP: i64 = 4 * MAX_PER_PAGE;

/// One row's values of a sort key: a position in that order, whether or not
/// the row still exists. (Each order ends in the id, or is by the unique
/// email, so a position is between two rows, never on a tie.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValues {
    Name {
        lastname: String,
        firstname: String,
        id: i32,
    },
    Email {
        email: String,
    },
    Age {
        age: Option<i32>,
        id: i32,
    },
    City {
        city: Option<String>,
        id: i32,
    },
    Joined {
        created_at: NaiveDateTime,
        id: i32,
    },
}

impl SortValues {
    pub fn of(student: &Student, key: SortKey) -> Self {
        let id = student.id;
        match key {
            SortKey::Name => SortValues::Name {
                lastname: student.lastname.clone(),
                firstname: student.firstname.clone(),
                id,
            },
            SortKey::Email => SortValues::Email {
                email: student.email.clone(),
            },
            SortKey::Age => SortValues::Age {
                age: student.age,
                id,
            },
            SortKey::City => SortValues::City {
                city: student.city.clone(),
                id,
            },
            SortKey::Joined => SortValues::Joined {
                created_at: student.created_at,
                id,
            },
        }
    }

    pub fn key(&self) -> SortKey {
        match self {
            SortValues::Name { .. } => SortKey::Name,
            SortValues::Email { .. } => SortKey::Email,
            SortValues::Age { .. } => SortKey::Age,
            SortValues::City { .. } => SortKey::City,
            SortValues::Joined { .. } => SortKey::Joined,
        }
    }
}

/// Where a page starts, carried by a page link: `skip` rows past the row
/// with `row`'s sort values, on `side` of it in the listing's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub side: Side,
    pub row: SortValues,
    pub skip: i64,
}

impl Cursor {
    /// The token of the link's `after=` or `before=`: the sort key and
    /// direction it was made for, the skip, then the row's values.
    pub fn token(&self, direction: Direction) -> String {
        let tag = self.row.key().number() << 1
            | match direction {
                Direction::Asc => 0,
                Direction::Desc => 1,
            };
        let token = TokenWriter::default().byte(tag).int(self.skip);
        match &self.row {
            SortValues::Name {
                lastname,
                firstname,
                id,
            } => token.text(lastname).text(firstname).int(i64::from(*id)),
            SortValues::Email { email } => token.text(email),
            SortValues::Age { age, id } => match age {
                Some(age) => token.byte(1).int(i64::from(*age)),
                None => token.byte(0),
            }
            .int(i64::from(*id)),
            SortValues::City { city, id } => match city {
                Some(city) => token.byte(1).text(city),
                None => token.byte(0),
            }
            .int(i64::from(*id)),
            SortValues::Joined { created_at, id } => {
                let at = created_at.and_utc();
                token
                    .int(at.timestamp())
                    .int(i64::from(at.timestamp_subsec_nanos()))
                    .int(i64::from(*id))
            }
        }
        .finish()
    }

    /// The cursor of `token`, if it is one made for this sort key and
    /// direction; anything else is `None`, never an error.
    pub fn parse(side: Side, token: &str, sort: SortKey, direction: Direction) -> Option<Self> {
        let mut read = TokenReader::new(token)?;
        let tag = read.byte()?;
        let made_for = SortKey::ALL
            .into_iter()
            .find(|key| key.number() == tag >> 1)?;
        let made_desc = tag & 1 == 1;
        if made_for != sort || made_desc != (direction == Direction::Desc) {
            return None;
        }
        let skip = read.int().filter(|skip| (0..=MAX_SKIP).contains(skip))?;
        let id = |read: &mut TokenReader| {
            read.int()
                .and_then(|id| i32::try_from(id).ok())
                .filter(|id| *id > 0)
        };
        let optional = |read: &mut TokenReader| match read.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        };
        let row = match sort {
            SortKey::Name => SortValues::Name {
                lastname: read.text(MAX_TEXT_CHARS)?,
                firstname: read.text(MAX_TEXT_CHARS)?,
                id: id(&mut read)?,
            },
            SortKey::Email => SortValues::Email {
                email: read.text(MAX_TEXT_CHARS)?,
            },
            SortKey::Age => SortValues::Age {
                age: match optional(&mut read)? {
                    true => Some(
                        read.int()
                            .and_then(|age| i32::try_from(age).ok())
                            .filter(|age| *age > 0)?,
                    ),
                    false => None,
                },
                id: id(&mut read)?,
            },
            SortKey::City => SortValues::City {
                city: match optional(&mut read)? {
                    true => Some(read.text(MAX_TEXT_CHARS)?),
                    false => None,
                },
                id: id(&mut read)?,
            },
            SortKey::Joined => {
                // Years 1970–9999 only: PostgreSQL refuses a timestamp
                // before 4713 BC, which chrono would accept.
                let seconds = read
                    .int()
                    .filter(|seconds| (0..=MAX_JOINED_SECONDS).contains(seconds))?;
                let nanos = u32::try_from(read.int()?).ok()?;
                SortValues::Joined {
                    created_at: DateTime::from_timestamp(seconds, nanos)?.naive_utc(),
                    id: id(&mut read)?,
                }
            }
        };
        read.end()?;
        Some(Self { side, row, skip })
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
    /// Where `page` starts, when a page link said (`after=`/`before=`);
    /// without it the page is counted from the start.
    pub cursor: Option<Cursor>,
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
            cursor: None,
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
            cursor: None,
        }
    }

    /// Starts the page at the cursor of a page link (`after` wins if both
    /// are given); a token that is malformed, or was made for another order,
    /// is ignored like any other malformed value: the page is then counted.
    pub fn at_cursor(self, after: Option<&str>, before: Option<&str>) -> Self {
        let cursor = [(Side::After, after), (Side::Before, before)]
            .into_iter()
            .find_map(|(side, token)| {
                Cursor::parse(side, token?.trim(), self.sort, self.direction)
            });
        Self { cursor, ..self }
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
        self.query_string_at(page, None)
    }

    /// [`Self::query_string`], with the cursor where the page starts.
    pub fn query_string_at(&self, page: Option<i64>, cursor: Option<&Cursor>) -> String {
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
        if let Some(cursor) = cursor {
            query.append_pair(cursor.side.param(), &cursor.token(self.direction));
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

    fn every_kind_of_cursor() -> Vec<(SortKey, Cursor)> {
        let joined = DateTime::from_timestamp(1_795_000_000, 500_000_000)
            .unwrap()
            .naive_utc();
        [
            SortValues::Name {
                lastname: "O'Brien & Søn".into(),
                firstname: "Zoë".into(),
                id: 7,
            },
            SortValues::Email {
                email: "a+b@example.com".into(),
            },
            SortValues::Age { age: None, id: 1 },
            SortValues::Age {
                age: Some(150),
                id: i32::MAX,
            },
            SortValues::City { city: None, id: 99 },
            SortValues::City {
                city: Some("São Paulo".into()),
                id: 3,
            },
            SortValues::Joined {
                created_at: joined,
                id: 12,
            },
        ]
        .into_iter()
        .enumerate()
        .map(|(n, row)| {
            let side = if n % 2 == 0 {
                Side::After
            } else {
                Side::Before
            };
            (
                row.key(),
                Cursor {
                    side,
                    row,
                    skip: n as i64 * 25,
                },
            )
        })
        .collect()
    }

    #[test]
    fn cursors_read_back_for_the_order_they_were_made_for() {
        for (key, cursor) in every_kind_of_cursor() {
            for direction in [Direction::Asc, Direction::Desc] {
                let token = cursor.token(direction);
                assert!(token.len() < 120, "{token}");
                assert_eq!(
                    Cursor::parse(cursor.side, &token, key, direction).as_ref(),
                    Some(&cursor)
                );
                assert_eq!(
                    Cursor::parse(cursor.side, &token, key, direction.reversed()),
                    None,
                    "made for the other direction"
                );
                let other = SortKey::ALL
                    .into_iter()
                    .find(|other| *other != key)
                    .unwrap();
                assert_eq!(Cursor::parse(cursor.side, &token, other, direction), None);
            }
        }
    }

    #[test]
    fn tampered_cursors_are_ignored() {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for (key, cursor) in every_kind_of_cursor() {
            let bytes = engine.decode(cursor.token(Direction::Asc)).unwrap();
            // Cut short, or with a byte more.
            for len in 0..bytes.len() {
                let cut = engine.encode(&bytes[..len]);
                assert_eq!(Cursor::parse(Side::After, &cut, key, Direction::Asc), None);
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(
                Cursor::parse(Side::After, &engine.encode(&longer), key, Direction::Asc),
                None
            );
        }
        let parse = |bytes: &[u8]| {
            Cursor::parse(
                Side::After,
                &engine.encode(bytes),
                SortKey::Age,
                Direction::Asc,
            )
        };
        // Age (tag 4), skip 0, present, age 30, id 5: then out-of-range values.
        assert!(parse(&[4, 0, 1, 60, 10]).is_some());
        assert_eq!(parse(&[4, 0, 2, 60, 10]), None, "presence byte");
        assert_eq!(parse(&[4, 0, 1, 0, 10]), None, "age 0");
        assert_eq!(parse(&[4, 0, 1, 60, 0]), None, "id 0");
        assert_eq!(parse(&[4, 0, 1, 60, 9]), None, "id -5");
        assert_eq!(parse(&[4, 1, 1, 60, 10]), None, "skip -1");
        assert_eq!(parse(&[20, 0, 1, 60, 10]), None, "no such sort key");
        let too_far = TokenWriter::default()
            .byte(4)
            .int(MAX_SKIP + 1)
            .byte(0)
            .int(5);
        assert_eq!(
            Cursor::parse(Side::After, &too_far.finish(), SortKey::Age, Direction::Asc),
            None
        );
        for junk in ["", "%%%", "AAAA====", "ÿ", &"A".repeat(5000)] {
            let params = ListParams::default().at_cursor(Some(junk), Some(junk));
            assert_eq!(params.cursor, None, "{junk}");
        }
    }

    #[test]
    fn links_carry_the_cursor_after_the_page() {
        let params = ListParams::parse(Some("ann"), Some("age"), Some("desc"), None, None)
            .in_course(Some("3"));
        let cursor = Cursor {
            side: Side::Before,
            row: SortValues::Age { age: None, id: 5 },
            skip: 0,
        };
        let query = params.query_string_at(Some(4), Some(&cursor));
        let token = cursor.token(Direction::Desc);
        assert_eq!(
            query,
            format!("q=ann&course=3&sort=age&dir=desc&page=4&before={token}")
        );
        let read = params.clone().at_cursor(None, Some(&token));
        assert_eq!(read.cursor, Some(cursor));
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
