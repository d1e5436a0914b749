-- Each course's number of enrolment rows, whatever their status: the class
-- list's length, which its page shows and pages by. Counting them on every
-- course page was a twelfth of the page at 300 students (perf), and grows
-- with the class. Kept by the triggers below in the same statement as
-- every change, as enrolled_count is; bookkeeping, not an edit.
ALTER TABLE courses ADD COLUMN class_size INTEGER NOT NULL DEFAULT 0
    CHECK (class_size >= 0);
UPDATE courses
SET class_size = (SELECT count(*) FROM enrolments WHERE enrolments.course_id = courses.id);

-- A student's delete cascades to their enrolments and fires these too.
CREATE TRIGGER courses_class_size_after_insert AFTER INSERT ON enrolments BEGIN
    UPDATE courses SET class_size = class_size + 1 WHERE id = new.course_id;
END;

CREATE TRIGGER courses_class_size_after_delete AFTER DELETE ON enrolments BEGIN
    UPDATE courses SET class_size = class_size - 1 WHERE id = old.course_id;
END;

CREATE TRIGGER courses_class_size_after_update AFTER UPDATE OF course_id ON enrolments
WHEN old.course_id IS NOT new.course_id BEGIN
    UPDATE courses SET class_size = class_size - 1 WHERE id = old.course_id;
    UPDATE courses SET class_size = class_size + 1 WHERE id = new.course_id;
END;
