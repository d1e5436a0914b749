//! Courses and enrolments at the domain level (issue 14), on a real
//! database of this binary's backend (tests/postgres includes this file
//! too), through the app's own pool, so every connection has the settings
//! the server gives it (foreign keys on, SQLite's busy timeout).

use std::sync::{Arc, Barrier};

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::r2d2::PooledConnection;
use student_registry::audit::{self, Action, Actor, Subject};
use student_registry::config::DatabaseSettings;
use student_registry::courses::listing::{
    ClassListParams, ClassSortKey, Direction, ListParams, SortKey,
};
use student_registry::courses::queries::{self, IfUnchanged};
use student_registry::courses::{
    Course, CourseDraft, CourseSaveError, EnrolError, EnrolmentStatus, Field, SeatRequest,
};
use student_registry::database::{ConnectionManager, Database, DbConnection};
use student_registry::students::{self, StudentDraft};

use crate::helpers::TestDatabase;

/// A migrated database and the app's pool on it.
struct Registry {
    database: Database,
    test_database: TestDatabase,
}

impl Registry {
    fn new() -> Self {
        Self::with_pool(4)
    }

    fn with_pool(pool_size: u32) -> Self {
        let test_database = TestDatabase::new();
        let mut settings = DatabaseSettings::new(test_database.location());
        settings.pool_size = pool_size;
        let database = Database::connect(&settings, &[]).expect("open and migrate");
        Self {
            database,
            test_database,
        }
    }

    fn conn(&self) -> PooledConnection<ConnectionManager> {
        self.database.connection().expect("a connection")
    }

    fn course(&self, code: &str, capacity: Option<i32>) -> Course {
        let draft = CourseDraft {
            code: code.into(),
            title: format!("Course {code}"),
            capacity: capacity.map(|c| c.to_string()).unwrap_or_default(),
            ..CourseDraft::default()
        };
        queries::create(&mut self.conn(), &actor(), &draft.validate().unwrap()).unwrap()
    }

    fn student(&self, first: &str, last: &str) -> i32 {
        let draft = StudentDraft {
            firstname: first.into(),
            lastname: last.into(),
            email: format!("{first}.{last}@example.com").to_lowercase(),
            ..StudentDraft::default()
        };
        students::queries::create(&mut self.conn(), &actor(), &draft.validate().unwrap())
            .unwrap()
            .id
    }

