-- One row that /healthz rewrites and commits: only a committed write shows
-- that the database can still store one (a full disk, a read-only file or
-- database still answer reads).
CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    checks BIGINT NOT NULL
);

INSERT INTO health_probe (id, checks) VALUES (1, 0);
