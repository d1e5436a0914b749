//! Who acts, what they did, to what, and the event as stored.

use std::fmt;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::audit_events;

/// Who made a change, as it will read in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account acting (signed in, or owning the API token); `None` for
    /// the command line.
    pub user_id: Option<i32>,
    /// The actor as it reads now ("Ada Admin <ada@example.com>", "token
    /// NAME of ada@example.com", "command line"): stored with the event, so
    /// the history still reads right after a rename.
    pub label: String,
    /// The client's IP address, when the change came over HTTP.
    pub address: Option<String>,
}

impl Actor {
    /// An operator at the command line: no account, no address.
    pub fn command_line() -> Self {
        Self {
            user_id: None,
            label: "command line".to_owned(),
            address: None,
        }
    }

    /// A staff account acting over HTTP (signed in, or through one of its API
    /// tokens: `label` says which).
    pub fn user(id: i32, label: impl Into<String>, address: Option<String>) -> Self {
        Self {
            user_id: Some(id),
            label: label.into(),
            address,
        }
    }
}

/// What happened. Stored by its name ([`Action::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    StudentCreate,
    StudentUpdate,
    StudentDelete,
    UserSignIn,
    UserSignInFailed,
    UserSignOut,
    UserCreate,
    UserSetRole,
    UserDeactivate,
    UserActivate,
    UserResetPassword,
    UserChangePassword,
    TokenCreate,
    TokenRevoke,
    CourseCreate,
    CourseUpdate,
    CourseDelete,
    EnrolmentCreate,
    EnrolmentUpdate,
}

impl Action {
    pub const ALL: [Action; 19] = [
        Action::StudentCreate,
        Action::StudentUpdate,
        Action::StudentDelete,
        Action::UserSignIn,
        Action::UserSignInFailed,
        Action::UserSignOut,
        Action::UserCreate,
        Action::UserSetRole,
        Action::UserDeactivate,
        Action::UserActivate,
        Action::UserResetPassword,
        Action::UserChangePassword,
        Action::TokenCreate,
        Action::TokenRevoke,
        Action::CourseCreate,
        Action::CourseUpdate,
        Action::CourseDelete,
        Action::EnrolmentCreate,
        Action::EnrolmentUpdate,
    ];

    /// The name stored in the database (and used in the activity filter).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::StudentCreate => "student.create",
            Action::StudentUpdate => "student.update",
            Action::StudentDelete => "student.delete",
            Action::UserSignIn => "user.sign_in",
            Action::UserSignInFailed => "user.sign_in_failed",
            Action::UserSignOut => "user.sign_out",
            Action::UserCreate => "user.create",
            Action::UserSetRole => "user.set_role",
            Action::UserDeactivate => "user.deactivate",
            Action::UserActivate => "user.activate",
            Action::UserResetPassword => "user.reset_password",
            Action::UserChangePassword => "user.change_password",
            Action::TokenCreate => "token.create",
            Action::TokenRevoke => "token.revoke",
            Action::CourseCreate => "course.create",
            Action::CourseUpdate => "course.update",
            Action::CourseDelete => "course.delete",
            Action::EnrolmentCreate => "enrolment.create",
            Action::EnrolmentUpdate => "enrolment.update",
        }
    }

    /// An action by its name, exactly as [`Action::as_str`] writes it.
    pub fn parse(name: &str) -> Result<Action, UnknownAction> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == name)
            .ok_or_else(|| UnknownAction(name.to_owned()))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no such action: {0:?}")]
pub struct UnknownAction(pub String);

/// The record an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Student(i32),
    User(i32),
    Token(i32),
    Course(i32),
    Enrolment(i32),
}

impl Subject {
    /// The stored `subject_type`.
    pub fn type_name(self) -> &'static str {
        match self {
            Subject::Student(_) => "student",
            Subject::User(_) => "user",
            Subject::Token(_) => "token",
            Subject::Course(_) => "course",
            Subject::Enrolment(_) => "enrolment",
        }
    }

    pub fn id(self) -> i32 {
        match self {
            Subject::Student(id)
            | Subject::User(id)
            | Subject::Token(id)
            | Subject::Course(id)
            | Subject::Enrolment(id) => id,
        }
    }
}

/// An event as stored. `action` and `subject_type` stay text: an event
/// outlives the code that wrote it, and a name retired from [`Action`] must
/// still read.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AuditEvent {
    /// Never reused: ids order events as they were recorded.
    pub id: i32,
    /// UTC, set by the database.
    pub occurred_at: NaiveDateTime,
    pub actor_user_id: Option<i32>,
    pub actor_label: String,
    pub address: Option<String>,
    pub action: String,
    pub subject_type: Option<String>,
    pub subject_id: Option<i32>,
    /// JSON text (see [`AuditEvent::details`]).
    pub details: String,
}

impl AuditEvent {
    /// The details as JSON; `{}` if they do not parse (the table's check
    /// makes sure they do).
    pub fn details(&self) -> serde_json::Value {
        serde_json::from_str(&self.details).unwrap_or_else(|_| serde_json::json!({}))
    }

    /// The record it is about, when it is one this build knows.
    pub fn subject(&self) -> Option<Subject> {
        let id = self.subject_id?;
        match self.subject_type.as_deref()? {
            "student" => Some(Subject::Student(id)),
            "user" => Some(Subject::User(id)),
            "token" => Some(Subject::Token(id)),
            "course" => Some(Subject::Course(id)),
            "enrolment" => Some(Subject::Enrolment(id)),
            _ => None,
        }
    }
}

/// What [`crate::audit::record`] inserts. Every field is written, `None` as
/// NULL (each column's default anyway): with DEFAULT for `None`, the SQL
/// would differ by which fields are set, and diesel would prepare the
/// statement afresh for every write instead of caching it.
#[derive(Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub(super) struct NewAuditEvent<'a> {
    pub actor_user_id: Option<i32>,
    pub actor_label: &'a str,
    pub address: Option<&'a str>,
    pub action: &'a str,
    pub subject_type: Option<&'a str>,
    pub subject_id: Option<i32>,
    pub details: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_from_their_names_and_nothing_else() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Ok(action));
        }
        let names: std::collections::HashSet<_> =
            Action::ALL.iter().map(|action| action.as_str()).collect();
        assert_eq!(names.len(), Action::ALL.len(), "names are distinct");
        for name in ["", "student", "Student.create", "student.create ", "x"] {
            assert!(Action::parse(name).is_err(), "{name:?}");
        }
    }
}
