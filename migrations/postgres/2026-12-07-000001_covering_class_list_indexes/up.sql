-- A course's rows, read from the index alone (an index-only scan, where the
-- visibility map allows): a class list, a course's seat count and the
-- student index filtered by a course find every column they need here.
DROP INDEX enrolments_course_status_idx;
DROP INDEX enrolments_course_enrolled_on_idx;
CREATE INDEX enrolments_course_status_idx
    ON enrolments (course_id, status) INCLUDE (student_id, enrolled_on, withdrawn_on, id);
CREATE INDEX enrolments_course_enrolled_on_idx
    ON enrolments (course_id, enrolled_on, id) INCLUDE (student_id, status, withdrawn_on);
