//! Enrolments into one course, gathered into groups that commit together.
//!
//! Every enrolment locks its course's row (the seat count is on it) until
//! its commit. On PostgreSQL, enrolments into one course therefore took
//! turns, each holding the row for a round trip per statement and for its
//! commit while the others waited: 760 enrolments a second into one course,
//! whatever the number of connections (bench/RESULTS.md).
//!
//! So enrolments into a course queue here while a group for it runs. The
//! next group takes every request that waited (up to [`MAX_GROUP`]) and
//! enrols them with [`queries::enrol_all`]: one transaction and a fixed
//! number of statements, the row locked once. Each request still gets its
//! own answer (enrolled, already enrolled, course full, no such student),
//! and only after the group's commit; if the commit fails, every request in
//! the group is told so and none of them is stored.
//!
//! Requests for different courses never wait for each other here. Several
//! instances of the app each have their own queue; the database's locks
//! order their groups as they order single enrolments.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;
use tokio::sync::oneshot;

use super::model::Enrolment;
use super::queries::{self, EnrolError, SeatRequest};
use crate::database::{Database, DbError};

/// The most requests one group takes: a bound on how long the last of them
/// waits for its answer.
pub const MAX_GROUP: usize = 64;

type Answer = Result<Enrolment, EnrolError>;

struct Waiter {
    request: SeatRequest,
    reply: oneshot::Sender<Answer>,
}

/// The requests waiting, by course. A course has an entry exactly while a
/// task runs its groups (empty while the last group taken runs).
type Waiting = Mutex<HashMap<i32, Vec<Waiter>>>;

/// The queue of enrolments, shared by every worker of the app.
#[derive(Clone)]
pub struct EnrolQueue {
    database: Database,
    waiting: Arc<Waiting>,
}

impl EnrolQueue {
    pub fn new(database: Database) -> Self {
        Self {
            database,
            waiting: Arc::default(),
        }
    }

    /// Enrols the student of `request` in the course, dated the day its
    /// group runs, and answers as [`queries::enrol`] does, after the commit.
    pub async fn enrol(&self, course_id: i32, request: SeatRequest) -> Answer {
        let (reply, answer) = oneshot::channel();
        let waiter = Waiter { request, reply };
        let start = {
            let mut waiting = lock(&self.waiting);
            match waiting.get_mut(&course_id) {
                Some(queue) => {
                    queue.push(waiter);
                    false
                }
                None => {
                    waiting.insert(course_id, vec![waiter]);
                    true
                }
            }
        };
        if start {
            actix_web::rt::spawn(self.clone().run_groups(course_id));
        }
        // No answer: the task ended without giving one (it panicked, or the
        // app is stopping), so whether it was stored is not known.
        answer
            .await
            .unwrap_or(Err(EnrolError::Database(DbError::Cancelled)))
    }

    /// Runs the course's groups, one after another, until none waits.
    async fn run_groups(self, course_id: i32) {
        // If this task ends in a panic (or is dropped), the course's entry
        // goes with it, so the next request starts a task of its own (and the
        // requests still waiting, dropped, are answered "cancelled").
        let mut running = Running {
            waiting: &self.waiting,
            course_id: Some(course_id),
        };
        loop {
            let group: Vec<Waiter> = {
                let mut waiting = lock(&self.waiting);
                let queue = waiting.entry(course_id).or_default();
                if queue.is_empty() {
                    // Under the lock that requests are queued under: one
                    // that comes next finds no entry and starts a task.
                    waiting.remove(&course_id);
                    running.course_id = None;
                    return;
                }
                let taken = queue.len().min(MAX_GROUP);
                queue.drain(..taken).collect()
            };
            let requests: Vec<SeatRequest> =
                group.iter().map(|waiter| waiter.request.clone()).collect();
            let today = Utc::now().date_naive();
            let answers = self
                .database
                .write_each(move |conn| queries::enrol_all(conn, course_id, &requests, today))
                .await;
            match answers {
                Ok(answers) => {
                    for (waiter, answer) in group.into_iter().zip(answers) {
                        // A request that went away needs no answer.
                        let _ = waiter.reply.send(answer);
                    }
                }
                Err(failure) => {
                    for waiter in group {
                        let _ = waiter
                            .reply
                            .send(Err(EnrolError::Database(failure.replicate())));
                    }
                }
            }
        }
    }
}

/// Removes a course's entry if its task ends before it empties the queue.
struct Running<'a> {
    waiting: &'a Waiting,
    course_id: Option<i32>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(course_id) = self.course_id {
            lock(self.waiting).remove(&course_id);
        }
    }
}

/// The map is consistent after any panic (each change is one call), so a
/// poisoned lock is used as it is.
fn lock(waiting: &Waiting) -> std::sync::MutexGuard<'_, HashMap<i32, Vec<Waiter>>> {
    waiting.lock().unwrap_or_else(PoisonError::into_inner)
}
