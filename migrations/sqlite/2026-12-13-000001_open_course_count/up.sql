-- The number of courses with a seat left (or no limit), kept beside the
-- courses' total. A student's enrol form lists the open courses only when
-- they are few; telling that by walking the first fifty of them in code
-- order was the costliest part of a student's page on PostgreSQL. The
-- count changes only when a course is created or deleted, or fills up or
-- opens again: an enrolment that leaves seats free does not write it.
ALTER TABLE courses_count ADD COLUMN open BIGINT NOT NULL DEFAULT 0;

UPDATE courses_count
SET open = (SELECT count(*) FROM courses WHERE capacity IS NULL OR capacity > enrolled_count)
WHERE id = 1;

DROP TRIGGER courses_count_after_insert;
CREATE TRIGGER courses_count_after_insert AFTER INSERT ON courses BEGIN
    UPDATE courses_count
    SET total = total + 1,
        open = open + (NEW.capacity IS NULL OR NEW.capacity > NEW.enrolled_count)
    WHERE id = 1;
END;

DROP TRIGGER courses_count_after_delete;
CREATE TRIGGER courses_count_after_delete AFTER DELETE ON courses BEGIN
    UPDATE courses_count
    SET total = total - 1,
        open = open - (OLD.capacity IS NULL OR OLD.capacity > OLD.enrolled_count)
    WHERE id = 1;
END;

CREATE TRIGGER courses_open_after_update AFTER UPDATE OF capacity, enrolled_count ON courses
WHEN (OLD.capacity IS NULL OR OLD.capacity > OLD.enrolled_count)
    IS NOT (NEW.capacity IS NULL OR NEW.capacity > NEW.enrolled_count)
BEGIN
    UPDATE courses_count
    SET open = open + CASE WHEN NEW.capacity IS NULL OR NEW.capacity > NEW.enrolled_count
        THEN 1 ELSE -1 END
    WHERE id = 1;
END;
