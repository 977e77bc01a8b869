-- The durable deployment queue and history (issue: deploy on the local engine).
CREATE TABLE deployments (
    id               INTEGER PRIMARY KEY,
    app_id           INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    -- queued, cloning, building, pushing, deploying, verifying, live,
    -- failed, cancelled, superseded
    status           TEXT    NOT NULL,
    -- ui, api, webhook, rollback
    trigger          TEXT    NOT NULL,
    requested_by     TEXT    NOT NULL,
    -- A commit asked for explicitly; NULL means the branch head at clone time.
    requested_commit TEXT,
    commit_sha       TEXT,
    commit_message   TEXT,
    commit_author    TEXT,
    image            TEXT,
    rollback_of      INTEGER REFERENCES deployments (id),
    error            TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER
);
CREATE INDEX deployments_app ON deployments (app_id, id);
CREATE INDEX deployments_status ON deployments (status, id);
