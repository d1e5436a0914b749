//! The tutorial's schema change: adding a column keeps every existing row.

use diesel::connection::SimpleConnection;
use diesel_migrations::MigrationHarness;
use student_registry::database::AnyConnection;
use student_registry::students::queries;

use crate::helpers::{TestDatabase, all_students};

#[test]
fn migration_2_adds_city_and_keeps_every_row_intact() {
    let db = TestDatabase::new();
    let mut conn = db.connect();

    // The database as it was after migration 1 only.
    conn.run_next_migration(db.migrations()).unwrap();
    assert!(conn.has_pending_migration(db.migrations()).unwrap());
    conn.batch_execute(
        "INSERT INTO students (firstname, lastname, email, age, bio) VALUES
            ('john', 'doe', 'jd@example.com', 23, 'Biology student'),
            ('Sammy', 'Shark', 'sammyshark@example.com', 20, 'Marine biology student'),
            ('Carl', 'White', 'carlwhite@example.com', NULL, NULL);",
    )
    .unwrap();

    conn.run_pending_migrations(db.migrations()).unwrap();
    assert!(!conn.has_pending_migration(db.migrations()).unwrap());

    let students = all_students(&mut conn);
    let rows: Vec<_> = students
        .iter()
        .map(|s| {
            (
                s.id,
                s.firstname.as_str(),
                s.lastname.as_str(),
                s.email.as_str(),
                s.age,
                s.bio.as_deref(),
                s.city.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                1,
                "john",
                "doe",
                "jd@example.com",
                Some(23),
                Some("Biology student"),
                None
            ),
            (
                2,
                "Sammy",
                "Shark",
                "sammyshark@example.com",
                Some(20),
                Some("Marine biology student"),
                None
            ),
            (
                3,
                "Carl",
                "White",
                "carlwhite@example.com",
                None,
                None,
                None
            ),
        ]
    );
    assert!(students.iter().all(|s| s.version == 1));
}

#[test]
fn every_migration_can_be_reverted_and_reapplied() {
    let db = TestDatabase::new();
    let mut conn = db.connect();
    conn.run_pending_migrations(db.migrations()).unwrap();
    conn.revert_all_migrations(db.migrations()).unwrap();
    conn.run_pending_migrations(db.migrations()).unwrap();
    assert_eq!(queries::count(&mut conn).unwrap(), 0);
}

/// Each student's columns as of migration 2 (a `Student` has columns added
/// later), by id.
type StoredFields = (
    i32,
    String,
    String,
    String,
    Option<i32>,
    Option<String>,
    Option<String>,
    i32,
);

fn stored_fields(conn: &mut AnyConnection) -> Vec<StoredFields> {
    use diesel::prelude::*;
    use student_registry::schema::students::dsl::*;
    let query = students
        .select((id, firstname, lastname, email, age, bio, city, version))
        .order(id.asc());
    match conn {
        AnyConnection::Sqlite(c) => query.load(c),
        AnyConnection::Postgresql(c) => query.load(c),
    }
    .expect("list students")
}

#[test]
fn migration_3_indexes_existing_students_for_search_and_counting() {
    use student_registry::students::listing::ListParams;

    let db = TestDatabase::new();
    let mut conn = db.connect();
    conn.run_next_migration(db.migrations()).unwrap();
    conn.run_next_migration(db.migrations()).unwrap();
    conn.batch_execute(
        "INSERT INTO students (firstname, lastname, email, age, bio, city) VALUES
            ('Sammy', 'Shark', 'sammyshark@example.com', 20, 'Marine biology student', 'Lisbon'),
            ('Zoë', 'Ng', 'zoe@example.com', NULL, NULL, 'São Paulo');",
    )
    .unwrap();
    let before = stored_fields(&mut conn);

    conn.run_pending_migrations(db.migrations()).unwrap();
    assert_eq!(stored_fields(&mut conn), before, "existing rows are intact");

    let search = |conn: &mut AnyConnection, term: &str| {
        let params = ListParams::parse(Some(term), None, None, None, None);
        let list = queries::list(conn, &params).unwrap();
        list.students
            .iter()
            .map(|s| s.full_name())
            .collect::<Vec<_>>()
    };
    assert_eq!(search(&mut conn, "shark"), ["Sammy Shark"]);
    assert_eq!(search(&mut conn, "sao paulo"), ["Zoë Ng"]);
    let all = queries::list(&mut conn, &ListParams::default()).unwrap();
    assert_eq!(
        all.pagination.total, 2,
        "the kept count starts from the existing rows"
    );
}

