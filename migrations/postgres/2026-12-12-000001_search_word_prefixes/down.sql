DROP INDEX students_search_idx;

CREATE INDEX students_search_idx ON students
    USING gin (students_search_document(firstname, lastname, email, city))
    WITH (gin_pending_list_limit = 128);

DROP FUNCTION students_search_prefixes(tsvector);
