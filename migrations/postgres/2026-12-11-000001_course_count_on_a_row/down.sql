DROP TRIGGER courses_count_after_truncate ON courses;
DROP FUNCTION courses_count_after_truncate();
DROP TRIGGER courses_count_after_delete ON courses;
DROP FUNCTION courses_count_after_delete();
DROP TRIGGER courses_count_after_insert ON courses;
DROP FUNCTION courses_count_after_insert();
DROP TABLE courses_count;
