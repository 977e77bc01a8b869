//! Apps in SQLite. `AppDraft` is raw input (from a form or the API); `AppSpec` is
//! the same after validation; `App` is what is stored and shown.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use super::fields::{AppName, Branch, EnvName, Refusal, RegistryAddress, RepoPath, RepoUrl};
use crate::error::{Error, FieldErrors, Result};
use crate::secrets::SecretBox;
use crate::targets::ecs::TaskSize;
use crate::time_fmt::{now, rfc3339};

pub const DEFAULT_BRANCH: &str = "main";
pub const DEFAULT_DOCKERFILE: &str = "Dockerfile";
pub const DEFAULT_CONTEXT: &str = ".";
pub const DEFAULT_PORT: u16 = 8080;
pub const DEFAULT_HEALTH_PATH: &str = "/";
pub const MAX_REPLICAS: u32 = 20;
pub const DEFAULT_HEALTH_TIMEOUT_SECS: u32 = 60;

/// Raw input for an app. Empty optional fields take their defaults.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AppDraft {
    pub name: String,
    pub repo_url: String,
    pub branch: String,
    pub dockerfile: String,
    pub build_context: String,
    pub port: String,
    pub health_path: String,
    pub health_timeout: String,
    pub replicas: String,
    pub cpus: String,
    pub memory_mb: String,
    pub env: Vec<EnvDraft>,
    pub git_username: String,
    /// Write-only credentials: `None` keeps the stored value, `Some("")` removes it.
    pub git_token: Option<String>,
    pub git_ssh_key: Option<String>,
    pub registry: String,
    pub registry_username: String,
    pub registry_password: Option<String>,
    /// A registry the team shares, by name (instead of the inline one above).
    pub registry_name: String,
    /// "local" (or empty) for this machine's Docker engine, else an AWS target's name.
    pub target: String,
    /// AWS: the target group's health-check interval, healthy threshold and drain delay.
    pub health_interval: String,
    pub healthy_threshold: String,
    pub deregistration_delay: String,
    /// AWS: also check health inside the container (the image needs wget or curl).
    pub container_health_check: bool,
}

/// One variable as entered. A secret without a value keeps its stored value (on update).
#[derive(Debug, Clone, Deserialize)]
pub struct EnvDraft {
    pub name: String,
    pub value: Option<String>,
    #[serde(default)]
    pub secret: bool,
    /// Also passed to `docker build` as a build arg.
    #[serde(default)]
    pub build_time: bool,
}

#[derive(Debug, Clone)]
pub struct EnvSpec {
    pub name: EnvName,
    /// `None`: keep the stored secret.
    pub value: Option<String>,
    pub secret: bool,
    pub build_time: bool,
}

/// A write-only credential as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialInput {
    Keep,
    Clear,
    Set(String),
}

