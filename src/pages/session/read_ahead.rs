//! A page's own read, made in the session's trip to the database.
//!
//! A signed-in page reads twice: its session (with the account), which the
//! gate judges, and then its data. Made apart, each read is a hand-off to the
//! blocking pool and back, and the thread switches around them were a third
//! of a page's CPU under load (perf). A page whose read follows from the
//! request alone (its path and query, and the account's role) asks for it
//! before the session loads ([`ask`]); the session store makes it on the
//! same connection, straight after the session's own read and only for an
//! active account, and the handler takes the result ([`take`]).
//!
//! The gate still decides who sees what: a request it turns away never
//! reaches its handler, and what was read for it is dropped unseen. A
//! handler that finds nothing to take (no session, or a read made for
//! another key) reads for itself: reading ahead changes when the data is
//! read, never what.

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;

use crate::accounts::Role;
use crate::database::{DbConnection, DbError, restart_budget};

/// A page's read: given the connection and the signed-in account's role, it
/// returns what it read and the key it read it for.
pub struct ReadAhead(Box<dyn MakeRead>);

trait MakeRead: FnOnce(&mut DbConnection, Role) -> Made + Send {}

impl<F: FnOnce(&mut DbConnection, Role) -> Made + Send> MakeRead for F {}

/// What a read ahead made: its key and result, and whether it failed.
pub(super) struct Made {
    data: Box<dyn Any + Send>,
    pub(super) failed: bool,
}

/// The result a handler takes, with the key it was read for.
struct Read<K, T> {
    key: K,
    result: Result<T, DbError>,
}

impl ReadAhead {
    /// `read` returns the key it read for (what the handler compares with
    /// its own) and what it read.
    pub fn new<K, T, F>(read: F) -> Self
    where
        K: PartialEq + Send + 'static,
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, Role) -> (K, Result<T, DbError>) + Send + 'static,
    {
        Self(Box::new(move |conn, role| {
            let (key, result) = read(conn, role);
            Made {
                failed: result.is_err(),
                data: Box::new(Read { key, result }),
            }
        }))
    }

    /// Makes the read, for an account of `role`, with the whole query budget
    /// it would have had in a trip of its own (the session's read may have
    /// waited for SQLite's write lock to record its use).
    pub(super) fn make(self, conn: &mut DbConnection, role: Role) -> Made {
        restart_budget();
        (self.0)(conn, role)
    }
}

/// One request's read: asked for, then made.
#[derive(Default)]
enum Slot {
    #[default]
    Empty,
    Asked(ReadAhead),
    Made(Box<dyn Any + Send>),
}

tokio::task_local! {
    static SLOT: RefCell<Slot>;
}

/// Runs `request` (the session middleware and everything inside it) with
/// room for one read.
pub async fn with_slot<F: Future>(request: F) -> F::Output {
    SLOT.scope(RefCell::new(Slot::Empty), request).await
}

/// Asks the session's load to make `read` too (outside [`with_slot`],
/// nothing is asked).
pub fn ask(read: ReadAhead) {
    let _ = SLOT.try_with(|slot| *slot.borrow_mut() = Slot::Asked(read));
}

/// The read asked for, for the session's load to make: taken, so it is
/// made once.
pub(super) fn asked() -> Option<ReadAhead> {
    SLOT.try_with(|slot| match slot.take() {
        Slot::Asked(read) => Some(read),
        _ => None,
    })
    .ok()
    .flatten()
}

/// Leaves what a read made for its handler.
pub(super) fn leave(made: Made) {
    let _ = SLOT.try_with(|slot| *slot.borrow_mut() = Slot::Made(made.data));
}

/// What was read ahead for `key` in this request, if it was: taken, so it
/// serves once.
pub fn take<K, T>(key: &K) -> Option<Result<T, DbError>>
where
    K: PartialEq + 'static,
    T: 'static,
{
    let data = SLOT
        .try_with(|slot| match slot.take() {
            Slot::Made(data) => Some(data),
            _ => None,
        })
        .ok()
        .flatten()?;
    let read = data.downcast::<Read<K, T>>().ok()?;
    (read.key == *key).then_some(read.result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made(key: i32, result: Result<&'static str, DbError>) -> Made {
        let failed = result.is_err();
        Made {
            data: Box::new(Read { key, result }),
            failed,
        }
    }

    #[actix_web::test]
    async fn a_read_serves_only_its_own_key_and_type_once() {
        with_slot(async {
            assert!(take::<i32, &str>(&1).is_none(), "nothing read yet");
            leave(made(1, Ok("page one")));
            assert!(take::<i32, &str>(&2).is_none(), "read for another key");
            leave(made(1, Ok("page one")));
            assert!(take::<i32, String>(&1).is_none(), "another page's data");
            leave(made(1, Ok("page one")));
            assert!(matches!(take::<i32, &str>(&1), Some(Ok("page one"))));
            assert!(take::<i32, &str>(&1).is_none(), "taken");
            leave(made(1, Err(DbError::Cancelled)));
            assert!(matches!(
                take::<i32, &str>(&1),
                Some(Err(DbError::Cancelled))
            ));
        })
        .await;
    }
}
