DROP TRIGGER students_sort_name_to_enrolments ON students;
CREATE OR REPLACE FUNCTION students_sort_name_to_enrolments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE enrolments
    SET sort_lastname = lower(NEW.lastname), sort_firstname = lower(NEW.firstname)
    WHERE student_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER students_sort_name_to_enrolments AFTER UPDATE OF firstname, lastname ON students
    FOR EACH ROW
    WHEN (lower(OLD.lastname) IS DISTINCT FROM lower(NEW.lastname)
          OR lower(OLD.firstname) IS DISTINCT FROM lower(NEW.firstname))
    EXECUTE FUNCTION students_sort_name_to_enrolments();

CREATE OR REPLACE FUNCTION enrolments_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT lower(lastname), lower(firstname)
    INTO NEW.sort_lastname, NEW.sort_firstname
    FROM students
    WHERE id = NEW.student_id
    -- A rename in flight commits first, or waits for this row.
    FOR SHARE;
    IF NOT FOUND THEN
        -- No such student: left to the foreign key to refuse, as before.
        NEW.sort_lastname := '';
        NEW.sort_firstname := '';
    END IF;
    RETURN NEW;
END;
$$;

DROP INDEX enrolments_course_name_idx;
CREATE INDEX enrolments_course_name_idx
    ON enrolments (course_id, sort_lastname, sort_firstname, student_id)
    INCLUDE (enrolled_on, status, withdrawn_on, id);

ALTER TABLE enrolments
    DROP COLUMN student_email,
    DROP COLUMN student_lastname,
    DROP COLUMN student_firstname;
