DROP TRIGGER students_count_after_truncate ON students;
DROP FUNCTION students_count_after_truncate();
DROP TRIGGER students_count_after_delete ON students;
DROP FUNCTION students_count_after_delete();
DROP TRIGGER students_count_after_insert ON students;
DROP FUNCTION students_count_after_insert();
DROP TABLE students_count;
DROP INDEX students_search_idx;
DROP FUNCTION students_search_document(text, text, text, text);
DROP FUNCTION students_unaccent(text);
-- Fails, rather than cascading, if something outside this migration uses it.
DROP EXTENSION IF EXISTS unaccent;
DROP INDEX students_created_at_idx;
DROP INDEX students_city_idx;
DROP INDEX students_age_idx;
DROP INDEX students_name_idx;
