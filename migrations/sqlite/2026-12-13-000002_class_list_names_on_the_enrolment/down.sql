DROP TRIGGER students_sort_name_after_update;
CREATE TRIGGER students_sort_name_after_update AFTER UPDATE OF firstname, lastname ON students
WHEN lower(old.lastname) IS NOT lower(new.lastname) OR lower(old.firstname) IS NOT lower(new.firstname) BEGIN
    UPDATE enrolments
    SET sort_lastname = lower(new.lastname), sort_firstname = lower(new.firstname)
    WHERE student_id = new.id;
END;

DROP TRIGGER enrolments_sort_name_after_update;
CREATE TRIGGER enrolments_sort_name_after_update AFTER UPDATE OF student_id ON enrolments BEGIN
    UPDATE enrolments
    SET sort_lastname = lower(students.lastname), sort_firstname = lower(students.firstname)
    FROM students
    WHERE students.id = new.student_id AND enrolments.id = new.id;
END;

DROP TRIGGER enrolments_sort_name_after_insert;
CREATE TRIGGER enrolments_sort_name_after_insert AFTER INSERT ON enrolments BEGIN
    UPDATE enrolments
    SET sort_lastname = lower(students.lastname), sort_firstname = lower(students.firstname)
    FROM students
    WHERE students.id = new.student_id AND enrolments.id = new.id;
END;

DROP INDEX enrolments_course_name_idx;
CREATE INDEX enrolments_course_name_idx
    ON enrolments (course_id, sort_lastname, sort_firstname, student_id, enrolled_on, status, withdrawn_on);

ALTER TABLE enrolments DROP COLUMN student_email;
ALTER TABLE enrolments DROP COLUMN student_lastname;
ALTER TABLE enrolments DROP COLUMN student_firstname;
