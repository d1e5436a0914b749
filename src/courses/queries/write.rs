//! The one write path for courses and enrolments, for both faces: each
//! change in a write transaction of its own (a failed commit is an error,
//! never a false success), recording its audit event in that transaction.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::dsl::now;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::{Map, Value, json};

use super::{StudentSummary, count_enrolled, find, find_enrolment};
use crate::audit::{self, Action, Actor, Subject};
use crate::courses::model::{Course, Enrolment, EnrolmentStatus};
use crate::courses::validation::{CourseDetails, FieldErrors};
use crate::database::{DbConnection, DbError, in_ids, on_backend};
use crate::schema::{courses, enrolments, students};

/// The unique index that keeps course codes unique ignoring case.
pub const CODE_UNIQUE_INDEX: &str = "courses_code_key";
/// The unique index that keeps one enrolment per student and course.
pub const ENROLMENT_UNIQUE_INDEX: &str = "enrolments_student_course_key";

/// Why a course was not created, changed or deleted.
#[derive(Debug, thiserror::Error)]
pub enum CourseSaveError {
    #[error("another course already uses this code")]
    CodeTaken,
    #[error("no such course")]
    NotFound,
    /// The edit was based on an older version than the one stored.
    #[error("the course changed since the edit began")]
    Stale { current: Box<Course> },
    #[error("the details break a rule")]
    Invalid(FieldErrors),
    /// A course with enrolment rows (of any status) keeps its history: it
    /// cannot be deleted.
    #[error("the course has {count} enrolments")]
    HasEnrolments { count: i64 },
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<DieselError> for CourseSaveError {
    fn from(err: DieselError) -> Self {
        match &err {
            // The database decides, so two requests racing for one code get
            // the same answer as a plain duplicate.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some(CODE_UNIQUE_INDEX)
                    || info.message().contains(CODE_UNIQUE_INDEX) =>
            {
                CourseSaveError::CodeTaken
            }
            _ => CourseSaveError::Database(DbError::from(err)),
        }
    }
}

/// Why an enrolment (or a change of its status) was refused.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error("the student is already enrolled in this course")]
    AlreadyEnrolled,
    #[error("the course is full ({capacity} seats)")]
    CourseFull { capacity: i32 },
    #[error("no such student")]
    NoSuchStudent,
    #[error("no such course")]
    NoSuchCourse,
    #[error("no such enrolment")]
    NoSuchEnrolment,
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<DieselError> for EnrolError {
    fn from(err: DieselError) -> Self {
        match &err {
            // The student was deleted between the check and the insert.
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                EnrolError::NoSuchStudent
            }
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some(ENROLMENT_UNIQUE_INDEX)
                    || info.message().contains("enrolments.student_id") =>
            {
                EnrolError::AlreadyEnrolled
            }
            _ => EnrolError::Database(DbError::from(err)),
        }
    }
}

/// Records `course.create` with the created fields.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    details: &CourseDetails,
) -> Result<Course, CourseSaveError> {
    conn.write_transaction(|conn| {
        let created = on_backend!(conn, |c| diesel::insert_into(courses::table)
            .values(details)
            .returning(Course::as_returning())
            .get_result(c))?;
        let fields = Value::Object(audited_fields(&created));
        let subject = Some(Subject::Course(created.id));
        audit::record(conn, actor, Action::CourseCreate, subject, &fields)?;
        Ok(created)
    })
}

/// What [`update`] does with details equal to the stored ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfUnchanged {
    /// Write nothing and keep the version (a retried `PUT`, an empty `PATCH`).
    Keep,
    /// Save a new version all the same (the person pressed Save).
    Save,
}