impl CredentialInput {
    pub fn from_draft(value: &Option<String>) -> Self {
        match value.as_deref().map(str::trim) {
            None => Self::Keep,
            Some("") => Self::Clear,
            Some(value) => Self::Set(value.to_owned()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AppSpec {
    pub name: AppName,
    pub repo_url: RepoUrl,
    pub branch: Branch,
    pub dockerfile: RepoPath,
    pub build_context: RepoPath,
    pub port: u16,
    pub health_path: String,
    pub health_timeout_secs: u32,
    pub replicas: u32,
    pub cpus: Option<f64>,
    pub memory_mb: Option<u32>,
    pub env: Vec<EnvSpec>,
    pub git_username: Option<String>,
    pub git_token: CredentialInput,
    pub git_ssh_key: CredentialInput,
    pub registry: Option<RegistryAddress>,
    pub registry_username: Option<String>,
    pub registry_password: CredentialInput,
    /// The team registry to push to, by name (`None`: the inline one, if any).
    pub registry_name: Option<String>,
    /// `None`: the local engine.
    pub target: Option<String>,
    pub health_interval_secs: u32,
    pub healthy_threshold: u32,
    pub deregistration_delay_secs: u32,
    pub container_health_check: bool,
}

fn or_default<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.trim().is_empty() { default } else { value }
}

/// Records a refusal under `field` and returns the value, if any.
fn take<T>(errors: &mut FieldErrors, field: &str, result: std::result::Result<T, Refusal>) -> Option<T> {
    result.map_err(|(code, message)| errors.add(field, code, message)).ok()
}

fn optional_text(raw: &str) -> Option<String> {
    Some(raw.trim()).filter(|v| !v.is_empty()).map(str::to_owned)
}

impl AppSpec {
    /// Validates every field and reports all problems at once.
    pub fn parse(draft: &AppDraft) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let e = &mut errors;
        let name = take(e, "name", AppName::parse(&draft.name));
        let repo_url = take(e, "repo_url", RepoUrl::parse(&draft.repo_url));
        let branch = take(e, "branch", Branch::parse(or_default(&draft.branch, DEFAULT_BRANCH)));
        let dockerfile = take(
            e,
            "dockerfile",
            RepoPath::parse(or_default(&draft.dockerfile, DEFAULT_DOCKERFILE), "Dockerfile path"),
        );
        let build_context = take(
            e,
            "build_context",
            RepoPath::parse(or_default(&draft.build_context, DEFAULT_CONTEXT), "build context"),
        );
        let port = take(e, "port", parse_port(&draft.port));
        let health_path = take(e, "health_path", parse_health_path(&draft.health_path));
        let health_timeout = take(e, "health_timeout", parse_health_timeout(&draft.health_timeout));
        let replicas = take(e, "replicas", parse_replicas(&draft.replicas));
        let cpus = take(e, "cpus", parse_cpus(&draft.cpus));
        let memory_mb = take(e, "memory_mb", parse_memory(&draft.memory_mb));
        let env = take(e, "env", parse_env(&draft.env));
        let registry =
            take(e, "registry", optional_text(&draft.registry).map(|r| RegistryAddress::parse(&r)).transpose());
        let registry_username = optional_text(&draft.registry_username);
        let registry_name = optional_text(&draft.registry_name);
        if registry_name.is_some() && optional_text(&draft.registry).is_some() {
            e.add("registry_name", "registry_conflict", "Pick a team registry or enter a registry address, not both.");
        }
        let target = optional_text(&draft.target).filter(|t| t != LOCAL_TARGET);
        let lb = parse_load_balancer_settings(e, draft);
        // Fargate has fixed CPU/memory pairs: a bad one is a form error, not an AWS refusal mid-deploy.
        if target.is_some()
            && let (Some(cpus), Some(memory)) = (cpus, memory_mb)
            && let Err(message) = fargate_size(cpus, memory)
        {
            e.add("memory_mb", "invalid_fargate_size", message);
        }
        let git_ssh_key = CredentialInput::from_draft(&draft.git_ssh_key);
        if let CredentialInput::Set(key) = &git_ssh_key
            && !key.contains("PRIVATE KEY-----")
        {
            e.add(
                "git_ssh_key",
                "invalid_ssh_key",
                "Paste the deploy key's private key (it starts with \"-----BEGIN\").",
            );
        }
        let (
            Some(name),
            Some(repo_url),
            Some(branch),
            Some(dockerfile),
            Some(build_context),
            Some(port),
            Some(health_path),
            Some(health_timeout_secs),
            Some(replicas),
            Some(cpus),
            Some(memory_mb),
            Some(env),
            Some(registry),
        ) = (
            name,
            repo_url,
            branch,
            dockerfile,
            build_context,
            port,
            health_path,
            health_timeout,
            replicas,
            cpus,
            memory_mb,
            env,
            registry,
        )
        else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            name,
            repo_url,
            branch,
            dockerfile,
            build_context,
            port,
            health_path,
            health_timeout_secs,
            replicas,
            cpus,
            memory_mb,
            env,
            git_username: optional_text(&draft.git_username),
            git_token: CredentialInput::from_draft(&draft.git_token),
            git_ssh_key,
            registry,
            registry_username,
            registry_password: CredentialInput::from_draft(&draft.registry_password),
            registry_name,
            target,
            health_interval_secs: lb.0,
            healthy_threshold: lb.1,
            deregistration_delay_secs: lb.2,
            container_health_check: draft.container_health_check,
        })
    }
}

