-- The student record of the Flask tutorial, plus the columns a real registry needs.
-- AUTOINCREMENT: an id is never reused after a delete, so an edit form or an
-- ETag for a deleted student can never match a new one at version 1.
-- `version` drives optimistic concurrency (a stale edit form is detected, never
-- silently applied) and `updated_at` records the last change.
CREATE TABLE students (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    firstname TEXT NOT NULL CHECK (length(firstname) BETWEEN 1 AND 100),
    lastname TEXT NOT NULL CHECK (length(lastname) BETWEEN 1 AND 100),
    email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 80),
    age INTEGER CHECK (age BETWEEN 1 AND 150),
    bio TEXT CHECK (length(bio) <= 10000),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Emails are unique ignoring case; the database is the final word, so two
-- requests racing with the same address cannot both succeed.
CREATE UNIQUE INDEX students_email_key ON students (lower(email));
