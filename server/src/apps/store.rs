//! Apps in SQLite. `AppDraft` is raw input (from a form or the API); `AppSpec` is
//! the same after validation; `App` is what is stored and shown.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use super::fields::{AppName, Branch, EnvName, RepoPath, RepoUrl};
use crate::error::{Error, FieldErrors, Result};
use crate::secrets::SecretBox;
use crate::time_fmt::{now, rfc3339};

pub const DEFAULT_BRANCH: &str = "main";
pub const DEFAULT_DOCKERFILE: &str = "Dockerfile";
pub const DEFAULT_CONTEXT: &str = ".";
pub const DEFAULT_PORT: u16 = 8080;
pub const DEFAULT_HEALTH_PATH: &str = "/";
pub const MAX_REPLICAS: u32 = 20;

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
    pub replicas: String,
    pub env: Vec<EnvDraft>,
}

/// One variable as entered. A secret without a value keeps its stored value (on update).
#[derive(Debug, Clone, Deserialize)]
pub struct EnvDraft {
    pub name: String,
    pub value: Option<String>,
    #[serde(default)]
    pub secret: bool,
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
    pub replicas: u32,
    pub env: Vec<(EnvName, Option<String>, bool)>,
}

fn or_default<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.trim().is_empty() { default } else { value }
}

impl AppSpec {
    /// Validates every field and reports all problems at once.
    pub fn parse(draft: &AppDraft) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut check = |field: &str, result: std::result::Result<(), (&'static str, String)>| {
            if let Err((code, message)) = result {
                errors.add(field, code, message);
            }
        };
        let name = AppName::parse(&draft.name);
        let repo_url = RepoUrl::parse(&draft.repo_url);
        let branch = Branch::parse(or_default(&draft.branch, DEFAULT_BRANCH));
        let dockerfile = RepoPath::parse(or_default(&draft.dockerfile, DEFAULT_DOCKERFILE), "Dockerfile path");
        let build_context = RepoPath::parse(or_default(&draft.build_context, DEFAULT_CONTEXT), "build context");
        let port = parse_port(&draft.port);
        let health_path = parse_health_path(&draft.health_path);
        let replicas = parse_replicas(&draft.replicas);
        let env = parse_env(&draft.env);
        check("name", name.as_ref().map(drop).map_err(Clone::clone));
        check("repo_url", repo_url.as_ref().map(drop).map_err(Clone::clone));
        check("branch", branch.as_ref().map(drop).map_err(Clone::clone));
        check("dockerfile", dockerfile.as_ref().map(drop).map_err(Clone::clone));
        check("build_context", build_context.as_ref().map(drop).map_err(Clone::clone));
        check("port", port.as_ref().map(drop).map_err(Clone::clone));
        check("health_path", health_path.as_ref().map(drop).map_err(Clone::clone));
        check("replicas", replicas.as_ref().map(drop).map_err(Clone::clone));
        check("env", env.as_ref().map(drop).map_err(Clone::clone));
        match (name, repo_url, branch, dockerfile, build_context, port, health_path, replicas, env) {
            (
                Ok(name),
                Ok(repo_url),
                Ok(branch),
                Ok(dockerfile),
                Ok(build_context),
                Ok(port),
                Ok(health_path),
                Ok(replicas),
                Ok(env),
            ) => Ok(Self { name, repo_url, branch, dockerfile, build_context, port, health_path, replicas, env }),
            _ => Err(errors),
        }
    }
}

fn parse_port(raw: &str) -> std::result::Result<u16, (&'static str, String)> {
    let raw = or_default(raw, "").trim();
    if raw.is_empty() {
        return Ok(DEFAULT_PORT);
    }
    match raw.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(("invalid_port", format!("\"{raw}\" is not a port; use a number from 1 to 65535."))),
    }
}

fn parse_health_path(raw: &str) -> std::result::Result<String, (&'static str, String)> {
    let path = or_default(raw, DEFAULT_HEALTH_PATH).trim();
    if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control()) || path.len() > 512 {
        return Err((
            "invalid_health_path",
            format!("\"{path}\" is not a URL path; it must start with \"/\", e.g. \"/healthz\"."),
        ));
    }
    Ok(path.to_owned())
}

fn parse_replicas(raw: &str) -> std::result::Result<u32, (&'static str, String)> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(1);
    }
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_REPLICAS).contains(&n) => Ok(n),
        _ => Err(("invalid_replicas", format!("Replicas must be a whole number from 1 to {MAX_REPLICAS}."))),
    }
}

type EnvSpec = Vec<(EnvName, Option<String>, bool)>;