/// The name of the built-in target (the local Docker engine).
pub const LOCAL_TARGET: &str = "local";

/// Fargate CPU and memory for an app: 0.25 vCPU / 512 MiB unless set.
pub fn fargate_size(cpus: Option<f64>, memory_mb: Option<u32>) -> std::result::Result<TaskSize, String> {
    let cpu_units = cpus.map(|c| (c * 1024.0).round() as u32).unwrap_or(256);
    let memory = memory_mb.unwrap_or(match cpu_units {
        256 => 512,
        units => units * 2,
    });
    TaskSize::parse(cpu_units, memory)
}

fn parse_load_balancer_settings(e: &mut FieldErrors, draft: &AppDraft) -> (u32, u32, u32) {
    let number = |raw: &str, default: u32| match raw.trim() {
        "" => Some(default),
        raw => raw.parse::<u32>().ok(),
    };
    let interval = number(&draft.health_interval, 10).filter(|n| (5..=300).contains(n)).unwrap_or_else(|| {
        e.add("health_interval", "invalid_health_interval", "The health-check interval is 5 to 300 seconds.");
        10
    });
    let threshold = number(&draft.healthy_threshold, 2).filter(|n| (2..=10).contains(n)).unwrap_or_else(|| {
        e.add("healthy_threshold", "invalid_healthy_threshold", "The healthy threshold is 2 to 10 checks.");
        2
    });
    let delay = number(&draft.deregistration_delay, 30).filter(|n| *n <= 3600).unwrap_or_else(|| {
        e.add("deregistration_delay", "invalid_deregistration_delay", "The drain delay is 0 to 3600 seconds.");
        30
    });
    (interval, threshold, delay)
}

fn parse_health_timeout(raw: &str) -> std::result::Result<u32, Refusal> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(DEFAULT_HEALTH_TIMEOUT_SECS);
    }
    match raw.parse::<u32>() {
        Ok(secs) if (1..=3600).contains(&secs) => Ok(secs),
        _ => Err(("invalid_health_timeout", "The health-check deadline is a number of seconds from 1 to 3600.".into())),
    }
}

fn parse_cpus(raw: &str) -> std::result::Result<Option<f64>, Refusal> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<f64>() {
        Ok(cpus) if (0.01..=64.0).contains(&cpus) => Ok(Some(cpus)),
        _ => Err(("invalid_cpus", format!("\"{raw}\" is not a CPU limit; use a number of cores such as 0.5 or 2."))),
    }
}

fn parse_memory(raw: &str) -> std::result::Result<Option<u32>, Refusal> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u32>() {
        Ok(mb) if (6..=1_048_576).contains(&mb) => Ok(Some(mb)),
        _ => Err(("invalid_memory", format!("\"{raw}\" is not a memory limit; use megabytes, at least 6, e.g. 512."))),
    }
}

fn parse_port(raw: &str) -> std::result::Result<u16, Refusal> {
    let raw = or_default(raw, "").trim();
    if raw.is_empty() {
        return Ok(DEFAULT_PORT);
    }
    match raw.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(("invalid_port", format!("\"{raw}\" is not a port; use a number from 1 to 65535."))),
    }
}

fn parse_health_path(raw: &str) -> std::result::Result<String, Refusal> {
    let path = or_default(raw, DEFAULT_HEALTH_PATH).trim();
    if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control()) || path.len() > 512 {
        return Err((
            "invalid_health_path",
            format!("\"{path}\" is not a URL path; it must start with \"/\", e.g. \"/healthz\"."),
        ));
    }
    Ok(path.to_owned())
}

fn parse_replicas(raw: &str) -> std::result::Result<u32, Refusal> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(1);
    }
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_REPLICAS).contains(&n) => Ok(n),
        _ => Err(("invalid_replicas", format!("Replicas must be a whole number from 1 to {MAX_REPLICAS}."))),
    }
}

