//! API tokens: what a script presents to the JSON API, as
//! `Authorization: Bearer <token>`, to act as the account that made it.
//!
//! A token is `sr_` and 32 random bytes in unpadded base64url. Only its
//! SHA-256 is stored: it is random, so a fast hash is as safe as a slow one,
//! and a request is checked with one indexed lookup. The token itself is
//! shown once, when it is made, and cannot be recovered.
//!
//! Each token has a [`Scope`]: `read` tokens only read; `write` tokens may
//! also change records, if their account's role allows it too.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDateTime, TimeDelta, Timelike, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::model::{Role, User};
use crate::audit::{self, Action, Actor, Subject};
use crate::database::{DbConnection, DbError, on_backend};
use crate::format;
use crate::schema::{api_tokens, users};
use crate::text::{self, LineProblem};

/// What every token begins with: it tells a reader (or a secret scanner)
/// what the string is.
pub const PREFIX: &str = "sr_";
/// Random bytes in a token: 256 bits, beyond guessing.
const RANDOM_BYTES: usize = 32;
/// Characters of a token: the prefix and 32 bytes in unpadded base64.
const TOKEN_CHARS: usize = PREFIX.len() + (RANDOM_BYTES * 4).div_ceil(3);
pub const NAME_MAX: usize = 100;
/// The longest expiry a token may be given: ten years.
pub const EXPIRES_IN_DAYS_MAX: u32 = 3650;
/// `last_used_at` is written at most this often per token, so a script
/// reading all day does not make every request a write.
pub const LAST_USED_PRECISION: TimeDelta = TimeDelta::minutes(1);

/// The unique index on (user, name ignoring case).
pub const NAME_UNIQUE_INDEX: &str = "api_tokens_user_id_name_key";

diesel::define_sql_function! {
    /// SQL `lower`: names are compared ignoring case, as the unique index
    /// on `lower(name)` does.
    fn lower(text: Text) -> Text;
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum Scope {
    /// Reads only (GET, HEAD).
    Read,
    /// Also creates, changes and deletes, if the account's role may.
    Write,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Read, Scope::Write];

    /// The name stored in the database and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    /// A scope by its name, exactly as [`Scope::as_str`] writes it.
    pub fn parse(name: &str) -> Result<Scope, UnknownScope> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == name)
            .ok_or_else(|| UnknownScope(name.to_owned()))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Scope must be read or write (not {0:?})")]
pub struct UnknownScope(pub String);

impl<DB: Backend> FromSql<Text, DB> for Scope
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        // The table's CHECK admits only the two names.
        Ok(Scope::parse(&String::from_sql(bytes)?)?)
    }
}

impl<DB: Backend> ToSql<Text, DB> for Scope
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.as_str().to_sql(out)
    }
}

/// A stored token, without its hash: nothing here lets anyone use it, so it
/// may be listed, logged and shown.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = api_tokens, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ApiToken {
    pub id: i32,
    pub user_id: i32,
    /// Unique among the account's tokens, ignoring case.
    pub name: String,
    pub scope: Scope,
    /// UTC, like every time here.
    pub created_at: NaiveDateTime,
    /// Within [`LAST_USED_PRECISION`]; `None` if never used.
    pub last_used_at: Option<NaiveDateTime>,
    /// `None`: it does not expire.
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiToken {
    /// Whether it has expired by `now`.
    pub fn expired(&self, now: NaiveDateTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// Who is calling: a token that is valid now, and its (active) account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub token: ApiToken,
    pub user: User,
}

impl Caller {
    /// Whether the caller may change records: both the token's scope and
    /// the account's role must allow it.
    pub fn may_write(&self) -> bool {
        self.token.scope == Scope::Write && self.user.role >= Role::Editor
    }

    /// Whether this use should be recorded ([`record_use`]): the last record
    /// is more than [`LAST_USED_PRECISION`] old, or there is none.
    pub fn use_unrecorded(&self) -> bool {
        self.token
            .last_used_at
            .is_none_or(|at| at <= now() - LAST_USED_PRECISION)
    }
}

/// Why a token was not made or changed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The name breaks a rule; the message says which.
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidExpiry(String),
    #[error("the account already has a token named {0:?}")]
    NameTaken(String),
    /// A write token for an account whose role cannot write.
    #[error("{0}")]
    ScopeBeyondRole(String),
    #[error(transparent)]
    Database(#[from] DbError),
}

/// The name as stored (trimmed), if it follows the rules: required, one
/// line of visible text, at most [`NAME_MAX`] characters.
pub fn parse_name(typed: &str) -> Result<String, TokenError> {
    let name = typed.trim();
    let problem = match text::line_problem(name) {
        Some(LineProblem::NotOneLine) => Some("must be one line, without control characters"),
        Some(LineProblem::DirectionControl) => {
            Some("must not contain text-direction control characters")
        }
        Some(LineProblem::Invisible) => Some("is required"),
        None if name.is_empty() => Some("is required"),
        None => None,
    };
    if let Some(problem) = problem {
        return Err(TokenError::InvalidName(format!("Token name {problem}")));
    }
    let count = name.chars().count();
    if count > NAME_MAX {
        return Err(TokenError::InvalidName(format!(
            "Token name must be at most {NAME_MAX} characters (it has {count})"
        )));
    }
    Ok(name.to_owned())
}

/// Refuses a `write` token for a viewer, whose role cannot write: the token
/// would be refused on every write. (An account demoted after making one
/// keeps it, and [`Caller::may_write`] refuses its writes.)
pub fn check_scope(role: Role, scope: Scope) -> Result<(), TokenError> {
    if scope == Scope::Write && role < Role::Editor {
        return Err(TokenError::ScopeBeyondRole(format!(
            "A {role} cannot change records, so a write token would not work: make a read token"
        )));
    }
    Ok(())
}

/// Now, in UTC and whole seconds, as both backends store times.
fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond(0).unwrap_or(now)
}

