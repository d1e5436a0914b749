//! The account as stored, and the roles.

use std::fmt;

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::prelude::*;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::audit::Actor;
use crate::database::{StoredOptionalTime, StoredTime};
use crate::schema::users;

/// What an account may do. Each role may do everything the ones before it
/// may, so the order is the order of privilege: `role >= Role::Editor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum Role {
    /// Reads records, through the pages and the API.
    Viewer,
    /// Also creates, edits and deletes records.
    Editor,
    /// Also manages accounts and reads the activity log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Admin];

    /// The name stored in the database and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// A role by its name, exactly as [`Role::as_str`] writes it.
    pub fn parse(name: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == name)
            .ok_or_else(|| UnknownRole(name.to_owned()))
    }

    /// "a viewer", "an editor", "an admin": for messages.
    pub fn with_article(self) -> String {
        let article = match self {
            Role::Viewer => "a",
            Role::Editor | Role::Admin => "an",
        };
        format!("{article} {self}")
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Role::parse(name)
    }
}

/// A name that is not a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Role must be viewer, editor or admin (not {0:?})")]
pub struct UnknownRole(pub String);

impl<DB: Backend> FromSql<Text, DB> for Role
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        // The table's CHECK admits only the three names.
        Ok(Role::parse(&String::from_sql(bytes)?)?)
    }
}

impl<DB: Backend> ToSql<Text, DB> for Role
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.as_str().to_sql(out)
    }
}

/// A stored account.
#[derive(Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct User {
    pub id: i32,
    /// In its standard form ([`crate::email::standard_email`]); unique
    /// ignoring case.
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// A deactivated account cannot sign in; its row stays, so the history
    /// of what it did still names it.
    pub active: bool,
    /// Argon2id, in the PHC string format.
    pub password_hash: String,
    /// UTC, set by the database.
    #[diesel(deserialize_as = StoredTime)]
    pub created_at: NaiveDateTime,
    /// UTC; `None` until the first sign-in.
    #[diesel(deserialize_as = StoredOptionalTime)]
    pub last_sign_in_at: Option<NaiveDateTime>,
}

/// How the account is named where people read it (the audit history, the
/// activity filter): "Ada Admin <ada@example.com>".
pub fn label(display_name: &str, email: &str) -> String {
    format!("{display_name} <{email}>")
}

impl User {
    pub fn label(&self) -> String {
        label(&self.display_name, &self.email)
    }

    /// The account acting over HTTP from `address`, for the audit history.
    pub fn actor(&self, address: Option<std::net::IpAddr>) -> Actor {
        Actor::user(
            self.id,
            self.label(),
            address.map(|address| address.to_string()),
        )
    }
}

/// Without the password hash: an account may end up in a log.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("active", &self.active)
            .field("created_at", &self.created_at)
            .field("last_sign_in_at", &self.last_sign_in_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_their_names_and_nothing_else() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
            assert_eq!(role.to_string(), role.as_str());
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        for name in [
            "",
            "Admin",
            "ADMIN",
            " admin",
            "admin ",
            "administrator",
            "root",
        ] {
            let err = Role::parse(name).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("Role must be viewer, editor or admin (not {name:?})")
            );
        }
    }

    #[test]
    fn roles_are_ordered_by_privilege() {
        assert!(Role::Viewer < Role::Editor && Role::Editor < Role::Admin);
        assert!(Role::Admin >= Role::Editor);
        assert!(Role::Viewer < Role::Editor);
        let mut sorted = Role::ALL;
        sorted.sort();
        assert_eq!(sorted, Role::ALL);
    }
}
