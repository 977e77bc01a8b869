-- Notifications: channels (Slack, Discord, a signed JSON webhook) for one app
-- or for every app, and an outbox of deliveries retried with backoff.
CREATE TABLE notification_channels (
    id         INTEGER PRIMARY KEY,
    -- NULL: every app
    app_id     INTEGER REFERENCES apps (id) ON DELETE CASCADE,
    -- slack, discord, webhook
    kind       TEXT    NOT NULL,
    -- encrypted (webhook URLs carry their own secret)
    url        TEXT    NOT NULL,
    -- the URL's host, to show without revealing the URL
    host       TEXT    NOT NULL,
    -- encrypted HMAC key of generic webhooks
    secret     TEXT,
    -- comma-separated: started, live, failed, rolled_back
    events     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE notification_deliveries (
    id              INTEGER PRIMARY KEY,
    channel_id      INTEGER NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    deployment_id   INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    event           TEXT    NOT NULL,
    -- pending, sent, failed
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at);
