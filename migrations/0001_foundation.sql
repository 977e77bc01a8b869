-- Accounts, sessions, API tokens, apps and their environment.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    is_owner      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- tower-sessions records; `data` is the session's JSON.
CREATE TABLE sessions (
    id          TEXT    PRIMARY KEY,
    data        TEXT    NOT NULL,
    expiry_date INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry_date);

-- Failed sign-ins, for rate limiting.
CREATE TABLE login_failures (
    id     INTEGER PRIMARY KEY,
    email  TEXT    NOT NULL COLLATE NOCASE,
    ip     TEXT    NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    -- SHA-256 of the token, hex; the token itself is shown once and never stored.
    token_hash   TEXT    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE apps (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    repo_url      TEXT    NOT NULL,
    branch        TEXT    NOT NULL,
    dockerfile    TEXT    NOT NULL,
    build_context TEXT    NOT NULL,
    port          INTEGER NOT NULL,
    health_path   TEXT    NOT NULL,
    replicas      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- An app's environment. Secret values are encrypted (see secrets.rs).
CREATE TABLE app_env (
    app_id   INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name     TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    secret   INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (app_id, name)
);