/// Validates an environment on its own (the deployer's "variables only" edit).
pub fn parse_env_drafts(drafts: &[EnvDraft]) -> Result<Vec<EnvSpec>, FieldErrors> {
    parse_env(drafts).map_err(|(code, message)| FieldErrors::single("env", code, message))
}

fn parse_env(drafts: &[EnvDraft]) -> std::result::Result<Vec<EnvSpec>, Refusal> {
    let mut seen = BTreeSet::new();
    let mut env = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let name = EnvName::parse(&draft.name)?;
        if !seen.insert(name.clone()) {
            return Err(("duplicate_env_name", format!("{} is set more than once.", name.as_str())));
        }
        if !draft.secret && draft.value.is_none() {
            return Err(("missing_env_value", format!("{} has no value.", name.as_str())));
        }
        if draft.value.as_ref().is_some_and(|v| v.contains('\0') || v.len() > 32 * 1024) {
            return Err((
                "invalid_env_value",
                format!("The value of {} is too long or contains a NUL byte.", name.as_str()),
            ));
        }
        env.push(EnvSpec { name, value: draft.value.clone(), secret: draft.secret, build_time: draft.build_time });
    }
    Ok(env)
}

/// A stored app, as shown by the API and the UI. Secret values are never included.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct App {
    pub id: i64,
    pub name: String,
    pub repo_url: String,
    pub branch: String,
    pub dockerfile: String,
    pub build_context: String,
    pub port: u16,
    pub health_path: String,
    pub health_timeout_secs: u32,
    pub replicas: u32,
    pub cpus: Option<f64>,
    pub memory_mb: Option<u32>,
    pub env: Vec<EnvVar>,
    pub git_username: Option<String>,
    pub has_git_token: bool,
    pub has_git_ssh_key: bool,
    pub registry: Option<String>,
    pub registry_username: Option<String>,
    pub has_registry_password: bool,
    /// The team registry it pushes to, if it uses one.
    pub registry_name: Option<String>,
    /// "local", or the name of the AWS target the app deploys to.
    pub target: String,
    pub health_interval_secs: u32,
    pub healthy_threshold: u32,
    pub deregistration_delay_secs: u32,
    pub container_health_check: bool,
    /// The latest deployment's status, or `not_deployed`.
    pub status: String,
    /// The deployment serving the app now.
    pub live_deployment_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EnvVar {
    pub name: String,
    /// `None` for secrets: they are write-only.
    pub value: Option<String>,
    pub secret: bool,
    pub build_time: bool,
}

#[derive(sqlx::FromRow)]
struct AppRow {
    id: i64,
    name: String,
    repo_url: String,
    branch: String,
    dockerfile: String,
    build_context: String,
    port: i64,
    health_path: String,
    health_timeout_secs: i64,
    replicas: i64,
    cpus: Option<f64>,
    memory_mb: Option<i64>,
    git_username: Option<String>,
    has_git_token: bool,
    has_git_ssh_key: bool,
    registry_url: Option<String>,
    registry_username: Option<String>,
    has_registry_password: bool,
    registry_name: Option<String>,
    target: Option<String>,
    health_interval_secs: i64,
    healthy_threshold: i64,
    deregistration_delay_secs: i64,
    container_health_check: bool,
    status: Option<String>,
    live_deployment_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct EnvRow {
    app_id: i64,
    name: String,
    value: String,
    secret: bool,
    build_time: bool,
}

macro_rules! select_apps {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, repo_url, branch, dockerfile, build_context, port, health_path, health_timeout_secs,
                    replicas, cpus, memory_mb, git_username, git_token IS NOT NULL AS has_git_token,
                    git_ssh_key IS NOT NULL AS has_git_ssh_key, registry_url, registry_username,
                    registry_password IS NOT NULL AS has_registry_password,
                    (SELECT r.name FROM registries r WHERE r.id = apps.registry_id) AS registry_name,
                    (SELECT t.name FROM aws_targets t WHERE t.id = apps.aws_target_id) AS target,
                    health_interval_secs, healthy_threshold, deregistration_delay_secs, container_health_check,
                    (SELECT status FROM deployments d WHERE d.app_id = apps.id ORDER BY d.id DESC LIMIT 1) AS status,
                    live_deployment_id, created_at, updated_at
             FROM apps ",
            $rest
        )
    };
}

