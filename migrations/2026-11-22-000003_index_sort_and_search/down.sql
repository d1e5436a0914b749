DROP TRIGGER students_search_after_delete;
DROP TRIGGER students_search_after_update;
DROP TRIGGER students_search_after_insert;
DROP TABLE students_search;
DROP INDEX students_created_at_idx;
DROP INDEX students_city_idx;
DROP INDEX students_age_idx;
DROP INDEX students_name_idx;
