//! `seed --courses M`: M generated courses, then enrolments for every
//! student who has none yet (a few courses each, some withdrawn or
//! completed), within each course's capacity. Bulk inserts, no audit events
//! (as for seeded students: a sample load is not a change by staff).

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use diesel::prelude::*;

use super::model::{Course, EnrolmentStatus};
use super::validation::{CourseDetails, CourseDraft};
use crate::database::{DbConnection, DbError, on_backend};
use crate::schema::{courses, enrolments, students};

/// Enrolment rows per INSERT: 5 parameters each stays below SQLite's 32,766.
const ENROLMENT_BATCH: usize = 5_000;
/// Course rows per INSERT: 5 parameters each.
const COURSE_BATCH: usize = 1_000;

const SUBJECTS: &[(&str, &str)] = &[
    ("BIO", "Biology"),
    ("CHE", "Chemistry"),
    ("HIS", "History"),
    ("MAT", "Mathematics"),
    ("MUS", "Music"),
    ("PHY", "Physics"),
    ("LIT", "Literature"),
    ("GEO", "Geology"),
    ("ECO", "Economics"),
    ("CS", "Computer Science"),
];
const TOPICS: &[&str] = &[
    "Foundations of",
    "Topics in",
    "Advanced",
    "Applied",
    "Seminar in",
    "History of",
    "Methods in",
    "Field Work in",
];

#[derive(Debug, PartialEq, Eq)]
pub struct CourseSeedReport {
    pub courses_inserted: usize,
    pub enrolments_inserted: usize,
}

/// SplitMix64: deterministic and well mixed, so sample data is varied yet
/// the same on every run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A deterministic, varied course; `n` makes the code unique.
pub fn generated_course(n: u64) -> CourseDraft {
    let (prefix, subject) = SUBJECTS[(n % SUBJECTS.len() as u64) as usize];
    let topic = TOPICS[(mix(n ^ 0x51) % TOPICS.len() as u64) as usize];
    let draw = mix(n ^ 0xC0);
    CourseDraft {
        code: format!("{prefix}-{}", 101 + n / SUBJECTS.len() as u64),
        title: format!("{topic} {subject}"),
        description: if n.is_multiple_of(3) {
            String::new()
        } else {
            format!(
                "An introduction to {} for year {} students.",
                subject.to_lowercase(),
                1 + n % 4
            )
        },
        credits: if n.is_multiple_of(7) {
            String::new()
        } else {
            (1 + draw % 10).to_string()
        },
        // A quarter unlimited; the rest between 200 and 599 seats, room for
        // about three courses per student at 100 students per course.
        capacity: if n.is_multiple_of(4) {
            String::new()
        } else {
            (200 + (draw >> 8) % 400).to_string()
        },
    }
}

#[derive(Insertable)]
#[diesel(table_name = enrolments)]
struct NewEnrolment {
    student_id: i32,
    course_id: i32,
    enrolled_on: NaiveDate,
    status: EnrolmentStatus,
    withdrawn_on: Option<NaiveDate>,
}

