//! What a signed-in person does to their own account on `/account/`: see
//! it, change its password, and sign out everywhere. Each change ends the
//! account's sessions and records its event in one write transaction.
//! (An admin's changes to other accounts are in [`super::queries`].)

use diesel::prelude::*;
use serde_json::json;

use super::model::User;
use super::password::PasswordHash;
use super::sessions;
use crate::audit::{self, Action, Actor, Subject};
use crate::database::{DbConnection, DbError, on_backend};
use crate::schema::users;

/// The account as its own page shows it.
#[derive(Debug)]
pub struct OwnAccount {
    pub user: User,
    /// Sessions stored for it, this one included (one that expired counts
    /// until the periodic prune removes it).
    pub sessions: i64,
}

/// The account `user_id` and how many sessions it has; `None` if it is gone.
pub fn summary(conn: &mut DbConnection, user_id: i32) -> Result<Option<OwnAccount>, DbError> {
    let user: Option<User> = on_backend!(conn, |c| users::table
        .find(user_id)
        .select(User::as_select())
        .first(c)
        .optional())?;
    let Some(user) = user else {
        return Ok(None);
    };
    let sessions = sessions::count_for(conn, user_id)?;
    Ok(Some(OwnAccount { user, sessions }))
}

/// What became of a password change.
#[derive(Debug, PartialEq, Eq)]
pub enum PasswordChange {
    /// Stored; this many sessions ended with it.
    Changed { sessions_ended: usize },
    /// The stored password is no longer the one that was checked (it was
    /// changed meanwhile, or the account deactivated): nothing was changed.
    CurrentChanged,
}

/// Sets the account's own password to `new_hash`, if its stored hash is
/// still `verified_hash`, the one the current password was checked against
/// (slow, so before this transaction): a password changed meanwhile by
/// another request or an admin is not overwritten by someone who only knew
/// the one before.
///
/// Ends EVERY session of the account, the caller's too, in the same
/// transaction: whoever knew the old password is signed out everywhere.
/// The caller then signs its own browser in again on a new session (the
/// pages do not know their session's key, so "all but this one" cannot be
/// said here; a new key is better anyway after a credential changes).
pub fn change_own_password(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: i32,
    verified_hash: &str,
    new_hash: &PasswordHash,
) -> Result<PasswordChange, DbError> {
    conn.write_transaction(|conn| {
        let updated = on_backend!(conn, |c| diesel::update(
            users::table
                .find(user_id)
                .filter(users::password_hash.eq(verified_hash))
                .filter(users::active)
        )
        .set(users::password_hash.eq(new_hash.as_str()))
        .execute(c))?;
        if updated == 0 {
            return Ok(PasswordChange::CurrentChanged);
        }
        let sessions_ended = sessions::end_all_for(conn, user_id)?;
        audit::record(
            conn,
            actor,
            Action::UserChangePassword,
            Some(Subject::User(user_id)),
            &json!({"sessions_ended": sessions_ended}),
        )?;
        Ok(PasswordChange::Changed { sessions_ended })
    })
}

/// Ends every session of the account, the caller's too; how many there
/// were.
pub fn sign_out_everywhere(
    conn: &mut DbConnection,
    actor: &Actor,
    user_id: i32,
) -> Result<usize, DbError> {
    conn.write_transaction(|conn| {
        let ended = sessions::end_all_for(conn, user_id)?;
        audit::record(
            conn,
            actor,
            Action::UserSignOut,
            Some(Subject::User(user_id)),
            &json!({"everywhere": true, "sessions_ended": ended}),
        )?;
        Ok(ended)
    })
}