/// Runs the migrations before the first whose name contains `name`.
fn migrate_until(db: &TestDatabase, conn: &mut AnyConnection, name: &str) {
    while conn
        .pending_migrations(db.migrations())
        .unwrap()
        .first()
        .is_some_and(|next| !next.name().to_string().contains(name))
    {
        conn.run_next_migration(db.migrations()).unwrap();
    }
}

#[test]
fn the_class_list_name_order_is_filled_in_for_existing_enrolments() {
    use student_registry::courses::listing::ClassListParams;
    use student_registry::courses::queries as course_queries;

    let db = TestDatabase::new();
    let mut conn = db.connect();
    // The database as it was before enrolments kept their student's name.
    migrate_until(&db, &mut conn, "class_list_in_name_order");
    conn.batch_execute(
        "INSERT INTO students (firstname, lastname, email) VALUES
            ('Zed', 'Young', 'zed@example.com'),
            ('Ann', 'abbot', 'ann@example.com');
         INSERT INTO courses (code, title) VALUES ('BIO-1', 'Biology');
         INSERT INTO enrolments (student_id, course_id, enrolled_on, status)
            SELECT students.id, courses.id, '2026-12-01', 'enrolled' FROM students, courses;",
    )
    .unwrap();

    conn.run_pending_migrations(db.migrations()).unwrap();
    let course = course_queries::list(&mut conn, &Default::default())
        .unwrap()
        .courses[0]
        .course
        .id;
    let class = course_queries::class_list(&mut conn, course, &ClassListParams::default()).unwrap();
    let names: Vec<String> = class
        .members
        .iter()
        .map(|member| format!("{} {}", member.student.firstname, member.student.lastname))
        .collect();
    assert_eq!(names, ["Ann abbot", "Zed Young"]);
}

#[test]
fn each_enrolment_gets_its_students_name_and_email_and_follows_them() {
    use student_registry::courses::listing::ClassListParams;
    use student_registry::courses::queries as course_queries;

    let db = TestDatabase::new();
    let mut conn = db.connect();
    // The database as it was before enrolments kept their student's name
    // and email as shown.
    migrate_until(&db, &mut conn, "class_list_names_on_the_enrolment");
    conn.batch_execute(ANN_BO_AND_CY).unwrap();
    conn.batch_execute(
        "INSERT INTO courses (code, title) VALUES ('BIO-1', 'Biology');
         INSERT INTO enrolments (student_id, course_id, enrolled_on, status)
            SELECT id, 1, '2026-12-01', 'enrolled' FROM students WHERE id < 3;",
    )
    .unwrap();

    conn.run_pending_migrations(db.migrations()).unwrap();
    let shown = |conn: &mut AnyConnection| -> Vec<String> {
        course_queries::class_list(conn, 1, &ClassListParams::default())
            .unwrap()
            .members
            .iter()
            .map(|member| {
                let student = &member.student;
                format!(
                    "{} {} {}",
                    student.firstname, student.lastname, student.email
                )
            })
            .collect()
    };
    assert_eq!(
        shown(&mut conn),
        ["Ann Abbot ann@example.com", "Bo Baker bo@example.com"]
    );
    // A new enrolment, an email changed alone, and a rename.
    conn.batch_execute(
        "INSERT INTO enrolments (student_id, course_id, enrolled_on, status)
            VALUES (3, 1, '2026-12-02', 'enrolled');
         UPDATE students SET email = 'bo.new@example.com' WHERE id = 2;
         UPDATE students SET firstname = 'Anne', lastname = 'Zane' WHERE id = 1;",
    )
    .unwrap();
    assert_eq!(
        shown(&mut conn),
        [
            "Bo Baker bo.new@example.com",
            "Cy Cole cy@example.com",
            "Anne Zane ann@example.com"
        ]
    );
}

