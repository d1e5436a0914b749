//! What a sign-in attempt writes, each in one transaction with its audit
//! event: the throttling count, the account's last sign-in, and who tried.

use std::net::IpAddr;

use chrono::{DateTime, Timelike, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::throttle;
use crate::audit::{self, Action, Actor, Subject};
use crate::database::{DbConnection, DbError, on_backend};
use crate::schema::users;

/// A successful sign-in as `user_id`, with `typed` the email as typed and
/// `claim` its attempt ([`throttle::ThrottleRules::claim`], `None` for a sign-in
/// that was not claimed, such as the first admin's): the attempt is
/// withdrawn and the account's failures forgotten (see
/// [`throttle::record_success`]), its last sign-in is now, and the history
/// says so.
pub fn succeeded(
    conn: &mut DbConnection,
    user_id: i32,
    typed: &str,
    claim: Option<i32>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let now = now.naive_utc();
    let now = now.with_nanosecond(0).unwrap_or(now);
    conn.write_transaction(|conn| {
        if let Some(claim) = claim {
            throttle::withdraw(conn, claim)?;
        }
        throttle::record_success(conn, typed)?;
        on_backend!(conn, |c| diesel::update(users::table.find(user_id))
            .set(users::last_sign_in_at.eq(now))
            .execute(c))?;
        audit::record(
            conn,
            actor,
            Action::UserSignIn,
            Some(Subject::User(user_id)),
            &json!({}),
        )
    })
}

/// A failed sign-in for the email `typed` (an account's, `account`, or
/// none), from `address`. (Its attempt, claimed before the password was
/// checked, already counts as a failure.)
pub fn failed(
    conn: &mut DbConnection,
    typed: &str,
    account: Option<i32>,
    address: IpAddr,
) -> Result<(), DbError> {
    // Whoever tried is not known. The event names the account they tried,
    // but not an email that is no account's: people type their password
    // into the email field, and the log is read by admins.
    let (label, details) = match account {
        Some(_) => {
            let typed_key = throttle::account_key(typed);
            (
                format!("someone signing in as {typed_key}"),
                json!({ "email": typed_key }),
            )
        }
        None => (
            "someone signing in with an unknown email".to_owned(),
            json!({}),
        ),
    };
    let actor = Actor {
        user_id: None,
        label,
        address: Some(address.to_string()),
    };
    conn.write_transaction(|conn| {
        audit::record(
            conn,
            &actor,
            Action::UserSignInFailed,
            account.map(Subject::User),
            &details,
        )
    })
}

/// A sign-out (of this session, or `everywhere`).
pub fn signed_out(
    conn: &mut DbConnection,
    user_id: i32,
    actor: &Actor,
    everywhere: bool,
) -> Result<(), DbError> {
    conn.write_transaction(|conn| {
        audit::record(
            conn,
            actor,
            Action::UserSignOut,
            Some(Subject::User(user_id)),
            &json!({ "everywhere": everywhere }),
        )
    })
}
