-- enrolments_count() as it was before, then the column.
CREATE OR REPLACE FUNCTION enrolments_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE courses SET enrolled_count = enrolled_count + change.taken
        FROM (SELECT course_id, count(*) AS taken FROM new_rows
              WHERE status = 'enrolled' GROUP BY course_id) AS change
        WHERE courses.id = change.course_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE courses SET enrolled_count = enrolled_count - change.freed
        FROM (SELECT course_id, count(*) AS freed FROM old_rows
              WHERE status = 'enrolled' GROUP BY course_id) AS change
        WHERE courses.id = change.course_id;
    ELSE
        UPDATE courses SET enrolled_count = enrolled_count + change.delta
        FROM (SELECT course_id, sum(delta) AS delta FROM (
                  SELECT course_id, 1 AS delta FROM new_rows WHERE status = 'enrolled'
                  UNION ALL
                  SELECT course_id, -1 FROM old_rows WHERE status = 'enrolled'
              ) AS moves GROUP BY course_id) AS change
        WHERE courses.id = change.course_id AND change.delta <> 0;
    END IF;
    RETURN NULL;
END
$$;
ALTER TABLE courses DROP COLUMN class_size;
