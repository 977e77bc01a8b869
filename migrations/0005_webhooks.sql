-- Git webhooks: one URL per app (/hooks/<app>) with its own secret.
-- NULL secret: no webhook. NULL branches: the app's branch.
ALTER TABLE apps ADD COLUMN webhook_secret TEXT;
ALTER TABLE apps ADD COLUMN webhook_branches TEXT;

-- Every delivery, whatever became of it.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    app_id          INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    -- github, gitlab, gitea, bitbucket, unknown
    provider        TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    delivery_id     TEXT,
    -- 1 for a verified delivery: its id can't be processed twice
    claims_delivery INTEGER NOT NULL DEFAULT 0,
    -- queued, joined, ignored, ping, duplicate, refused, invalid
    outcome         TEXT    NOT NULL,
    detail          TEXT,
    deployment_id   INTEGER REFERENCES deployments (id) ON DELETE SET NULL,
    commit_sha      TEXT,
    pusher          TEXT,
    received_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_once
    ON webhook_deliveries (app_id, provider, delivery_id) WHERE claims_delivery = 1 AND delivery_id IS NOT NULL;
CREATE INDEX webhook_deliveries_app ON webhook_deliveries (app_id, id);
