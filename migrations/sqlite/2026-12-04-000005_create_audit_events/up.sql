-- The audit history (issue 13): who did what to which record, and when.
-- AUTOINCREMENT: an id is never reused, so the id order is the order events
-- were recorded in (the listing pages by it) even after old rows are pruned.
-- actor_user_id is NULL for the command line (and for requests not yet tied
-- to a signed-in account); no ON DELETE: accounts are deactivated, never
-- deleted. actor_label is the actor as it read when the event happened
-- ("Ada Admin <ada@example.com>", "token NAME of ada@example.com", "command
-- line"), so the history reads right after a rename.
-- address is the client's IP address as text, NULL when there is none.
-- subject_type and subject_id name the record acted on, both or neither.
-- details is JSON text: for an update {"field": {"old": …, "new": …}} of the
-- changed fields, for a create the created fields, for a delete the deleted
-- record's fields.
-- occurred_at is UTC.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    occurred_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    actor_user_id INTEGER REFERENCES users (id),
    actor_label TEXT NOT NULL CHECK (length(actor_label) >= 1),
    address TEXT,
    action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 50),
    subject_type TEXT CHECK (subject_type IN ('student', 'user', 'token')),
    subject_id INTEGER,
    details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
    CHECK ((subject_type IS NULL) = (subject_id IS NULL))
);

-- A record's history, newest first.
CREATE INDEX audit_events_subject_idx ON audit_events (subject_type, subject_id, id);
-- Pruning by age, and the activity list's date filter.
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);
-- The activity list filtered by who, or by what, newest first.
CREATE INDEX audit_events_actor_idx ON audit_events (actor_user_id, id);
CREATE INDEX audit_events_action_idx ON audit_events (action, id);
