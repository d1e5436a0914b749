DROP TRIGGER students_sort_name_after_update;
DROP TRIGGER enrolments_sort_name_after_update;
DROP TRIGGER enrolments_sort_name_after_insert;
DROP INDEX enrolments_course_name_idx;
ALTER TABLE enrolments DROP COLUMN sort_firstname;
ALTER TABLE enrolments DROP COLUMN sort_lastname;
