//! What the activity listing (`/activity/`) may ask for: filters, a cursor
//! and a page size. Parsed leniently, by the student index's rules: an
//! unknown or malformed value falls back to its default, never an error, and
//! a page holds 25 rows unless asked for 1 to 100.

use std::ops::RangeInclusive;

use chrono::{Datelike, NaiveDate};

use super::model::Action;
use crate::pagination::page_size;
pub use crate::pagination::{DEFAULT_PER_PAGE, MAX_PER_PAGE};

/// The years a `from`/`to` day may fall in. chrono reads signed and
/// five-digit years (`-5000-01-01`, `+99999-01-01`), which PostgreSQL's
/// timestamps cannot hold (a 5xx) and which SQLite, comparing the stored
/// text, would misorder; no event is that old or that far off anyway.
const YEARS: RangeInclusive<i32> = 1900..=9999;

/// What the activity listing may be narrowed to; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    /// Events by this account.
    pub actor_user_id: Option<i32>,
    pub action: Option<Action>,
    /// Events on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Events on or before this day (UTC).
    pub to: Option<NaiveDate>,
}

/// Where a page of the activity listing starts. Pages are cut by id (keyset),
/// not by offset: a page costs the same however deep it is, and events
/// recorded while someone pages do not shift the rows they have not seen yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cursor {
    /// The newest events.
    #[default]
    Newest,
    /// The events just older than this id (the "Older" link).
    Before(i32),
    /// The events just newer than this id (the "Newer" link).
    After(i32),
}

/// A listing request, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityParams {
    pub filter: ActivityFilter,
    pub cursor: Cursor,
    /// 1 to [`MAX_PER_PAGE`].
    pub per_page: i64,
}

impl Default for ActivityParams {
    fn default() -> Self {
        Self {
            filter: ActivityFilter::default(),
            cursor: Cursor::Newest,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// The raw query parameters, each as given (`None` when absent).
#[derive(Debug, Clone, Copy, Default)]
pub struct ActivityQuery<'a> {
    /// `user`: an account id.
    pub user: Option<&'a str>,
    /// `action`: an action's name (`student.update`).
    pub action: Option<&'a str>,
    /// `from` and `to`: days, `YYYY-MM-DD` (what `<input type=date>` sends).
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    /// `before` or `after`: the id a page starts beyond; `before` wins if
    /// both are given.
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub per_page: Option<&'a str>,
}

impl ActivityParams {
    pub fn parse(query: ActivityQuery<'_>) -> Self {
        let id = |value: Option<&str>| {
            value
                .and_then(|v| v.trim().parse::<i32>().ok())
                .filter(|&id| id >= 1)
        };
        let day = |value: Option<&str>| {
            value
                .and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok())
                .filter(|day| YEARS.contains(&day.year()))
        };
        let cursor = match (id(query.before), id(query.after)) {
            (Some(before), _) => Cursor::Before(before),
            (None, Some(after)) => Cursor::After(after),
            (None, None) => Cursor::Newest,
        };
        Self {
            filter: ActivityFilter {
                actor_user_id: id(query.user),
                action: query
                    .action
                    .and_then(|name| Action::parse(name.trim()).ok()),
                from: day(query.from),
                to: day(query.to),
            },
            cursor,
            per_page: page_size(query.per_page),
        }
    }

    /// The query string for the page at `cursor` of this listing, keeping
    /// the filters and page size; defaults are left out so links stay short.
    pub fn query_string(&self, cursor: Cursor) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(user) = self.filter.actor_user_id {
            query.append_pair("user", &user.to_string());
        }
        if let Some(action) = self.filter.action {
            query.append_pair("action", action.as_str());
        }
        if let Some(from) = self.filter.from {
            query.append_pair("from", &from.format("%Y-%m-%d").to_string());
        }
        if let Some(to) = self.filter.to {
            query.append_pair("to", &to.format("%Y-%m-%d").to_string());
        }
        if self.per_page != DEFAULT_PER_PAGE {
            query.append_pair("per_page", &self.per_page.to_string());
        }
        match cursor {
            Cursor::Newest => {}
            Cursor::Before(id) => {
                query.append_pair("before", &id.to_string());
            }
            Cursor::After(id) => {
                query.append_pair("after", &id.to_string());
            }
        }
        query.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_values_fall_back_to_defaults() {
        let params = ActivityParams::parse(ActivityQuery {
            user: Some("ada"),
            action: Some("student.explode"),
            from: Some("2026-13-01"),
            to: Some("yesterday"),
            before: Some("-4"),
            after: Some("1.5"),
            per_page: Some("lots"),
        });
        assert_eq!(params, ActivityParams::default());
        let per_page = |value| {
            ActivityParams::parse(ActivityQuery {
                per_page: Some(value),
                ..Default::default()
            })
            .per_page
        };
        assert_eq!(per_page("10"), 10);
        assert_eq!(per_page("101"), MAX_PER_PAGE);
        assert_eq!(per_page("0"), DEFAULT_PER_PAGE);
    }

    #[test]
    fn days_outside_years_1900_to_9999_are_no_filter() {
        let filter = |from, to| {
            ActivityParams::parse(ActivityQuery {
                from: Some(from),
                to: Some(to),
                ..Default::default()
            })
            .filter
        };
        for day in [
            "-5000-01-01",
            "99999-01-01",
            "+99999-01-01",
            "1899-12-31",
            "0000-01-01",
        ] {
            assert_eq!(filter(day, day), ActivityFilter::default(), "{day}");
        }
        let kept = filter("1900-01-01", "9999-12-31");
        assert_eq!(kept.from, NaiveDate::from_ymd_opt(1900, 1, 1));
        assert_eq!(kept.to, NaiveDate::from_ymd_opt(9999, 12, 31));
    }

    #[test]
    fn valid_values_are_kept_and_written_back() {
        let params = ActivityParams::parse(ActivityQuery {
            user: Some(" 7 "),
            action: Some("student.update"),
            from: Some("2026-01-10"),
            to: Some("2026-01-12"),
            before: Some("40"),
            after: Some("30"),
            per_page: Some("50"),
        });
        assert_eq!(
            params,
            ActivityParams {
                filter: ActivityFilter {
                    actor_user_id: Some(7),
                    action: Some(Action::StudentUpdate),
                    from: NaiveDate::from_ymd_opt(2026, 1, 10),
                    to: NaiveDate::from_ymd_opt(2026, 1, 12),
                },
                cursor: Cursor::Before(40),
                per_page: 50,
            }
        );
        assert_eq!(
            params.query_string(Cursor::After(12)),
            "user=7&action=student.update&from=2026-01-10&to=2026-01-12&per_page=50&after=12"
        );
        assert_eq!(ActivityParams::default().query_string(Cursor::Newest), "");
    }
}
