-- The audit log: who did what, when, from where. Written by the API, the
-- server functions and the webhook endpoint; never updated.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    -- a user's email, or "<pusher> via <host>" for webhooks
    actor   TEXT    NOT NULL,
    -- the client address the request came from
    origin  TEXT,
    -- e.g. auth.login, app.update, deployment.rollback
    action  TEXT    NOT NULL,
    -- what it was done to: an app, a deployment, a token, a target
    subject TEXT    NOT NULL,
    -- details; for variables and secrets, names only
    detail  TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, id);
