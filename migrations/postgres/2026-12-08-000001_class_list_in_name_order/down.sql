DROP TRIGGER students_sort_name_to_enrolments ON students;
DROP FUNCTION students_sort_name_to_enrolments();
DROP TRIGGER enrolments_sort_name ON enrolments;
DROP FUNCTION enrolments_sort_name();
DROP INDEX enrolments_course_name_idx;
ALTER TABLE enrolments DROP COLUMN sort_firstname, DROP COLUMN sort_lastname;
