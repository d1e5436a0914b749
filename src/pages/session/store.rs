//! actix-session's storage, over the `sessions` table (see
//! [`crate::accounts::sessions`]). Every call runs off the async workers.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use rand::Rng;
use rand::distr::Alphanumeric;

use super::preload::{self, Preloaded};
use super::read_ahead;
use super::{CREDENTIALS, SIGNED_IN_AS};
use crate::accounts::sessions::{self, SessionLifetime, StoredSession};
use crate::database::{Database, DbError};

type SessionState = std::collections::HashMap<String, String>;

/// Expired sessions are removed at most this often (by whichever request
/// starts a session then), so the table stays the size of the live ones.
const PRUNE_INTERVAL_SECS: i64 = 5 * 60;

#[derive(Clone)]
pub struct DatabaseSessionStore {
    database: Database,
    lifetime: SessionLifetime,
    /// When expired sessions were last removed (seconds since 1970).
    pruned_at: Arc<AtomicI64>,
}

impl DatabaseSessionStore {
    pub fn new(database: Database, lifetime: SessionLifetime) -> Self {
        Self {
            database,
            lifetime,
            pruned_at: Arc::default(),
        }
    }

    /// Whether this call should remove the expired sessions.
    fn claim_prune(&self) -> bool {
        let now = now().and_utc().timestamp();
        let last = self.pruned_at.load(Ordering::Relaxed);
        now - last >= PRUNE_INTERVAL_SECS
            && self
                .pruned_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    async fn store_new(&self, state: SessionState) -> Result<SessionKey, anyhow::Error> {
        let stored = stored(&state)?;
        let key: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(64)
            .map(char::from)
            .collect();
        let hash = sessions::key_hash(&key);
        let prune = self.claim_prune();
        let lifetime = self.lifetime;
        self.database
            .write(move |conn| {
                sessions::create(conn, &hash, &stored, now())?;
                if prune {
                    let removed = sessions::prune(conn, now(), lifetime)?;
                    tracing::debug!("removed {removed} expired sessions");
                }
                Ok::<_, DbError>(())
            })
            .await?;
        Ok(SessionKey::try_from(key)?)
    }
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// The row for `state`: its entries as JSON, and the account it is signed
/// in as.
fn stored(state: &SessionState) -> Result<StoredSession, anyhow::Error> {
    let user_id = state
        .get(SIGNED_IN_AS)
        .map(|id| serde_json::from_str::<i32>(id))
        .transpose()?;
    Ok(StoredSession {
        user_id,
        state: serde_json::to_string(state)?,
    })
}

impl SessionStore for DatabaseSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let hash = sessions::key_hash(key.as_ref());
        let lifetime = self.lifetime;
        // The page's own read, when it asked to be made here (see
        // `read_ahead`).
        let page_read = read_ahead::asked();
        let (loaded, page_data) = self
            .database
            .run_on_opened_file(move |conn| {
                let loaded = match sessions::load(conn, &hash, now(), lifetime) {
                    Ok(loaded) => loaded,
                    Err(err) => return (Err(err), true),
                };
                let role = loaded
                    .as_ref()
                    .and_then(|loaded| loaded.account.as_ref())
                    .filter(|account| account.active)
                    .map(|account| account.role);
                match (page_read, role) {
                    (Some(read), Some(role)) => {
                        let made = read.make(conn, role);
                        let failed = made.failed;
                        (Ok((loaded, Some(made))), failed)
                    }
                    _ => (Ok((loaded, None)), false),
                }
            })
            .await
            .map_err(|err: DbError| LoadError::Other(err.into()))?;
        if let Some(made) = page_data {
            read_ahead::leave(made);
        }
        let Some(loaded) = loaded else {
            return Ok(None);
        };
        // The account was read with the session (see `preload`).
        if let Some(user_id) = loaded.session.user_id {
            preload::leave(Preloaded {
                user_id,
                user: loaded.account,
            });
        }
        serde_json::from_str(&loaded.session.state)
            .map(Some)
            .map_err(|err| LoadError::Deserialization(err.into()))
    }

    async fn save(
        &self,
        state: SessionState,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        self.store_new(state).await.map_err(SaveError::Other)
    }

    async fn update(
        &self,
        key: SessionKey,
        mut state: SessionState,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let stored = stored(&state).map_err(UpdateError::Serialization)?;
        let hash = sessions::key_hash(key.as_ref());
        let updated = self
            .database
            .write(move |conn| sessions::update(conn, &hash, &stored, now()))
            .await
            .map_err(|err| UpdateError::Other(err.into()))?;
        if updated {
            return Ok(key);
        }
        // Ended while this request ran (signed out, or everywhere): it stays
        // ended, and what the request stored goes into a new session that
        // is signed in as no one.
        state.remove(SIGNED_IN_AS);
        state.remove(CREDENTIALS);
        state.remove(crate::pages::csrf::TOKEN_FIELD);
        self.store_new(state).await.map_err(UpdateError::Other)
    }

    async fn update_ttl(&self, _key: &SessionKey, _ttl: &CookieDuration) -> anyhow::Result<()> {
        // `load` records each use (see `sessions::TOUCH_INTERVAL`).
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        let hash = sessions::key_hash(key.as_ref());
        self.database
            .write(move |conn| sessions::delete(conn, &hash))
            .await?;
        Ok(())
    }
}