/// The hex SHA-256 stored for `token`.
fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether `presented` has the shape of a token this app makes: not worth a
/// query otherwise.
fn well_formed(presented: &str) -> bool {
    presented.len() == TOKEN_CHARS
        && presented.strip_prefix(PREFIX).is_some_and(|random| {
            random
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[derive(Insertable)]
#[diesel(table_name = api_tokens)]
struct NewTokenRow<'a> {
    user_id: i32,
    name: &'a str,
    scope: Scope,
    token_hash: &'a str,
    created_at: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
}

/// Makes a token for the account `user_id`, and returns it with the token
/// itself: the only time it is known. `expires_in_days`: from 1 to
/// [`EXPIRES_IN_DAYS_MAX`], or `None` for a token that does not expire.
/// `actor` made it: recorded in the audit history in the same transaction.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: i32,
    name: &str,
    scope: Scope,
    expires_in_days: Option<u32>,
) -> Result<(ApiToken, SecretString), TokenError> {
    let name = parse_name(name)?;
    let created_at = now();
    let expires_at = match expires_in_days {
        None => None,
        Some(days @ 1..=EXPIRES_IN_DAYS_MAX) => Some(created_at + TimeDelta::days(i64::from(days))),
        Some(days) => {
            return Err(TokenError::InvalidExpiry(format!(
                "A token expires in 1 to {EXPIRES_IN_DAYS_MAX} days (not {days}); \
                 leave the expiry out for one that does not expire"
            )));
        }
    };
    let mut random = [0u8; RANDOM_BYTES];
    rand::rng().fill_bytes(&mut random);
    let token = SecretString::from(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(random)));
    let token_hash = hash(token.expose_secret());
    let row = NewTokenRow {
        user_id,
        name: &name,
        scope,
        token_hash: &token_hash,
        created_at,
        expires_at,
    };
    let stored = conn.write_transaction(|conn| {
        let stored = on_backend!(conn, |c| diesel::insert_into(api_tokens::table)
            .values(&row)
            .returning(ApiToken::as_returning())
            .get_result(c))
        .map_err(|err| match &err {
            // The database decides, so two tokens made at once with one
            // name get the same answer as a plain duplicate.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some(NAME_UNIQUE_INDEX)
                    || info.message().contains(NAME_UNIQUE_INDEX) =>
            {
                TokenError::NameTaken(name.clone())
            }
            _ => TokenError::Database(DbError::from(err)),
        })?;
        let details = serde_json::json!({
            "name": stored.name,
            "scope": stored.scope.as_str(),
            "expires_at": stored.expires_at.as_ref().map(format::rfc3339),
        });
        audit::record(
            conn,
            actor,
            Action::TokenCreate,
            Some(Subject::Token(stored.id)),
            &details,
        )?;
        Ok::<_, TokenError>(stored)
    })?;
    Ok((stored, token))
}

/// The caller `presented` (the text after `Bearer `) stands for, if it is a
/// token that is neither revoked nor expired, of an active account. Reads
/// only: [`record_use`] is the write that goes with it.
pub fn authenticate(conn: &mut DbConnection, presented: &str) -> Result<Option<Caller>, DbError> {
    if !well_formed(presented) {
        return Ok(None);
    }
    let token_hash = hash(presented);
    let found: Option<(ApiToken, User)> = on_backend!(conn, |c| api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(&token_hash))
        .select((ApiToken::as_select(), User::as_select()))
        .first(c)
        .optional())?;
    Ok(found
        .filter(|(token, user)| token.revoked_at.is_none() && !token.expired(now()) && user.active)
        .map(|(token, user)| Caller { token, user }))
}