    /// `n` generated students, in one insert; their ids.
    fn students(&self, n: u64) -> Vec<i32> {
        let details: Vec<_> = (0..n)
            .map(|i| students::seed::generated_student(i).validate().unwrap())
            .collect();
        let mut conn = self.conn();
        conn.write_transaction(|c| students::queries::insert_many(c, &details))
            .unwrap();
        let listed = students::queries::list(
            &mut conn,
            &students::listing::ListParams {
                per_page: 100,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(listed.students.len() as u64, n, "the test lists one page");
        listed.students.iter().map(|s| s.id).collect()
    }

    fn enrol(&self, course: &Course, student: i32, day: u32) -> Result<i32, EnrolError> {
        queries::enrol(&mut self.conn(), &actor(), course.id, student, date(day)).map(|e| e.id)
    }
}

/// Runs `enrol` once per item of `each`, all at once: each on a thread and
/// pooled connection of its own, released together by a barrier. The
/// outcomes, in the order of `each`.
fn enrol_at_once<T: Copy + Send>(
    registry: &Registry,
    each: &[T],
    enrol: impl Fn(&mut PooledConnection<ConnectionManager>, T) -> Result<i32, EnrolError> + Sync,
) -> Vec<Result<i32, EnrolError>> {
    let barrier = Barrier::new(each.len());
    std::thread::scope(|scope| {
        let threads: Vec<_> = each
            .iter()
            .map(|&item| {
                let mut conn = registry.conn();
                let (barrier, enrol) = (&barrier, &enrol);
                scope.spawn(move || {
                    barrier.wait();
                    enrol(&mut conn, item)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| thread.join().expect("no panic"))
            .collect()
    })
}

/// The student's count of current courses, as the database keeps it.
fn current_courses(conn: &mut DbConnection, student: i32) -> i32 {
    students::queries::find(conn, student)
        .unwrap()
        .expect("the student")
        .current_courses
}

/// The length of the course's class list, as the course's row keeps it.
pub(crate) fn class_size(conn: &mut DbConnection, course: i32) -> i64 {
    queries::find_with_class_size(conn, course)
        .unwrap()
        .expect("the course")
        .1
}

/// Someone over HTTP; no account (the tests create none), so the event's
/// account is empty while its label and address are kept.
fn actor() -> Actor {
    Actor {
        user_id: None,
        label: "tester".into(),
        address: Some("127.0.0.1".into()),
    }
}

/// The command line: events need no account, as the tests create none.
fn cli() -> Actor {
    Actor::command_line()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 9, day).unwrap()
}

fn draft(code: &str, title: &str) -> CourseDraft {
    CourseDraft {
        code: code.into(),
        title: title.into(),
        ..CourseDraft::default()
    }
}

#[test]
fn a_course_is_stored_as_validated_and_bad_details_store_nothing() {
    let registry = Registry::new();
    let mut conn = registry.conn();
    let typed = CourseDraft {
        code: " bio-101 ".into(),
        title: "Marine Biology".into(),
        description: "Tides\r\nand reefs".into(),
        credits: "5".into(),
        capacity: "30".into(),
    };
    let course = queries::create(&mut conn, &cli(), &typed.validate().unwrap()).unwrap();
    assert_eq!(
        (
            course.code.as_str(),
            course.title.as_str(),
            course.description.as_deref(),
            course.credits,
            course.capacity,
            course.version
        ),
        (
            "BIO-101",
            "Marine Biology",
            Some("Tides\nand reefs"),
            Some(5),
            Some(30),
            1
        )
    );

    let refused = queries::update(
        &mut conn,
        &cli(),
        course.id,
        None,
        IfUnchanged::Save,
        |_| draft("BIO-101", "").validate(),
    );
    match refused {
        Err(CourseSaveError::Invalid(errors)) => {
            assert_eq!(errors.get(Field::Title), Some("Title is required"))
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(queries::find(&mut conn, course.id).unwrap(), Some(course));
}

#[test]
fn codes_are_unique_ignoring_case_and_the_database_decides() {
    let registry = Registry::new();
    let mut conn = registry.conn();
    registry.course("BIO-101", None);
    let again = queries::create(
        &mut conn,
        &cli(),
        &draft("bio-101", "Again").validate().unwrap(),
    );
    assert!(
        matches!(again, Err(CourseSaveError::CodeTaken)),
        "{again:?}"
    );
    // Past validation (which writes codes in upper case), the index still
    // refuses another case.
    let raw = conn.batch_execute("INSERT INTO courses (code, title) VALUES ('bio-101', 'Raw')");
    assert!(raw.is_err());
    // Changing another course's code to it is refused the same way.
    let other = registry.course("CHE-101", None);
    let renamed = queries::update(&mut conn, &cli(), other.id, None, IfUnchanged::Save, |_| {
        draft("Bio-101", "Renamed").validate()
    });
    assert!(
        matches!(renamed, Err(CourseSaveError::CodeTaken)),
        "{renamed:?}"
    );
}

#[test]
fn an_edit_based_on_an_older_version_is_refused() {
    let registry = Registry::new();
    let mut conn = registry.conn();
    let course = registry.course("HIS-200", None);
    let edited = queries::update(
        &mut conn,
        &cli(),
        course.id,
        Some(&[1]),
        IfUnchanged::Save,
        |_| draft("HIS-200", "Modern History").validate(),
    )
    .unwrap();
    assert_eq!(
        (edited.version, edited.title.as_str()),
        (2, "Modern History")
    );
    let stale = queries::update(
        &mut conn,
        &cli(),
        course.id,
        Some(&[1]),
        IfUnchanged::Save,
        |_| draft("HIS-200", "Ancient History").validate(),
    );
    match stale {
        Err(CourseSaveError::Stale { current }) => assert_eq!(*current, edited),
        other => panic!("expected Stale, got {other:?}"),
    }
    // Keep: the same details again store nothing and keep the version.
    let kept = queries::update(
        &mut conn,
        &cli(),
        course.id,
        Some(&[2]),
        IfUnchanged::Keep,
        |c| CourseDraft::from(c).validate(),
    )
    .unwrap();
    assert_eq!(kept.version, 2);
    let stale_delete = queries::delete(&mut conn, &cli(), course.id, Some(&[1]));
    assert!(matches!(stale_delete, Err(CourseSaveError::Stale { .. })));
    assert!(queries::find(&mut conn, course.id).unwrap().is_some());
}

#[test]
fn a_course_with_enrolments_cannot_be_deleted_and_says_how_many() {
    let registry = Registry::new();
    let course = registry.course("MAT-101", None);
    let ada = registry.student("Ada", "Lovelace");
    let alan = registry.student("Alan", "Turing");
    registry.enrol(&course, ada, 1).unwrap();
    let withdrawn = registry.enrol(&course, alan, 1).unwrap();
    queries::set_status(
        &mut registry.conn(),
        &cli(),
        withdrawn,
        EnrolmentStatus::Withdrawn,
        date(2),
    )
    .unwrap();
    // Withdrawn rows count: they are the course's history.
    let refused = queries::delete(&mut registry.conn(), &cli(), course.id, None);
    assert!(
        matches!(refused, Err(CourseSaveError::HasEnrolments { count: 2 })),
        "{refused:?}"
    );
    assert!(
        queries::find(&mut registry.conn(), course.id)
            .unwrap()
            .is_some()
    );

    let empty = registry.course("MAT-102", None);
    queries::delete(&mut registry.conn(), &cli(), empty.id, None).unwrap();
    assert!(
        queries::find(&mut registry.conn(), empty.id)
            .unwrap()
            .is_none()
    );
    let missing = queries::delete(&mut registry.conn(), &cli(), empty.id, None);
    assert!(matches!(missing, Err(CourseSaveError::NotFound)));
}

#[derive(diesel::QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The number of courses with a seat left (or no limit): as
/// `courses_count` keeps it, and as counted from the courses.
pub(crate) fn open_courses(conn: &mut DbConnection) -> (i64, i64) {
    use diesel::RunQueryDsl;
    use student_registry::database::AnyConnection;
    let mut read = |sql: &str| -> i64 {
        let number: Number = match &mut *conn {
            AnyConnection::Sqlite(c) => diesel::sql_query(sql).get_result(c),
            AnyConnection::Postgresql(c) => diesel::sql_query(sql).get_result(c),
        }
        .unwrap();
        number.n
    };
    (
        read("SELECT open AS n FROM courses_count"),
        read(
            "SELECT count(*) AS n FROM courses
             WHERE capacity IS NULL OR capacity > enrolled_count",
        ),
    )
}

#[test]
fn the_number_of_open_courses_is_kept_through_every_change() {
    let registry = Registry::new();
    let mut conn = registry.conn();
    let open = || {
        let (stored, counted) = open_courses(&mut registry.conn());
        assert_eq!(stored, counted, "kept as counted");
        stored
    };
    assert_eq!(open(), 0);
    let one_seat = registry.course("ART-1", Some(1));
    let two_seats = registry.course("BIO-1", Some(2));
    let unlimited = registry.course("CHE-1", None);
    assert_eq!(open(), 3);
    let ada = registry.student("Ada", "Lovelace");
    let bob = registry.student("Bob", "Byte");

    let art = queries::enrol(&mut conn, &cli(), one_seat.id, ada, date(1)).unwrap();
    assert_eq!(open(), 2, "full");
    queries::enrol(&mut conn, &cli(), unlimited.id, ada, date(1)).unwrap();
    queries::enrol(&mut conn, &cli(), unlimited.id, bob, date(1)).unwrap();
    assert_eq!(open(), 2, "never full");
    let refused = queries::enrol(&mut conn, &cli(), one_seat.id, bob, date(1));
    assert!(
        matches!(refused, Err(EnrolError::CourseFull { .. })),
        "{refused:?}"
    );
    assert_eq!(open(), 2, "a refused enrolment");
    queries::set_status(
        &mut conn,
        &cli(),
        art.id,
        EnrolmentStatus::Withdrawn,
        date(2),
    )
    .unwrap();
    assert_eq!(open(), 3, "a seat again");
    queries::enrol(&mut conn, &cli(), one_seat.id, ada, date(3)).unwrap();
    assert_eq!(open(), 2, "the withdrawn row made current");
    queries::set_status(
        &mut conn,
        &cli(),
        art.id,
        EnrolmentStatus::Completed,
        date(4),
    )
    .unwrap();
    assert_eq!(open(), 3, "a completed course frees its seat");

    queries::enrol(&mut conn, &cli(), two_seats.id, ada, date(5)).unwrap();
    assert_eq!(open(), 3);
    queries::enrol(&mut conn, &cli(), two_seats.id, bob, date(5)).unwrap();
    assert_eq!(open(), 2);
    let bigger = |capacity: &str| {
        let draft = CourseDraft {
            code: "BIO-1".into(),
            title: "Course BIO-1".into(),
            capacity: capacity.into(),
            ..CourseDraft::default()
        };
        move |_: &Course| draft.validate()
    };
    let bio = |conn: &mut DbConnection, capacity: &str| {
        queries::update(
            conn,
            &cli(),
            two_seats.id,
            None,
            IfUnchanged::Save,
            bigger(capacity),
        )
        .unwrap()
    };
    bio(&mut conn, "3");
    assert_eq!(open(), 3, "a seat added");
    bio(&mut conn, "");
    assert_eq!(open(), 3, "no limit: still open");
    bio(&mut conn, "2");
    assert_eq!(open(), 2, "full again");

    // Deleting a student deletes their enrolments, and frees their seats.
    students::queries::delete(&mut conn, &cli(), bob, None).unwrap();
    assert_eq!(open(), 3);
    let closed = registry.course("GEO-1", Some(1));
    assert_eq!(open(), 4);
    let geo = queries::enrol(&mut conn, &cli(), closed.id, ada, date(6)).unwrap();
    assert_eq!(open(), 3);
    queries::set_status(
        &mut conn,
        &cli(),
        geo.id,
        EnrolmentStatus::Withdrawn,
        date(7),
    )
    .unwrap();
    let empty = registry.course("MUS-1", Some(4));
    assert_eq!(open(), 5);
    queries::delete(&mut conn, &cli(), empty.id, None).unwrap();
    assert_eq!(open(), 4, "a deleted course");
}

#[test]
fn seeding_keeps_the_number_of_open_courses() {
    let registry = Registry::new();
    let mut conn = registry.conn();
    students::seed::seed(&mut conn, 300).unwrap();
    // Forty courses, a quarter with a capacity, and every student in a few:
    // some of those courses fill up as the enrolments are inserted.
    student_registry::courses::seed::seed(&mut conn, 40, date(30)).unwrap();
    let (stored, counted) = open_courses(&mut conn);
    assert_eq!(stored, counted);
    assert!(counted > 0 && counted <= 40, "{counted}");
}

#[test]
fn enrol_withdraw_and_enrol_again_reuse_one_row() {
    let registry = Registry::new();
    let mut conn = registry.conn();
    let course = registry.course("PHY-101", Some(5));
    let ada = registry.student("Ada", "Lovelace");

    let other = registry.course("PHY-102", None);
    assert_eq!(current_courses(&mut conn, ada), 0);
    let first = queries::enrol(&mut conn, &cli(), course.id, ada, date(1)).unwrap();
    assert_eq!(
        (first.status, first.enrolled_on, first.withdrawn_on),
        (EnrolmentStatus::Enrolled, date(1), None)
    );
    queries::enrol(&mut conn, &cli(), other.id, ada, date(1)).unwrap();
    assert_eq!(current_courses(&mut conn, ada), 2);
    assert_eq!(class_size(&mut conn, course.id), 1);
    let again = queries::enrol(&mut conn, &cli(), course.id, ada, date(2));
    assert!(
        matches!(again, Err(EnrolError::AlreadyEnrolled)),
        "{again:?}"
    );
    assert_eq!(queries::count_enrolled(&mut conn, course.id).unwrap(), 1);
    assert_eq!(current_courses(&mut conn, ada), 2, "a refused enrolment");
    assert_eq!(class_size(&mut conn, course.id), 1, "a refused enrolment");

    let withdrawn = queries::set_status(
        &mut conn,
        &cli(),
        first.id,
        EnrolmentStatus::Withdrawn,
        date(3),
    )
    .unwrap();
    assert_eq!(
        (withdrawn.status, withdrawn.withdrawn_on),
        (EnrolmentStatus::Withdrawn, Some(date(3)))
    );
    assert_eq!(queries::count_enrolled(&mut conn, course.id).unwrap(), 0);
    assert_eq!(current_courses(&mut conn, ada), 1, "withdrawn");
    assert_eq!(class_size(&mut conn, course.id), 1, "still on the list");

    let back = queries::enrol(&mut conn, &cli(), course.id, ada, date(4)).unwrap();
    assert_eq!(back.id, first.id, "the withdrawn row is reactivated");
    assert_eq!(current_courses(&mut conn, ada), 2, "enrolled again");
    assert_eq!(class_size(&mut conn, course.id), 1, "one row");
    assert_eq!(
        (back.status, back.enrolled_on, back.withdrawn_on),
        (EnrolmentStatus::Enrolled, date(4), None)
    );
    let completed = queries::set_status(
        &mut conn,
        &cli(),
        first.id,
        EnrolmentStatus::Completed,
        date(20),
    )
    .unwrap();
    assert_eq!(
        (completed.status, completed.withdrawn_on),
        (EnrolmentStatus::Completed, None)
    );
    assert_eq!(current_courses(&mut conn, ada), 1, "completed");
    let reopened = queries::set_status(
        &mut conn,
        &cli(),
        first.id,
        EnrolmentStatus::Enrolled,
        date(21),
    )
    .unwrap();
    assert_eq!(reopened.status, EnrolmentStatus::Enrolled);
    assert_eq!(current_courses(&mut conn, ada), 2, "enrolled again");

    let no_student = queries::enrol(&mut conn, &cli(), course.id, ada + 1000, date(5));
    assert!(
        matches!(no_student, Err(EnrolError::NoSuchStudent)),
        "{no_student:?}"
    );
    let no_course = queries::enrol(&mut conn, &cli(), course.id + 1000, ada, date(5));
    assert!(
        matches!(no_course, Err(EnrolError::NoSuchCourse)),
        "{no_course:?}"
    );
    let no_enrolment = queries::set_status(
        &mut conn,
        &cli(),
        first.id + 1000,
        EnrolmentStatus::Withdrawn,
        date(5),
    );
    assert!(matches!(no_enrolment, Err(EnrolError::NoSuchEnrolment)));
}

#[test]
fn only_enrolled_rows_take_seats_and_enrolling_again_needs_one() {
    let registry = Registry::new();
    let course = registry.course("MUS-101", Some(1));
    let ada = registry.student("Ada", "Lovelace");
    let alan = registry.student("Alan", "Turing");
    let ada_row = registry.enrol(&course, ada, 1).unwrap();
    let full = registry.enrol(&course, alan, 1);
    assert!(
        matches!(full, Err(EnrolError::CourseFull { capacity: 1 })),
        "{full:?}"
    );
    let mut conn = registry.conn();
    queries::set_status(
        &mut conn,
        &cli(),
        ada_row,
        EnrolmentStatus::Withdrawn,
        date(2),
    )
    .unwrap();
    registry.enrol(&course, alan, 2).unwrap();
    // Ada's seat went to Alan: back in, by either way, she finds it full.
    let back = queries::set_status(
        &mut conn,
        &cli(),
        ada_row,
        EnrolmentStatus::Enrolled,
        date(3),
    );
    assert!(
        matches!(back, Err(EnrolError::CourseFull { capacity: 1 })),
        "{back:?}"
    );
    let back = registry.enrol(&course, ada, 3);
    assert!(
        matches!(back, Err(EnrolError::CourseFull { capacity: 1 })),
        "{back:?}"
    );
    let row = queries::find_enrolment(&mut conn, ada_row)
        .unwrap()
        .unwrap();
    assert_eq!(row.status, EnrolmentStatus::Withdrawn);
}

/// What a group of requests is answered by `enrol_all`, reduced to its
/// kind: the enrolment's student, or the refusal.
fn outcome(answer: &Result<student_registry::courses::Enrolment, EnrolError>) -> String {
    match answer {
        Ok(row) => format!("enrolled {}", row.student_id),
        Err(EnrolError::CourseFull { capacity }) => format!("full ({capacity})"),
        Err(refused) => refused.to_string(),
    }
}

fn seat(student_id: i32, label: &str) -> SeatRequest {
    SeatRequest {
        student_id,
        actor: Actor {
            user_id: None,
            label: label.into(),
            address: None,
        },
    }
}

/// A group is answered request by request exactly as enrolling them one at
/// a time would be: a student asked for twice, one who does not exist, one
/// withdrawn (made current again, same row), and the seats running out
/// part-way. Each enrolment has its own event, naming its own actor.
#[test]
fn a_group_of_enrolments_is_answered_as_one_at_a_time_would_be() {
    let registry = Registry::new();
    let ann = registry.student("Ann", "Abbot");
    let bo = registry.student("Bo", "Baker");
    let cy = registry.student("Cy", "Cole");
    let di = registry.student("Di", "Dunn");
    let ed = registry.student("Ed", "Eden");
    let missing = 999_999;
    for (code, one_at_a_time) in [("SEQ-1", true), ("GRP-1", false)] {
        let course = registry.course(code, Some(4));
        // Di was enrolled once and withdrew, Cy completed the course: their
        // rows come back.
        let di_row = registry.enrol(&course, di, 1).unwrap();
        let cy_row = registry.enrol(&course, cy, 1).unwrap();
        for (row, status) in [
            (di_row, EnrolmentStatus::Withdrawn),
            (cy_row, EnrolmentStatus::Completed),
        ] {
            queries::set_status(&mut registry.conn(), &cli(), row, status, date(2)).unwrap();
        }
        let requests = [
            seat(ann, "first"),
            seat(ann, "second"),
            seat(missing, "third"),
            seat(di, "fourth"),
            seat(di, "fifth"),
            seat(cy, "sixth"),
            seat(bo, "seventh"),
            seat(ed, "eighth"),
        ];
        let answers: Vec<_> = if one_at_a_time {
            requests
                .iter()
                .map(|r| {
                    queries::enrol(
                        &mut registry.conn(),
                        &r.actor,
                        course.id,
                        r.student_id,
                        date(3),
                    )
                })
                .collect()
        } else {
            queries::enrol_all(&mut registry.conn(), course.id, &requests, date(3))
                .unwrap()
                .answers
        };
        let kinds: Vec<String> = answers.iter().map(outcome).collect();
        assert_eq!(
            kinds,
            [
                format!("enrolled {ann}"),
                "the student is already enrolled in this course".into(),
                "no such student".into(),
                format!("enrolled {di}"),
                "the student is already enrolled in this course".into(),
                format!("enrolled {cy}"),
                format!("enrolled {bo}"),
                "full (4)".into(),
            ],
            "{code}"
        );
        let di_again = answers[3].as_ref().unwrap();
        assert_eq!(di_again.id, di_row, "{code}: the withdrawn row is reused");
        assert_eq!(di_again.enrolled_on, date(3));
        assert_eq!(
            answers[5].as_ref().unwrap().id,
            cy_row,
            "{code}: and the completed one"
        );

        let mut conn = registry.conn();
        assert_eq!(queries::count_enrolled(&mut conn, course.id).unwrap(), 4);
        let ann_row = answers[0].as_ref().unwrap().id;
        let events = audit::for_subject(&mut conn, Subject::Enrolment(ann_row), 10).unwrap();
        assert_eq!(events.len(), 1, "{code}");
        assert_eq!(events[0].action, Action::EnrolmentCreate.as_str());
        assert_eq!(events[0].actor_label, "first");
        let events = audit::for_subject(&mut conn, Subject::Enrolment(di_row), 10).unwrap();
        assert_eq!(events[0].action, Action::EnrolmentUpdate.as_str());
        assert_eq!(events[0].actor_label, "fourth");
    }
    let mut conn = registry.conn();
    for (student, courses) in [(ann, 2), (bo, 2), (cy, 2), (di, 2), (ed, 0)] {
        assert_eq!(current_courses(&mut conn, student), courses);
    }
}

/// A group names the course's absence to each student who exists, as
/// enrolling them one at a time would.
#[test]
fn a_group_for_a_course_that_does_not_exist_enrols_nobody() {
    let registry = Registry::new();
    let ann = registry.student("Ann", "Abbot");
    let group = queries::enrol_all(
        &mut registry.conn(),
        424_242,
        &[seat(ann, "a"), seat(7_777, "b")],
        date(1),
    )
    .unwrap();
    let kinds: Vec<String> = group.answers.iter().map(outcome).collect();
    assert_eq!(kinds, ["no such course", "no such student"]);
    assert!(group.course.is_none());
    // What the group found, for the answer: the student who exists.
    let found: Vec<&str> = group
        .students
        .values()
        .map(|s| s.firstname.as_str())
        .collect();
    assert_eq!(found, ["Ann"]);
}

/// A group the database refuses part-way stores none of it: its rows were
/// inserted (and the seat counts moved) before its events were refused, and
/// all of that is rolled back.
#[test]
fn a_group_the_database_refuses_stores_none_of_it() {
    let registry = Registry::new();
    let course = registry.course("BIO-101", Some(5));
    let ann = registry.student("Ann", "Abbot");
    let bo = registry.student("Bo", "Baker");
    let refuse_events = match crate::BACKEND {
        crate::test_database::Backend::Sqlite => {
            "CREATE TRIGGER refuse_events BEFORE INSERT ON audit_events
             WHEN NEW.action = 'enrolment.create'
             BEGIN SELECT RAISE(ABORT, 'the disk is unwell'); END;"
        }
        crate::test_database::Backend::Postgres => {
            "CREATE FUNCTION refuse_events() RETURNS trigger AS $$
             BEGIN RAISE EXCEPTION 'the disk is unwell'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse_events BEFORE INSERT ON audit_events
             FOR EACH ROW WHEN (NEW.action = 'enrolment.create')
             EXECUTE FUNCTION refuse_events();"
        }
    };
    registry.conn().batch_execute(refuse_events).unwrap();
    let refused = queries::enrol_all(
        &mut registry.conn(),
        course.id,
        &[seat(ann, "a"), seat(bo, "b")],
        date(1),
    );
    assert!(refused.is_err(), "{refused:?}");
    let mut conn = registry.conn();
    assert_eq!(queries::for_student(&mut conn, ann).unwrap().len(), 0);
    assert_eq!(queries::count_enrolled(&mut conn, course.id).unwrap(), 0);
    assert_eq!(class_size(&mut conn, course.id), 0);
    assert_eq!(current_courses(&mut conn, ann), 0);
    assert_eq!(current_courses(&mut conn, bo), 0);
    let course = queries::find(&mut conn, course.id).unwrap().unwrap();
    assert_eq!(course.enrolled_count, 0);
}

/// 50 enrolments into a 10-seat course at once, each on its own connection:
/// exactly 10 get a seat, the other 40 hear the course is full.
#[test]
fn fifty_concurrent_enrolments_into_ten_seats_fill_exactly_ten() {
    const TRIES: usize = 50;
    let registry = Registry::with_pool(TRIES as u32);
    let course = registry.course("CS-101", Some(10));
    let students = registry.students(TRIES as u64);
    let outcomes = enrol_at_once(&registry, &students, |conn, student| {
        queries::enrol(conn, &cli(), course.id, student, date(1)).map(|e| e.id)
    });
    let enrolled = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    let full = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Err(EnrolError::CourseFull { capacity: 10 })))
        .count();
    assert_eq!((enrolled, full), (10, 40), "{outcomes:?}");
    assert_eq!(
        queries::count_enrolled(&mut registry.conn(), course.id).unwrap(),
        10
    );
    // Each student's own count follows their outcome, and the class list's
    // length the rows written.
    let mut conn = registry.conn();
    assert_eq!(class_size(&mut conn, course.id), 10);
    for (student, outcome) in students.iter().zip(&outcomes) {
        assert_eq!(
            current_courses(&mut conn, *student),
            i32::from(outcome.is_ok()),
            "{outcome:?}"
        );
    }
}

/// One student enrolled in twenty courses at once: each enrolment stored,
/// none stopped by another (on PostgreSQL, each waits for the student's row
/// in turn rather than deadlocking over it), and the student's count is 20.
#[test]
fn concurrent_enrolments_of_one_student_all_succeed_and_are_counted() {
    const COURSES: usize = 20;
    let registry = Registry::with_pool(COURSES as u32);
    let ada = registry.student("Ada", "Lovelace");
    let courses: Vec<Course> = (0..COURSES)
        .map(|n| registry.course(&format!("PAR-{n}"), Some(5)))
        .collect();
    let ids: Vec<i32> = courses.iter().map(|course| course.id).collect();
    let outcomes = enrol_at_once(&registry, &ids, |conn, course_id| {
        queries::enrol(conn, &cli(), course_id, ada, date(1)).map(|e| e.id)
    });
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let mut conn = registry.conn();
    assert_eq!(current_courses(&mut conn, ada), COURSES as i32);
    assert_eq!(queries::for_student(&mut conn, ada).unwrap().len(), COURSES);
}

#[test]
fn deleting_a_student_deletes_their_enrolments() {
    let registry = Registry::new();
    let course = registry.course("GEO-101", None);
    let ada = registry.student("Ada", "Lovelace");
    let alan = registry.student("Alan", "Turing");
    registry.enrol(&course, ada, 1).unwrap();
    registry.enrol(&course, alan, 1).unwrap();
    let mut conn = registry.conn();
    assert_eq!(class_size(&mut conn, course.id), 2);
    students::queries::delete(&mut conn, &cli(), ada, None).unwrap();
    assert_eq!(class_size(&mut conn, course.id), 1, "the cascade");
    assert!(queries::for_student(&mut conn, ada).unwrap().is_empty());
    let class = queries::class_list(&mut conn, course.id, &ClassListParams::default()).unwrap();
    let ids: Vec<i32> = class.members.iter().map(|m| m.student.id).collect();
    assert_eq!(ids, [alan]);
    // The seats taken follow the cascade.
    let listed = queries::list(&mut conn, &ListParams::default()).unwrap();
    assert_eq!(listed.courses[0].enrolled, 1);
    students::queries::delete(&mut conn, &cli(), alan, None).unwrap();
    assert_eq!(class_size(&mut conn, course.id), 0);
    // No row left: the course may go now.
    queries::delete(&mut conn, &cli(), course.id, None).unwrap();
}

#[test]
fn every_write_records_its_audit_event() {
    let registry = Registry::new();
    let mut conn = registry.conn();
    let ada = registry.student("Ada", "Lovelace");
    let course = queries::create(
        &mut conn,
        &actor(),
        &draft("LIT-101", "Poetry").validate().unwrap(),
    )
    .unwrap();
    queries::update(
        &mut conn,
        &actor(),
        course.id,
        None,
        IfUnchanged::Save,
        |_| draft("LIT-101", "Poetry and Prose").validate(),
    )
    .unwrap();
    // Saving unchanged details records nothing.
    queries::update(
        &mut conn,
        &actor(),
        course.id,
        None,
        IfUnchanged::Save,
        |c| CourseDraft::from(c).validate(),
    )
    .unwrap();
    let row = queries::enrol(&mut conn, &actor(), course.id, ada, date(1)).unwrap();
    queries::set_status(
        &mut conn,
        &actor(),
        row.id,
        EnrolmentStatus::Withdrawn,
        date(2),
    )
    .unwrap();
    // Setting the status it has changes nothing and records nothing.
    queries::set_status(
        &mut conn,
        &actor(),
        row.id,
        EnrolmentStatus::Withdrawn,
        date(3),
    )
    .unwrap();
    queries::enrol(&mut conn, &actor(), course.id, ada, date(4)).unwrap();
    // A refused write records nothing.
    let _ = queries::enrol(&mut conn, &actor(), course.id, ada, date(5));
    let empty = queries::create(
        &mut conn,
        &actor(),
        &draft("LIT-999", "Gone").validate().unwrap(),
    )
    .unwrap();
    queries::delete(&mut conn, &actor(), empty.id, None).unwrap();

    let actions = |subject| -> Vec<(String, serde_json::Value)> {
        let mut events = audit::for_subject(&mut registry.conn(), subject, 100).unwrap();
        events.reverse();
        for event in &events {
            assert_eq!(event.actor_label, "tester");
            assert_eq!(event.address.as_deref(), Some("127.0.0.1"));
            assert_eq!(event.subject(), Some(subject));
        }
        events
            .iter()
            .map(|event| (event.action.clone(), event.details()))
            .collect()
    };
    let course_events = actions(Subject::Course(course.id));
    assert_eq!(
        course_events,
        [
            (
                Action::CourseCreate.as_str().to_owned(),
                serde_json::json!({"code": "LIT-101", "title": "Poetry", "description": null,
                    "credits": null, "capacity": null})
            ),
            (
                Action::CourseUpdate.as_str().to_owned(),
                serde_json::json!({"title": {"old": "Poetry", "new": "Poetry and Prose"}})
            ),
        ]
    );
    let enrolment_events = actions(Subject::Enrolment(row.id));
    assert_eq!(
        enrolment_events,
        [
            (
                Action::EnrolmentCreate.as_str().to_owned(),
                serde_json::json!({"student_id": ada, "course_id": course.id,
                    "enrolled_on": "2026-09-01", "status": "enrolled", "withdrawn_on": null})
            ),
            (
                Action::EnrolmentUpdate.as_str().to_owned(),
                serde_json::json!({"student_id": ada, "course_id": course.id,
                    "status": {"old": "enrolled", "new": "withdrawn"},
                    "withdrawn_on": {"old": null, "new": "2026-09-02"}})
            ),
            (
                Action::EnrolmentUpdate.as_str().to_owned(),
                serde_json::json!({"student_id": ada, "course_id": course.id,
                    "status": {"old": "withdrawn", "new": "enrolled"},
                    "enrolled_on": {"old": "2026-09-01", "new": "2026-09-04"},
                    "withdrawn_on": {"old": "2026-09-02", "new": null}})
            ),
        ]
    );
    let deleted = actions(Subject::Course(empty.id));
    let names: Vec<&str> = deleted.iter().map(|(action, _)| action.as_str()).collect();
    assert_eq!(names, ["course.create", "course.delete"]);
}

#[test]
fn the_listings_count_seats_page_sort_and_search() {
    let registry = Registry::new();
    let bio = registry.course("BIO-101", Some(2));
    let che = registry.course("CHE-101", None);
    let _geo = registry.course("GEO-201", Some(3));
    let students = registry.students(30);
    for &student in &students[..2] {
        registry.enrol(&bio, student, 1).unwrap();
    }
    for (day, &student) in students.iter().enumerate() {
        registry.enrol(&che, student, 30 - day as u32).unwrap();
    }
    let mut conn = registry.conn();

    // The course list, with the seats taken, searched and sorted.
    let list = queries::list(&mut conn, &ListParams::default()).unwrap();
    let rows: Vec<(&str, i64, Option<i64>)> = list
        .courses
        .iter()
        .map(|c| (c.course.code.as_str(), c.enrolled, c.seats_left()))
        .collect();
    assert_eq!(
        rows,
        [
            ("BIO-101", 2, Some(0)),
            ("CHE-101", 30, None),
            ("GEO-201", 0, Some(3))
        ]
    );
    let search = |term: &str| {
        let params = ListParams::parse(Some(term), Some("code"), Some("desc"), None, None);
        let list = queries::list(&mut registry.conn(), &params).unwrap();
        assert_eq!(list.pagination.total, list.courses.len() as i64);
        list.courses
            .into_iter()
            .map(|c| c.course.code)
            .collect::<Vec<_>>()
    };
    assert_eq!(search("101"), ["CHE-101", "BIO-101"]);
    assert_eq!(search("course geo"), ["GEO-201"], "titles match too");
    assert_eq!(search("che"), ["CHE-101"], "ignoring case");
    assert_eq!(
        search("%"),
        Vec::<String>::new(),
        "LIKE's wildcards are literal"
    );
    let last = queries::list(
        &mut conn,
        &ListParams {
            sort: SortKey::Title,
            direction: Direction::Desc,
            page: 2,
            per_page: 2,
            ..ListParams::default()
        },
    )
    .unwrap();
    let codes: Vec<&str> = last
        .courses
        .iter()
        .map(|c| c.course.code.as_str())
        .collect();
    assert_eq!(codes, ["BIO-101"]);

    // Courses with a seat left: not the full one.
    let open: Vec<String> = queries::with_seats_left(&mut conn)
        .unwrap()
        .into_iter()
        .map(|c| c.code)
        .collect();
    assert_eq!(open, ["CHE-101", "GEO-201"]);

    // The class list by name, then the same by date, every page.
    let class = |sort, direction, page| {
        let params = ClassListParams {
            sort,
            direction,
            page,
            per_page: 7,
        };
        let list = queries::class_list(&mut registry.conn(), che.id, &params).unwrap();
        assert_eq!(list.pagination.total, 30);
        list.members
    };
    let mut by_name = Vec::new();
    for page in 1..=5 {
        by_name.extend(class(ClassSortKey::Name, Direction::Asc, page));
    }
    let keys: Vec<(String, String, i32)> = by_name
        .iter()
        .map(|m| {
            (
                m.student.lastname.to_lowercase(),
                m.student.firstname.to_lowercase(),
                m.student.id,
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        keys, sorted,
        "in name order across pages (the last read backward)"
    );
    let mut ids: Vec<i32> = keys.iter().map(|k| k.2).collect();
    ids.sort();
    let mut expected = students.clone();
    expected.sort();
    assert_eq!(ids, expected, "every student once");
    let newest_first = class(ClassSortKey::Enrolled, Direction::Desc, 1);
    let days: Vec<NaiveDate> = newest_first
        .iter()
        .map(|m| m.enrolment.enrolled_on)
        .collect();
    assert_eq!(days, (24..=30).rev().map(date).collect::<Vec<_>>());
    let last_page = class(ClassSortKey::Enrolled, Direction::Desc, 5);
    let days: Vec<NaiveDate> = last_page.iter().map(|m| m.enrolment.enrolled_on).collect();
    assert_eq!(days, [date(2), date(1)]);

    // A student's courses, and the per-student counts of current ones.
    let first = students[0];
    let theirs: Vec<String> = queries::for_student(&mut conn, first)
        .unwrap()
        .into_iter()
        .map(|c| c.course.code)
        .collect();
    assert_eq!(theirs, ["BIO-101", "CHE-101"]);
    let row = queries::for_student(&mut conn, first).unwrap()[0]
        .enrolment
        .id;
    queries::set_status(&mut conn, &cli(), row, EnrolmentStatus::Withdrawn, date(9)).unwrap();
    let mut current = |id| {
        student_registry::students::queries::find(&mut conn, id)
            .unwrap()
            .unwrap()
            .current_courses
    };
    assert_eq!(current(students[0]), 1, "the withdrawn one is not counted");
    assert_eq!(current(students[1]), 2);
    assert_eq!(current(students[2]), 1);
}

#[test]
fn seed_adds_courses_and_enrolments_within_capacity() {
    let registry = Registry::new();
    let url = registry.test_database.url();
    let seed =
        crate::cli::registry_with_input(&url, &["seed", "--count", "400", "--courses", "12"], "");
    let out = String::from_utf8_lossy(&seed.stdout).to_string();
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );
    assert!(out.contains("added 12 courses and"), "{out}");

    let mut conn = registry.conn();
    let courses = queries::list(
        &mut conn,
        &ListParams {
            per_page: 100,
            ..ListParams::default()
        },
    )
    .unwrap()
    .courses;
    assert_eq!(courses.len(), 12);
    let enrolled: i64 = courses.iter().map(|c| c.enrolled).sum();
    assert!(enrolled > 400, "a few courses each: {enrolled}");
    for course in &courses {
        // The triggers kept count through the bulk insert.
        let counted = queries::count_enrolled(&mut conn, course.course.id).unwrap();
        assert_eq!(course.enrolled, counted, "{course:?}");
        if let Some(capacity) = course.course.capacity {
            assert!(course.enrolled <= i64::from(capacity), "{course:?}");
        }
    }
    let students = students::queries::list(
        &mut conn,
        &students::listing::ListParams {
            per_page: 100,
            ..Default::default()
        },
    )
    .unwrap()
    .students;
    let statuses: Vec<EnrolmentStatus> = students
        .iter()
        .flat_map(|s| queries::for_student(&mut conn, s.id).unwrap())
        .map(|c| c.enrolment.status)
        .collect();
    assert!(
        statuses.contains(&EnrolmentStatus::Withdrawn),
        "some withdrawn"
    );
    assert!(statuses.contains(&EnrolmentStatus::Enrolled));
    assert!(
        students
            .iter()
            .all(|s| !queries::for_student(&mut conn, s.id).unwrap().is_empty()),
        "every student has a course"
    );
    // Seeding courses again enrols no one twice: everyone already has some.
    let again = crate::cli::registry_with_input(&url, &["seed", "--courses", "3"], "");
    let out = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(out.contains("added 3 courses and 0 enrolments"), "{out}");
}

/// Counts the statements one connection runs.
struct StatementCounter(Arc<std::sync::atomic::AtomicUsize>);

impl diesel::connection::Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// No N+1: each listing runs the same few statements for a page of 2 rows
/// as for a page of 30.
#[test]
fn listings_run_a_fixed_number_of_statements_whatever_the_page_size() {
    use diesel::Connection;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let registry = Registry::new();
    let students = registry.students(30);
    let mut courses = Vec::new();
    for n in 0..30 {
        let course = registry.course(&format!("C-{n}"), Some(30));
        for &student in &students[..3] {
            registry.enrol(&course, student, 1).unwrap();
        }
        courses.push(course);
    }
    for &student in &students[3..] {
        registry.enrol(&courses[0], student, 2).unwrap();
    }
    // A connection of its own, so the count is this test's alone.
    let mut conn = registry.test_database.connect();
    let statements = Arc::new(AtomicUsize::new(0));
    conn.set_instrumentation(StatementCounter(Arc::clone(&statements)));
    let mut count =
        |work: &mut dyn FnMut(&mut student_registry::database::AnyConnection) -> usize| {
            statements.store(0, Ordering::SeqCst);
            let rows = work(&mut conn);
            (statements.load(Ordering::SeqCst), rows)
        };

    for per_page in [2, 30] {
        let params = ListParams {
            per_page,
            ..ListParams::default()
        };
        let (n, rows) = count(&mut |c| queries::list(c, &params).unwrap().courses.len());
        assert_eq!((n, rows), (2, per_page as usize), "course list");
        let searched = ListParams {
            search: Some("c-".into()),
            ..params.clone()
        };
        let (n, _) = count(&mut |c| queries::list(c, &searched).unwrap().courses.len());
        assert_eq!(n, 2, "searched course list");
        let class = ClassListParams {
            per_page,
            ..ClassListParams::default()
        };
        let (n, rows) = count(&mut |c| {
            queries::class_list(c, courses[0].id, &class)
                .unwrap()
                .members
                .len()
        });
        assert_eq!((n, rows), (2, per_page as usize), "class list");
    }
    let (n, rows) = count(&mut |c| queries::for_student(c, students[0]).unwrap().len());
    assert_eq!((n, rows), (1, 30), "a student's courses");
    let (n, rows) = count(&mut |c| queries::with_seats_left(c).unwrap().len());
    assert_eq!((n, rows), (1, 29), "courses with seats left (C-0 is full)");
}
