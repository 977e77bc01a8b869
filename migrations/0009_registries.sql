-- Registries a team shares: an address and credentials stored once, picked by
-- name in each app's settings (an app can still carry its own inline registry).
CREATE TABLE registries (
    id         INTEGER PRIMARY KEY,
    team_id    INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    -- host[:port][/namespace]
    address    TEXT    NOT NULL,
    username   TEXT,
    -- encrypted (secrets.rs)
    password   TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (team_id, name)
);

-- NULL: the app's inline registry settings (or none)
ALTER TABLE apps ADD COLUMN registry_id INTEGER;