fn to_app(row: AppRow, env: Vec<EnvVar>) -> App {
    App {
        id: row.id,
        name: row.name,
        repo_url: row.repo_url,
        branch: row.branch,
        dockerfile: row.dockerfile,
        build_context: row.build_context,
        port: u16::try_from(row.port).unwrap_or(DEFAULT_PORT),
        health_path: row.health_path,
        health_timeout_secs: u32::try_from(row.health_timeout_secs).unwrap_or(DEFAULT_HEALTH_TIMEOUT_SECS),
        replicas: u32::try_from(row.replicas).unwrap_or(1),
        cpus: row.cpus,
        memory_mb: row.memory_mb.and_then(|mb| u32::try_from(mb).ok()),
        env,
        git_username: row.git_username,
        has_git_token: row.has_git_token,
        has_git_ssh_key: row.has_git_ssh_key,
        registry: row.registry_url,
        registry_username: row.registry_username,
        has_registry_password: row.has_registry_password,
        registry_name: row.registry_name,
        target: row.target.unwrap_or_else(|| LOCAL_TARGET.into()),
        health_interval_secs: u32::try_from(row.health_interval_secs).unwrap_or(10),
        healthy_threshold: u32::try_from(row.healthy_threshold).unwrap_or(2),
        deregistration_delay_secs: u32::try_from(row.deregistration_delay_secs).unwrap_or(30),
        container_health_check: row.container_health_check,
        status: row.status.unwrap_or_else(|| "not_deployed".into()),
        live_deployment_id: row.live_deployment_id,
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
    }
}

fn env_var(row: EnvRow) -> EnvVar {
    EnvVar { value: (!row.secret).then_some(row.value), name: row.name, secret: row.secret, build_time: row.build_time }
}

macro_rules! select_env {
    ($rest:literal) => {
        concat!("SELECT app_id, name, value, secret, build_time FROM app_env ", $rest)
    };
}

/// Team `team_id`'s apps, by name.
pub async fn list_apps(db: &SqlitePool, team_id: i64) -> Result<Vec<App>> {
    let rows: Vec<AppRow> =
        sqlx::query_as(select_apps!("WHERE team_id = ? ORDER BY name")).bind(team_id).fetch_all(db).await?;
    let env_rows: Vec<EnvRow> = sqlx::query_as(select_env!(
        "WHERE app_id IN (SELECT id FROM apps WHERE team_id = ?) ORDER BY app_id, position"
    ))
    .bind(team_id)
    .fetch_all(db)
    .await?;
    let mut env: BTreeMap<i64, Vec<EnvVar>> = BTreeMap::new();
    for row in env_rows {
        env.entry(row.app_id).or_default().push(env_var(row));
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let vars = env.remove(&row.id).unwrap_or_default();
            to_app(row, vars)
        })
        .collect())
}

pub async fn get_app(db: &SqlitePool, name: &str) -> Result<App> {
    let row: Option<AppRow> = sqlx::query_as(select_apps!("WHERE name = ?")).bind(name).fetch_optional(db).await?;
    let row = row.ok_or_else(|| Error::NotFound(format!("app \"{name}\"")))?;
    let env: Vec<EnvRow> =
        sqlx::query_as(select_env!("WHERE app_id = ? ORDER BY position")).bind(row.id).fetch_all(db).await?;
    Ok(to_app(row, env.into_iter().map(env_var).collect()))
}

/// The stored form of a write-only credential after `input` is applied.
fn credential(secrets: &SecretBox, input: &CredentialInput, stored: Option<String>) -> Result<Option<String>> {
    Ok(match input {
        CredentialInput::Keep => stored,
        CredentialInput::Clear => None,
        CredentialInput::Set(value) => Some(secrets.encrypt(value)?),
    })
}

