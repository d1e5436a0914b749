-- A course's rows, read from the index alone: a class list, a course's seat
-- count and the student index filtered by a course find every column they
-- need in these two indexes, so 300 rows of a class list are a few adjacent
-- index pages rather than 300 lookups scattered over the table (which, with
-- the student rows the list also reads, outgrew a connection's page cache).
DROP INDEX enrolments_course_status_idx;
DROP INDEX enrolments_course_enrolled_on_idx;
CREATE INDEX enrolments_course_status_idx
    ON enrolments (course_id, status, student_id, enrolled_on, withdrawn_on);
-- The id right after the date: the class list's enrolment-date order ends
-- with it, so the index gives that order without a sort.
CREATE INDEX enrolments_course_enrolled_on_idx
    ON enrolments (course_id, enrolled_on, id, student_id, status, withdrawn_on);
