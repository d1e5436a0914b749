//! The rule for one line of text a person types (a name, a city), below the
//! resources so students and staff accounts share it. Each resource words
//! the problem its own way.

use icu_properties::CodePointSetData;
use icu_properties::props::{BidiControl, DefaultIgnorableCodePoint};

/// What is wrong with a line of text, the first rule it breaks in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineProblem {
    /// A Bidi_Control character: nothing in a name needs one, and they make
    /// text display differently from what it is ("Trojan Source").
    DirectionControl,
    /// A control character (a tab, a line break, NUL...) or a line or
    /// paragraph separator: the text is not one line.
    NotOneLine,
    /// Not blank, yet nothing in it shows.
    Invisible,
}

/// The Unicode line and paragraph separators.
pub const SEPARATORS: std::ops::RangeInclusive<u32> = 0x2028..=0x2029;

/// The first rule `value` (as it is stored, trimmed) breaks, if any. Blank
/// text breaks none: whether a field may be blank is its own rule.
pub fn line_problem(value: &str) -> Option<LineProblem> {
    if value
        .chars()
        .any(|c| CodePointSetData::new::<BidiControl>().contains(c))
    {
        Some(LineProblem::DirectionControl)
    } else if value
        .chars()
        .any(|c| c.is_control() || SEPARATORS.contains(&(c as u32)))
    {
        Some(LineProblem::NotOneLine)
    } else if !value.trim().is_empty() && value.chars().all(is_invisible) {
        Some(LineProblem::Invisible)
    } else {
        None
    }
}

/// Characters that show nothing by themselves: white space, control
/// characters, and Unicode's default-ignorable code points (zero-width space
/// and joiners, U+FEFF, soft hyphen, variation selectors, Hangul fillers...).
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}