/// The one way to change a course, as `students::queries::update` is for a
/// student: reads it, lets `change` turn it into the details to store, and
/// stores them, in one write transaction. `expected_versions`, when given,
/// lists the versions the edit may replace; any other is
/// [`CourseSaveError::Stale`]. Records `course.update` with each changed
/// field (nothing when no field changed).
///
/// A capacity below the students already enrolled is allowed: nobody is
/// unenrolled, and no one new gets in until seats free up.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i32,
    expected_versions: Option<&[i32]>,
    if_unchanged: IfUnchanged,
    change: impl FnOnce(&Course) -> Result<CourseDetails, FieldErrors>,
) -> Result<Course, CourseSaveError> {
    conn.write_transaction(|conn| {
        let current = lock_course(conn, id)?.ok_or(CourseSaveError::NotFound)?;
        check_version(&current, expected_versions)?;
        let details = change(&current).map_err(CourseSaveError::Invalid)?;
        if if_unchanged == IfUnchanged::Keep && details.is_stored_in(&current) {
            return Ok(current);
        }
        let updated = on_backend!(conn, |c| diesel::update(courses::table.find(id))
            .set((
                &details,
                courses::version.eq(courses::version + 1),
                courses::updated_at.eq(now),
            ))
            .returning(Course::as_returning())
            .get_result(c))?;
        let changes = audit::changed_fields(&audited_fields(&current), &audited_fields(&updated));
        if !changes.is_empty() {
            let subject = Some(Subject::Course(id));
            let details = Value::Object(changes);
            audit::record(conn, actor, Action::CourseUpdate, subject, &details)?;
        }
        Ok(updated)
    })
}

/// Deletes a course that has no enrolment rows at all (withdrawn and
/// completed ones are its history); otherwise
/// [`CourseSaveError::HasEnrolments`] says how many. Records `course.delete`
/// with the deleted fields.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i32,
    expected_versions: Option<&[i32]>,
) -> Result<Course, CourseSaveError> {
    conn.write_transaction(|conn| {
        // Locked first, so no enrolment can arrive between the count and the
        // delete (`enrol` locks the course too).
        let current = lock_course(conn, id)?.ok_or(CourseSaveError::NotFound)?;
        check_version(&current, expected_versions)?;
        let count: i64 = on_backend!(conn, |c| enrolments::table
            .filter(enrolments::course_id.eq(id))
            .count()
            .get_result(c))?;
        if count > 0 {
            return Err(CourseSaveError::HasEnrolments { count });
        }
        on_backend!(conn, |c| diesel::delete(courses::table.find(id)).execute(c))?;
        let fields = Value::Object(audited_fields(&current));
        let subject = Some(Subject::Course(id));
        audit::record(conn, actor, Action::CourseDelete, subject, &fields)?;
        Ok(current)
    })
}

/// Enrols a student in a course on `today`: [`enrol_all`] for one. A
/// withdrawn (or completed) row is reactivated, recorded as
/// `enrolment.update`; a new row is `enrolment.create`.
///
/// Capacity holds under any concurrency: the course row is locked before
/// the seats are counted (SQLite's write transaction excludes every other
/// writer; PostgreSQL locks the row FOR UPDATE), so every enrolment into one
/// course counts its seats and inserts one at a time.
pub fn enrol(
    conn: &mut DbConnection,
    actor: &Actor,
    course_id: i32,
    student_id: i32,
    today: NaiveDate,
) -> Result<Enrolment, EnrolError> {
    let request = SeatRequest {
        student_id,
        actor: actor.clone(),
    };
    enrol_all(conn, course_id, &[request], today)?
        .answers
        .pop()
        .unwrap_or(Err(EnrolError::Database(DbError::Query(
            DieselError::NotFound,
        ))))
}

/// One student to enrol, and who asks: an item of [`enrol_all`].
#[derive(Debug, Clone)]
pub struct SeatRequest {
    pub student_id: i32,
    pub actor: Actor,
}

