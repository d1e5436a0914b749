//! Enrolments into one course, gathered into groups that commit together.
//!
//! Every enrolment locks its course's row (the seat count is on it) until
//! its commit. On PostgreSQL, enrolments into one course therefore took
//! turns, each holding the row for a round trip per statement and for its
//! commit while the others waited: under 1,000 a second into one course,
//! whatever the number of connections (bench/RESULTS.md).
//!
//! So on PostgreSQL enrolments into a course queue here while a group for it
//! runs. The next group takes every request that waited (up to
//! [`MAX_GROUP`]) and enrols them with [`queries::enrol_all`]: one
//! transaction, the row locked once. Each request still gets its own answer
//! (enrolled, already enrolled, course full, no such student), and only after
//! the group's commit; if the commit fails, every request in the group is
//! told so and none of them is stored. Courses have a queue each. Several
//! instances of the app each have their own queues; the database's locks
//! order their groups as they order single enrolments.
//!
//! SQLite's writes are grouped into shared commits already (see
//! `database::group_commit`), so there each request is a group of its own
//! that joins the next commit: queueing it here too only cost time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;
use tokio::sync::oneshot;

use super::model::{Course, Enrolment};
use super::queries::{self, EnrolError, EnrolGroup, SeatRequest, StudentSummary};
use crate::database::{Database, DbError};

/// The most requests one group takes: a bound on how long the last of them
/// waits for its answer.
pub const MAX_GROUP: usize = 64;

type Answer = Result<Enrolment, EnrolError>;

/// A request's answer, with the course and the student as its group read
/// them (`None`: not found, or not known when the group failed).
#[derive(Debug)]
pub struct Seated {
    pub answer: Answer,
    pub course: Option<Course>,
    pub student: Option<StudentSummary>,
}

impl Seated {
    fn failed(err: DbError) -> Self {
        Self {
            answer: Err(EnrolError::Database(err)),
            course: None,
            student: None,
        }
    }
}

struct Waiter {
    request: SeatRequest,
    reply: oneshot::Sender<Seated>,
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
    /// group runs, and answers as [`queries::enrol`] does, after the commit,
    /// with the course and the student as the group found them.
    pub async fn enrol(&self, course_id: i32, request: SeatRequest) -> Seated {
        if self.database.groups_writes() {
            // SQLite groups every write into shared commits already, and
            // has no row to queue on: a group of one joins the next commit.
            return self.enrol_now(course_id, request).await;
        }
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
            // Made before the task is spawned, so the course's entry goes
            // whatever becomes of the task: if it ends in a panic, or is
            // dropped (its worker stopping) before or while it runs, the
            // next request starts a task of its own, and the requests still
            // waiting, dropped, hear that their answer is not known.
            let running = Running {
                waiting: Arc::clone(&self.waiting),
                course_id: Some(course_id),
            };
            actix_web::rt::spawn(self.clone().run_groups(course_id, running));
        }
        // No answer: the task ended without giving one, so whether the
        // enrolment was stored is not known.
        answer
            .await
            .unwrap_or_else(|_| Seated::failed(DbError::Cancelled))
    }

    async fn enrol_now(&self, course_id: i32, request: SeatRequest) -> Seated {
        let student_id = request.student_id;
        let done = self.run_group(course_id, vec![request]).await;
        match done {
            Ok(done) => seated(done, &[student_id])
                .pop()
                .unwrap_or_else(|| Seated::failed(DbError::Cancelled)),
            Err(failure) => Seated::failed(failure),
        }
    }

    /// Enrols `requests` into the course in one transaction (a write of its
    /// own: on SQLite, in the next shared commit), dated today.
    async fn run_group(
        &self,
        course_id: i32,
        requests: Vec<SeatRequest>,
    ) -> Result<EnrolGroup, DbError> {
        let today = Utc::now().date_naive();
        self.database
            .write_each(move |conn| queries::enrol_all(conn, course_id, &requests, today))
            .await
    }

    /// Runs the course's groups, one after another, until none waits.
    async fn run_groups(self, course_id: i32, mut running: Running) {
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
            let mut answers = self.run_group(course_id, requests.clone()).await;
            // A group takes many rows' locks, so a deadlock with another
            // writer (another instance, the seed) would refuse many requests
            // at once. PostgreSQL undid all of it and nobody was answered:
            // it is tried once more.
            if matches!(&answers, Err(failure) if failure.is_conflict()) {
                answers = self.run_group(course_id, requests).await;
            }
            match answers {
                Ok(done) => {
                    let ids: Vec<i32> = group.iter().map(|w| w.request.student_id).collect();
                    for (waiter, seated) in group.into_iter().zip(seated(done, &ids)) {
                        // A request that went away needs no answer.
                        let _ = waiter.reply.send(seated);
                    }
                }
                Err(failure) => {
                    for waiter in group {
                        let _ = waiter.reply.send(Seated::failed(failure.replicate()));
                    }
                }
            }
        }
    }
}

/// Each answer of a group, with what the group found of the course and of
/// that request's student (`ids`, in the requests' order).
fn seated(done: EnrolGroup, ids: &[i32]) -> Vec<Seated> {
    let EnrolGroup {
        course,
        students,
        answers,
    } = done;
    answers
        .into_iter()
        .zip(ids)
        .map(|(answer, id)| Seated {
            answer,
            course: course.clone(),
            student: students.get(id).cloned(),
        })
        .collect()
}

/// A course's task: removes the course's entry if the task ends before it
/// empties the queue.
struct Running {
    waiting: Arc<Waiting>,
    /// `None` once the task has removed the entry itself.
    course_id: Option<i32>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(course_id) = self.course_id {
            lock(&self.waiting).remove(&course_id);
        }
    }
}

/// The map is consistent after any panic (each change is one call), so a
/// poisoned lock is used as it is.
fn lock(waiting: &Waiting) -> std::sync::MutexGuard<'_, HashMap<i32, Vec<Waiter>>> {
    waiting.lock().unwrap_or_else(PoisonError::into_inner)
}