/// Three students (ids 1 to 3), for the tests of what a migration fills in.
const ANN_BO_AND_CY: &str = "INSERT INTO students (firstname, lastname, email) VALUES
    ('Ann', 'Abbot', 'ann@example.com'),
    ('Bo', 'Baker', 'bo@example.com'),
    ('Cy', 'Cole', 'cy@example.com');";

#[test]
fn each_students_current_courses_are_counted_for_existing_enrolments() {
    use student_registry::students::queries as student_queries;

    let db = TestDatabase::new();
    let mut conn = db.connect();
    // The database as it was before students kept their count.
    migrate_until(&db, &mut conn, "current_courses_on_the_student");
    conn.batch_execute(ANN_BO_AND_CY).unwrap();
    conn.batch_execute(
        "INSERT INTO courses (code, title) VALUES ('BIO-1', 'Biology'), ('CHE-1', 'Chemistry');
         INSERT INTO enrolments (student_id, course_id, enrolled_on, status)
            SELECT students.id, courses.id, '2026-12-01', 'enrolled'
            FROM students, courses WHERE students.firstname <> 'Cy';
         UPDATE enrolments SET status = 'withdrawn', withdrawn_on = '2026-12-02'
            WHERE student_id = (SELECT id FROM students WHERE firstname = 'Bo')
            AND course_id = (SELECT id FROM courses WHERE code = 'BIO-1');",
    )
    .unwrap();

    conn.run_pending_migrations(db.migrations()).unwrap();
    let counts: Vec<(String, i32)> = (1..=3)
        .map(|id| {
            let student = student_queries::find(&mut conn, id).unwrap().unwrap();
            (student.firstname, student.current_courses)
        })
        .collect();
    assert_eq!(
        counts,
        [("Ann".into(), 2), ("Bo".into(), 1), ("Cy".into(), 0)],
        "withdrawn enrolments are not counted"
    );
}

#[test]
fn each_courses_class_size_is_counted_for_existing_enrolments() {
    let db = TestDatabase::new();
    let mut conn = db.connect();
    // The database as it was before courses kept their class list's length.
    migrate_until(&db, &mut conn, "class_size_on_the_course");
    conn.batch_execute(ANN_BO_AND_CY).unwrap();
    conn.batch_execute(
        "INSERT INTO courses (code, title) VALUES
            ('BIO-1', 'Biology'), ('CHE-1', 'Chemistry'), ('GEO-1', 'Geography');
         INSERT INTO enrolments (student_id, course_id, enrolled_on, status)
            SELECT students.id, courses.id, '2026-12-01', 'enrolled'
            FROM students, courses WHERE courses.code <> 'GEO-1'
            AND (courses.code = 'BIO-1' OR students.firstname = 'Ann');
         UPDATE enrolments SET status = 'withdrawn', withdrawn_on = '2026-12-02'
            WHERE student_id = (SELECT id FROM students WHERE firstname = 'Bo');",
    )
    .unwrap();

    conn.run_pending_migrations(db.migrations()).unwrap();
    let sizes = |conn: &mut AnyConnection| -> Vec<i64> {
        (1..=3)
            .map(|id| crate::courses::class_size(conn, id))
            .collect()
    };
    assert_eq!(
        sizes(&mut conn),
        [3, 1, 0],
        "withdrawn enrolments are on the list"
    );
    // And it follows what comes after, whatever the rows' status: Bo's
    // withdrawn row in BIO-1 goes, and one comes into CHE-1 already
    // withdrawn.
    conn.batch_execute(
        "INSERT INTO enrolments (student_id, course_id, enrolled_on, status)
            SELECT students.id, 3, '2026-12-03', 'enrolled' FROM students;
         INSERT INTO enrolments (student_id, course_id, enrolled_on, status, withdrawn_on)
            VALUES (2, 2, '2026-12-03', 'withdrawn', '2026-12-04');
         DELETE FROM enrolments WHERE course_id = 1 AND student_id IN (1, 2);",
    )
    .unwrap();
    assert_eq!(sizes(&mut conn), [1, 2, 3]);
}

