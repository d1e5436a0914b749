-- API tokens: what a script presents as `Authorization: Bearer <token>` to
-- the JSON API, each named by its owner and limited to a scope.
-- AUTOINCREMENT: an id is never reused, so an audit row naming a revoked
-- token can never point at a new one.
-- Only the SHA-256 of the token is stored (lower-case hex): the token is
-- random, so a plain hash is as strong as a slow one, and lets a request be
-- checked with one indexed lookup. Whoever reads the database cannot use it.
-- A revoked or expired token keeps its row, so the history still names it.
-- Timestamps are UTC. last_used_at is NULL until first use (and updated at
-- most once a minute); expires_at NULL means it does not expire; revoked_at
-- NULL means it is not revoked.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    token_hash TEXT NOT NULL CHECK (length(token_hash) = 64),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_used_at TIMESTAMP,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);

-- The app recognises violations by these indexes' names: keep them.
-- One lookup per API request, by hash.
CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);
-- A user tells their tokens apart by name, ignoring case; it also serves
-- listing a user's tokens (and the ON DELETE CASCADE) by user_id.
CREATE UNIQUE INDEX api_tokens_user_id_name_key ON api_tokens (user_id, lower(name));
