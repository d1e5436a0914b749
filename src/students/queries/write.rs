//! The one write path: create, update, delete (each in a write transaction
//! of its own, so a failed commit is an error, never a false success, and
//! each recording its audit event in that same transaction), and the bulk
//! load `seed` uses.

use diesel::dsl::now;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use serde_json::{Map, Value, json};

use super::find;
use crate::audit::{self, Action, Actor, Subject};
use crate::database::{DbConnection, DbError, on_backend};
use crate::schema::{courses, enrolments, students};
use crate::students::model::Student;
use crate::students::validation::{FieldErrors, StudentDetails};

/// The unique index that keeps emails unique ignoring case.
pub const EMAIL_UNIQUE_INDEX: &str = "students_email_key";

/// Why a create or an edit was not stored.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("another student already uses this email address")]
    EmailTaken,
    #[error("no such student")]
    NotFound,
    /// The edit was based on an older version than the one stored.
    #[error("the student changed since the edit began")]
    Stale { current: Box<Student> },
    /// The details that [`update`] was asked to store break a rule.
    #[error("the details break a rule")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<DieselError> for SaveError {
    fn from(err: DieselError) -> Self {
        match &err {
            // The database decides, so two requests racing for one address get
            // the same answer as a plain duplicate.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some(EMAIL_UNIQUE_INDEX)
                    || info.message().contains(EMAIL_UNIQUE_INDEX) =>
            {
                SaveError::EmailTaken
            }
            _ => SaveError::Database(DbError::from(err)),
        }
    }
}

/// In a transaction of its own, so that a failed commit is an error rather
/// than a record (and an id) reported but never stored. Records
/// `student.create` with the created fields.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    details: &StudentDetails,
) -> Result<Student, SaveError> {
    conn.write_transaction(|conn| {
        let created = on_backend!(conn, |c| diesel::insert_into(students::table)
            .values(details)
            .returning(Student::as_returning())
            .get_result(c))?;
        let subject = Some(Subject::Student(created.id));
        let fields = Value::Object(audited_fields(&created));
        audit::record(conn, actor, Action::StudentCreate, subject, &fields)?;
        Ok(created)
    })
}

/// What [`update`] does with details equal to the stored ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfUnchanged {
    /// Write nothing and keep the version: a retried `PUT` or an empty
    /// `PATCH` is a no-op (the API).
    Keep,
    /// Save them as a new version all the same: the person pressed Save, and
    /// the record says when (the edit form).
    Save,
}

/// The one way to change a student, for both faces (the edit form replaces
/// every field; the API's PATCH merges a few onto the stored ones). Reads
/// the student, lets `change` turn it into the details to store, and stores
/// them, all in one write transaction: nothing can change in between, so a
/// merge of a few fields onto the stored ones never loses another edit.
///
/// `expected_versions`, when given, lists the versions the edit may replace;
/// any other is [`SaveError::Stale`].
///
/// Records `student.update` with each changed field's old and new value. A
/// save that changes no field records nothing, even when
/// [`IfUnchanged::Save`] stores a new version: the history is of changes to
/// the record, and an event saying "nothing changed" would only bury them.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i32,
    expected_versions: Option<&[i32]>,
    if_unchanged: IfUnchanged,
    change: impl FnOnce(&Student) -> Result<StudentDetails, FieldErrors>,
) -> Result<Student, SaveError> {
    conn.write_transaction(|conn| {
        let current = find_for_update(conn, id)?.ok_or(SaveError::NotFound)?;
        check_version(&current, expected_versions)?;
        let details = change(&current).map_err(SaveError::Invalid)?;
        if if_unchanged == IfUnchanged::Keep && details.is_stored_in(&current) {
            return Ok(current);
        }
        let updated = on_backend!(conn, |c| diesel::update(students::table.find(id))
            .set((
                &details,
                students::version.eq(students::version + 1),
                students::updated_at.eq(now),
            ))
            .returning(Student::as_returning())
            .get_result(c))?;
        let changes = audit::changed_fields(&audited_fields(&current), &audited_fields(&updated));
        if !changes.is_empty() {
            let subject = Some(Subject::Student(id));
            audit::record(
                conn,
                actor,
                Action::StudentUpdate,
                subject,
                &Value::Object(changes),
            )?;
        }
        Ok(updated)
    })
}

