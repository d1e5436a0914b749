//! One connection type for both backends, so one pool, one set of handlers
//! and one set of queries serve SQLite and PostgreSQL alike.

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::result::Error as DieselError;
use diesel::{PgConnection, SqliteConnection};

use super::DbError;
use super::group_commit::{self, Group};

/// A connection to whichever database `DATABASE_URL` names.
///
/// The derive makes it a diesel `Connection` (transactions, raw SQL,
/// instrumentation, r2d2 health checks). Queries go through [`on_backend!`]
/// instead of its generic backend, so each runs as the native statement of
/// its backend, with that backend's prepared-statement cache.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection inside `$conn`.
///
/// The body is written once and compiled once per backend: the query source
/// stays single while each backend gets its own statically typed query.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::database::AnyConnection::Sqlite($c) => $body,
            $crate::database::AnyConnection::Postgresql($c) => $body,
        }
    };
}
pub(crate) use on_backend;

impl AnyConnection {
    /// Runs `work` in a transaction that holds the right to write from its
    /// start, so what it reads cannot change before it writes: `BEGIN
    /// IMMEDIATE` on SQLite (a plain `BEGIN` would fail with "database is
    /// locked" when a read upgrades to a write), a plain `BEGIN` on
    /// PostgreSQL, whose row locks and re-checked `WHERE` clauses give the
    /// same guarantee for our single-row writes.
    ///
    /// On the group-commit writer thread (see [`group_commit`]) it is a
    /// savepoint of the group's transaction instead, and "commit" releases
    /// it; the group's commit comes after.
    ///
    /// Every write goes through here, even a single statement: in autocommit
    /// SQLite commits when the statement is reset, and diesel ignores that
    /// result, so a commit that failed (disk full, I/O error) would look
    /// like success. Here a failed `COMMIT` is [`DbError::NotSaved`], and
    /// diesel has rolled the transaction back.
    pub fn write_transaction<T, E, F>(&mut self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<DbError>,
    {
        // Begun on the inner connection, whose transaction state is the one
        // the enum's commit and rollback use.
        let begun = match self {
            Self::Sqlite(conn) => match group_commit::current_group() {
                Group::None => {
                    AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN IMMEDIATE")
                }
                // A savepoint in the group's transaction, which holds the
                // write lock already. Never a transaction of its own: its
                // commit would be one the group's answers do not report.
                Group::Open if in_transaction(conn) => {
                    AnsiTransactionManager::begin_transaction(conn)
                }
                Group::Open | Group::Lost => {
                    return Err(DbError::NotSaved(group_commit::lost_group()).into());
                }
            },
            Self::Postgresql(conn) => AnsiTransactionManager::begin_transaction(conn),
        };
        begun.map_err(DbError::from)?;
        match work(self) {
            Ok(value) => {
                Self::commit_transaction(self).map_err(DbError::NotSaved)?;
                Ok(value)
            }
            Err(err) => match Self::rollback_transaction(self) {
                // A connection that broke mid-transaction has nothing left to
                // roll back; the original error says what happened.
                Ok(()) | Err(DieselError::BrokenTransactionManager) => Err(err),
                Err(rollback) => Err(DbError::from(rollback).into()),
            },
        }
    }
}

/// Whether diesel counts a transaction open on `conn`.
fn in_transaction(conn: &mut SqliteConnection) -> bool {
    matches!(
        AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(Some(_))
    )
}
