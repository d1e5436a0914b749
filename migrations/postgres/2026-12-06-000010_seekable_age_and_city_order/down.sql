DROP INDEX students_age_idx;
DROP INDEX students_city_idx;
CREATE INDEX students_age_idx ON students (age NULLS FIRST, id);
CREATE INDEX students_city_idx ON students (lower(city) NULLS FIRST, id);
