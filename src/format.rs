//! Text formats both faces share: times as the API and `<time datetime>`
//! write them, and as people read them; numbers with thousands separators.
//! Written out directly: chrono's `format` re-parses its pattern on every
//! call, and `format!` with padding cost ~3,000 instructions a call
//! (callgrind), which showed in the index page's profile.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// "2026-11-22T06:03:00Z". The database stores UTC without a zone, in whole
/// seconds (both backends' columns), so `Z` and no fraction.
pub fn rfc3339(at: &NaiveDateTime) -> String {
    let mut out = String::with_capacity(20);
    push_date(&mut out, at);
    for (separator, value) in [('T', at.hour()), (':', at.minute()), (':', at.second())] {
        out.push(separator);
        push_number(&mut out, value, 2);
    }
    out.push('Z');
    out
}

/// "2026-11-22", a day as ISO 8601 and `<time datetime>` write it.
pub fn iso_date(day: &impl Datelike) -> String {
    let mut out = String::with_capacity(10);
    push_date(&mut out, day);
    out
}

fn push_date(out: &mut String, day: &impl Datelike) {
    push_number(out, day.year().unsigned_abs(), 4);
    out.push('-');
    push_number(out, day.month(), 2);
    out.push('-');
    push_number(out, day.day(), 2);
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

/// "22 Nov 2026", of a time or of a day.
pub fn readable_date(at: &impl Datelike) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut out = String::with_capacity(11);
    push_number(&mut out, at.day(), 1);
    out.push(' ');
    out.push_str(MONTHS[at.month0() as usize]);
    out.push(' ');
    push_number(&mut out, at.year().unsigned_abs(), 4);
    out
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

/// Appends `value` in decimal, zero-padded to at least `width` digits.
fn push_number(out: &mut String, value: u32, width: usize) {
    let mut digits = [0u8; 10];
    let mut n = value;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in len..width {
        out.push('0');
    }
    for digit in digits[..len].iter().rev() {
        out.push(char::from(*digit));
    }
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
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
