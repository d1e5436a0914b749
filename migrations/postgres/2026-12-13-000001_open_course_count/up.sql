-- PostgreSQL twin of migrations/sqlite/2026-12-13-000001_open_course_count:
-- the number of courses with a seat left (or no limit), kept beside the
-- courses' total. A student's enrol form lists the open courses only when
-- they are few; telling that by walking the first fifty of them in code
-- order was the costliest part of a student's page (pgbench: half of its
-- statement). The count changes only when a course is created or deleted,
-- or fills up or opens again: an enrolment that leaves seats free does not
-- write it (the trigger's WHEN is tested on the row, no function runs).
-- Courses first, then the count, the order every write takes them in: a
-- course created meanwhile finishes first, or waits for this.
LOCK TABLE courses IN SHARE ROW EXCLUSIVE MODE;
ALTER TABLE courses_count ADD COLUMN open BIGINT NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION courses_count_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses_count
    SET total = total + (SELECT count(*) FROM inserted),
        open = open + (SELECT count(*) FROM inserted
                       WHERE capacity IS NULL OR capacity > enrolled_count)
    WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION courses_count_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses_count
    SET total = total - (SELECT count(*) FROM deleted),
        open = open - (SELECT count(*) FROM deleted
                       WHERE capacity IS NULL OR capacity > enrolled_count)
    WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION courses_count_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses_count SET total = 0, open = 0 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE FUNCTION courses_open_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses_count
    SET open = open + CASE WHEN NEW.capacity IS NULL OR NEW.capacity > NEW.enrolled_count
        THEN 1 ELSE -1 END
    WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER courses_open_after_update AFTER UPDATE OF capacity, enrolled_count ON courses
    FOR EACH ROW
    WHEN ((OLD.capacity IS NULL OR OLD.capacity > OLD.enrolled_count)
          IS DISTINCT FROM (NEW.capacity IS NULL OR NEW.capacity > NEW.enrolled_count))
    EXECUTE FUNCTION courses_open_after_update();

-- Courses are held in SHARE ROW EXCLUSIVE mode until this commits, so no
-- course changes between the trigger and the count.
UPDATE courses_count
SET open = (SELECT count(*) FROM courses WHERE capacity IS NULL OR capacity > enrolled_count)
WHERE id = 1;
