//! What the account pages show, ready for their templates.

use chrono::{NaiveDateTime, Timelike};

use crate::format;

/// A moment, for `<time datetime="…">…</time>`.
#[derive(Debug, Clone)]
pub struct Moment {
    /// RFC 3339, for the `datetime` attribute.
    pub machine: String,
    /// "22 Nov 2026, 06:03 UTC".
    pub readable: String,
}

impl From<&NaiveDateTime> for Moment {
    fn from(at: &NaiveDateTime) -> Self {
        Self {
            machine: format::rfc3339(at),
            readable: format!(
                "{}, {:02}:{:02} UTC",
                format::readable_date(at),
                at.hour(),
                at.minute()
            ),
        }
    }
}

/// The message for `field` among a form's `errors`, if any.
pub fn error_for(errors: &[(&'static str, String)], field: &str) -> Option<String> {
    errors
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, message)| message.clone())
}

/// The heading of a form's error summary.
pub fn problem_count(count: usize, prevents: &str) -> String {
    match count {
        1 => format!("1 problem prevents {prevents}"),
        n => format!("{n} problems prevent {prevents}"),
    }
}
