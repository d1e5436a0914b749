-- Sessions, kept on the server: the cookie holds only a random key, and a
-- session ends when its row goes (sign-out, "sign out everywhere", a
-- deactivated account or a changed password), on every app instance at once.
-- key_hash: SHA-256 (hex) of the cookie's key, so reading this table does not
-- give anyone a cookie that works.
-- user_id: the signed-in account, NULL before sign-in (the session then only
-- holds the sign-in form's CSRF token).
-- state: the session's entries, a JSON object of JSON-encoded values.
-- Timestamps are UTC: the idle timeout counts from last_seen_at, the
-- absolute lifetime from created_at.
CREATE TABLE sessions (
    key_hash TEXT PRIMARY KEY NOT NULL CHECK (length(key_hash) = 64),
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);

CREATE INDEX sessions_user_id ON sessions (user_id);
-- Expired sessions are removed in order of age.
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);