/// Creates an app in team `team_id`. App names are unique across teams: they name the app's host.
pub async fn create_app(db: &SqlitePool, secrets: &SecretBox, team_id: i64, spec: &AppSpec) -> Result<App> {
    let mut tx = db.begin().await?;
    let at = now();
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO apps (team_id, name, repo_url, branch, dockerfile, build_context, port, health_path, replicas, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 8080, '/', 1, ?, ?) RETURNING id",
    )
    .bind(team_id)
    .bind(spec.name.as_str())
    .bind(spec.repo_url.as_str())
    .bind(spec.branch.as_str())
    .bind(spec.dockerfile.as_str())
    .bind(spec.build_context.as_str())
    .bind(at)
    .bind(at)
    .fetch_one(&mut *tx)
    .await;
    let app_id = match inserted {
        Ok(id) => id,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(Error::Validation(FieldErrors::single(
                "name",
                "app_name_taken",
                format!("An app named \"{}\" already exists; pick another name.", spec.name),
            )));
        }
        Err(e) => return Err(e.into()),
    };
    write_settings(&mut tx, secrets, app_id, spec).await?;
    tx.commit().await?;
    get_app(db, spec.name.as_str()).await
}

/// Replaces an app's settings. The name identifies the app and does not change.
pub async fn update_app(db: &SqlitePool, secrets: &SecretBox, name: &str, spec: &AppSpec) -> Result<App> {
    let mut tx = db.begin().await?;
    let app_id: i64 = sqlx::query_scalar("SELECT id FROM apps WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::NotFound(format!("app \"{name}\"")))?;
    if spec.name.as_str() != name {
        return Err(Error::Validation(FieldErrors::single(
            "name",
            "rename_unsupported",
            "An app's name cannot be changed.",
        )));
    }
    write_settings(&mut tx, secrets, app_id, spec).await?;
    tx.commit().await?;
    get_app(db, name).await
}

/// What an app refers to by name among its team's things.
enum TeamThing {
    Target,
    Registry,
}

/// The id of the thing called `name` in the team of app `app_id`, if there is one.
async fn id_in_team(tx: &mut sqlx::SqliteConnection, thing: TeamThing, name: &str, app_id: i64) -> Result<Option<i64>> {
    let sql = match thing {
        TeamThing::Target => {
            "SELECT id FROM aws_targets WHERE name = ? AND team_id = (SELECT team_id FROM apps WHERE id = ?)"
        }
        TeamThing::Registry => {
            "SELECT id FROM registries WHERE name = ? AND team_id = (SELECT team_id FROM apps WHERE id = ?)"
        }
    };
    Ok(sqlx::query_scalar(sql).bind(name).bind(app_id).fetch_optional(&mut *tx).await?)
}

