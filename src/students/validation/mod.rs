//! The rules for a student's details, in one place for every way in (the
//! HTML forms and the JSON API). Parse, don't validate: a [`StudentDraft`] is
//! what someone typed, and the only way to turn it into [`StudentDetails`],
//! the values that can be stored, is [`StudentDraft::validate`].
//!
//! - [`characters`]: what a field may contain beyond its length;
//! - [`crate::email`]: the standard form of an address, and the email rule.

mod characters;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::email::standard_email;
pub use characters::{
    TRIMMED_CHARS_CLASS, invisible_class, refused_in_bio_class, refused_in_line_class,
};

use super::model::Student;
use crate::email;
use crate::schema::students;

pub const NAME_MAX: u64 = 100;
pub const EMAIL_MAX: u64 = 80;
pub const BIO_MAX: u64 = 10_000;
pub const CITY_MAX: u64 = 80;
pub const AGE_MIN: i64 = 1;
pub const AGE_MAX: i64 = 150;

/// The largest body a student's details can need (a form or JSON), sized so
/// that every field at its limit always fits: a character is at most 4
/// UTF-8 bytes, 12 once percent-encoded (`%F0%9F%98%80`), and 12 as a JSON
/// escape pair (`\ud83d\ude00`); a counted line break is 6 (`%0D%0A`). The
/// rest (field names, the CSRF token, the version) fits easily in 4 KB.
/// Rounded up to whole KB, the unit messages state it in.
pub const BODY_LIMIT: usize = {
    let mut chars = 0;
    let mut i = 0;
    while i < Field::ALL.len() {
        chars += Field::ALL[i].max_chars();
        i += 1;
    }
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

    /// The most characters the field can hold.
    pub const fn max_chars(self) -> u64 {
        match self {
            Field::Firstname | Field::Lastname => NAME_MAX,
            Field::Email => EMAIL_MAX,
            // The digits of the largest age.
            Field::Age => AGE_MAX.ilog10() as u64 + 1,
            Field::Bio => BIO_MAX,
            Field::City => CITY_MAX,
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

/// The details a user edits, validated and normalised. Its fields are
/// private: [`StudentDraft::validate`] is the only way to build one.
#[derive(Debug, Clone, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = students)]
// Clearing an optional field in the form must clear it in the database.
#[diesel(treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct StudentDetails {
    firstname: String,
    lastname: String,
    email: String,
    age: Option<i32>,
    bio: Option<String>,
    city: Option<String>,
}

impl StudentDetails {
    /// Whether `student` already holds exactly these details, so storing them
    /// would change nothing.
    pub fn is_stored_in(&self, student: &Student) -> bool {
        // No `..`: a new field must be compared too.
        let Self {
            firstname,
            lastname,
            email,
            age,
            bio,
            city,
        } = self;
        *firstname == student.firstname
            && *lastname == student.lastname
            && *email == student.email
            && *age == student.age
            && *bio == student.bio
            && *city == student.city
    }
}

impl StudentDraft {
    /// Checks every rule and returns the details to store, or one message for
    /// each field that is wrong. Per field, the first rule broken is the one
    /// reported: characters, then presence, then length, then form.
    pub fn validate(&self) -> Result<StudentDetails, FieldErrors> {
        let mut errors = FieldErrors::default();
        for field in Field::ALL {
            let typed = self.text(field);
            // SQLite's length() stops at a NUL, so a name starting with one
            // would fail the table's CHECK; no one types one, so it is
            // refused outright.
            if typed.contains('\0') {
                let label = field.label();
                errors.add(field, format!("{label} must not contain NUL characters"));
            }
            if field != Field::Age
                && let Err(message) = characters::check_characters(field, typed)
            {
                errors.add(field, message);
            }
        }

        let firstname = self.firstname.trim().to_owned();
        let lastname = self.lastname.trim().to_owned();
        let email = standard_email(self.email.trim());
        let bio = optional_text(&self.bio.replace("\r\n", "\n"));
        let city = optional_text(self.city.trim());
        check_length(&mut errors, Field::Firstname, Some(&firstname), 1, NAME_MAX);
        check_length(&mut errors, Field::Lastname, Some(&lastname), 1, NAME_MAX);
        check_length(&mut errors, Field::Email, Some(&email), 1, EMAIL_MAX);
        if let Err(message) = email::check(&email) {
            errors.add(Field::Email, message);
        }
        check_length(&mut errors, Field::Bio, bio.as_deref(), 0, BIO_MAX);
        check_length(&mut errors, Field::City, city.as_deref(), 0, CITY_MAX);
        let age = match self.age.trim() {
            "" => None,
            typed => match typed.parse::<i64>() {
                Ok(age) if (AGE_MIN..=AGE_MAX).contains(&age) => i32::try_from(age).ok(),
                Ok(_) => {
                    errors.add(
                        Field::Age,
                        format!("Age must be a whole number from {AGE_MIN} to {AGE_MAX}"),
                    );
                    None
                }
                Err(_) => {
                    errors.add(Field::Age, "Age must be a whole number, like 23");
                    None
                }
            },
        };

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(StudentDetails {
            firstname,
            lastname,
            email,
            age,
            bio,
            city,
        })
    }

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

/// Blank optional text is stored as "not given", not as an empty string.
fn optional_text(value: &str) -> Option<String> {
    (!value.trim().is_empty()).then(|| value.to_owned())
}
