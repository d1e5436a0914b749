-- The index's age and city orders put a student without one first going up
-- and last going down. Sorting by coalesce(age, 0) and
-- coalesce(lower(city), '') (no stored age is below 1, no city below the
-- empty text) gives that same order with no NULL in it, so a page link's
-- position ("after age 30, id 4711") is one range of the index whichever
-- side of the students without an age it falls on: `age NULLS FIRST` would
-- need an OR that no index range serves. Read backward for the descending
-- orders, as before.
DROP INDEX students_age_idx;
DROP INDEX students_city_idx;
CREATE INDEX students_age_idx ON students ((coalesce(age, 0)), id);
CREATE INDEX students_city_idx ON students ((coalesce(lower(city), '')), id);
