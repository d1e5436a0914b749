DROP TRIGGER courses_open_after_update;

DROP TRIGGER courses_count_after_delete;
CREATE TRIGGER courses_count_after_delete AFTER DELETE ON courses BEGIN
    UPDATE courses_count SET total = total - 1 WHERE id = 1;
END;

DROP TRIGGER courses_count_after_insert;
CREATE TRIGGER courses_count_after_insert AFTER INSERT ON courses BEGIN
    UPDATE courses_count SET total = total + 1 WHERE id = 1;
END;

ALTER TABLE courses_count DROP COLUMN open;