/// Deletes a student if it is at one of `expected_versions` (any version when
/// `None`), and with them (the foreign key's cascade) their enrolments;
/// returns what was deleted. Records `student.delete` with the deleted
/// fields and enrolments, so the history keeps what was lost.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i32,
    expected_versions: Option<&[i32]>,
) -> Result<Student, SaveError> {
    conn.write_transaction(|conn| delete_in_transaction(conn, actor, id, expected_versions))
}

/// What [`delete_many`] did.
#[derive(Debug, Default)]
pub struct DeletedMany {
    pub deleted: Vec<Student>,
    /// Ids that named no student (already deleted, or never there).
    pub missing: Vec<i32>,
}

/// Deletes every student of `ids` in one write transaction: all of them or,
/// if the database refuses any part, none. Ids that name no student are
/// reported, not an error. Records `student.delete` for each.
pub fn delete_many(
    conn: &mut DbConnection,
    actor: &Actor,
    ids: &[i32],
) -> Result<DeletedMany, SaveError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    conn.write_transaction(|conn| {
        // Every student first, in id order, then their courses: the order
        // enrolling takes (student, then course), so a bulk delete cannot
        // deadlock with it, or with another bulk delete.
        lock_students(conn, &ids)?;
        lock_courses_of(conn, &ids)?;
        let mut outcome = DeletedMany::default();
        for &id in &ids {
            match delete_in_transaction(conn, actor, id, None) {
                Ok(student) => outcome.deleted.push(student),
                Err(SaveError::NotFound) => outcome.missing.push(id),
                Err(other) => return Err(other),
            }
        }
        Ok(outcome)
    })
}

fn delete_in_transaction(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i32,
    expected_versions: Option<&[i32]>,
) -> Result<Student, SaveError> {
    let current = find_for_update(conn, id)?.ok_or(SaveError::NotFound)?;
    check_version(&current, expected_versions)?;
    // The enrolments go with the student (ON DELETE CASCADE), and the seat
    // counts of their courses with them: the courses are locked first, in
    // id order, rather than in whatever order the count's trigger meets
    // them, which could deadlock with another delete.
    lock_courses_of(conn, &[id])?;
    let courses = enrolment_summary(conn, id)?;
    on_backend!(conn, |c| diesel::delete(students::table.find(id))
        .execute(c))?;
    let mut fields = audited_fields(&current);
    if !courses.is_empty() {
        // The audit history keeps the enrolments that went with them.
        fields.insert("courses".into(), json!(courses));
    }
    audit::record(
        conn,
        actor,
        Action::StudentDelete,
        Some(Subject::Student(id)),
        &Value::Object(fields),
    )?;
    Ok(current)
}

/// Locks the students of `ids` (sorted) against change until the
/// transaction ends. SQLite's write transaction already excludes every
/// other writer.
fn lock_students(conn: &mut DbConnection, ids: &[i32]) -> Result<(), DbError> {
    if let DbConnection::Postgresql(c) = conn {
        students::table
            .filter(students::id.eq_any(ids))
            .order_by(students::id)
            .select(students::id)
            .for_update()
            .load::<i32>(c)?;
    }
    Ok(())
}

/// Locks, in id order, the courses the students of `ids` are enrolled in
/// (any status): deleting them changes those courses' seat counts.
fn lock_courses_of(conn: &mut DbConnection, ids: &[i32]) -> Result<(), DbError> {
    if let DbConnection::Postgresql(c) = conn {
        courses::table
            .filter(
                courses::id.eq_any(
                    enrolments::table
                        .filter(enrolments::student_id.eq_any(ids))
                        .select(enrolments::course_id),
                ),
            )
            .order_by(courses::id)
            .select(courses::id)
            .for_no_key_update()
            .load::<i32>(c)?;
    }
    Ok(())
}

