//! The signed-in account, read by the session store in the same trip to the
//! database as the session itself, and handed to the gate.
//!
//! Every page's request first loads its session, then the gate reads the
//! account it names: two hand-offs to the blocking pool, each a thread wake-up
//! either way, which was a fifth of a page's CPU under load (perf). The store
//! reads both in one statement (a join), and leaves the account in a slot that lives as long as
//! the request's task; the gate takes it from there. The account is read
//! afresh on every request either way, so a change of role or a deactivation
//! still takes effect at once. A page's own read travels the same way (see
//! [`super::read_ahead`]).

use std::cell::RefCell;
use std::future::Future;

use crate::accounts::User;

/// An account read with the session: the id it was looked up by, and what
/// was found (`None`: no such account any more).
#[derive(Debug)]
pub struct Preloaded {
    pub user_id: i32,
    pub user: Option<User>,
}

tokio::task_local! {
    static SLOT: RefCell<Option<Preloaded>>;
}

/// Runs `request` (the session middleware and everything inside it) with an
/// empty slot.
pub async fn with_slot<F: Future>(request: F) -> F::Output {
    SLOT.scope(RefCell::new(None), request).await
}

/// Leaves `preloaded` for the gate; outside [`with_slot`] it is dropped, and
/// the gate reads the account itself.
pub fn leave(preloaded: Preloaded) {
    let _ = SLOT.try_with(|slot| *slot.borrow_mut() = Some(preloaded));
}

/// The account read with the session, if it was read for `user_id`: taken,
/// so it serves one check only.
pub fn take(user_id: i32) -> Option<Option<User>> {
    SLOT.try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten()
        .filter(|preloaded| preloaded.user_id == user_id)
        .map(|preloaded| preloaded.user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn the_account_is_taken_once_and_only_for_the_id_it_was_read_for() {
        with_slot(async {
            assert!(take(7).is_none(), "nothing left yet");
            leave(Preloaded {
                user_id: 7,
                user: None,
            });
            assert!(take(8).is_none(), "read for another account");
            leave(Preloaded {
                user_id: 7,
                user: None,
            });
            assert!(matches!(take(7), Some(None)), "read: no such account");
            assert!(take(7).is_none(), "taken");
        })
        .await;
        // Outside a request's slot nothing is kept.
        leave(Preloaded {
            user_id: 7,
            user: None,
        });
        assert!(take(7).is_none());
    }
}
