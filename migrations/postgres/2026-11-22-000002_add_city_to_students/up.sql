-- The tutorial's schema-change step: a new optional column on a table that
-- already holds data. Existing rows keep every value and get no city.
-- Added by ALTER TABLE, as on SQLite, so the column order (city last) matches.
ALTER TABLE students ADD COLUMN city TEXT
    CONSTRAINT students_city_check CHECK (char_length(city) <= 80);