/// "BIO-101 (enrolled), ART-1 (withdrawn)": a student's enrolments, as the
/// audit history of their deletion records them.
fn enrolment_summary(conn: &mut DbConnection, id: i32) -> Result<String, DbError> {
    let rows: Vec<(String, String)> = on_backend!(conn, |c| enrolments::table
        .inner_join(courses::table)
        .filter(enrolments::student_id.eq(id))
        .order_by(courses::code)
        .select((courses::code, enrolments::status))
        .load(c))?;
    Ok(rows
        .iter()
        .map(|(code, status)| format!("{code} ({status})"))
        .collect::<Vec<_>>()
        .join(", "))
}

/// The fields people edit, as the audit history shows them: what a create
/// set, an update changed or a delete removed. Not the version and
/// timestamps: the event has its own time, and a version is bookkeeping.
fn audited_fields(student: &Student) -> Map<String, Value> {
    // No `..`: a new field of the student does not compile until it is
    // audited here or left out on purpose.
    let Student {
        id: _,
        firstname,
        lastname,
        email,
        age,
        bio,
        city,
        version: _,
        created_at: _,
        updated_at: _,
        current_courses: _,
    } = student;
    let mut fields = Map::new();
    fields.insert("firstname".into(), json!(firstname));
    fields.insert("lastname".into(), json!(lastname));
    fields.insert("email".into(), json!(email));
    fields.insert("age".into(), json!(age));
    fields.insert("bio".into(), json!(bio));
    fields.insert("city".into(), json!(city));
    fields
}

/// Reads a student inside a write transaction, keeping others from changing
/// it until the transaction ends. SQLite's write transaction already excludes
/// every other writer; PostgreSQL locks just this row.
fn find_for_update(conn: &mut DbConnection, id: i32) -> Result<Option<Student>, DbError> {
    match conn {
        DbConnection::Sqlite(_) => find(conn, id),
        DbConnection::Postgresql(c) => Ok(students::table
            .find(id)
            .select(Student::as_select())
            .for_update()
            .first(c)
            .optional()?),
    }
}

fn check_version(current: &Student, expected_versions: Option<&[i32]>) -> Result<(), SaveError> {
    match expected_versions {
        Some(versions) if !versions.contains(&current.version) => Err(SaveError::Stale {
            current: Box::new(current.clone()),
        }),
        _ => Ok(()),
    }
}

/// Inserts many students in one statement, skipping emails already taken.
/// Returns how many rows were inserted. Records no audit event: a bulk load
/// of 100,000 sample students would otherwise write 100,000 events (`seed`
/// is an operator's command for trying the app, not a change by staff). Call it inside
/// [`DbConnection::write_transaction`] (as `seed` does), which reports a
/// failed commit.
pub fn insert_many(conn: &mut DbConnection, batch: &[StudentDetails]) -> Result<usize, DbError> {
    let inserted = match conn {
        DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(students::table)
            .values(batch)
            .execute(c)?,
        // Without a target, DO NOTHING covers the unique index on lower(email).
        DbConnection::Postgresql(c) => diesel::insert_into(students::table)
            .values(batch)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(inserted)
}

/// Tidies up after a bulk load. SQLite: merges the search index's segments,
/// so a search reads one posting list per word instead of one per segment.
/// PostgreSQL: merges the search index's pending list into the index (every
/// search would read it in full) and refreshes the planner's statistics; both
/// otherwise wait for autovacuum, which may be off. Merging needs to own the
/// index, so a role that only writes the tables skips it rather than failing
/// (and rolling back) the load; ANALYZE just warns for such a role.
pub fn tidy_after_bulk_load(conn: &mut DbConnection) -> Result<(), DbError> {
    let statements: &[&str] = match conn {
        DbConnection::Sqlite(_) => {
            &["INSERT INTO students_search (students_search) VALUES ('optimize')"]
        }
        DbConnection::Postgresql(_) => &[
            "SELECT gin_clean_pending_list(index.oid) FROM pg_class AS index \
             WHERE index.oid = 'students_search_idx'::regclass \
             AND pg_has_role(index.relowner, 'USAGE')",
            "ANALYZE students",
        ],
    };
    for statement in statements {
        diesel::sql_query(*statement).execute(conn)?;
    }
    Ok(())
}