/// Writes every setting of `spec` to the app `app_id`, keeping stored secrets the spec doesn't replace.
async fn write_settings(
    tx: &mut sqlx::SqliteConnection,
    secrets: &SecretBox,
    app_id: i64,
    spec: &AppSpec,
) -> Result<()> {
    let (git_token, git_ssh_key, registry_password): (Option<String>, Option<String>, Option<String>) =
        sqlx::query_as("SELECT git_token, git_ssh_key, registry_password FROM apps WHERE id = ?")
            .bind(app_id)
            .fetch_one(&mut *tx)
            .await?;
    let target_id = match &spec.target {
        None => None,
        Some(name) => Some(id_in_team(&mut *tx, TeamThing::Target, name, app_id).await?.ok_or_else(|| {
            Error::Validation(FieldErrors::single(
                "target",
                "unknown_target",
                format!("This team has no AWS target named \"{name}\"; add it under Targets first."),
            ))
        })?),
    };
    let registry_id = match &spec.registry_name {
        None => None,
        Some(name) => Some(id_in_team(&mut *tx, TeamThing::Registry, name, app_id).await?.ok_or_else(|| {
            Error::Validation(FieldErrors::single(
                "registry_name",
                "unknown_registry",
                format!("This team has no registry named \"{name}\"; add it on the Team page first."),
            ))
        })?),
    };
    sqlx::query(
        "UPDATE apps SET repo_url = ?, branch = ?, dockerfile = ?, build_context = ?, port = ?, health_path = ?,
         health_timeout_secs = ?, replicas = ?, cpus = ?, memory_mb = ?, git_username = ?, git_token = ?,
         git_ssh_key = ?, registry_url = ?, registry_username = ?, registry_password = ?, aws_target_id = ?,
         health_interval_secs = ?, healthy_threshold = ?, deregistration_delay_secs = ?, container_health_check = ?,
         registry_id = ?, updated_at = ?
         WHERE id = ?",
    )
    .bind(spec.repo_url.as_str())
    .bind(spec.branch.as_str())
    .bind(spec.dockerfile.as_str())
    .bind(spec.build_context.as_str())
    .bind(i64::from(spec.port))
    .bind(&spec.health_path)
    .bind(i64::from(spec.health_timeout_secs))
    .bind(i64::from(spec.replicas))
    .bind(spec.cpus)
    .bind(spec.memory_mb.map(i64::from))
    .bind(&spec.git_username)
    .bind(credential(secrets, &spec.git_token, git_token)?)
    .bind(credential(secrets, &spec.git_ssh_key, git_ssh_key)?)
    .bind(spec.registry.as_ref().map(RegistryAddress::as_str))
    .bind(&spec.registry_username)
    .bind(credential(secrets, &spec.registry_password, registry_password)?)
    .bind(target_id)
    .bind(i64::from(spec.health_interval_secs))
    .bind(i64::from(spec.healthy_threshold))
    .bind(i64::from(spec.deregistration_delay_secs))
    .bind(spec.container_health_check)
    .bind(registry_id)
    .bind(now())
    .bind(app_id)
    .execute(&mut *tx)
    .await?;
    write_env(tx, secrets, app_id, &spec.env).await
}

/// Replaces an app's environment only (what a deployer may change).
pub async fn update_env(db: &SqlitePool, secrets: &SecretBox, app_id: i64, env: &[EnvSpec]) -> Result<()> {
    let mut tx = db.begin().await?;
    write_env(&mut tx, secrets, app_id, env).await?;
    sqlx::query("UPDATE apps SET updated_at = ? WHERE id = ?").bind(now()).bind(app_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the variables of `app_id`; a secret sent without a value keeps its stored one.
async fn write_env(tx: &mut sqlx::SqliteConnection, secrets: &SecretBox, app_id: i64, env: &[EnvSpec]) -> Result<()> {
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT name, value FROM app_env WHERE app_id = ? AND secret = 1")
            .bind(app_id)
            .fetch_all(&mut *tx)
            .await?;
    let stored_secrets: BTreeMap<String, String> = stored.into_iter().collect();
    sqlx::query("DELETE FROM app_env WHERE app_id = ?").bind(app_id).execute(&mut *tx).await?;
    for (position, var) in env.iter().enumerate() {
        let stored = match (&var.value, var.secret) {
            (Some(value), true) => secrets.encrypt(value)?,
            (Some(value), false) => value.clone(),
            (None, _) => stored_secrets.get(var.name.as_str()).cloned().ok_or_else(|| {
                Error::Validation(FieldErrors::single(
                    "env",
                    "missing_env_value",
                    format!("The secret {} has no value yet; enter one.", var.name.as_str()),
                ))
            })?,
        };
        sqlx::query(
            "INSERT INTO app_env (app_id, name, value, secret, build_time, position) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(app_id)
        .bind(var.name.as_str())
        .bind(stored)
        .bind(var.secret)
        .bind(var.build_time)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

pub async fn delete_app(db: &SqlitePool, name: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM apps WHERE name = ?").bind(name).execute(db).await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("app \"{name}\"")));
    }
    Ok(())
}

/// One decrypted variable, for the deploy pipeline only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployVar {
    pub name: String,
    pub value: String,
    pub build_time: bool,
    /// Stored encrypted: on ECS it goes to the task as a secret reference, not in plain text.
    pub secret: bool,
}

