-- A class list in name order, read from an index: each enrolment carries its
-- student's sort name (lower(lastname), lower(firstname)), set by the
-- triggers below in the same statement as every change to it, so a page of
-- the list is the next entries of enrolments_course_name_idx and 25 student
-- lookups, instead of joining and sorting every student of the course.
ALTER TABLE enrolments
    ADD COLUMN sort_lastname TEXT NOT NULL DEFAULT '',
    ADD COLUMN sort_firstname TEXT NOT NULL DEFAULT '';
-- No rename may slip between this copy and the trigger that follows renames.
LOCK TABLE students IN SHARE MODE;
UPDATE enrolments
SET sort_lastname = lower(students.lastname), sort_firstname = lower(students.firstname)
FROM students
WHERE students.id = enrolments.student_id;

CREATE INDEX enrolments_course_name_idx
    ON enrolments (course_id, sort_lastname, sort_firstname, student_id)
    INCLUDE (enrolled_on, status, withdrawn_on, id);

CREATE FUNCTION enrolments_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER enrolments_sort_name BEFORE INSERT OR UPDATE OF student_id ON enrolments
    FOR EACH ROW EXECUTE FUNCTION enrolments_sort_name();

CREATE FUNCTION students_sort_name_to_enrolments() RETURNS trigger LANGUAGE plpgsql AS $$
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