/// Inserts `count` generated courses (numbered after the courses already
/// there; a code already taken is skipped), then enrols each student who has
/// no enrolment yet in one to five courses (three on average), in one
/// transaction. About one enrolment in ten is withdrawn and one in ten
/// completed; only `enrolled` rows take a seat, and no course is filled past
/// its capacity. Dates fall in the year before `today`.
pub fn seed(
    conn: &mut DbConnection,
    count: u64,
    today: NaiveDate,
) -> Result<CourseSeedReport, DbError> {
    let report = conn.write_transaction(|conn| -> Result<_, DbError> {
        let start: i64 = on_backend!(conn, |c| courses::table.count().get_result(c))?;
        let start = start as u64;
        let drafts: Vec<CourseDetails> = (start..start + count)
            .map(generated_course)
            .filter_map(|draft| draft.validate().ok())
            .collect();
        // On PostgreSQL the courses there are locked first: the insert's
        // trigger writes `courses_count`, which an enrolment that fills or
        // reopens a course writes after locking that course, so taking the
        // courses first keeps that order and the two cannot deadlock.
        if let DbConnection::Postgresql(c) = conn {
            courses::table
                .order_by(courses::id)
                .select(courses::id)
                .for_update()
                .load::<i32>(c)?;
        }
        let mut courses_inserted = 0;
        for batch in drafts.chunks(COURSE_BATCH) {
            courses_inserted += match conn {
                DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(courses::table)
                    .values(batch)
                    .execute(c)?,
                DbConnection::Postgresql(c) => diesel::insert_into(courses::table)
                    .values(batch)
                    .on_conflict_do_nothing()
                    .execute(c)?,
            };
        }

        // Locked on PostgreSQL, as `enrol` locks a course: a server running
        // meanwhile cannot take a seat this count does not see. (SQLite's
        // write transaction already excludes every other writer.)
        let all: Vec<Course> = match conn {
            DbConnection::Sqlite(c) => courses::table
                .order_by(courses::id)
                .select(Course::as_select())
                .load(c)?,
            DbConnection::Postgresql(c) => courses::table
                .order_by(courses::id)
                .select(Course::as_select())
                .for_update()
                .load(c)?,
        };
        if all.is_empty() {
            return Ok(CourseSeedReport {
                courses_inserted,
                enrolments_inserted: 0,
            });
        }
        // Seats taken so far, kept up to date as rows are generated (the
        // triggers update the stored counts as they are inserted).
        let mut taken: HashMap<i32, i64> = all
            .iter()
            .map(|course| (course.id, i64::from(course.enrolled_count)))
            .collect();
        let unenrolled: Vec<i32> = on_backend!(conn, |c| students::table
            .filter(diesel::dsl::not(diesel::dsl::exists(
                enrolments::table.filter(enrolments::student_id.eq(students::id))
            )))
            .order_by(students::id)
            .select(students::id)
            .load(c))?;

        let mut rows = Vec::with_capacity(ENROLMENT_BATCH);
        let mut enrolments_inserted = 0;
        for student_id in unenrolled {
            let seed = mix(student_id as u64);
            let wanted = 1 + (seed % 5) as usize;
            // Consecutive courses from a random start: distinct, and spread
            // over every course.
            let first = (mix(seed) % all.len() as u64) as usize;
            let step = 1 + (mix(seed ^ 0x5) % 7) as usize;
            let mut picked: Vec<i32> = Vec::with_capacity(wanted);
            for attempt in 0..all.len().min(wanted * 4) {
                if picked.len() == wanted {
                    break;
                }
                let course = &all[(first + attempt * step) % all.len()];
                if picked.contains(&course.id) {
                    continue;
                }
                let roll = mix(seed ^ attempt as u64) % 10;
                let status = match roll {
                    0 => EnrolmentStatus::Withdrawn,
                    1 => EnrolmentStatus::Completed,
                    _ => EnrolmentStatus::Enrolled,
                };
                if status == EnrolmentStatus::Enrolled {
                    let seats = taken.entry(course.id).or_insert(0);
                    if course.capacity.is_some_and(|cap| *seats >= i64::from(cap)) {
                        continue;
                    }
                    *seats += 1;
                }
                let days_ago = mix(seed ^ 0xDA7E ^ attempt as u64) % 365;
                let enrolled_on = today.checked_sub_days(Days::new(days_ago)).unwrap_or(today);
                let withdrawn_on = (status == EnrolmentStatus::Withdrawn).then(|| {
                    enrolled_on
                        .checked_add_days(Days::new(days_ago / 2))
                        .unwrap_or(enrolled_on)
                });
                rows.push(NewEnrolment {
                    student_id,
                    course_id: course.id,
                    enrolled_on,
                    status,
                    withdrawn_on,
                });
                picked.push(course.id);
            }
            if rows.len() >= ENROLMENT_BATCH {
                enrolments_inserted += insert_enrolments(conn, &rows)?;
                rows.clear();
            }
        }
        enrolments_inserted += insert_enrolments(conn, &rows)?;
        Ok(CourseSeedReport {
            courses_inserted,
            enrolments_inserted,
        })
    })?;
    if let DbConnection::Postgresql(_) = conn {
        // The planner's statistics, and the visibility map that lets a class
        // list be read from its covering index alone (an index-only scan,
        // not a heap fetch per row); both otherwise wait for autovacuum.
        // And the students' old row versions, left by the triggers that
        // count each one's current courses: until vacuumed, every index scan
        // of students steps over them.
        // After the commit: VACUUM cannot run inside a transaction. A role
        // that does not own the tables gets a warning, not an error; any
        // failure is only a warning here, as the rows are already stored (an
        // error would invite a second run, and a second batch of courses).
        if let Err(err) =
            diesel::sql_query("VACUUM (ANALYZE) courses, enrolments, students").execute(conn)
        {
            tracing::warn!("could not vacuum after seeding (autovacuum will): {err}");
        }
    }
    Ok(report)
}

fn insert_enrolments(conn: &mut DbConnection, rows: &[NewEnrolment]) -> Result<usize, DbError> {
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(on_backend!(conn, |c| diesel::insert_into(
        enrolments::table
    )
    .values(rows)
    .execute(c))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_courses_pass_validation_with_distinct_codes() {
        let mut codes = std::collections::HashSet::new();
        for n in 0..2_000 {
            let draft = generated_course(n);
            let details = draft.validate();
            assert!(details.is_ok(), "course {n}: {draft:?}");
            assert!(codes.insert(draft.code.clone()), "{}", draft.code);
        }
    }
}
