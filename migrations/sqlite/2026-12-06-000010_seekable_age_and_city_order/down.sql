DROP INDEX students_age_idx;
DROP INDEX students_city_idx;
CREATE INDEX students_age_idx ON students (age);
CREATE INDEX students_city_idx ON students (lower(city));
