//! Sign-in sessions, stored on the server. The cookie carries a random key;
//! the table holds only its SHA-256, the account it is signed in as, and the
//! session's entries. A session ends when its row goes, so ending one here
//! ends it on every app instance at once.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::User;
use crate::database::{DbConnection, DbError, StoredTime, on_backend};
use crate::schema::{sessions, users};

/// How long a session lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLifetime {
    /// Ended after this long without a request.
    pub idle: Duration,
    /// Ended this long after it started, however busy.
    pub absolute: Duration,
}

/// A session's last use is written at most this often (or a quarter of the
/// idle timeout, if that is shorter): a request that only reads should not
/// also write, and the idle timeout needs no finer grain.
pub const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// A session no one has signed in on (it holds the sign-in form's token)
/// ends after this long idle, or the idle timeout if shorter: anyone can
/// start one by opening the sign-in page, so they are not kept for long.
pub const SIGNED_OUT_IDLE: Duration = Duration::from_secs(15 * 60);

impl SessionLifetime {
    fn touch_interval(&self) -> Duration {
        TOUCH_INTERVAL.min(self.idle / 4)
    }

    fn idle_for(&self, user_id: Option<i32>) -> Duration {
        match user_id {
            Some(_) => self.idle,
            None => self.idle.min(SIGNED_OUT_IDLE),
        }
    }
}

/// The stored session: its entries and the account it is signed in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub user_id: Option<i32>,
    /// The entries, as the JSON object they were saved as.
    pub state: String,
}

/// A stored session as a request finds it: the account it is signed in as
/// is read in the same statement (`None` when signed out, or when that
/// account is gone), as every signed-in page needs both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedSession {
    pub session: StoredSession,
    pub account: Option<User>,
}

/// The stored form of a cookie's key: its SHA-256, in hex. The key is 64
/// random characters, so a hash without a salt is enough: no one can guess
/// keys to match a stolen table.
pub fn key_hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// The session stored under `key_hash` and its account, unless it has
/// expired (then it is removed). Its last use becomes `now` when that was
/// over [`TOUCH_INTERVAL`] ago.
pub fn load(
    conn: &mut DbConnection,
    key_hash: &str,
    now: NaiveDateTime,
    lifetime: SessionLifetime,
) -> Result<Option<LoadedSession>, DbError> {
    type Row = (Option<i32>, String, StoredTime, StoredTime, Option<User>);
    let row: Option<Row> = on_backend!(conn, |c| sessions::table
        .left_join(users::table)
        .filter(sessions::key_hash.eq(key_hash))
        .select((
            sessions::user_id,
            sessions::state,
            sessions::created_at,
            sessions::last_seen_at,
            Option::<User>::as_select(),
        ))
        .first(c)
        .optional())?;
    let Some((user_id, state, StoredTime(created_at), StoredTime(last_seen_at), account)) = row
    else {
        return Ok(None);
    };
    let lifetime = SessionLifetime {
        idle: lifetime.idle_for(user_id),
        ..lifetime
    };
    if is_expired(created_at, last_seen_at, now, lifetime) {
        // Best effort too: expired is expired, removed now or by the
        // next prune.
        if let Err(err) = delete(conn, key_hash) {
            tracing::warn!("could not remove an expired session: {err:?}");
        }
        return Ok(None);
    }
    if now - last_seen_at > chrono_duration(lifetime.touch_interval()) {
        // Conditional, so concurrent requests of one session write once.
        // Best effort: a page is still answered while writes are refused
        // (a full disk, a read-only database); the session then ends at
        // its idle timeout from the last use that could be written.
        let touched = on_backend!(conn, |c| diesel::update(
            sessions::table
                .find(key_hash)
                .filter(sessions::last_seen_at.eq(last_seen_at))
        )
        .set(sessions::last_seen_at.eq(now))
        .execute(c));
        if let Err(err) = touched {
            tracing::warn!("could not record a session's use: {err}");
        }
    }
    Ok(Some(LoadedSession {
        session: StoredSession { user_id, state },
        account,
    }))
}

