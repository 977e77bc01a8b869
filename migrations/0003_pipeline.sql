-- The deploy pipeline on the local engine: app settings it needs, per-step
-- progress, log lines, and the edge proxy's routes.

-- Build and run settings.
ALTER TABLE apps ADD COLUMN health_timeout_secs INTEGER NOT NULL DEFAULT 60;
-- Container limits; NULL means no limit.
ALTER TABLE apps ADD COLUMN cpus REAL;
ALTER TABLE apps ADD COLUMN memory_mb INTEGER;
-- Git credentials (token and SSH key encrypted, see secrets.rs).
ALTER TABLE apps ADD COLUMN git_username TEXT;
ALTER TABLE apps ADD COLUMN git_token TEXT;
ALTER TABLE apps ADD COLUMN git_ssh_key TEXT;
-- Optional push to a registry with basic auth (password encrypted).
ALTER TABLE apps ADD COLUMN registry_url TEXT;
ALTER TABLE apps ADD COLUMN registry_username TEXT;
ALTER TABLE apps ADD COLUMN registry_password TEXT;

-- A variable marked build-time is also passed to the build as a build arg.
ALTER TABLE app_env ADD COLUMN build_time INTEGER NOT NULL DEFAULT 0;

ALTER TABLE deployments ADD COLUMN image_digest TEXT;
ALTER TABLE deployments ADD COLUMN url TEXT;

-- One row per pipeline step of a deployment.
CREATE TABLE deployment_steps (
    deployment_id INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    -- clone, build, push, deploy, verify, retire
    step          TEXT    NOT NULL,
    -- running, done, skipped, failed, cancelled
    outcome       TEXT    NOT NULL,
    detail        TEXT,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    PRIMARY KEY (deployment_id, step)
);

-- The deployment log, one row per line; `id` orders lines and resumes streams.
CREATE TABLE deployment_logs (
    id            INTEGER PRIMARY KEY,
    deployment_id INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    line          TEXT    NOT NULL
);
CREATE INDEX deployment_logs_deployment ON deployment_logs (deployment_id, id);

-- Containers of a release on the local engine.
CREATE TABLE replicas (
    container     TEXT    PRIMARY KEY,
    app_id        INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    deployment_id INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    host_port     INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);

-- The edge proxy's routing table: app name → its serving replicas. The edge
-- process reloads it when `edge_version.version` changes.
CREATE TABLE edge_routes (
    app           TEXT    PRIMARY KEY,
    deployment_id INTEGER NOT NULL,
    -- JSON array of "127.0.0.1:PORT"
    backends      TEXT    NOT NULL,
    version       INTEGER NOT NULL
);
CREATE TABLE edge_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO edge_version (id, version) VALUES (1, 0);

-- The deployment currently serving the app (its status is `live`; earlier
-- deployments that went live keep that status and can be rolled back to).
ALTER TABLE apps ADD COLUMN live_deployment_id INTEGER REFERENCES deployments (id) ON DELETE SET NULL;

-- This installation's id: labels and names its containers, so several
-- installations (or test runs) can share one Docker engine.
CREATE TABLE installation (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key TEXT    NOT NULL
);
INSERT INTO installation (id, key) VALUES (1, lower(hex(randomblob(4))));

-- Images Slipway built, with the key of their inputs (commit, paths, build
-- args): an identical build is skipped. Kept here rather than as image labels,
-- because each label costs the classic builder one more step.
CREATE TABLE builds (
    tag        TEXT    PRIMARY KEY,
    build_key  TEXT    NOT NULL,
    image_id   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
