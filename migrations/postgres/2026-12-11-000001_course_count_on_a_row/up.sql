-- PostgreSQL twin of migrations/sqlite/2026-12-11-000001_course_count_on_a_row:
-- the course list's total, kept as students_count keeps the index's, by
-- statement-level triggers that count the transition table. count(*) over
-- every course read each course on each page (a statement twice the cost
-- of reading one row, half the course list's time on the database).
CREATE TABLE courses_count (
    id INTEGER NOT NULL,
    total BIGINT NOT NULL,
    CONSTRAINT courses_count_pkey PRIMARY KEY (id),
    CONSTRAINT courses_count_id_check CHECK (id = 1)
);

CREATE FUNCTION courses_count_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses_count SET total = total + (SELECT count(*) FROM inserted) WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER courses_count_after_insert AFTER INSERT ON courses
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION courses_count_after_insert();

CREATE FUNCTION courses_count_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses_count SET total = total - (SELECT count(*) FROM deleted) WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER courses_count_after_delete AFTER DELETE ON courses
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION courses_count_after_delete();

-- TRUNCATE fires no DELETE trigger, so it would leave a stale total behind;
-- reset it instead.
CREATE FUNCTION courses_count_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses_count SET total = 0 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER courses_count_after_truncate AFTER TRUNCATE ON courses
    FOR EACH STATEMENT EXECUTE FUNCTION courses_count_after_truncate();

-- CREATE TRIGGER holds courses in SHARE ROW EXCLUSIVE mode until this
-- commits, so no course is created or deleted between the triggers and the
-- count: each course is counted once.
INSERT INTO courses_count (id, total) SELECT 1, count(*) FROM courses;
