DROP TRIGGER courses_class_size_after_update;
DROP TRIGGER courses_class_size_after_delete;
DROP TRIGGER courses_class_size_after_insert;
ALTER TABLE courses DROP COLUMN class_size;
