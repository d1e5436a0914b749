-- Prefix indexes for words typed up to eight letters (they were up to three).
-- A search word longer than the longest prefix index merges the posting list
-- of every indexed word that begins with it; one that fits reads a single
-- list. "ada rossi" at 100,000 students: 460 -> 380 µs for the match and
-- its page of ids, for 13% more file and 3 µs more a student written.
-- The table is rebuilt under the same name: the triggers on students that
-- keep it current name it, and still do.
DROP TABLE students_search;

CREATE VIRTUAL TABLE students_search USING fts5(
    full_name, email, city,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3 4 5 6 7 8'
);

INSERT INTO students_search (rowid, full_name, email, city)
SELECT id, firstname || ' ' || lastname, email, coalesce(city, '') FROM students;

INSERT INTO students_search (students_search) VALUES ('optimize');
