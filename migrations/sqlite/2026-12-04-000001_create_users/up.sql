-- Staff accounts: who may sign in, and what their role lets them do (viewer
-- reads; editor also changes records; admin also manages accounts).
-- AUTOINCREMENT: an id is never reused, so a session, token or audit row of
-- a removed account can never point at a new one.
-- Only an Argon2id hash of the password is stored (PHC string format, which
-- names its algorithm and parameters, so they can change later).
-- `active` is 0 or 1 (diesel's Bool); a deactivated account keeps its row,
-- so the history of what it did still names it.
-- Timestamps are UTC. last_sign_in_at is NULL until the first sign-in.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    role TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    active BOOLEAN NOT NULL DEFAULT TRUE CHECK (active IN (0, 1)),
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_sign_in_at TIMESTAMP
);

-- Emails are unique ignoring case; the database is the final word, so two
-- accounts created at once with the same address cannot both succeed. The
-- app recognises the violation by this index's name: keep it users_email_key.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