fn parse_env(drafts: &[EnvDraft]) -> std::result::Result<EnvSpec, (&'static str, String)> {
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
        env.push((name, draft.value.clone(), draft.secret));
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
    pub replicas: u32,
    pub env: Vec<EnvVar>,
    /// `not_deployed` until the first deployment.
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EnvVar {
    pub name: String,
    /// `None` for secrets: they are write-only.
    pub value: Option<String>,
    pub secret: bool,
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
    replicas: i64,
    created_at: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct EnvRow {
    app_id: i64,
    name: String,
    value: String,
    secret: bool,
}

macro_rules! select_apps {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, repo_url, branch, dockerfile, build_context, port, health_path, replicas, created_at, updated_at FROM apps ",
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
        replicas: u32::try_from(row.replicas).unwrap_or(1),
        env,
        status: "not_deployed".into(),
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
    }
}

fn env_var(row: EnvRow) -> EnvVar {
    EnvVar { value: (!row.secret).then_some(row.value), name: row.name, secret: row.secret }
}

pub async fn list_apps(db: &SqlitePool) -> Result<Vec<App>> {
    let rows: Vec<AppRow> = sqlx::query_as(select_apps!("ORDER BY name")).fetch_all(db).await?;
    let env_rows: Vec<EnvRow> =
        sqlx::query_as("SELECT app_id, name, value, secret FROM app_env ORDER BY app_id, position")
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
        sqlx::query_as("SELECT app_id, name, value, secret FROM app_env WHERE app_id = ? ORDER BY position")
            .bind(row.id)
            .fetch_all(db)
            .await?;
    Ok(to_app(row, env.into_iter().map(env_var).collect()))
}

pub async fn create_app(db: &SqlitePool, secrets: &SecretBox, spec: &AppSpec) -> Result<App> {
    let mut tx = db.begin().await?;
    let at = now();
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO apps (name, repo_url, branch, dockerfile, build_context, port, health_path, replicas, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(spec.name.as_str())
    .bind(spec.repo_url.as_str())
    .bind(spec.branch.as_str())
    .bind(spec.dockerfile.as_str())
    .bind(spec.build_context.as_str())
    .bind(i64::from(spec.port))
    .bind(&spec.health_path)
    .bind(i64::from(spec.replicas))
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
    write_env(&mut tx, secrets, app_id, &spec.env, &BTreeMap::new()).await?;
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
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT name, value FROM app_env WHERE app_id = ? AND secret = 1")
            .bind(app_id)
            .fetch_all(&mut *tx)
            .await?;
    let stored_secrets: BTreeMap<String, String> = stored.into_iter().collect();
    sqlx::query(
        "UPDATE apps SET repo_url = ?, branch = ?, dockerfile = ?, build_context = ?, port = ?, health_path = ?,
         replicas = ?, updated_at = ? WHERE id = ?",
    )
    .bind(spec.repo_url.as_str())
    .bind(spec.branch.as_str())
    .bind(spec.dockerfile.as_str())
    .bind(spec.build_context.as_str())
    .bind(i64::from(spec.port))
    .bind(&spec.health_path)
    .bind(i64::from(spec.replicas))
    .bind(now())
    .bind(app_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM app_env WHERE app_id = ?").bind(app_id).execute(&mut *tx).await?;
    write_env(&mut tx, secrets, app_id, &spec.env, &stored_secrets).await?;
    tx.commit().await?;
    get_app(db, name).await
}

async fn write_env(
    tx: &mut sqlx::SqliteConnection,
    secrets: &SecretBox,
    app_id: i64,
    env: &[(EnvName, Option<String>, bool)],
    stored_secrets: &BTreeMap<String, String>,
) -> Result<()> {
    for (position, (name, value, secret)) in env.iter().enumerate() {
        let stored = match (value, secret) {
            (Some(value), true) => secrets.encrypt(value)?,
            (Some(value), false) => value.clone(),
            (None, _) => stored_secrets.get(name.as_str()).cloned().ok_or_else(|| {
                Error::Validation(FieldErrors::single(
                    "env",
                    "missing_env_value",
                    format!("The secret {} has no value yet; enter one.", name.as_str()),
                ))
            })?,
        };
        sqlx::query("INSERT INTO app_env (app_id, name, value, secret, position) VALUES (?, ?, ?, ?, ?)")
            .bind(app_id)
            .bind(name.as_str())
            .bind(stored)
            .bind(secret)
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

/// Decrypted environment for running the app (deploy pipeline only).
pub async fn runtime_env(db: &SqlitePool, secrets: &SecretBox, app_id: i64) -> Result<Vec<(String, String)>> {
    let rows: Vec<(String, String, bool)> =
        sqlx::query_as("SELECT name, value, secret FROM app_env WHERE app_id = ? ORDER BY position")
            .bind(app_id)
            .fetch_all(db)
            .await?;
    rows.into_iter()
        .map(|(name, value, secret)| Ok((name, if secret { secrets.decrypt(&value)? } else { value })))
        .collect()
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
            env: vec![EnvDraft { name: "1X".into(), value: Some("v".into()), secret: false }],
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
            EnvDraft { name: "A".into(), value: Some("1".into()), secret: false },
            EnvDraft { name: "A".into(), value: Some("2".into()), secret: true },
        ];
        let errors = AppSpec::parse(&AppDraft { env, ..draft() }).unwrap_err();
        assert_eq!(errors.0["env"].code, "duplicate_env_name");
    }
}