#[test]
fn the_open_courses_are_counted_for_existing_courses_and_followed() {
    let db = TestDatabase::new();
    let mut conn = db.connect();
    // The database as it was before the number of open courses was kept.
    migrate_until(&db, &mut conn, "open_course_count");
    conn.batch_execute(ANN_BO_AND_CY).unwrap();
    conn.batch_execute(
        "INSERT INTO courses (code, title, capacity) VALUES
            ('BIO-1', 'Biology', 1), ('CHE-1', 'Chemistry', NULL), ('GEO-1', 'Geography', 2);
         INSERT INTO enrolments (student_id, course_id, enrolled_on, status)
            SELECT students.id, courses.id, '2026-12-01', 'enrolled'
            FROM students, courses
            WHERE students.firstname = 'Ann' AND courses.code IN ('BIO-1', 'CHE-1');",
    )
    .unwrap();

    conn.run_pending_migrations(db.migrations()).unwrap();
    let open = |conn: &mut AnyConnection| {
        let (stored, counted) = crate::courses::open_courses(conn);
        assert_eq!(stored, counted, "kept as counted");
        stored
    };
    assert_eq!(open(&mut conn), 2, "BIO-1 is full");
    // Several rows in one statement each way, as PostgreSQL's triggers
    // count a statement's rows at once, and a capacity changed by hand.
    conn.batch_execute(
        "INSERT INTO courses (code, title, capacity, enrolled_count) VALUES
            ('ART-1', 'Art', 1, 0), ('MUS-1', 'Music', 1, 1), ('PHY-1', 'Physics', NULL, 3);
         DELETE FROM courses WHERE code IN ('MUS-1', 'GEO-1');
         UPDATE courses SET capacity = 5 WHERE code = 'BIO-1';
         UPDATE courses SET capacity = 1 WHERE code = 'ART-1';",
    )
    .unwrap();
    assert_eq!(open(&mut conn), 4);
    conn.batch_execute("UPDATE courses SET capacity = 1")
        .unwrap();
    assert_eq!(open(&mut conn), 1, "only ART-1 has its seat");
}

#[test]
fn the_course_lists_total_counts_existing_courses_and_follows_them() {
    use student_registry::courses::listing::ListParams;
    use student_registry::courses::queries as course_queries;

    let db = TestDatabase::new();
    let mut conn = db.connect();
    // The database as it was before the total was kept on a row.
    migrate_until(&db, &mut conn, "course_count_on_a_row");
    conn.batch_execute(
        "INSERT INTO courses (code, title) VALUES
            ('BIO-1', 'Biology'), ('CHE-1', 'Chemistry'), ('GEO-1', 'Geography');",
    )
    .unwrap();

    conn.run_pending_migrations(db.migrations()).unwrap();
    let total = |conn: &mut AnyConnection| {
        course_queries::list(conn, &ListParams::default())
            .unwrap()
            .pagination
            .total
    };
    assert_eq!(total(&mut conn), 3, "the courses that were there");
    // Several rows in one statement each way, as PostgreSQL's triggers
    // count a statement's rows at once.
    conn.batch_execute(
        "INSERT INTO courses (code, title) VALUES ('ART-1', 'Art'), ('MUS-1', 'Music');
         DELETE FROM courses WHERE code IN ('BIO-1', 'CHE-1', 'ART-1');",
    )
    .unwrap();
    assert_eq!(total(&mut conn), 2);
}
