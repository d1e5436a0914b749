-- Courses and enrolments (issue 14): the many-to-many relation of the
-- tutorials, students ↔ courses through enrolments.
-- AUTOINCREMENT: ids are never reused, so a stale form or ETag for a deleted
-- course can never match a new one. `version` drives stale-edit protection as
-- for students. capacity NULL means unlimited; seats count only `enrolled`
-- rows, and the app enforces them (no CHECK can count rows).
-- enrolled_count is those rows, kept by the triggers below in the same
-- transaction as every change to them: listing courses with seats left
-- would otherwise count some 300,000 rows on every student page. It is
-- bookkeeping, not an edit: it does not bump the version.
CREATE TABLE courses (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 20),
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description TEXT CHECK (length(description) <= 10000),
    credits INTEGER CHECK (credits BETWEEN 0 AND 60),
    capacity INTEGER CHECK (capacity >= 1),
    enrolled_count INTEGER NOT NULL DEFAULT 0 CHECK (enrolled_count >= 0),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Codes are unique ignoring case; the database is the final word, so two
-- requests racing for one code cannot both succeed. The app recognises the
-- violation by this index's name: keep it courses_code_key. It also serves
-- the listing's sort by code.
CREATE UNIQUE INDEX courses_code_key ON courses (lower(code));
-- The listing's other sort orders.
CREATE INDEX courses_title_idx ON courses (lower(title));
CREATE INDEX courses_credits_idx ON courses (credits);

-- One row per student and course: withdrawing keeps the row (with the date)
-- and re-enrolling reactivates it. Deleting a student deletes their
-- enrolments; a course with any enrolment row cannot be deleted (RESTRICT,
-- and the app says how many first). withdrawn_on is set exactly when the
-- status is `withdrawn`.
CREATE TABLE enrolments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    student_id INTEGER NOT NULL REFERENCES students (id) ON DELETE CASCADE,
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    enrolled_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('enrolled', 'withdrawn', 'completed')),
    withdrawn_on DATE,
    CHECK ((status = 'withdrawn') = (withdrawn_on IS NOT NULL))
);

-- One row per pair; it also serves a student's courses, the per-student
-- counts of the student index, and the cascade when a student is deleted.
CREATE UNIQUE INDEX enrolments_student_course_key ON enrolments (student_id, course_id);
-- The seat count (enrolled rows of a course), answered from the index alone,
-- and the count of rows that keeps a course from being deleted.
CREATE INDEX enrolments_course_status_idx ON enrolments (course_id, status);
-- The class list in enrolment-date order.
CREATE INDEX enrolments_course_enrolled_on_idx ON enrolments (course_id, enrolled_on);

-- courses.enrolled_count follows every enrolled row in, out, and between
-- statuses (a student's delete cascades here and fires these too).
CREATE TRIGGER enrolments_count_after_insert AFTER INSERT ON enrolments
WHEN new.status = 'enrolled' BEGIN
    UPDATE courses SET enrolled_count = enrolled_count + 1 WHERE id = new.course_id;
END;

CREATE TRIGGER enrolments_count_after_delete AFTER DELETE ON enrolments
WHEN old.status = 'enrolled' BEGIN
    UPDATE courses SET enrolled_count = enrolled_count - 1 WHERE id = old.course_id;
END;

CREATE TRIGGER enrolments_count_after_update AFTER UPDATE OF status, course_id ON enrolments BEGIN
    UPDATE courses SET enrolled_count = enrolled_count - 1
    WHERE id = old.course_id AND old.status = 'enrolled';
    UPDATE courses SET enrolled_count = enrolled_count + 1
    WHERE id = new.course_id AND new.status = 'enrolled';
END;

-- The audit history admits the new subjects. SQLite cannot alter a CHECK, so
-- the table is rebuilt with the same columns, rows and indexes.
CREATE TABLE audit_events_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    occurred_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    actor_user_id INTEGER REFERENCES users (id),
    actor_label TEXT NOT NULL CHECK (length(actor_label) >= 1),
    address TEXT,
    action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 50),
    subject_type TEXT CHECK (subject_type IN ('student', 'user', 'token', 'course', 'enrolment')),
    subject_id INTEGER,
    details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
    CHECK ((subject_type IS NULL) = (subject_id IS NULL))
);
INSERT INTO audit_events_new SELECT * FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_subject_idx ON audit_events (subject_type, subject_id, id);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_user_id, id);
CREATE INDEX audit_events_action_idx ON audit_events (action, id);
