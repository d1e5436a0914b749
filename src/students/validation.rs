//! The rules for a student's details, in one place for every way in (the HTML
//! forms today, anything else tomorrow).
//!
//! The rules themselves are declared with `validator`; the wording a person
//! reads is produced by [`message`], so every rule speaks the same way.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use icu_properties::CodePointSetData;
use icu_properties::props::{BidiControl, DefaultIgnorableCodePoint};
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationErrorsKind};

use super::model::{Student, StudentDetails};

pub const NAME_MAX: u64 = 100;
pub const EMAIL_MAX: u64 = 80;
pub const BIO_MAX: u64 = 10_000;
pub const CITY_MAX: u64 = 80;
pub const AGE_MIN: i64 = 1;
pub const AGE_MAX: i64 = 150;

/// The largest request body accepted (forms and JSON alike), sized so that
/// every field at its limit always fits: a character is at most 4 UTF-8
/// bytes, 12 once percent-encoded (`%F0%9F%98%80`), and 12 as a JSON escape
/// pair (`\ud83d\ude00`); a counted line break is 6 (`%0D%0A`). The rest
/// (field names, the CSRF token, the version) fits easily in 4 KB. Rounded up
/// to whole KB, the unit messages state it in.
pub const BODY_LIMIT: usize = {
    let age_digits = 3;
    let chars = 2 * NAME_MAX + EMAIL_MAX + BIO_MAX + CITY_MAX + age_digits;
    let bytes = chars as usize * 12 + 4 * 1024;
    bytes.div_ceil(1024) * 1024
};

/// The fields of a student a user can edit, in the order forms show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Firstname,
    Lastname,
    Email,
    Age,
    Bio,
    City,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Firstname,
        Field::Lastname,
        Field::Email,
        Field::Age,
        Field::Bio,
        Field::City,
    ];

    /// The form field's `name`.
    pub fn name(self) -> &'static str {
        match self {
            Field::Firstname => "firstname",
            Field::Lastname => "lastname",
            Field::Email => "email",
            Field::Age => "age",
            Field::Bio => "bio",
            Field::City => "city",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Firstname => "First name",
            Field::Lastname => "Last name",
            Field::Email => "Email",
            Field::Age => "Age",
            Field::Bio => "Bio",
            Field::City => "City",
        }
    }

    fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }
}

/// One message per field that failed, in form order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<Field, String>);

impl FieldErrors {
    pub fn get(&self, field: Field) -> Option<&str> {
        self.0.get(&field).map(String::as_str)
    }

    /// Keeps the first message for a field: it names the most basic problem.
    pub fn add(&mut self, field: Field, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Field, &str)> {
        self.0
            .iter()
            .map(|(field, message)| (*field, message.as_str()))
    }

    pub fn email_taken() -> Self {
        let mut errors = Self::default();
        errors.add(Field::Email, EMAIL_TAKEN);
        errors
    }
}

pub const EMAIL_TAKEN: &str = "Another student already uses this email address";

/// A student's details exactly as the user typed them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct StudentDraft {
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    pub age: String,
    pub bio: String,
    pub city: String,
}

impl From<&Student> for StudentDraft {
    fn from(student: &Student) -> Self {
        Self {
            firstname: student.firstname.clone(),
            lastname: student.lastname.clone(),
            email: student.email.clone(),
            age: student.age.map(|age| age.to_string()).unwrap_or_default(),
            bio: student.bio.clone().unwrap_or_default(),
            city: student.city.clone().unwrap_or_default(),
        }
    }
}

/// The normalised values the rules are checked against.
#[derive(Validate)]
struct Candidate {
    #[validate(length(min = 1, max = NAME_MAX))]
    firstname: String,
    #[validate(length(min = 1, max = NAME_MAX))]
    lastname: String,
    #[validate(length(min = 1, max = EMAIL_MAX), email)]
    email: String,
    #[validate(range(min = AGE_MIN, max = AGE_MAX))]
    age: Option<i64>,
    #[validate(length(max = BIO_MAX))]
    bio: Option<String>,
    #[validate(length(max = CITY_MAX))]
    city: Option<String>,
}

