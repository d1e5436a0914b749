-- Indexes that serve each sort order of the index page (email's sort uses
-- the unique index on lower(email)). Each ends in the implicit rowid, which is
-- the tie-breaker, so every ordering is total and stable across pages.
CREATE INDEX students_name_idx ON students (lower(lastname), lower(firstname));
CREATE INDEX students_age_idx ON students (age);
CREATE INDEX students_city_idx ON students (lower(city));
CREATE INDEX students_created_at_idx ON students (created_at);

-- Search: a full-text index of the words in each student's name, email and
-- city, ignoring case and accents. Every word typed must begin a word of the
-- student ("sam sha" finds Sammy Shark), answered from the index without
-- scanning the table. The prefix indexes keep one- to three-letter searches
-- fast too.
CREATE VIRTUAL TABLE students_search USING fts5(
    full_name, email, city,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);

INSERT INTO students_search (rowid, full_name, email, city)
SELECT id, firstname || ' ' || lastname, email, coalesce(city, '') FROM students;

CREATE TRIGGER students_search_after_insert AFTER INSERT ON students BEGIN
    INSERT INTO students_search (rowid, full_name, email, city)
    VALUES (new.id, new.firstname || ' ' || new.lastname, new.email, coalesce(new.city, ''));
END;

CREATE TRIGGER students_search_after_update AFTER UPDATE OF firstname, lastname, email, city ON students BEGIN
    UPDATE students_search
    SET full_name = new.firstname || ' ' || new.lastname, email = new.email, city = coalesce(new.city, '')
    WHERE rowid = old.id;
END;

CREATE TRIGGER students_search_after_delete AFTER DELETE ON students BEGIN
    DELETE FROM students_search WHERE rowid = old.id;
END;

-- The index shows the total on every page. Counting 100,000 rows costs more
-- than the page itself, so the total is kept here, in the same transaction as
-- every insert and delete.
CREATE TABLE students_count (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    total BIGINT NOT NULL
);

INSERT INTO students_count (id, total) SELECT 1, count(*) FROM students;

CREATE TRIGGER students_count_after_insert AFTER INSERT ON students BEGIN
    UPDATE students_count SET total = total + 1 WHERE id = 1;
END;

CREATE TRIGGER students_count_after_delete AFTER DELETE ON students BEGIN
    UPDATE students_count SET total = total - 1 WHERE id = 1;
END;
