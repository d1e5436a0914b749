DROP TRIGGER courses_open_after_update ON courses;
DROP FUNCTION courses_open_after_update();

CREATE OR REPLACE FUNCTION courses_count_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses_count SET total = 0 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION courses_count_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses_count SET total = total - (SELECT count(*) FROM deleted) WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION courses_count_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses_count SET total = total + (SELECT count(*) FROM inserted) WHERE id = 1;
    RETURN NULL;
END
$$;

ALTER TABLE courses_count DROP COLUMN open;