impl StudentDraft {
    /// Checks every rule and returns the details to store, or one message for
    /// each field that is wrong.
    pub fn validate(&self) -> Result<StudentDetails, FieldErrors> {
        let mut errors = FieldErrors::default();
        // SQLite's length() stops at a NUL, so a name starting with one would
        // fail the table's CHECK; no one types one, so it is refused outright.
        for field in Field::ALL {
            if self.text(field).contains('\0') {
                errors.add(
                    field,
                    format!("{} must not contain NUL characters", field.label()),
                );
            }
            if field != Field::Age
                && let Err(message) = check_characters(field, self.text(field))
            {
                errors.add(field, message);
            }
        }
        let age = match self.age.trim() {
            "" => None,
            typed => match typed.parse::<i64>() {
                Ok(age) => Some(age),
                Err(_) => {
                    errors.add(Field::Age, "Age must be a whole number, like 23");
                    None
                }
            },
        };
        let candidate = Candidate {
            firstname: self.firstname.trim().to_owned(),
            lastname: self.lastname.trim().to_owned(),
            email: standard_email(self.email.trim()),
            age,
            bio: optional_text(&self.bio.replace("\r\n", "\n")),
            city: optional_text(self.city.trim()),
        };
        if let Err(report) = candidate.validate() {
            for (name, kind) in report.errors() {
                let (Some(field), ValidationErrorsKind::Field(failures)) =
                    (Field::from_name(name), kind)
                else {
                    continue;
                };
                // Emptiness first: "required" says more than "not an email".
                let first = failures
                    .iter()
                    .find(|f| {
                        f.code == "length" && f.params.get("value").is_some_and(is_empty_value)
                    })
                    .or_else(|| failures.first());
                if let Some(failure) = first {
                    errors.add(field, message(field, failure));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(StudentDetails {
            firstname: candidate.firstname,
            lastname: candidate.lastname,
            email: candidate.email,
            // In range 1..=150, checked above.
            age: candidate.age.and_then(|age| i32::try_from(age).ok()),
            bio: candidate.bio,
            city: candidate.city,
        })
    }
}

impl StudentDraft {
    /// The value typed into `field`.
    fn text(&self, field: Field) -> &str {
        match field {
            Field::Firstname => &self.firstname,
            Field::Lastname => &self.lastname,
            Field::Email => &self.email,
            Field::Age => &self.age,
            Field::Bio => &self.bio,
            Field::City => &self.city,
        }
    }
}

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

/// The Unicode line and paragraph separators.
const SEPARATORS: RangeInclusive<u32> = 0x2028..=0x2029;

fn in_ranges<'a>(ranges: impl IntoIterator<Item = &'a RangeInclusive<u32>>, c: char) -> bool {
    ranges.into_iter().any(|range| range.contains(&(c as u32)))
}

/// Characters that show nothing by themselves: white space, control
/// characters, and Unicode's default-ignorable code points (zero-width space
/// and joiners, U+FEFF, soft hyphen, variation selectors, Hangul fillers...).
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
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
fn check_characters(field: Field, typed: &str) -> Result<(), String> {
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
        if value
            .chars()
            .any(|c| CodePointSetData::new::<BidiControl>().contains(c))
        {
            return Err(format!(
                "{label} must not contain text-direction control characters"
            ));
        }
        if value
            .chars()
            .any(|c| c != '\0' && (c.is_control() || SEPARATORS.contains(&(c as u32))))
        {
            return Err(format!(
                "{label} must be one line, without control characters such as tabs or line breaks"
            ));
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
// API's schema (`crate::api::json`); tests there check them against the
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

/// An email address in the form it is stored and compared in. The part
/// before the @ is ASCII (the email rule says so) and is kept as typed; the
/// database compares it ignoring case. The domain is written the one way
/// DNS reads it (UTS #46: case folded, compatibility-normalised, Punycode
/// decoded), so `K` (Kelvin sign), fullwidth letters, decomposed accents and
/// `xn--` labels all name the same domain as its plain lower-case form.
/// Anything that is not such an address is returned as typed, for the email
/// rule to refuse (or, for an `[IP]` literal, to keep).
pub fn standard_email(email: &str) -> String {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return email.to_owned();
    };
    if domain.starts_with('[') {
        return email.to_owned();
    }
    let Ok(ascii) = idna::domain_to_ascii(domain) else {
        return email.to_owned();
    };
    match idna::domain_to_unicode(&ascii) {
        (unicode, Ok(())) => format!("{local}@{unicode}"),
        _ => format!("{local}@{ascii}"),
    }
}

/// Blank optional text is stored as "not given", not as an empty string.
fn optional_text(value: &str) -> Option<String> {
    (!value.trim().is_empty()).then(|| value.to_owned())
}

fn is_empty_value(value: &serde_json::Value) -> bool {
    value.as_str().is_some_and(str::is_empty)
}

/// The sentence a person reads for one failed rule.
fn message(field: Field, failure: &validator::ValidationError) -> String {
    let label = field.label();
    let param = |name: &str| {
        failure
            .params
            .get(name)
            .and_then(|v| v.as_u64().or_else(|| v.as_i64().map(|n| n as u64)))
    };
    match failure.code.as_ref() {
        "length" => {
            let typed = failure
                .params
                .get("value")
                .and_then(|v| v.as_str())
                .map(|v| v.chars().count())
                .unwrap_or(0);
            match param("max") {
                _ if typed == 0 => format!("{label} is required"),
                Some(max) => format!("{label} must be at most {max} characters (it has {typed})"),
                None => format!("{label} is too long"),
            }
        }
        "email" => "Enter an email address like name@example.com".to_owned(),
        "range" => format!("{label} must be a whole number from {AGE_MIN} to {AGE_MAX}"),
        _ => format!("{label} is not valid"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> StudentDraft {
        StudentDraft {
            firstname: "Sammy".into(),
            lastname: "Shark".into(),
            email: "sammyshark@example.com".into(),
            age: "20".into(),
            bio: "Marine biology student".into(),
            city: "Lisbon".into(),
        }
    }

    fn errors_of(draft: StudentDraft) -> FieldErrors {
        draft.validate().expect_err("draft should be rejected")
    }

    #[test]
    fn a_complete_draft_becomes_trimmed_details() {
        let details = StudentDraft {
            firstname: "  Sammy ".into(),
            email: " sammyshark@example.com ".into(),
            age: " 20 ".into(),
            ..draft()
        }
        .validate()
        .unwrap();
        assert_eq!(details.firstname, "Sammy");
        assert_eq!(details.email, "sammyshark@example.com");
        assert_eq!(details.age, Some(20));
        assert_eq!(details.city.as_deref(), Some("Lisbon"));
    }

    #[test]
    fn optional_fields_left_blank_are_none() {
        let details = StudentDraft {
            age: "".into(),
            bio: "  \r\n ".into(),
            city: " ".into(),
            ..draft()
        }
        .validate()
        .unwrap();
        assert_eq!((details.age, details.bio, details.city), (None, None, None));
    }

    #[test]
    fn bio_keeps_its_inner_spacing_with_unix_newlines() {
        let details = StudentDraft {
            bio: "  line one\r\n  line \"two\" & <three>".into(),
            ..draft()
        }
        .validate()
        .unwrap();
        assert_eq!(
            details.bio.as_deref(),
            Some("  line one\n  line \"two\" & <three>")
        );
    }

    #[test]
    fn required_fields_say_so() {
        let errors = errors_of(StudentDraft {
            firstname: "   ".into(),
            lastname: "".into(),
            email: " ".into(),
            ..draft()
        });
        assert_eq!(errors.get(Field::Firstname), Some("First name is required"));
        assert_eq!(errors.get(Field::Lastname), Some("Last name is required"));
        assert_eq!(errors.get(Field::Email), Some("Email is required"));
        assert_eq!(errors.len(), 3);
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        assert!(
            StudentDraft {
                firstname: "é".repeat(100),
                ..draft()
            }
            .validate()
            .is_ok()
        );
        let errors = errors_of(StudentDraft {
            firstname: "é".repeat(101),
            ..draft()
        });
        assert_eq!(
            errors.get(Field::Firstname),
            Some("First name must be at most 100 characters (it has 101)")
        );
        let errors = errors_of(StudentDraft {
            city: "x".repeat(81),
            bio: "b".repeat(10_001),
            ..draft()
        });
        assert!(errors.get(Field::City).unwrap().contains("at most 80"));
        assert!(errors.get(Field::Bio).unwrap().contains("at most 10000"));
    }

    #[test]
    fn email_must_be_an_address_of_at_most_80_characters() {
        for bad in ["sammy", "sammy@", "@example.com", "a b@example.com"] {
            let errors = errors_of(StudentDraft {
                email: bad.into(),
                ..draft()
            });
            assert_eq!(
                errors.get(Field::Email),
                Some("Enter an email address like name@example.com"),
                "{bad}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(69));
        assert_eq!(long.len(), 81);
        assert!(
            errors_of(StudentDraft {
                email: long,
                ..draft()
            })
            .get(Field::Email)
            .unwrap()
            .contains("at most 80")
        );
    }

    #[test]
    fn age_is_a_whole_number_from_1_to_150() {
        for ok in ["1", "150", "23"] {
            assert!(
                StudentDraft {
                    age: ok.into(),
                    ..draft()
                }
                .validate()
                .is_ok(),
                "{ok}"
            );
        }
        for bad in ["0", "151", "-3", "99999999999999"] {
            let errors = errors_of(StudentDraft {
                age: bad.into(),
                ..draft()
            });
            assert_eq!(
                errors.get(Field::Age),
                Some("Age must be a whole number from 1 to 150"),
                "{bad}"
            );
        }
        for bad in ["twenty", "20.5", "1e2"] {
            let errors = errors_of(StudentDraft {
                age: bad.into(),
                ..draft()
            });
            assert_eq!(
                errors.get(Field::Age),
                Some("Age must be a whole number, like 23"),
                "{bad}"
            );
        }
    }

    #[test]
    fn nul_characters_are_refused_in_every_text_field() {
        let errors = errors_of(StudentDraft {
            firstname: "\0Sammy".into(),
            bio: "a\0b".into(),
            ..draft()
        });
        assert_eq!(
            errors.get(Field::Firstname),
            Some("First name must not contain NUL characters")
        );
        assert_eq!(
            errors.get(Field::Bio),
            Some("Bio must not contain NUL characters")
        );
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn emails_are_stored_with_their_domain_in_standard_form() {
        for (typed, stored) in [
            ("sammy@example.com", "sammy@example.com"),
            ("Sammy@EXAMPLE.com", "Sammy@example.com"),
            // Kelvin sign, fullwidth e, decomposed é, dotted capital I.
            ("sammy@\u{212A}elvin.example", "sammy@kelvin.example"),
            ("sammy@\u{FF45}xample.com", "sammy@example.com"),
            ("sammy@cafe\u{301}.example", "sammy@caf\u{E9}.example"),
            ("sammy@CAF\u{C9}.example", "sammy@caf\u{E9}.example"),
            ("sammy@\u{130}zmir.example", "sammy@i\u{307}zmir.example"),
            ("sammy@I\u{307}zmir.example", "sammy@i\u{307}zmir.example"),
            // Punycode is the same domain as its Unicode form.
            ("sammy@xn--bcher-kva.example", "sammy@b\u{FC}cher.example"),
            // IDNA 2008: ß is its own letter in a domain, not "ss".
            ("sammy@STRASSE.example", "sammy@strasse.example"),
            ("sammy@stra\u{DF}e.example", "sammy@stra\u{DF}e.example"),
            // Not an address: left for the email rule.
            ("sammy", "sammy"),
            ("sammy@[127.0.0.1]", "sammy@[127.0.0.1]"),
        ] {
            assert_eq!(standard_email(typed), stored, "{typed}");
            let details = StudentDraft {
                email: typed.into(),
                ..draft()
            }
            .validate();
            if stored.contains('.') {
                assert_eq!(details.expect(typed).email, stored);
            }
        }
    }

    #[test]
    fn a_domain_that_maps_to_nothing_valid_is_not_an_email() {
        for typed in [
            "a@\u{AD}",
            "a@\u{200B}",
            "a@.",
            "a@xn--",
            "a@xn--zz-",
            "a@b..c",
        ] {
            let errors = errors_of(StudentDraft {
                email: typed.into(),
                ..draft()
            });
            assert_eq!(
                errors.get(Field::Email),
                Some("Enter an email address like name@example.com"),
                "{typed:?} became {:?}",
                standard_email(typed)
            );
        }
    }

    #[test]
    fn the_length_limit_applies_to_the_email_as_stored() {
        // U+3392 (a compatibility character) is "mhz" in a domain: 80
        // characters typed are 82 stored, one over the column's limit.
        let typed = format!("{}@\u{3392}{}.example", "a".repeat(60), "b".repeat(10));
        assert_eq!(typed.chars().count(), 80);
        let errors = errors_of(StudentDraft {
            email: typed,
            ..draft()
        });
        assert_eq!(
            errors.get(Field::Email),
            Some("Email must be at most 80 characters (it has 82)")
        );
    }

    #[test]
    fn a_non_ascii_local_part_is_refused_with_its_own_message() {
        for typed in ["\u{212A}ate@example.com", "jos\u{E9}@example.com"] {
            let errors = errors_of(StudentDraft {
                email: typed.into(),
                ..draft()
            });
            assert_eq!(
                errors.get(Field::Email),
                Some(
                    "Email must use only unaccented Latin letters, digits and punctuation before the @"
                ),
                "{typed}"
            );
        }
    }

    #[test]
    fn text_of_only_invisible_characters_is_refused() {
        for invisible in [
            "\u{200B}",
            "\u{FEFF}",
            "\u{200B} \u{2060}\u{200D}",
            "\u{3164}",
            "\u{AD}",
        ] {
            let errors = errors_of(StudentDraft {
                firstname: invisible.into(),
                lastname: format!(" {invisible} "),
                city: invisible.into(),
                bio: invisible.into(),
                email: invisible.into(),
                ..draft()
            });
            for field in [
                Field::Firstname,
                Field::Lastname,
                Field::City,
                Field::Bio,
                Field::Email,
            ] {
                assert_eq!(
                    errors.get(field),
                    Some(format!("{} must contain visible characters", field.label()).as_str()),
                    "{invisible:?}"
                );
            }
        }
        // Invisible characters inside visible text are someone's spelling:
        // a zero-width non-joiner in a Persian name, an emoji sequence.
        let details = StudentDraft {
            firstname: "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}".into(),
            city: "\u{2764}\u{FE0F} Lisbon".into(),
            ..draft()
        }
        .validate()
        .unwrap();
        assert_eq!(details.city.as_deref(), Some("\u{2764}\u{FE0F} Lisbon"));
    }

    #[test]
    fn direction_controls_are_refused_in_one_line_fields() {
        for control in [
            '\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{61C}',
        ] {
            let errors = errors_of(StudentDraft {
                firstname: format!("Sam{control}my"),
                lastname: format!("{control}Shark"),
                email: format!("sammy@exa{control}mple.com"),
                city: format!("Lis{control}bon"),
                ..draft()
            });
            for field in [Field::Firstname, Field::Lastname, Field::Email, Field::City] {
                assert_eq!(
                    errors.get(field),
                    Some(
                        format!(
                            "{} must not contain text-direction control characters",
                            field.label()
                        )
                        .as_str()
                    ),
                    "U+{:04X}",
                    control as u32
                );
            }
        }
    }

    #[test]
    fn the_bio_refuses_overrides_but_keeps_marks_tabs_and_line_breaks() {
        for control in ['\u{202E}', '\u{2067}'] {
            let errors = errors_of(StudentDraft {
                bio: format!("line one\n{control}gnissim"),
                ..draft()
            });
            assert_eq!(
                errors.get(Field::Bio),
                Some("Bio must not contain text-direction control characters")
            );
        }
        let bio = "\u{5E9}\u{5DC}\u{5D5}\u{5DD} (Shalom)\u{200F}\nline\ttwo\u{2028}three";
        let details = StudentDraft {
            bio: bio.into(),
            ..draft()
        }
        .validate()
        .unwrap();
        assert_eq!(details.bio.as_deref(), Some(bio));
    }

    #[test]
    fn control_characters_are_refused() {
        let errors = errors_of(StudentDraft {
            firstname: "Sam\tmy".into(),
            lastname: "Sh\nark".into(),
            city: "Lis\u{85}bon".into(),
            email: "sammy@exa\u{2028}mple.com".into(),
            bio: "ring \u{7} the bell, \u{1B}[31m red".into(),
            ..draft()
        });
        for field in [Field::Firstname, Field::Lastname, Field::Email, Field::City] {
            assert_eq!(
                errors.get(field),
                Some(
                    format!(
                        "{} must be one line, without control characters such as tabs or line breaks",
                        field.label()
                    )
                    .as_str()
                )
            );
        }
        assert_eq!(
            errors.get(Field::Bio),
            Some("Bio must not contain control characters other than line breaks and tabs")
        );
        // Surrounding white space, tabs and line breaks included, is trimmed.
        let details = StudentDraft {
            firstname: "\tSammy\r\n".into(),
            ..draft()
        }
        .validate()
        .unwrap();
        assert_eq!(details.firstname, "Sammy");
    }

    #[test]
    fn the_body_limit_fits_every_field_at_its_limit_in_any_script() {
        // Each character at its widest: a 4-byte character percent-encoded.
        let widest = |n: u64| "%F0%9F%98%80".repeat(n as usize);
        let body = format!(
            "firstname={}&lastname={}&email={}&age=150&bio={}&city={}&version=2147483647&csrf_token={}",
            widest(NAME_MAX),
            widest(NAME_MAX),
            widest(EMAIL_MAX),
            widest(BIO_MAX),
            widest(CITY_MAX),
            "x".repeat(100),
        );
        assert!(body.len() <= BODY_LIMIT, "{} > {BODY_LIMIT}", body.len());
        assert!(BODY_LIMIT.is_multiple_of(1024));
    }

    #[test]
    fn the_trimmed_characters_class_names_exactly_what_trim_removes() {
        // `\uXXXX` escapes, a `-` between two of them making a range.
        let mut named = vec![false; 0x11_0000];
        let mut range_start = None;
        for escape in TRIMMED_CHARS_CLASS.split(r"\u").skip(1) {
            let (code, dash) = escape.split_at(4);
            let code = usize::from_str_radix(code, 16).unwrap();
            if dash == "-" {
                range_start = Some(code);
            } else {
                assert!(dash.is_empty(), "{escape}");
                named[range_start.take().unwrap_or(code)..=code].fill(true);
            }
        }
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let trimmed = c.to_string().trim().is_empty();
            assert_eq!(named[c as usize], trimmed, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn errors_come_in_form_order() {
        let errors = errors_of(StudentDraft {
            city: "x".repeat(81),
            firstname: "".into(),
            age: "x".into(),
            ..draft()
        });
        let fields: Vec<Field> = errors.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, [Field::Firstname, Field::Age, Field::City]);
    }
}
