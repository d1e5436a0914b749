DROP TABLE students_search;

CREATE VIRTUAL TABLE students_search USING fts5(
    full_name, email, city,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);

INSERT INTO students_search (rowid, full_name, email, city)
SELECT id, firstname || ' ' || lastname, email, coalesce(city, '') FROM students;

INSERT INTO students_search (students_search) VALUES ('optimize');
