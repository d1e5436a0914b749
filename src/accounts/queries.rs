//! Every query about accounts. Functions take a connection and block; each
//! write runs in a write transaction of its own, so a failed commit is an
//! error, never a false success. Each change to an account is recorded in
//! the audit history inside that transaction, with who made it.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Text;
use serde_json::{Map, Value, json};

use super::model::{Role, User};
use super::password::PasswordHash;
use super::validation::{NewUser, parse_email};
use super::{sessions, tokens};
use crate::audit::{self, Action, Actor, Subject};
use crate::database::{DbConnection, DbError, on_backend};
use crate::schema::users;

/// The unique index that keeps emails unique ignoring case.
pub const EMAIL_UNIQUE_INDEX: &str = "users_email_key";

diesel::define_sql_function! {
    /// SQL `lower`: emails are compared and ordered ignoring case, as the
    /// unique index on `lower(email)` does.
    fn lower(text: Text) -> Text;
}

/// Why a change to accounts was not made.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("another account already uses the email address {0}")]
    EmailTaken(String),
    #[error("no account has the email address {0}")]
    NotFound(String),
    /// The change would leave no active admin, and no one able to manage
    /// accounts.
    #[error("{0} is the last active admin: make another account an admin first")]
    LastAdmin(String),
    #[error(transparent)]
    Database(#[from] DbError),
}

impl AccountError {
    fn from_insert(err: DieselError, email: &str) -> Self {
        match &err {
            // The database decides, so two accounts created at once with one
            // address get the same answer as a plain duplicate.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some(EMAIL_UNIQUE_INDEX)
                    || info.message().contains(EMAIL_UNIQUE_INDEX) =>
            {
                AccountError::EmailTaken(email.to_owned())
            }
            _ => AccountError::Database(DbError::from(err)),
        }
    }
}

/// An account before and after a change (equal when there was nothing to
/// change), so the caller can say what happened.
#[derive(Debug)]
pub struct Changed {
    pub before: User,
    pub after: User,
}

impl Changed {
    pub fn changed_anything(&self) -> bool {
        self.before != self.after
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUserRow<'a> {
    email: &'a str,
    display_name: &'a str,
    role: Role,
    password_hash: &'a str,
}

pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    user: &NewUser,
    password_hash: &PasswordHash,
) -> Result<User, AccountError> {
    let row = NewUserRow {
        email: user.email(),
        display_name: user.display_name(),
        role: user.role(),
        password_hash: password_hash.as_str(),
    };
    conn.write_transaction(|conn| {
        let created = on_backend!(conn, |c| diesel::insert_into(users::table)
            .values(&row)
            .returning(User::as_returning())
            .get_result(c))
        .map_err(|err| AccountError::from_insert(err, user.email()))?;
        // Never the password or its hash.
        let details = json!({
            "email": created.email,
            "display_name": created.display_name,
            "role": created.role.as_str(),
        });
        audit::record(
            conn,
            actor,
            Action::UserCreate,
            Some(Subject::User(created.id)),
            &details,
        )?;
        Ok(created)
    })
}

/// The first account, an admin, made through the one-time setup page: only
/// while there is no account at all. `Ok(None)` when one exists already
/// (another instance, or another tab, was quicker).
pub fn create_first_admin(
    conn: &mut DbConnection,
    user: &NewUser,
    password_hash: &PasswordHash,
) -> Result<Option<User>, AccountError> {
    conn.write_transaction(|conn| {
        // SQLite's write transaction already excludes other writers; on
        // PostgreSQL two instances could each count none, so the count
        // waits for any other setup first.
        if let DbConnection::Postgresql(c) = conn {
            diesel::sql_query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
                .execute(c)
                .map_err(DbError::from)?;
        }
        if count(conn)? > 0 {
            return Ok(None);
        }
        let row = NewUserRow {
            email: user.email(),
            display_name: user.display_name(),
            role: Role::Admin,
            password_hash: password_hash.as_str(),
        };
        on_backend!(conn, |c| diesel::insert_into(users::table)
            .values(&row)
            .returning(User::as_returning())
            .get_result(c))
        .map(Some)
        .map_err(|err| AccountError::from_insert(err, user.email()))
    })
}

/// How many accounts there are, active or not.
pub fn count(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(on_backend!(conn, |c| users::table.count().get_result(c))?)
}

/// The account with this id.
pub fn find_by_id(conn: &mut DbConnection, id: i32) -> Result<Option<User>, DbError> {
    Ok(on_backend!(conn, |c| users::table
        .find(id)
        .select(User::as_select())
        .first(c)
        .optional())?)
}

/// Every account, by email.
pub fn list(conn: &mut DbConnection) -> Result<Vec<User>, DbError> {
    Ok(on_backend!(conn, |c| users::table
        .order(lower(users::email))
        .select(User::as_select())
        .load(c))?)
}

/// The account with this email, ignoring case (and the differences
/// [`crate::email::standard_email`] irons out).
pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<User>, DbError> {
    find(conn, email, false)
}

/// [`find_by_email`], locking the account's row until the transaction ends
/// when `for_update` (on PostgreSQL; SQLite's write transaction has
/// already locked everything).
fn find(conn: &mut DbConnection, email: &str, for_update: bool) -> Result<Option<User>, DbError> {
    let Ok(email) = parse_email(email) else {
        return Ok(None);
    };
    let query = users::table
        .filter(lower(users::email).eq(lower(email)))
        // The table's columns in order, as `User` lists them.
        .select(users::all_columns);
    Ok(match conn {
        DbConnection::Postgresql(c) if for_update => query.for_no_key_update().first(c),
        DbConnection::Postgresql(c) => query.first(c),
        DbConnection::Sqlite(c) => query.first(c),
    }
    .optional()?)
}

