-- AWS targets: where an app runs when not on this machine's Docker engine.
-- One row per AWS account/region/cluster an installation deploys to.
CREATE TABLE aws_targets (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT    NOT NULL UNIQUE,
    region                TEXT    NOT NULL,
    -- default (the SDK's provider chain), access_key, assume_role
    credentials           TEXT    NOT NULL DEFAULT 'default',
    access_key_id         TEXT,
    -- encrypted (secrets.rs)
    secret_access_key     TEXT,
    role_arn              TEXT,
    cluster               TEXT    NOT NULL,
    -- NULL: the region's default VPC and its subnets
    vpc_id                TEXT,
    -- JSON array of subnet ids; empty: the VPC's subnets
    subnets               TEXT    NOT NULL DEFAULT '[]',
    public_ip             INTEGER NOT NULL DEFAULT 1,
    load_balancer         TEXT    NOT NULL,
    certificate_arn       TEXT,
    base_domain           TEXT    NOT NULL,
    -- NULL: Slipway creates (and owns) slipway-<target>-execution
    execution_role_arn    TEXT,
    log_retention_days    INTEGER NOT NULL DEFAULT 30,
    keep_images           INTEGER NOT NULL DEFAULT 20,
    rollout_timeout_secs  INTEGER NOT NULL DEFAULT 900,
    -- Endpoint overrides: a private AWS API endpoint (or an emulator), and a
    -- registry that stands in for the ECR endpoint. Normally NULL.
    endpoint_url          TEXT,
    registry_override     TEXT,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

-- An app runs on the local engine (NULL) or on an AWS target.
ALTER TABLE apps ADD COLUMN aws_target_id INTEGER REFERENCES aws_targets (id);
-- The target group's health check and drain settings.
ALTER TABLE apps ADD COLUMN health_interval_secs INTEGER NOT NULL DEFAULT 10;
ALTER TABLE apps ADD COLUMN healthy_threshold INTEGER NOT NULL DEFAULT 2;
ALTER TABLE apps ADD COLUMN deregistration_delay_secs INTEGER NOT NULL DEFAULT 30;
-- Also check health inside the container (the image needs wget or curl).
ALTER TABLE apps ADD COLUMN container_health_check INTEGER NOT NULL DEFAULT 0;

-- What an ECS deployment registered, for rollback and the drift check.
ALTER TABLE deployments ADD COLUMN task_definition_arn TEXT;
ALTER TABLE deployments ADD COLUMN desired_count INTEGER;
-- The target a deployment went to ("local" or the AWS target's name).
ALTER TABLE deployments ADD COLUMN target TEXT NOT NULL DEFAULT 'local';
