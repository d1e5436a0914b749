-- Each student's number of current enrolments (status 'enrolled'), kept by
-- the triggers below in the same statement as every change to them, as
-- courses.enrolled_count is: every page of the student index shows it on
-- each row, and reading it with the row costs nothing, where counting each
-- row's enrolments was a tenth of a page (perf).
ALTER TABLE students ADD COLUMN current_courses INTEGER NOT NULL DEFAULT 0
    CHECK (current_courses >= 0);
UPDATE students
SET current_courses = (
    SELECT count(*) FROM enrolments
    WHERE enrolments.student_id = students.id AND enrolments.status = 'enrolled'
);

-- A student's delete cascades to their enrolments and fires these too, on
-- a row that is going or gone: a no-op.
CREATE TRIGGER students_current_courses_after_insert AFTER INSERT ON enrolments
WHEN new.status = 'enrolled' BEGIN
    UPDATE students SET current_courses = current_courses + 1 WHERE id = new.student_id;
END;

CREATE TRIGGER students_current_courses_after_delete AFTER DELETE ON enrolments
WHEN old.status = 'enrolled' BEGIN
    UPDATE students SET current_courses = current_courses - 1 WHERE id = old.student_id;
END;

CREATE TRIGGER students_current_courses_after_update AFTER UPDATE OF status, student_id ON enrolments
WHEN old.status IS NOT new.status OR old.student_id IS NOT new.student_id BEGIN
    UPDATE students SET current_courses = current_courses - 1
    WHERE id = old.student_id AND old.status = 'enrolled';
    UPDATE students SET current_courses = current_courses + 1
    WHERE id = new.student_id AND new.status = 'enrolled';
END;
