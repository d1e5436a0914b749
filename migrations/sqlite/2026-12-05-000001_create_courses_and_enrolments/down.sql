-- Events about courses and enrolments go with them: the old CHECK refuses them.
DELETE FROM audit_events WHERE subject_type IN ('course', 'enrolment');
CREATE TABLE audit_events_old (
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
INSERT INTO audit_events_old SELECT * FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_old RENAME TO audit_events;
CREATE INDEX audit_events_subject_idx ON audit_events (subject_type, subject_id, id);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_user_id, id);
CREATE INDEX audit_events_action_idx ON audit_events (action, id);

DROP TABLE enrolments;
DROP TABLE courses;
