-- Teams and roles. Users belong to one or more teams; apps, AWS targets, API
-- tokens, team-wide notification channels and audit entries belong to a team.
CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    -- URL-safe handle, e.g. "payments"
    slug       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id    INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'deployer', 'viewer')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- Invitations by link. Only a SHA-256 of the link's token is stored.
CREATE TABLE team_invites (
    id          INTEGER PRIMARY KEY,
    team_id     INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    token_hash  TEXT    NOT NULL UNIQUE,
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'deployer', 'viewer')),
    -- NULL: anyone with the link; otherwise only this address may accept
    email       TEXT    COLLATE NOCASE,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER,
    accepted_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    revoked_at  INTEGER
);
CREATE INDEX team_invites_team ON team_invites (team_id, id);

-- Every installation has a first team; what existed before teams moves into it.
INSERT INTO teams (id, slug, name, created_at) VALUES (1, 'default', 'Default', CAST(strftime('%s', 'now') AS INTEGER));
-- The installation's owner owns it; everyone else could do everything before, so they are admins.
INSERT INTO team_members (team_id, user_id, role, created_at)
    SELECT 1, id, CASE WHEN is_owner = 1 THEN 'owner' ELSE 'admin' END, created_at FROM users;

-- (SQLite can't add a column that REFERENCES another table with a non-NULL
-- default; the code keeps these pointing at existing teams, and a team can
-- only be deleted once it has no apps or targets.)
ALTER TABLE apps ADD COLUMN team_id INTEGER NOT NULL DEFAULT 1;
CREATE INDEX apps_team ON apps (team_id, name);
ALTER TABLE aws_targets ADD COLUMN team_id INTEGER NOT NULL DEFAULT 1;
ALTER TABLE api_tokens ADD COLUMN team_id INTEGER NOT NULL DEFAULT 1;
ALTER TABLE notification_channels ADD COLUMN team_id INTEGER NOT NULL DEFAULT 1;
-- NULL: not about one team (sign-ins)
ALTER TABLE audit_log ADD COLUMN team_id INTEGER;
UPDATE audit_log SET team_id = 1 WHERE action NOT LIKE 'auth.%';
CREATE INDEX audit_log_team ON audit_log (team_id, id);
