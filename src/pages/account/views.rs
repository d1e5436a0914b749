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
