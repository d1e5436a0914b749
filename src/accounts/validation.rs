//! The rules for an account's details. Parse, don't validate: a
//! [`UserDraft`] is what someone typed, and the only way to turn it into a
//! [`NewUser`], which can be stored, is [`UserDraft::validate`]. (The
//! password has rules of its own: [`super::password`].)

use std::fmt;

use super::model::Role;
use crate::email;
use crate::text::{self, LineProblem};

pub const EMAIL_MIN: usize = 3;
/// The longest address SMTP can carry.
pub const EMAIL_MAX: usize = 254;
pub const DISPLAY_NAME_MAX: usize = 100;

/// The fields of an account someone types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UserField {
    Email,
    DisplayName,
    Role,
}

/// One message per field that failed, in field order.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct InvalidUser(Vec<(UserField, String)>);

impl InvalidUser {
    pub fn get(&self, field: UserField) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, message)| message.as_str())
    }

    fn add(&mut self, field: UserField, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }
}

/// All the messages on one line, for the command line.
impl fmt::Display for InvalidUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let messages: Vec<&str> = self.0.iter().map(|(_, m)| m.as_str()).collect();
        f.write_str(&messages.join("; "))
    }
}

/// An account's details exactly as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDraft {
    pub email: String,
    pub display_name: String,
    pub role: String,
}

/// An account's details, checked and in the form they are stored in. Its
/// fields are private: [`UserDraft::validate`] is the only way to build one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    email: String,
    display_name: String,
    role: Role,
}

impl NewUser {
    pub fn email(&self) -> &str {
        &self.email
    }

    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    pub fn role(&self) -> Role {
        self.role
    }
}

impl UserDraft {
    /// Checks every rule and returns the account to store, or a message for
    /// each field that is wrong.
    pub fn validate(&self) -> Result<NewUser, InvalidUser> {
        let mut errors = InvalidUser::default();
        let email = parse_email(&self.email).map_err(|m| errors.add(UserField::Email, m));
        let display_name = parse_display_name(&self.display_name)
            .map_err(|m| errors.add(UserField::DisplayName, m));
        let role =
            Role::parse(self.role.trim()).map_err(|e| errors.add(UserField::Role, e.to_string()));
        match (email, display_name, role) {
            (Ok(email), Ok(display_name), Ok(role)) => Ok(NewUser {
                email,
                display_name,
                role,
            }),
            _ => Err(errors),
        }
    }
}

/// An address as typed, in its standard form if it follows the email rule
/// (the students' rule, [`crate::email`]) and fits.
pub fn parse_email(typed: &str) -> Result<String, String> {
    let standard = email::standard_email(typed.trim());
    let count = standard.chars().count();
    if count == 0 {
        return Err("Email is required".to_owned());
    }
    if !(EMAIL_MIN..=EMAIL_MAX).contains(&count) {
        return Err(format!(
            "Email must be {EMAIL_MIN} to {EMAIL_MAX} characters (it has {count})"
        ));
    }
    email::check(&standard)?;
    Ok(standard)
}

/// One line of visible text, trimmed, as people's names are for students:
/// no control characters, line breaks or text-direction controls (which
/// make a name display differently from what it is).
fn parse_display_name(typed: &str) -> Result<String, String> {
    let name = typed.trim();
    match text::line_problem(name) {
        Some(LineProblem::NotOneLine) => {
            return Err("Name must be one line, without control characters".to_owned());
        }
        Some(LineProblem::DirectionControl) => {
            return Err("Name must not contain text-direction control characters".to_owned());
        }
        Some(LineProblem::Invisible) => return Err("Name is required".to_owned()),
        None if name.is_empty() => return Err("Name is required".to_owned()),
        None => {}
    }
    let count = name.chars().count();
    if count > DISPLAY_NAME_MAX {
        return Err(format!(
            "Name must be at most {DISPLAY_NAME_MAX} characters (it has {count})"
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(email: &str, display_name: &str, role: &str) -> UserDraft {
        UserDraft {
            email: email.to_owned(),
            display_name: display_name.to_owned(),
            role: role.to_owned(),
        }
    }

    #[test]
    fn a_valid_draft_is_trimmed_and_its_email_put_in_standard_form() {
        let user = draft("  Ada@EXAMPLE.com ", " Ada Lovelace\t", "editor")
            .validate()
            .unwrap();
        assert_eq!(user.email(), "Ada@example.com");
        assert_eq!(user.display_name(), "Ada Lovelace");
        assert_eq!(user.role(), Role::Editor);
    }

    #[test]
    fn each_field_that_breaks_a_rule_says_why() {
        let errors = draft("not an email", "", "owner").validate().unwrap_err();
        assert_eq!(
            errors.get(UserField::Email),
            Some("Enter an email address like name@example.com")
        );
        assert_eq!(errors.get(UserField::DisplayName), Some("Name is required"));
        assert_eq!(
            errors.get(UserField::Role),
            Some("Role must be viewer, editor or admin (not \"owner\")")
        );
        assert_eq!(
            errors.to_string(),
            "Enter an email address like name@example.com; Name is required; \
             Role must be viewer, editor or admin (not \"owner\")"
        );
    }

    #[test]
    fn names_are_one_line_of_visible_text_of_at_most_100_characters() {
        for (name, message) in [
            (
                "Ada\nLovelace",
                "Name must be one line, without control characters",
            ),
            (
                "Ada\u{2028}Lovelace",
                "Name must be one line, without control characters",
            ),
            (
                "Ada \u{202E}ecalevoL",
                "Name must not contain text-direction control characters",
            ),
            ("\u{200B}\u{200B}", "Name is required"),
        ] {
            let errors = draft("ada@example.com", name, "viewer")
                .validate()
                .unwrap_err();
            assert_eq!(
                errors.get(UserField::DisplayName),
                Some(message),
                "{name:?}"
            );
        }
        let longest = "é".repeat(100);
        assert!(
            draft("ada@example.com", &longest, "viewer")
                .validate()
                .is_ok()
        );
        let errors = draft("ada@example.com", &format!("{longest}e"), "viewer")
            .validate()
            .unwrap_err();
        assert_eq!(
            errors.get(UserField::DisplayName),
            Some("Name must be at most 100 characters (it has 101)")
        );
    }

    #[test]
    fn emails_may_be_up_to_254_characters() {
        let local = "a".repeat(64);
        let domain = format!("{}.example.com", vec!["b".repeat(57); 3].join("."));
        let email = format!("{local}@{domain}");
        assert!(email.len() <= EMAIL_MAX, "{}", email.len());
        assert_eq!(parse_email(&email), Ok(email.clone()));
        let long = format!("{local}@{}.{domain}", "c".repeat(60));
        assert!(
            parse_email(&long)
                .unwrap_err()
                .starts_with("Email must be 3 to 254 characters")
        );
    }
}
