//! The rules for a course's details, in one place for every way in. Parse,
//! don't validate: a [`CourseDraft`] is what someone typed, and the only way
//! to turn it into [`CourseDetails`], the values that can be stored, is
//! [`CourseDraft::validate`].

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::Course;
use crate::schema::courses;
use crate::text::{LineProblem, line_problem};

pub const CODE_MAX: u64 = 20;
pub const TITLE_MAX: u64 = 200;
pub const DESCRIPTION_MAX: u64 = 10_000;
pub const CREDITS_MIN: i64 = 0;
pub const CREDITS_MAX: i64 = 60;
pub const CAPACITY_MIN: i64 = 1;

pub const CODE_TAKEN: &str = "Another course already uses this code";

/// The fields of a course a user can edit, in the order forms show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Code,
    Title,
    Description,
    Credits,
    Capacity,
}

impl Field {
    pub const ALL: [Field; 5] = [
        Field::Code,
        Field::Title,
        Field::Description,
        Field::Credits,
        Field::Capacity,
    ];

    /// The form field's `name` (and the JSON key).
    pub fn name(self) -> &'static str {
        match self {
            Field::Code => "code",
            Field::Title => "title",
            Field::Description => "description",
            Field::Credits => "credits",
            Field::Capacity => "capacity",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::Code => "Code",
            Field::Title => "Title",
            Field::Description => "Description",
            Field::Credits => "Credits",
            Field::Capacity => "Capacity",
        }
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

    pub fn code_taken() -> Self {
        let mut errors = Self::default();
        errors.add(Field::Code, CODE_TAKEN);
        errors
    }
}

/// A course's details exactly as the user typed them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct CourseDraft {
    pub code: String,
    pub title: String,
    pub description: String,
    pub credits: String,
    pub capacity: String,
}

impl From<&Course> for CourseDraft {
    fn from(course: &Course) -> Self {
        let number = |value: Option<i32>| value.map(|n| n.to_string()).unwrap_or_default();
        Self {
            code: course.code.clone(),
            title: course.title.clone(),
            description: course.description.clone().unwrap_or_default(),
            credits: number(course.credits),
            capacity: number(course.capacity),
        }
    }
}

/// The details a user edits, validated and normalised. Its fields are
/// private: [`CourseDraft::validate`] is the only way to build one.
#[derive(Debug, Clone, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = courses)]
// Clearing an optional field in the form must clear it in the database.
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct CourseDetails {
    code: String,
    title: String,
    description: Option<String>,
    credits: Option<i32>,
    capacity: Option<i32>,
}

impl CourseDetails {
    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn capacity(&self) -> Option<i32> {
        self.capacity
    }

    /// Whether `course` already holds exactly these details.
    pub fn is_stored_in(&self, course: &Course) -> bool {
        // No `..`: a new field must be compared too.
        let Self {
            code,
            title,
            description,
            credits,
            capacity,
        } = self;
        *code == course.code
            && *title == course.title
            && *description == course.description
            && *credits == course.credits
            && *capacity == course.capacity
    }
}

impl CourseDraft {
    /// Checks every rule and returns the details to store, or one message for
    /// each field that is wrong. Per field, the first rule broken is the one
    /// reported: characters, then presence, then length, then form.
    pub fn validate(&self) -> Result<CourseDetails, FieldErrors> {
        let mut errors = FieldErrors::default();
        for field in Field::ALL {
            // SQLite's length() stops at a NUL, which would slip past the
            // table's CHECK; no one types one.
            if self.text(field).contains('\0') {
                let label = field.label();
                errors.add(field, format!("{label} must not contain NUL characters"));
            }
        }

        // Codes are shown and compared in upper case: `bio-101` is BIO-101.
        let code = self.code.trim().to_ascii_uppercase();
        let title = self.title.trim().to_owned();
        let description = self.description.replace("\r\n", "\n");
        let description = (!description.trim().is_empty()).then_some(description);

        check_line(&mut errors, Field::Title, &title);
        if let Some(description) = &description
            && description
                .chars()
                .any(|c| c != '\0' && c.is_control() && c != '\n' && c != '\t')
        {
            errors.add(
                Field::Description,
                "Description must not contain control characters other than line breaks and tabs",
            );
        }
        check_length(&mut errors, Field::Code, Some(&code), 1, CODE_MAX);
        if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            errors.add(
                Field::Code,
                "Code may contain only letters A–Z, digits and hyphens, like BIO-101",
            );
        }
        check_length(&mut errors, Field::Title, Some(&title), 1, TITLE_MAX);
        check_length(
            &mut errors,
            Field::Description,
            description.as_deref(),
            0,
            DESCRIPTION_MAX,
        );
        let credits = whole_number(
            &mut errors,
            Field::Credits,
            &self.credits,
            CREDITS_MIN,
            Some(CREDITS_MAX),
        );
        let capacity = whole_number(
            &mut errors,
            Field::Capacity,
            &self.capacity,
            CAPACITY_MIN,
            None,
        );

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CourseDetails {
            code,
            title,
            description,
            credits,
            capacity,
        })
    }

    fn text(&self, field: Field) -> &str {
        match field {
            Field::Code => &self.code,
            Field::Title => &self.title,
            Field::Description => &self.description,
            Field::Credits => &self.credits,
            Field::Capacity => &self.capacity,
        }
    }
}

