//! Text formats both faces share: times as the API and `<time datetime>`
//! write them, and as people read them; numbers with thousands separators.
//! Written out directly: chrono's `format` re-parses its pattern on every
//! call, and `format!` with padding cost ~3,000 instructions a call
//! (callgrind), which showed in the index page's profile. The times are also
//! `Display` types, so a page writes them straight into its output instead
//! of allocating a string a row.

use std::fmt::{self, Display, Write};

use chrono::{Datelike, NaiveDateTime, Timelike};

/// "2026-11-22T06:03:00Z". The database stores UTC without a zone, in whole
/// seconds (both backends' columns), so `Z` and no fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub NaiveDateTime);

impl Display for Rfc3339 {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = &self.0;
        let mut text = ShortText::default();
        write_date(&mut text, at)?;
        for (separator, value) in [('T', at.hour()), (':', at.minute()), (':', at.second())] {
            text.write_char(separator)?;
            write_number(&mut text, value, 2)?;
        }
        text.write_char('Z')?;
        // `pad`, as a string would: width and fill flags still apply.
        out.pad(text.as_str())
    }
}

/// "22 Nov 2026", of a time or of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadableDate<D>(pub D);

impl<D: Datelike> Display for ReadableDate<D> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let day = &self.0;
        let mut text = ShortText::default();
        write_number(&mut text, day.day(), 1)?;
        text.write_char(' ')?;
        text.write_str(MONTHS[day.month0() as usize])?;
        text.write_char(' ')?;
        write_number(&mut text, day.year().unsigned_abs(), 4)?;
        // `pad`, as a string would: width and fill flags still apply.
        out.pad(text.as_str())
    }
}

/// A few bytes of text on the stack. A time is put together here and then
/// written in one call: a page's escaper scans each call's text, and a dozen
/// small calls cost more than the scan.
#[derive(Default)]
struct ShortText {
    bytes: [u8; 32],
    len: usize,
}

impl ShortText {
    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so this is always UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl Write for ShortText {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = self.len + text.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// [`Rfc3339`] as a string.
pub fn rfc3339(at: &NaiveDateTime) -> String {
    written(Rfc3339(*at), 20)
}

/// "2026-11-22", a day as ISO 8601 and `<time datetime>` write it.
pub fn iso_date(day: &impl Datelike) -> String {
    let mut out = String::with_capacity(10);
    // Writing to a String cannot fail.
    let _ = write_date(&mut out, day);
    out
}

/// [`ReadableDate`] as a string.
pub fn readable_date(at: &(impl Datelike + Copy)) -> String {
    written(ReadableDate(*at), 11)
}

/// `value` written into a string of about `capacity` bytes.
fn written(value: impl Display, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    // Writing to a String cannot fail.
    let _ = write!(out, "{value}");
    out
}

fn write_date(out: &mut impl Write, day: &impl Datelike) -> fmt::Result {
    write_number(out, day.year().unsigned_abs(), 4)?;
    out.write_char('-')?;
    write_number(out, day.month(), 2)?;
    out.write_char('-')?;
    write_number(out, day.day(), 2)
}

/// The most names [`list_of`] writes out before counting the rest.
const NAMES_LISTED: usize = 10;

/// "Ann Lee, Bo Chan and Cy Dee"; past ten names, "… and 5 more".
pub fn list_of(names: &[impl AsRef<str>]) -> String {
    let shown: Vec<&str> = names.iter().take(NAMES_LISTED).map(AsRef::as_ref).collect();
    let more = names.len() - shown.len();
    match (shown.as_slice(), more) {
        ([], _) => String::new(),
        ([only], 0) => (*only).to_owned(),
        ([init @ .., last], 0) => format!("{} and {last}", init.join(", ")),
        (all, more) => format!("{} and {more} more", all.join(", ")),
    }
}

/// 100000 → "100,000".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Writes `value` in decimal, zero-padded to at least `width` digits, in one
/// write (each write through a page's escaper is a call of its own).
fn write_number(out: &mut impl Write, value: u32, width: usize) -> fmt::Result {
    // u32::MAX has 10 digits; widths here are at most 4.
    let mut digits = [b'0'; 10];
    let mut start = digits.len();
    let mut n = value;
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = start.min(digits.len().saturating_sub(width));
    out.write_str(std::str::from_utf8(&digits[start..]).map_err(|_| fmt::Error)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_written_as_chrono_writes_them() {
        for (y, m, d) in [(2026, 11, 22), (1999, 1, 5), (1, 1, 1), (2024, 2, 29)] {
            let day = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso_date(&day), day.format("%Y-%m-%d").to_string());
        }
    }

    #[test]
    fn names_are_listed_in_words() {
        assert_eq!(list_of(&[] as &[&str]), "");
        assert_eq!(list_of(&["Ann"]), "Ann");
        assert_eq!(list_of(&["Ann", "Bo", "Cy"]), "Ann, Bo and Cy");
        let many: Vec<String> = (1..=12).map(|n| format!("S{n}")).collect();
        assert_eq!(
            list_of(&many),
            "S1, S2, S3, S4, S5, S6, S7, S8, S9, S10 and 2 more"
        );
    }

    #[test]
    fn dates_read_well_and_match_chrono() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .unwrap()
            .and_hms_opt(7, 8, 9)
            .unwrap();
        assert_eq!(readable_date(&at), "5 Jan 2026");
        assert_eq!(readable_date(&at), at.format("%-d %b %Y").to_string());
        assert_eq!(rfc3339(&at), "2026-01-05T07:08:09Z");
        assert_eq!(
            rfc3339(&at),
            at.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        );
    }

    #[test]
    fn far_years_are_written_whole() {
        // chrono's range ends at year 262142: six digits, which still fit the
        // stack buffer (RFC 3339 itself has only four).
        for (y, expected_iso, expected_readable) in [
            (1, "0001-01-01T00:00:00Z", "1 Jan 0001"),
            (262_142, "262142-01-01T00:00:00Z", "1 Jan 262142"),
        ] {
            let at = chrono::NaiveDate::from_ymd_opt(y, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap();
            assert_eq!(Rfc3339(at).to_string(), expected_iso);
            // Padded as a string would be.
            assert_eq!(
                format!("{:>24}", Rfc3339(at)),
                format!("{expected_iso:>24}")
            );
            assert_eq!(ReadableDate(at).to_string(), expected_readable);
        }
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
