-- The course list's total, kept as students_count keeps the index's: on
-- PostgreSQL, count(*) over every course read each course on each page (a
-- statement twice the cost of reading one row, half the course list's time
-- on the database). SQLite keeps the same table, so both backends have one
-- schema.
CREATE TABLE courses_count (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    total BIGINT NOT NULL
);

INSERT INTO courses_count (id, total) SELECT 1, count(*) FROM courses;

CREATE TRIGGER courses_count_after_insert AFTER INSERT ON courses BEGIN
    UPDATE courses_count SET total = total + 1 WHERE id = 1;
END;

CREATE TRIGGER courses_count_after_delete AFTER DELETE ON courses BEGIN
    UPDATE courses_count SET total = total - 1 WHERE id = 1;
END;