/// The one-line rule the students' names follow too.
fn check_line(errors: &mut FieldErrors, field: Field, value: &str) {
    let label = field.label();
    match line_problem(value) {
        Some(LineProblem::DirectionControl) => errors.add(
            field,
            format!("{label} must not contain text-direction control characters"),
        ),
        Some(LineProblem::NotOneLine) => errors.add(
            field,
            format!(
                "{label} must be one line, without control characters such as tabs or line breaks"
            ),
        ),
        Some(LineProblem::Invisible) => {
            errors.add(field, format!("{label} must contain visible characters"))
        }
        None => {}
    }
}

/// Lengths count characters, as a person does (and as both databases'
/// `CHECK`s do).
fn check_length(errors: &mut FieldErrors, field: Field, value: Option<&str>, min: u64, max: u64) {
    let count = value.map_or(0, |value| value.chars().count()) as u64;
    let label = field.label();
    if count < min {
        errors.add(field, format!("{label} is required"));
    } else if count > max {
        errors.add(
            field,
            format!("{label} must be at most {max} characters (it has {count})"),
        );
    }
}

/// An optional whole number from `min` (to `max`, when there is one); blank
/// is "not given".
fn whole_number(
    errors: &mut FieldErrors,
    field: Field,
    typed: &str,
    min: i64,
    max: Option<i64>,
) -> Option<i32> {
    let label = field.label();
    let typed = typed.trim();
    if typed.is_empty() {
        return None;
    }
    let range = match max {
        Some(max) => format!("from {min} to {max}"),
        None => format!("of at least {min}"),
    };
    match typed.parse::<i64>() {
        Ok(n) if n >= min && max.is_none_or(|max| n <= max) => match i32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                errors.add(field, format!("{label} is too large"));
                None
            }
        },
        Ok(_) => {
            errors.add(field, format!("{label} must be a whole number {range}"));
            None
        }
        Err(_) => {
            errors.add(
                field,
                format!(
                    "{label} must be a whole number {range}, like {}",
                    min.max(3)
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(code: &str, title: &str) -> CourseDraft {
        CourseDraft {
            code: code.into(),
            title: title.into(),
            ..CourseDraft::default()
        }
    }

    #[test]
    fn a_minimal_course_is_valid_and_its_code_upper_case() {
        let details = draft("  bio-101 ", " Biology ").validate().unwrap();
        assert_eq!(details.code(), "BIO-101");
        assert_eq!(details.title, "Biology");
        assert_eq!(
            (details.description, details.credits, details.capacity),
            (None, None, None)
        );
    }

    #[test]
    fn each_rule_has_its_message() {
        let errors = CourseDraft {
            code: "BIO 101".into(),
            title: "  ".into(),
            description: "x".repeat(10_001),
            credits: "61".into(),
            capacity: "0".into(),
        }
        .validate()
        .unwrap_err();
        assert_eq!(
            errors.get(Field::Code),
            Some("Code may contain only letters A–Z, digits and hyphens, like BIO-101")
        );
        assert_eq!(errors.get(Field::Title), Some("Title is required"));
        assert_eq!(
            errors.get(Field::Description),
            Some("Description must be at most 10000 characters (it has 10001)")
        );
        assert_eq!(
            errors.get(Field::Credits),
            Some("Credits must be a whole number from 0 to 60")
        );
        assert_eq!(
            errors.get(Field::Capacity),
            Some("Capacity must be a whole number of at least 1")
        );
    }

    #[test]
    fn limits_are_inclusive() {
        let details = CourseDraft {
            code: "A".repeat(20),
            title: "t".repeat(200),
            description: "d".repeat(10_000),
            credits: "60".into(),
            capacity: "1".into(),
        }
        .validate()
        .unwrap();
        assert_eq!((details.credits, details.capacity), (Some(60), Some(1)));
        let errors = draft(&"A".repeat(21), &"t".repeat(201))
            .validate()
            .unwrap_err();
        assert_eq!(
            errors.get(Field::Code),
            Some("Code must be at most 20 characters (it has 21)")
        );
        assert_eq!(
            errors.get(Field::Title),
            Some("Title must be at most 200 characters (it has 201)")
        );
    }

    #[test]
    fn numbers_must_be_whole_and_fit() {
        let mut typed = draft("X-1", "X");
        typed.credits = "2.5".into();
        typed.capacity = "99999999999".into();
        let errors = typed.validate().unwrap_err();
        assert_eq!(
            errors.get(Field::Credits),
            Some("Credits must be a whole number from 0 to 60, like 3")
        );
        assert_eq!(errors.get(Field::Capacity), Some("Capacity is too large"));
    }

    #[test]
    fn titles_are_one_line_and_codes_ascii() {
        let errors = draft("BIÖ-1", "Bio\nlogy").validate().unwrap_err();
        assert!(errors.get(Field::Code).is_some());
        assert!(
            errors
                .get(Field::Title)
                .is_some_and(|m| m.contains("one line"))
        );
        let mut typed = draft("X-1", "X");
        typed.description = "line one\r\nline two\tend".into();
        assert_eq!(
            typed.validate().unwrap().description.as_deref(),
            Some("line one\nline two\tend")
        );
        typed.description = "bell\u{7}".into();
        assert!(
            typed
                .validate()
                .unwrap_err()
                .get(Field::Description)
                .is_some()
        );
        assert!(
            draft("\0", "X")
                .validate()
                .unwrap_err()
                .get(Field::Code)
                .is_some()
        );
    }
}
