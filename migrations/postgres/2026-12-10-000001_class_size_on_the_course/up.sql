-- Each course's number of enrolment rows, whatever their status: the class
-- list's length, which its page shows and pages by. Counting them on every
-- course page was a twelfth of the page at 300 students (perf), and grows
-- with the class. Kept with enrolled_count, by the same statement-level
-- triggers (one update of each course a statement touches); bookkeeping,
-- not an edit.
ALTER TABLE courses
    ADD COLUMN class_size INTEGER NOT NULL DEFAULT 0,
    ADD CONSTRAINT courses_class_size_check CHECK (class_size >= 0);
-- No enrolment may change between this count and the triggers that follow
-- changes.
LOCK TABLE enrolments IN SHARE MODE;
UPDATE courses
SET class_size = class.n
FROM (SELECT course_id, count(*) AS n FROM enrolments GROUP BY course_id) AS class
WHERE class.course_id = courses.id;

CREATE OR REPLACE FUNCTION enrolments_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE courses SET enrolled_count = enrolled_count + change.taken,
                           class_size = class_size + change.joined
        FROM (SELECT course_id, count(*) FILTER (WHERE status = 'enrolled') AS taken,
                     count(*) AS joined
              FROM new_rows GROUP BY course_id) AS change
        WHERE courses.id = change.course_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE courses SET enrolled_count = enrolled_count - change.freed,
                           class_size = class_size - change.gone
        FROM (SELECT course_id, count(*) FILTER (WHERE status = 'enrolled') AS freed,
                     count(*) AS gone
              FROM old_rows GROUP BY course_id) AS change
        WHERE courses.id = change.course_id;
    ELSE
        UPDATE courses SET enrolled_count = enrolled_count + change.seats,
                           class_size = class_size + change.members
        FROM (SELECT course_id, sum(seat) AS seats, sum(member) AS members FROM (
                  SELECT course_id, (status = 'enrolled')::int AS seat, 1 AS member
                  FROM new_rows
                  UNION ALL
                  SELECT course_id, -(status = 'enrolled')::int, -1 FROM old_rows
              ) AS moves GROUP BY course_id) AS change
        WHERE courses.id = change.course_id
          AND (change.seats <> 0 OR change.members <> 0);
    END IF;
    RETURN NULL;
END
$$;
