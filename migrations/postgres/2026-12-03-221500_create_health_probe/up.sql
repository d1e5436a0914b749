-- One row that /healthz rewrites and commits: only a committed write shows
-- that the database can still store one (a read-only database or a full disk
-- still answer reads).
CREATE TABLE health_probe (
    id INTEGER NOT NULL,
    checks BIGINT NOT NULL,
    CONSTRAINT health_probe_pkey PRIMARY KEY (id),
    CONSTRAINT health_probe_id_check CHECK (id = 1)
);

INSERT INTO health_probe (id, checks) VALUES (1, 0);
