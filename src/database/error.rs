//! [`DbError`]: what can go wrong in the database plumbing, sorted by what
//! the user can do about it.

use std::sync::Arc;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::budget;

/// Failures of the database plumbing itself, as opposed to what a query found.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection became available")]
    /// Shared: a group of writes that found no connection all report it.
    Unavailable(#[source] Arc<diesel::r2d2::PoolError>),
    /// The server went away under a query (PostgreSQL restarting, say). The
    /// pool replaces the connection; the request cannot be answered.
    #[error("the connection to the database was lost")]
    ConnectionLost(#[source] DieselError),
    #[error("database query failed")]
    Query(#[source] DieselError),
    /// A write the database did not store: its commit failed (disk full, an
    /// I/O error) or the database refused writes (read-only). It was rolled
    /// back, so nothing of it remains.
    #[error("the database did not store the change")]
    NotSaved(#[source] DieselError),
    /// The SQLite file at the configured path is not the one the app opened
    /// (deleted, or another file moved there): writing on would go to a file
    /// no one will read again.
    #[error("the database file {0} was deleted or replaced while the app ran")]
    FileReplaced(String),
    /// SQLite could not read or write its file (a failing disk, a file
    /// deleted under it): the database is unavailable, and a write that met
    /// it was not stored.
    #[error("the database file could not be read or written")]
    Io(#[source] DieselError),
    #[error("the blocking database task was cancelled")]
    Cancelled,
    /// Every search lane stayed taken for as long as a request waits for a
    /// connection.
    #[error("too many searches are running")]
    Busy,
    /// The work used up the query budget (`QUERY_TIMEOUT_MS`) and was
    /// stopped: a search that matched too much, typically.
    #[error("the query took longer than its budget and was stopped")]
    TooSlow(#[source] DieselError),
}

impl From<DieselError> for DbError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Self::ConnectionLost(err),
            DieselError::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => {
                Self::NotSaved(err)
            }
            // PostgreSQL aborted the transaction to break a deadlock (40P01)
            // or a serialization conflict (40001): nothing of it remains,
            // and trying again will most likely pass.
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::NotSaved(err)
            }
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if info.message().starts_with("deadlock detected") =>
            {
                Self::NotSaved(err)
            }
            // SQLite reports these with no kind of their own; its messages
            // for them are fixed strings (sqlite3ErrStr). Writes meet them
            // (a read only if a sort spills onto a full temporary disk).
            // A failing disk, met by reads and writes alike.
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if info.message() == "disk I/O error" =>
            {
                Self::Io(err)
            }
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if SQLITE_REFUSED_WRITES.contains(&info.message()) =>
            {
                Self::NotSaved(err)
            }
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if stopped_by_budget(info.message()) =>
            {
                Self::TooSlow(err)
            }
            err => Self::Query(err),
        }
    }
}

/// SQLite's messages for a write it could not store.
const SQLITE_REFUSED_WRITES: &[&str] = &[
    "database or disk is full",
    "attempt to write a readonly database",
];
/// SQLite's progress handler interrupts only for the budget; PostgreSQL says
/// "canceling statement due to statement timeout" (in English: and in any
/// language, its deadline has then passed).
fn stopped_by_budget(message: &str) -> bool {
    message == "interrupted" || message.contains("statement timeout") || budget::spent()
}

impl DbError {
    /// Whether PostgreSQL aborted the transaction to break a deadlock
    /// (40P01) or a serialization conflict (40001): nothing of it remains,
    /// and the same work tried again will most likely pass.
    pub fn is_conflict(&self) -> bool {
        match self {
            Self::NotSaved(DieselError::DatabaseError(kind, info)) => {
                *kind == DatabaseErrorKind::SerializationFailure
                    || info.message().starts_with("deadlock detected")
            }
            _ => false,
        }
    }

    /// The same failure again, for another write of a group that it failed
    /// as a whole (see `group_commit`): same variant, same message. A
    /// diesel error is not `Clone`; a database error is rebuilt from its
    /// kind and message, any other kept as its message.
    pub fn replicate(&self) -> Self {
        fn copy(err: &DieselError) -> DieselError {
            let (kind, message) = match err {
                DieselError::DatabaseError(kind, info) => (*kind, info.message().to_owned()),
                other => (DatabaseErrorKind::Unknown, other.to_string()),
            };
            DieselError::DatabaseError(kind, Box::new(message))
        }
        match self {
            Self::Unavailable(err) => Self::Unavailable(Arc::clone(err)),
            Self::ConnectionLost(err) => Self::ConnectionLost(copy(err)),
            Self::Query(err) => Self::Query(copy(err)),
            Self::NotSaved(err) => Self::NotSaved(copy(err)),
            Self::FileReplaced(path) => Self::FileReplaced(path.clone()),
            Self::Io(err) => Self::Io(copy(err)),
            Self::Cancelled => Self::Cancelled,
            Self::Busy => Self::Busy,
            Self::TooSlow(err) => Self::TooSlow(copy(err)),
        }
    }

    /// The database is down or unreachable, as opposed to a query that failed:
    /// worth a "try again shortly" rather than an error report.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(_) | Self::ConnectionLost(_) | Self::Io(_) | Self::Busy
        )
    }

    /// A write that was not stored and left nothing behind: the user may
    /// simply try again.
    pub fn is_not_saved(&self) -> bool {
        matches!(
            self,
            Self::NotSaved(_) | Self::FileReplaced(_) | Self::Io(_)
        )
    }
}
