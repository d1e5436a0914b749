-- The tutorial's schema-change step: a new optional column on a table that
-- already holds data. Existing rows keep every value and get no city.
ALTER TABLE students ADD COLUMN city TEXT CHECK (length(city) <= 80);