/// Enrols each of `requests` into one course in ONE write transaction (a
/// fixed number of statements, and two more for each enrolment made current
/// again), and answers each as enrolling them one at a time, each in a
/// transaction of its own, in this order would (a student asked for twice
/// is enrolled once and then already enrolled).
/// The outer `Err` is a failure of the whole transaction: then none of them
/// is stored.
///
/// Locks are taken as [`set_status`] and a bulk delete take them, the
/// students first (in id order) and then the course, so a group never holds
/// the course while it waits for a student, which a delete holding that
/// student might be waiting on the course for.
pub fn enrol_all(
    conn: &mut DbConnection,
    course_id: i32,
    requests: &[SeatRequest],
    today: NaiveDate,
) -> Result<EnrolGroup, DbError> {
    conn.write_transaction(|conn| {
        let mut ids: Vec<i32> = requests.iter().map(|request| request.student_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let students: HashMap<i32, StudentSummary> = lock_students(conn, &ids)?
            .into_iter()
            .map(|student| (student.id, student))
            .collect();
        // Read under the students' locks, which every change to their
        // enrolments holds or waits for, so the rows are current; and before
        // the course's lock, which every enrolment into the course waits
        // for, so that one is held as briefly as it can be. Every enrolment
        // of these students, the course's picked out here: with the course
        // in the filter too, SQLite walked the course's whole class list by
        // its index instead of each student's few rows.
        let existing: HashMap<i32, Enrolment> = on_backend!(conn, |c| enrolments::table
            .filter(in_ids(enrolments::student_id, &ids))
            .select(Enrolment::as_select())
            .load(c))?
        .into_iter()
        .filter(|row: &Enrolment| row.course_id == course_id)
        .map(|row| (row.student_id, row))
        .collect();
        let course = lock_course(conn, course_id)?;
        let mut seats_left = match &course {
            Some(Course {
                capacity: Some(capacity),
                ..
            }) => Some(i64::from(*capacity) - count_enrolled(conn, course_id)?),
            _ => None,
        };
        // Each request's outcome, in order; a seat granted is a new row or
        // an old one made current again.
        let mut decided = Vec::with_capacity(requests.len());
        let mut seated = HashSet::new();
        for request in requests {
            let id = request.student_id;
            let outcome = match &course {
                _ if !students.contains_key(&id) => Seat::Refused(EnrolError::NoSuchStudent),
                None => Seat::Refused(EnrolError::NoSuchCourse),
                Some(course) => {
                    let current = existing
                        .get(&id)
                        .is_some_and(|row| row.status == EnrolmentStatus::Enrolled);
                    if current || seated.contains(&id) {
                        Seat::Refused(EnrolError::AlreadyEnrolled)
                    } else if seats_left.is_some_and(|left| left <= 0) {
                        Seat::Refused(EnrolError::CourseFull {
                            capacity: course.capacity.unwrap_or_default(),
                        })
                    } else {
                        seated.insert(id);
                        seats_left = seats_left.map(|left| left - 1);
                        match existing.get(&id) {
                            Some(row) => Seat::Reactivate(row),
                            None => Seat::New,
                        }
                    }
                }
            };
            decided.push(outcome);
        }

        let new_rows: Vec<_> = requests
            .iter()
            .zip(&decided)
            .filter(|(_, seat)| matches!(seat, Seat::New))
            .map(|(request, _)| {
                (
                    enrolments::student_id.eq(request.student_id),
                    enrolments::course_id.eq(course_id),
                    enrolments::enrolled_on.eq(today),
                    enrolments::status.eq(EnrolmentStatus::Enrolled),
                    enrolments::withdrawn_on.eq(None::<NaiveDate>),
                )
            })
            .collect();
        // A multi-row insert is prepared afresh each time (its text depends
        // on its length); one row, the usual group, keeps a cached statement.
        let inserted: Vec<Enrolment> = match new_rows.as_slice() {
            [] => Vec::new(),
            [row] => vec![on_backend!(conn, |c| diesel::insert_into(
                enrolments::table
            )
            .values(row)
            .returning(Enrolment::as_returning())
            .get_result(c))?],
            rows => on_backend!(conn, |c| diesel::insert_into(enrolments::table)
                .values(rows)
                .returning(Enrolment::as_returning())
                .get_results(c))?,
        };
        let mut created: HashMap<i32, Enrolment> = inserted
            .into_iter()
            .map(|row| (row.student_id, row))
            .collect();

        let mut answers = Vec::with_capacity(requests.len());
        let mut new_events = Vec::with_capacity(new_rows.len());
        for (request, seat) in requests.iter().zip(decided) {
            answers.push(match seat {
                Seat::Refused(refused) => Err(refused),
                Seat::New => {
                    let row = created
                        .remove(&request.student_id)
                        .ok_or(DbError::Query(DieselError::NotFound))?;
                    let fields = Value::Object(enrolment_fields(&row));
                    new_events.push((&request.actor, Subject::Enrolment(row.id), fields));
                    Ok(row)
                }
                // A failed statement fails the whole group (on PostgreSQL
                // the transaction cannot go on): none of it is stored.
                Seat::Reactivate(row) => Ok(reactivate(conn, &request.actor, row, today)?),
            });
        }
        let events: Vec<_> = new_events
            .iter()
            .map(|(actor, subject, fields)| {
                (*actor, Action::EnrolmentCreate, Some(*subject), fields)
            })
            .collect();
        audit::record_all(conn, &events)?;
        Ok(EnrolGroup {
            course,
            students,
            answers,
        })
    })
}

/// What [`enrol_all`] did, and what it read on the way (so that no caller
/// reads it again to say what happened).
#[derive(Debug)]
pub struct EnrolGroup {
    /// The course, as locked; `None`: there is no such course.
    pub course: Option<Course>,
    /// The group's students that exist, by id.
    pub students: HashMap<i32, StudentSummary>,
    /// Each request's answer, in order.
    pub answers: Vec<Result<Enrolment, EnrolError>>,
}

/// What [`enrol_all`] decided for one request.
enum Seat<'a> {
    Refused(EnrolError),
    New,
    Reactivate(&'a Enrolment),
}

/// Changes an enrolment's status: `Withdrawn` (dated `today`), `Completed`,
/// or `Enrolled` again (which needs a free seat, counted as [`enrol`] does,
/// and dates the enrolment `today`). Setting the status it already has
/// changes nothing and records nothing. Records `enrolment.update`.
pub fn set_status(
    conn: &mut DbConnection,
    actor: &Actor,
    enrolment_id: i32,
    status: EnrolmentStatus,
    today: NaiveDate,
) -> Result<Enrolment, EnrolError> {
    conn.write_transaction(|conn| {
        let found = find_enrolment(conn, enrolment_id)?.ok_or(EnrolError::NoSuchEnrolment)?;
        // The student first, then the course, as `enrol` does: a student
        // deleted meanwhile (whose cascade and seat count touch the same
        // rows) is then waited for, never deadlocked with.
        if !lock_student(conn, found.student_id)? {
            return Err(EnrolError::NoSuchEnrolment);
        }
        // The course's lock orders this with every other enrolment into it;
        // the row is read again under it.
        let course = lock_course(conn, found.course_id)?.ok_or(EnrolError::NoSuchCourse)?;
        let row = find_enrolment(conn, enrolment_id)?.ok_or(EnrolError::NoSuchEnrolment)?;
        if row.status == status {
            return Ok(row);
        }
        if status == EnrolmentStatus::Enrolled {
            check_seat(conn, &course)?;
            return Ok(reactivate(conn, actor, &row, today)?);
        }
        let withdrawn_on = (status == EnrolmentStatus::Withdrawn).then_some(today);
        let updated = on_backend!(conn, |c| diesel::update(
            enrolments::table.find(enrolment_id)
        )
        .set((
            enrolments::status.eq(status),
            enrolments::withdrawn_on.eq(withdrawn_on),
        ))
        .returning(Enrolment::as_returning())
        .get_result(c))?;
        record_update(conn, actor, &row, &updated)?;
        Ok(updated)
    })
}

/// Makes a withdrawn or completed enrolment current again, dated `today`.
fn reactivate(
    conn: &mut DbConnection,
    actor: &Actor,
    row: &Enrolment,
    today: NaiveDate,
) -> Result<Enrolment, DbError> {
    let updated = on_backend!(conn, |c| diesel::update(enrolments::table.find(row.id))
        .set((
            enrolments::status.eq(EnrolmentStatus::Enrolled),
            enrolments::enrolled_on.eq(today),
            enrolments::withdrawn_on.eq(None::<NaiveDate>),
        ))
        .returning(Enrolment::as_returning())
        .get_result(c))?;
    record_update(conn, actor, row, &updated)?;
    Ok(updated)
}

fn record_update(
    conn: &mut DbConnection,
    actor: &Actor,
    before: &Enrolment,
    after: &Enrolment,
) -> Result<(), DbError> {
    let mut changes = audit::changed_fields(&enrolment_fields(before), &enrolment_fields(after));
    // Who and which course, though they never change: the history names
    // and links an enrolment by them.
    changes.insert("student_id".into(), json!(after.student_id));
    changes.insert("course_id".into(), json!(after.course_id));
    let subject = Some(Subject::Enrolment(after.id));
    audit::record(
        conn,
        actor,
        Action::EnrolmentUpdate,
        subject,
        &Value::Object(changes),
    )
}

/// Refuses when every seat of `course` is taken by an `enrolled` row. Call
/// it with the course locked ([`lock_course`]).
fn check_seat(conn: &mut DbConnection, course: &Course) -> Result<(), EnrolError> {
    if let Some(capacity) = course.capacity {
        let taken = count_enrolled(conn, course.id)?;
        if taken >= i64::from(capacity) {
            return Err(EnrolError::CourseFull { capacity });
        }
    }
    Ok(())
}

/// Whether the student exists, keeping it from being deleted until the
/// transaction ends; SQLite's write transaction excludes every other writer.
/// On PostgreSQL the lock is the one the enrolment triggers' update of the
/// student's `current_courses` takes (NO KEY UPDATE), taken first: with a
/// weaker one, two enrolments of one student, each holding a share lock from
/// the sort-name trigger, would each wait for the other to let go before
/// their own update (a deadlock). Taken here, they queue instead.
fn lock_student(conn: &mut DbConnection, id: i32) -> Result<bool, DbError> {
    let found = match conn {
        DbConnection::Sqlite(c) => students::table
            .find(id)
            .select(students::id)
            .first::<i32>(c)
            .optional()?,
        DbConnection::Postgresql(c) => students::table
            .find(id)
            .select(students::id)
            .for_no_key_update()
            .first::<i32>(c)
            .optional()?,
    };
    Ok(found.is_some())
}

/// [`lock_student`] for several sorted ids, locked in that order (as a bulk
/// delete locks them, so neither waits on the other in a cycle): the ones
/// that exist, with their names.
fn lock_students(conn: &mut DbConnection, ids: &[i32]) -> Result<Vec<StudentSummary>, DbError> {
    // A query for each backend: the selection is typed by its backend.
    macro_rules! named {
        () => {
            students::table
                .filter(in_ids(students::id, ids))
                .order_by(students::id)
                .select(StudentSummary::as_select())
        };
    }
    Ok(match conn {
        DbConnection::Sqlite(c) => named!().load(c)?,
        DbConnection::Postgresql(c) => named!().for_no_key_update().load(c)?,
    })
}

/// Reads a course inside a write transaction, keeping others from changing
/// it (or enrolling into it) until the transaction ends. SQLite's write
/// transaction already excludes every other writer; PostgreSQL locks just
/// this row.
fn lock_course(conn: &mut DbConnection, id: i32) -> Result<Option<Course>, DbError> {
    match conn {
        DbConnection::Sqlite(_) => find(conn, id),
        DbConnection::Postgresql(c) => Ok(courses::table
            .find(id)
            .select(Course::as_select())
            .for_update()
            .first(c)
            .optional()?),
    }
}

fn check_version(
    current: &Course,
    expected_versions: Option<&[i32]>,
) -> Result<(), CourseSaveError> {
    match expected_versions {
        Some(versions) if !versions.contains(&current.version) => Err(CourseSaveError::Stale {
            current: Box::new(current.clone()),
        }),
        _ => Ok(()),
    }
}

/// The fields people edit, as the audit history shows them.
fn audited_fields(course: &Course) -> Map<String, Value> {
    // No `..`: a new field does not compile until it is audited here or left
    // out on purpose.
    let Course {
        id: _,
        code,
        title,
        description,
        credits,
        capacity,
        enrolled_count: _,
        version: _,
        created_at: _,
        updated_at: _,
    } = course;
    let mut fields = Map::new();
    fields.insert("code".into(), json!(code));
    fields.insert("title".into(), json!(title));
    fields.insert("description".into(), json!(description));
    fields.insert("credits".into(), json!(credits));
    fields.insert("capacity".into(), json!(capacity));
    fields
}

/// An enrolment as the audit history shows it: who, in what, and its state.
fn enrolment_fields(enrolment: &Enrolment) -> Map<String, Value> {
    let Enrolment {
        id: _,
        student_id,
        course_id,
        enrolled_on,
        status,
        withdrawn_on,
    } = enrolment;
    let mut fields = Map::new();
    fields.insert("student_id".into(), json!(student_id));
    fields.insert("course_id".into(), json!(course_id));
    fields.insert("enrolled_on".into(), json!(enrolled_on.to_string()));
    fields.insert("status".into(), json!(status.as_str()));
    fields.insert(
        "withdrawn_on".into(),
        json!(withdrawn_on.map(|day| day.to_string())),
    );
    fields
}