/// Records that the caller's token was used now, unless a use within
/// [`LAST_USED_PRECISION`] is already recorded (by a request running at the
/// same time, say). Returns whether it wrote.
pub fn record_use(conn: &mut DbConnection, caller: &Caller) -> Result<bool, DbError> {
    let now = now();
    let cutoff = now - LAST_USED_PRECISION;
    conn.write_transaction(|conn| {
        let written = on_backend!(conn, |c| diesel::update(
            api_tokens::table.find(caller.token.id)
        )
        .filter(
            api_tokens::last_used_at
                .is_null()
                .or(api_tokens::last_used_at.le(cutoff)),
        )
        .set(api_tokens::last_used_at.eq(now))
        .execute(c))?;
        Ok(written > 0)
    })
}

/// The account's tokens, oldest first, revoked and expired ones included.
pub fn list_for_user(conn: &mut DbConnection, user_id: i32) -> Result<Vec<ApiToken>, DbError> {
    Ok(on_backend!(conn, |c| api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order((api_tokens::created_at, api_tokens::id))
        .select(ApiToken::as_select())
        .load(c))?)
}

/// The account's token named `name`, ignoring case.
pub fn find_by_name(
    conn: &mut DbConnection,
    user_id: i32,
    name: &str,
) -> Result<Option<ApiToken>, DbError> {
    let name = name.trim();
    Ok(on_backend!(conn, |c| api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .filter(lower(api_tokens::name).eq(lower(name)))
        .select(ApiToken::as_select())
        .first(c)
        .optional())?)
}

/// Revokes the account's token `token_id` from now on, and returns it; a
/// token revoked before keeps its time (and no event is recorded: nothing
/// changed). `None`: the account has no such token (someone else's is not
/// theirs to revoke).
/// Revokes every token of an account still in force, inside the caller's
/// transaction (a deactivation, a password set by an admin: whoever held
/// the account may have made tokens). Returns how many.
pub fn revoke_all_for(conn: &mut DbConnection, user_id: i32) -> Result<usize, DbError> {
    let now = now();
    Ok(on_backend!(conn, |c| diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null())
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(c))?)
}

pub fn revoke(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: i32,
    token_id: i32,
) -> Result<Option<ApiToken>, DbError> {
    let now = now();
    conn.write_transaction(|conn| {
        let mine = api_tokens::table
            .filter(api_tokens::id.eq(token_id))
            .filter(api_tokens::user_id.eq(user_id));
        let revoked_now = on_backend!(conn, |c| diesel::update(mine)
            .filter(api_tokens::revoked_at.is_null())
            .set(api_tokens::revoked_at.eq(now))
            .execute(c))?
            > 0;
        let token = on_backend!(conn, |c| mine
            .select(ApiToken::as_select())
            .first(c)
            .optional())?;
        if let Some(token) = token.as_ref().filter(|_| revoked_now) {
            audit::record(
                conn,
                actor,
                Action::TokenRevoke,
                Some(Subject::Token(token.id)),
                &serde_json::json!({"name": token.name}),
            )?;
        }
        Ok(token)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_from_their_names_and_nothing_else() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Ok(scope));
        }
        assert_eq!(
            Scope::parse("Write").unwrap_err().to_string(),
            "Scope must be read or write (not \"Write\")"
        );
    }

    #[test]
    fn names_are_one_line_of_visible_text_of_at_most_100_characters() {
        assert_eq!(parse_name("  deploy bot ").unwrap(), "deploy bot");
        for (typed, message) in [
            ("", "Token name is required"),
            ("  ", "Token name is required"),
            ("\u{200B}", "Token name is required"),
            (
                "a\tb",
                "Token name must be one line, without control characters",
            ),
            (
                "a\u{202E}b",
                "Token name must not contain text-direction control characters",
            ),
        ] {
            assert_eq!(
                parse_name(typed).unwrap_err().to_string(),
                message,
                "{typed:?}"
            );
        }
        assert!(parse_name(&"é".repeat(100)).is_ok());
        assert_eq!(
            parse_name(&"é".repeat(101)).unwrap_err().to_string(),
            "Token name must be at most 100 characters (it has 101)"
        );
    }

    #[test]
    fn only_tokens_of_this_apps_shape_are_looked_up() {
        let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode([7u8; RANDOM_BYTES]));
        assert_eq!(token.len(), 46);
        assert!(well_formed(&token));
        assert!(!well_formed(&token[1..]));
        assert!(!well_formed(&format!("{token}x")));
        assert!(!well_formed(&token.replace("sr_", "xx_")));
        assert!(!well_formed(&token.replacen('B', "+", 1)));
    }

    #[test]
    fn the_hash_is_hex_sha256() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
