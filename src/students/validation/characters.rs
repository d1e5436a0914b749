//! The character rules: what a field may hold beyond its length, and the same
//! rules as regular-expression classes for the JSON API's schema.

use std::ops::RangeInclusive;

use icu_properties::CodePointSetData;
use icu_properties::props::{BidiControl, DefaultIgnorableCodePoint};

use super::Field;
use crate::text::{LineProblem, SEPARATORS, is_invisible, line_problem};

/// The characters `str::trim` removes (Unicode White_Space), as the body of a
/// regular-expression character class. The JSON API's schema uses it to
/// describe the trimming rules exactly; a test checks it against `trim`.
pub const TRIMMED_CHARS_CLASS: &str =
    r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// Line feed, carriage return and tab: the only control characters a bio may
/// hold (typed or pasted into a text box; no other field has a use for them).
fn is_bio_control(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\t')
}

/// The explicit text-direction controls: embeddings, overrides and isolates
/// (U+202A-U+202E, U+2066-U+2069). They reorder the text around them, so a
/// value can display differently from what it is ("Trojan Source").
const DIRECTION_OVERRIDES: [RangeInclusive<u32>; 2] = [0x202A..=0x202E, 0x2066..=0x2069];

/// The control characters (C0, DEL, C1).
const CONTROLS: [RangeInclusive<u32>; 2] = [0x00..=0x1F, 0x7F..=0x9F];

fn in_ranges<'a>(ranges: impl IntoIterator<Item = &'a RangeInclusive<u32>>, c: char) -> bool {
    ranges.into_iter().any(|range| range.contains(&(c as u32)))
}

/// The character rules. Names, email and city are one line of text, checked
/// once trimmed (as they are stored): no control characters, and no
/// direction controls at all (nothing in a name needs them, and an invisible
/// mark makes two equal-looking values differ). The bio is free text, stored
/// untrimmed, so it is checked whole: line breaks and tabs are its own, and
/// the direction marks are kept for mixed-script prose, but the embeddings,
/// overrides and isolates are refused there too, since they can make the
/// text read differently from what is stored. Every field that is not blank
/// must have something visible in it.
pub(super) fn check_characters(field: Field, typed: &str) -> Result<(), String> {
    let label = field.label();
    // NUL has its own message (see `validate`).
    let value = if field == Field::Bio {
        if typed.chars().any(|c| in_ranges(&DIRECTION_OVERRIDES, c)) {
            return Err(format!(
                "{label} must not contain text-direction control characters"
            ));
        }
        if typed
            .chars()
            .any(|c| c != '\0' && c.is_control() && !is_bio_control(c))
        {
            return Err(format!(
                "{label} must not contain control characters other than line breaks and tabs"
            ));
        }
        typed
    } else {
        let value = typed.trim();
        match line_problem(value) {
            Some(LineProblem::DirectionControl) => {
                return Err(format!(
                    "{label} must not contain text-direction control characters"
                ));
            }
            Some(LineProblem::NotOneLine) => {
                return Err(format!(
                    "{label} must be one line, without control characters such as tabs or line breaks"
                ));
            }
            Some(LineProblem::Invisible) | None => {}
        }
        if field == Field::Email
            && let Some((local, _)) = value.rsplit_once('@')
            && !local.is_ascii()
        {
            return Err(
                "Email must use only unaccented Latin letters, digits and punctuation before the @"
                    .to_owned(),
            );
        }
        value
    };
    if !value.trim().is_empty() && value.chars().all(is_invisible) {
        return Err(format!("{label} must contain visible characters"));
    }
    Ok(())
}

// The same rules as regular-expression character classes, for the JSON
// API's schema (`crate::api`); tests there check them against the
// rules above. Code points past U+FFFF are written as themselves: `\u`
// escapes name only the first 65,536.

/// The body of a character class of `ranges`.
fn class_of(ranges: impl IntoIterator<Item = RangeInclusive<u32>>) -> String {
    let one = |code: u32| match char::from_u32(code) {
        Some(c) if code > 0xFFFF => c.to_string(),
        _ => format!("\\u{code:04X}"),
    };
    ranges
        .into_iter()
        .map(|range| match (range.start(), range.end()) {
            (start, end) if start == end => one(*start),
            (start, end) => format!("{}-{}", one(*start), one(*end)),
        })
        .collect()
}

/// The characters [`is_invisible`] names, as a class body.
pub fn invisible_class() -> String {
    let mut ranges: Vec<RangeInclusive<u32>> = CONTROLS.to_vec();
    // White space ends at U+3000.
    ranges.extend(
        (0..=0x3000u32)
            .filter(|&code| char::from_u32(code).is_some_and(char::is_whitespace))
            .map(|code| code..=code),
    );
    ranges.extend(CodePointSetData::new::<DefaultIgnorableCodePoint>().iter_ranges());
    class_of(merged(ranges))
}

/// The characters a one-line field refuses, as a class body: every
/// Bidi_Control character, the control characters, and the line and
/// paragraph separators.
pub fn refused_in_line_class() -> String {
    let mut ranges: Vec<RangeInclusive<u32>> = CONTROLS.to_vec();
    ranges.push(SEPARATORS);
    ranges.extend(CodePointSetData::new::<BidiControl>().iter_ranges());
    class_of(merged(ranges))
}

/// The characters the bio refuses, as a class body: the direction
/// overrides, and the control characters but line breaks and tabs.
pub fn refused_in_bio_class() -> String {
    let mut ranges = vec![0x00..=0x08, 0x0B..=0x0C, 0x0E..=0x1F, 0x7F..=0x9F];
    ranges.extend(DIRECTION_OVERRIDES);
    class_of(merged(ranges))
}

/// Sorted, with overlapping and adjacent ranges joined.
fn merged(mut ranges: Vec<RangeInclusive<u32>>) -> Vec<RangeInclusive<u32>> {
    ranges.sort_by_key(|range| *range.start());
    let mut out: Vec<RangeInclusive<u32>> = Vec::new();
    for range in ranges {
        match out.last_mut() {
            Some(last) if *range.start() <= last.end().saturating_add(1) => {
                *last = *last.start()..=(*last.end()).max(*range.end());
            }
            _ => out.push(range),
        }
    }
    out
}