/// Decrypted environment for building and running the app (deploy pipeline only).
pub async fn runtime_env(db: &SqlitePool, secrets: &SecretBox, app_id: i64) -> Result<Vec<DeployVar>> {
    let rows: Vec<(String, String, bool, bool)> =
        sqlx::query_as("SELECT name, value, secret, build_time FROM app_env WHERE app_id = ? ORDER BY position")
            .bind(app_id)
            .fetch_all(db)
            .await?;
    rows.into_iter()
        .map(|(name, value, secret, build_time)| {
            Ok(DeployVar { name, value: if secret { secrets.decrypt(&value)? } else { value }, build_time, secret })
        })
        .collect()
}

/// Decrypted credentials for cloning and pushing (deploy pipeline only).
#[derive(Clone, Default)]
pub struct AppCredentials {
    pub git_username: Option<String>,
    pub git_token: Option<String>,
    pub git_ssh_key: Option<String>,
    pub registry: Option<RegistryAddress>,
    pub registry_username: Option<String>,
    pub registry_password: Option<String>,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials").field("registry", &self.registry).finish_non_exhaustive()
    }
}

pub async fn credentials(db: &SqlitePool, secrets: &SecretBox, app_id: i64) -> Result<AppCredentials> {
    type Row = (Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);
    let (git_username, git_token, git_ssh_key, registry, registry_username, registry_password): Row = sqlx::query_as(
        // A team registry, when the app uses one, replaces the inline settings.
        "SELECT a.git_username, a.git_token, a.git_ssh_key,
                CASE WHEN r.id IS NULL THEN a.registry_url ELSE r.address END,
                CASE WHEN r.id IS NULL THEN a.registry_username ELSE r.username END,
                CASE WHEN r.id IS NULL THEN a.registry_password ELSE r.password END
         FROM apps a LEFT JOIN registries r ON r.id = a.registry_id WHERE a.id = ?",
    )
    .bind(app_id)
    .fetch_one(db)
    .await?;
    let open = |value: Option<String>| value.map(|v| secrets.decrypt(&v)).transpose();
    Ok(AppCredentials {
        git_username,
        git_token: open(git_token)?,
        git_ssh_key: open(git_ssh_key)?,
        registry: registry.map(|r| RegistryAddress::parse(&r)).transpose().map_err(|(_, m)| anyhow::anyhow!(m))?,
        registry_username,
        registry_password: open(registry_password)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> AppDraft {
        AppDraft { name: "shop".into(), repo_url: "https://example.com/shop.git".into(), ..AppDraft::default() }
    }

    #[test]
    fn defaults_fill_empty_fields() {
        let spec = AppSpec::parse(&draft()).unwrap();
        assert_eq!(spec.branch.as_str(), "main");
        assert_eq!(spec.dockerfile.as_str(), "Dockerfile");
        assert_eq!(spec.build_context.as_str(), ".");
        assert_eq!(spec.port, 8080);
        assert_eq!(spec.health_path, "/");
        assert_eq!(spec.replicas, 1);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = AppDraft {
            name: "Bad Name".into(),
            repo_url: "nope".into(),
            dockerfile: "../Dockerfile".into(),
            port: "99999".into(),
            health_path: "healthz".into(),
            replicas: "0".into(),
            env: vec![EnvDraft { name: "1X".into(), value: Some("v".into()), secret: false, build_time: false }],
            ..draft()
        };
        let errors = AppSpec::parse(&bad).unwrap_err();
        let fields: Vec<&str> = errors.0.keys().map(String::as_str).collect();
        assert_eq!(fields, ["dockerfile", "env", "health_path", "name", "port", "replicas", "repo_url"]);
        assert_eq!(errors.0["dockerfile"].code, "path_outside_repo");
    }

    #[test]
    fn duplicate_env_names_are_refused() {
        let env = vec![
            EnvDraft { name: "A".into(), value: Some("1".into()), secret: false, build_time: false },
            EnvDraft { name: "A".into(), value: Some("2".into()), secret: true, build_time: false },
        ];
        let errors = AppSpec::parse(&AppDraft { env, ..draft() }).unwrap_err();
        assert_eq!(errors.0["env"].code, "duplicate_env_name");
    }
}
