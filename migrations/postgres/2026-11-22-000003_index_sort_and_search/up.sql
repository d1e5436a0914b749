-- Indexes that serve each sort order of the index page (email's sort uses
-- the unique index on lower(email), whose values are unique, so the id
-- tie-breaker never needs more than a trivial incremental sort). Each ends in
-- id, the tie-breaker, so every ordering is total and stable across pages;
-- PostgreSQL reads them backward for the descending orders.
-- PostgreSQL sorts NULL last, SQLite first: the app asks for NULLS FIRST
-- ascending (NULLS LAST descending) on age and city, and these indexes are
-- declared that way so both directions are still plain index scans.
CREATE INDEX students_name_idx ON students (lower(lastname), lower(firstname), id);
CREATE INDEX students_age_idx ON students (age NULLS FIRST, id);
CREATE INDEX students_city_idx ON students (lower(city) NULLS FIRST, id);
CREATE INDEX students_created_at_idx ON students (created_at, id);

-- Search: a full-text index of the words in each student's name, email and
-- city, ignoring case and accents. Every word typed must begin a word of the
-- student ("sam sha" finds Sammy Shark; the app sends 'sam':* & 'sha':*),
-- answered from the GIN index without scanning the table. For unaccented
-- text, the same matches as the FTS5 index on SQLite; unaccent folds more
-- letters than FTS5 does (ł, ø, ß, æ), as the README says.
-- unaccent is a trusted extension (PostgreSQL 13+): CREATE on the database is
-- enough. It goes into public so the wrapper below can name it explicitly.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

-- unaccent() is only STABLE (it reads its dictionary through search_path); an
-- index expression must be IMMUTABLE, so this wrapper names the dictionary.
-- SQL-standard bodies are resolved when created, so the index still works
-- under another search_path (autovacuum, pg_restore).
CREATE FUNCTION students_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.unaccent('public.unaccent'::regdictionary, $1);

-- The words of one student. PostgreSQL's parser keeps `ada@example.com` as one
-- email token, so spaces and punctuation are first turned into single spaces:
-- then `example` and `com` are words, as in FTS5. [[:punct:]] rather than
-- [^[:alnum:]], which would also strip non-ASCII letters in a C-ctype database.
-- 'simple' lower-cases without stemming, like FTS5's unicode61 tokenizer.
CREATE FUNCTION students_search_document(firstname text, lastname text, email text, city text)
    RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('simple'::regconfig,
        regexp_replace(
            students_unaccent(firstname || ' ' || lastname || ' ' || email || ' ' || coalesce(city, '')),
            '[[:space:][:punct:]]+', ' ', 'g'));

-- New entries wait in the index's pending list, which every search reads in
-- full, until a vacuum or the list's size limit merges them. The default limit
-- (4 MB) let 100,000 seeded rows leave 282 pending pages: 7 ms a search instead
-- of 2 ms. At 128 kB the list stays small and bulk inserts are as fast.
CREATE INDEX students_search_idx ON students
    USING gin (students_search_document(firstname, lastname, email, city))
    WITH (gin_pending_list_limit = 128);

-- The index shows the total on every page. Counting 100,000 rows costs more
-- than the page itself, so the total is kept here, in the same transaction as
-- every insert and delete. The triggers run once per statement and count the
-- transition table, so a 10,000-row insert updates the row once.
CREATE TABLE students_count (
    id INTEGER NOT NULL,
    total BIGINT NOT NULL,
    CONSTRAINT students_count_pkey PRIMARY KEY (id),
    CONSTRAINT students_count_id_check CHECK (id = 1)
);

INSERT INTO students_count (id, total) SELECT 1, count(*) FROM students;

CREATE FUNCTION students_count_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE students_count SET total = total + (SELECT count(*) FROM inserted) WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER students_count_after_insert AFTER INSERT ON students
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION students_count_after_insert();

CREATE FUNCTION students_count_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE students_count SET total = total - (SELECT count(*) FROM deleted) WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER students_count_after_delete AFTER DELETE ON students
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION students_count_after_delete();

-- TRUNCATE fires no DELETE trigger (SQLite has no TRUNCATE), so it would
-- leave a stale total behind; reset it instead.
CREATE FUNCTION students_count_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE students_count SET total = 0 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER students_count_after_truncate AFTER TRUNCATE ON students
    FOR EACH STATEMENT EXECUTE FUNCTION students_count_after_truncate();
