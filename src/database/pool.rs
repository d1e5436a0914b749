//! The r2d2 pool and the per-connection set-up.

use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};

use super::{DbConnection, DbPool};
use crate::config::DatabaseSettings;

/// How long a connection waits for another writer's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Longer than [`BUSY_TIMEOUT`], so a request waiting for a connection is not
/// failed while the connection it waits for is still legitimately busy.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(15);

pub(super) fn build(url: &str, settings: &DatabaseSettings) -> Result<DbPool, r2d2::Error> {
    Pool::builder()
        .max_size(settings.pool_size)
        .connection_timeout(POOL_TIMEOUT)
        // A file database does not drop connections; checking each checkout
        // would add a `SELECT 1` to every request.
        .test_on_check_out(false)
        .connection_customizer(Box::new(ConnectionSetup {
            log_sql: settings.log_sql,
        }))
        .build(ConnectionManager::new(url))
}

#[derive(Debug)]
struct ConnectionSetup {
    log_sql: bool,
}

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        // busy_timeout goes first: the pragmas after it may already need a lock.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            BUSY_TIMEOUT.as_millis()
        ))
        .map_err(diesel::r2d2::Error::QueryError)?;
        if self.log_sql {
            conn.set_instrumentation(SqlLogger);
        }
        Ok(())
    }
}

/// Logs each statement as it starts, under the `sql` target.
struct SqlLogger;

impl Instrumentation for SqlLogger {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            tracing::info!(target: "sql", "{query}");
        }
    }
}
