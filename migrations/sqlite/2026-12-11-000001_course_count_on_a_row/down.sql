DROP TRIGGER courses_count_after_delete;
DROP TRIGGER courses_count_after_insert;
DROP TABLE courses_count;