pub fn set_role(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &str,
    role: Role,
) -> Result<Changed, AccountError> {
    let removes_admin = role != Role::Admin;
    change(
        conn,
        actor,
        Action::UserSetRole,
        email,
        removes_admin,
        |c, id| {
            Ok(on_backend!(c, |c| diesel::update(users::table.find(id))
                .set(users::role.eq(role))
                .returning(User::as_returning())
                .get_result(c))?)
        },
    )
}

/// A deactivated account can no longer sign in, and its sessions end with
/// the change; its row stays.
pub fn deactivate(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &str,
) -> Result<Changed, AccountError> {
    set_active(conn, actor, email, false)
}

/// A deactivated account may sign in again, with the role it had.
pub fn activate(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &str,
) -> Result<Changed, AccountError> {
    set_active(conn, actor, email, true)
}

fn set_active(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &str,
    active: bool,
) -> Result<Changed, AccountError> {
    let action = if active {
        Action::UserActivate
    } else {
        Action::UserDeactivate
    };
    change(conn, actor, action, email, !active, |c, id| {
        let user = on_backend!(c, |c| diesel::update(users::table.find(id))
            .set(users::active.eq(active))
            .returning(User::as_returning())
            .get_result(c))?;
        if !active {
            sessions::end_all_for(c, id)?;
            // Else activating it again would bring them back.
            tokens::revoke_all_for(c, id)?;
        }
        Ok(user)
    })
}

/// Sets a new password; every session of the account ends, and every API
/// token is revoked, with the change (whoever knew the old one is signed
/// out everywhere, and keeps no token made meanwhile).
pub fn reset_password(
    conn: &mut DbConnection,
    actor: &Actor,
    email: &str,
    password_hash: &PasswordHash,
) -> Result<User, AccountError> {
    let changed = change(
        conn,
        actor,
        Action::UserResetPassword,
        email,
        false,
        |c, id| {
            let user = on_backend!(c, |c| diesel::update(users::table.find(id))
                .set(users::password_hash.eq(password_hash.as_str()))
                .returning(User::as_returning())
                .get_result(c))?;
            sessions::end_all_for(c, id)?;
            tokens::revoke_all_for(c, id)?;
            Ok(user)
        },
    )?;
    Ok(changed.after)
}

/// Changes the account with `email` by `write` in one write transaction,
/// and records it as `action` by `actor` in the same transaction, unless
/// nothing changed (a role it already had). When the change
/// `removes_admin` rights (a demotion, a deactivation), it is refused for
/// the last active admin.
///
/// Two admins demoting each other at once must not both succeed. SQLite's
/// write transaction excludes every other writer from its start. On
/// PostgreSQL, the active admins' rows are locked first, always in id
/// order (so two such changes never deadlock), then the account's own: a
/// second change waits for the first to commit, then sees its result, and
/// counts one admin fewer.
fn change(
    conn: &mut DbConnection,
    actor: &Actor,
    action: Action,
    email: &str,
    removes_admin: bool,
    write: impl FnOnce(&mut DbConnection, i32) -> Result<User, DbError>,
) -> Result<Changed, AccountError> {
    conn.write_transaction(|conn| {
        lock_active_admins(conn)?;
        // Counted again once the locks are held: on PostgreSQL a statement
        // sees the rows committed before it began, so an admin promoted
        // while this change waited for its locks is seen only now.
        let admins = active_admins(conn)?;
        let before = find(conn, email, true)?
            .ok_or_else(|| AccountError::NotFound(email.trim().to_owned()))?;
        let is_active_admin = admins.contains(&before.id);
        if removes_admin && is_active_admin && admins.len() < 2 {
            return Err(AccountError::LastAdmin(before.email));
        }
        let after = write(conn, before.id)?;
        let changed = Changed { before, after };
        if changed.changed_anything() {
            // A new password shows as an event without fields: what it is
            // is nobody's business.
            let details = audit::changed_fields(
                &audited_fields(&changed.before),
                &audited_fields(&changed.after),
            );
            audit::record(
                conn,
                actor,
                action,
                Some(Subject::User(changed.after.id)),
                &Value::Object(details),
            )?;
        }
        Ok(changed)
    })
}

/// The fields of an account whose old and new values the history shows.
fn audited_fields(user: &User) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("role".to_owned(), json!(user.role.as_str()));
    fields.insert("active".to_owned(), json!(user.active));
    fields
}

/// Locks the active admins' rows until the transaction ends (on PostgreSQL;
/// SQLite's write transaction has already locked everything). `FOR NO KEY
/// UPDATE`: account changes wait for each other, while foreign-key checks
/// against these rows (an admin's sign-in, an audit event naming them) do
/// not wait for an account change.
fn lock_active_admins(conn: &mut DbConnection) -> Result<(), DbError> {
    if let DbConnection::Postgresql(c) = conn {
        users::table
            .filter(users::role.eq(Role::Admin).and(users::active))
            .select(users::id)
            .order(users::id)
            .for_no_key_update()
            .load::<i32>(c)?;
    }
    Ok(())
}

/// The ids of the active admins.
fn active_admins(conn: &mut DbConnection) -> Result<Vec<i32>, DbError> {
    Ok(on_backend!(conn, |c| users::table
        .filter(users::role.eq(Role::Admin).and(users::active))
        .select(users::id)
        .load(c))?)
}
