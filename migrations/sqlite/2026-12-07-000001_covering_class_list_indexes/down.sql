DROP INDEX enrolments_course_status_idx;
DROP INDEX enrolments_course_enrolled_on_idx;
CREATE INDEX enrolments_course_status_idx ON enrolments (course_id, status);
CREATE INDEX enrolments_course_enrolled_on_idx ON enrolments (course_id, enrolled_on);