fn is_expired(
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    now: NaiveDateTime,
    lifetime: SessionLifetime,
) -> bool {
    now - last_seen_at > chrono_duration(lifetime.idle)
        || now - created_at > chrono_duration(lifetime.absolute)
}

fn chrono_duration(duration: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(duration).unwrap_or(chrono::TimeDelta::MAX)
}

/// Stores a new session.
pub fn create(
    conn: &mut DbConnection,
    key_hash: &str,
    session: &StoredSession,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let row = (
        sessions::key_hash.eq(key_hash),
        sessions::user_id.eq(session.user_id),
        sessions::state.eq(&session.state),
        sessions::created_at.eq(now),
        sessions::last_seen_at.eq(now),
    );
    conn.write_transaction(|conn| {
        on_backend!(conn, |c| diesel::insert_into(sessions::table)
            .values(row)
            .execute(c))?;
        Ok(())
    })
}

/// Replaces a stored session's entries. `false` if it is no longer stored
/// (it expired, or was ended meanwhile): it must not come back.
///
/// A session that signs in keeps its account; one that was signed in can
/// only be signed in as the same account or signed out, so a request that
/// was under way while the account's sessions were ended cannot put back
/// another account's.
pub fn update(
    conn: &mut DbConnection,
    key_hash: &str,
    session: &StoredSession,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    conn.write_transaction(|conn| {
        let updated = on_backend!(conn, |c| diesel::update(sessions::table.find(key_hash))
            .set((
                sessions::user_id.eq(session.user_id),
                sessions::state.eq(&session.state),
                sessions::last_seen_at.eq(now),
            ))
            .execute(c))?;
        Ok(updated == 1)
    })
}

/// Ends one session.
pub fn delete(conn: &mut DbConnection, key_hash: &str) -> Result<(), DbError> {
    conn.write_transaction(|conn| {
        on_backend!(conn, |c| diesel::delete(sessions::table.find(key_hash))
            .execute(c))?;
        Ok(())
    })
}

/// Ends every session of an account, inside the caller's transaction (a
/// deactivation, a new password). Returns how many there were.
pub fn end_all_for(conn: &mut DbConnection, user_id: i32) -> Result<usize, DbError> {
    Ok(on_backend!(conn, |c| diesel::delete(
        sessions::table.filter(sessions::user_id.eq(user_id))
    )
    .execute(c))?)
}

/// Removes the sessions that have expired; how many.
pub fn prune(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lifetime: SessionLifetime,
) -> Result<usize, DbError> {
    let idle_since = now - chrono_duration(lifetime.idle);
    let signed_out_idle_since = now - chrono_duration(lifetime.idle_for(None));
    let started_before = now - chrono_duration(lifetime.absolute);
    conn.write_transaction(|conn| {
        Ok(on_backend!(conn, |c| diesel::delete(
            sessions::table.filter(
                sessions::last_seen_at
                    .lt(idle_since)
                    .or(sessions::created_at.lt(started_before))
                    .or(sessions::user_id
                        .is_null()
                        .and(sessions::last_seen_at.lt(signed_out_idle_since)))
            )
        )
        .execute(c))?)
    })
}

/// How many sessions an account has (for tests and the account page).
pub fn count_for(conn: &mut DbConnection, user_id: i32) -> Result<i64, DbError> {
    Ok(on_backend!(conn, |c| sessions::table
        .filter(sessions::user_id.eq(user_id))
        .count()
        .get_result(c))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .unwrap()
            .naive_utc()
    }

    const LIFETIME: SessionLifetime = SessionLifetime {
        idle: Duration::from_secs(600),
        absolute: Duration::from_secs(3600),
    };

    #[test]
    fn a_session_expires_when_idle_or_when_too_old() {
        assert!(!is_expired(at(0), at(0), at(600), LIFETIME));
        assert!(is_expired(at(0), at(0), at(601), LIFETIME));
        assert!(!is_expired(at(0), at(3000), at(3600), LIFETIME));
        assert!(is_expired(at(0), at(3595), at(3601), LIFETIME));
    }

    #[test]
    fn the_stored_key_is_its_sha256() {
        assert_eq!(
            key_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
