//! Webhook settings of an app (secret, branch patterns) and its deliveries in SQLite.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::error::{Error, Result};
use crate::secrets::SecretBox;
use crate::time_fmt::{now, rfc3339};

/// The webhook of an app, for its owners (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub enabled: bool,
    /// Where the git host sends deliveries.
    pub url: String,
    /// Glob patterns of the branches that deploy.
    pub branches: String,
    pub deliveries: Vec<Delivery>,
}

/// A new or rotated secret: shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSecret {
    pub url: String,
    pub secret: String,
    pub branches: String,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    provider: String,
    event: String,
    delivery_id: Option<String>,
    outcome: String,
    detail: Option<String>,
    deployment_id: Option<i64>,
    commit_sha: Option<String>,
    pusher: Option<String>,
    received_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: i64,
    pub provider: String,
    pub event: String,
    pub delivery_id: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub deployment_id: Option<i64>,
    pub commit_sha: Option<String>,
    pub pusher: Option<String>,
    pub received_at: String,
}

/// What the webhook endpoint needs of an app.
pub struct HookTarget {
    pub app_id: i64,
    pub secret: String,
    pub branches: String,
}

pub fn url(public_url: &url::Url, app: &str) -> String {
    format!("{}/hooks/{app}", public_url.as_str().trim_end_matches('/'))
}

/// The app's webhook secret and branch patterns; `None` when it has no webhook.
pub async fn target(db: &SqlitePool, secrets: &SecretBox, app: &str) -> Result<Option<HookTarget>> {
    let row: Option<(i64, Option<String>, Option<String>, String)> =
        sqlx::query_as("SELECT id, webhook_secret, webhook_branches, branch FROM apps WHERE name = ?")
            .bind(app)
            .fetch_optional(db)
            .await?;
    let Some((app_id, Some(secret), branches, branch)) = row else { return Ok(None) };
    Ok(Some(HookTarget { app_id, secret: secrets.decrypt(&secret)?, branches: branches.unwrap_or(branch) }))
}

pub async fn show(db: &SqlitePool, public_url: &url::Url, app: &str) -> Result<Webhook> {
    let row: Option<(i64, bool, Option<String>, String)> =
        sqlx::query_as("SELECT id, webhook_secret IS NOT NULL, webhook_branches, branch FROM apps WHERE name = ?")
            .bind(app)
            .fetch_optional(db)
            .await?;
    let (app_id, enabled, branches, branch) = row.ok_or_else(|| Error::NotFound(format!("app \"{app}\"")))?;
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT id, provider, event, delivery_id, outcome, detail, deployment_id, commit_sha, pusher, received_at
         FROM webhook_deliveries WHERE app_id = ? ORDER BY id DESC LIMIT 50",
    )
    .bind(app_id)
    .fetch_all(db)
    .await?;
    let deliveries = rows
        .into_iter()
        .map(|r| Delivery {
            id: r.id,
            provider: r.provider,
            event: r.event,
            delivery_id: r.delivery_id,
            outcome: r.outcome,
            detail: r.detail,
            deployment_id: r.deployment_id,
            commit_sha: r.commit_sha,
            pusher: r.pusher,
            received_at: rfc3339(r.received_at),
        })
        .collect();
    Ok(Webhook { enabled, url: url(public_url, app), branches: branches.unwrap_or(branch), deliveries })
}

/// Turns the webhook on, or rotates its secret (the old one stops working at
/// once). `branches` replaces the branch patterns when given.
pub async fn rotate(
    db: &SqlitePool,
    secrets: &SecretBox,
    public_url: &url::Url,
    app: &str,
    branches: Option<&str>,
) -> Result<NewSecret> {
    let mut bytes = [0_u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let branches = branches.map(str::trim).filter(|b| !b.is_empty());
    if let Some(patterns) = branches
        && (patterns.len() > 500 || patterns.chars().any(|c| c.is_control() || c == '\\'))
    {
        return Err(Error::Validation(crate::FieldErrors::single(
            "branches",
            "invalid_branches",
            "Branch patterns are globs such as \"main\" or \"release/*\", separated by commas.",
        )));
    }
    let done = sqlx::query(
        "UPDATE apps SET webhook_secret = ?, webhook_branches = COALESCE(?, webhook_branches), updated_at = ? WHERE name = ?",
    )
    .bind(secrets.encrypt(&secret)?)
    .bind(branches)
    .bind(now())
    .bind(app)
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("app \"{app}\"")));
    }
    let shown = show(db, public_url, app).await?;
    Ok(NewSecret { url: shown.url, secret, branches: shown.branches })
}

pub async fn disable(db: &SqlitePool, app: &str) -> Result<()> {
    let done = sqlx::query("UPDATE apps SET webhook_secret = NULL, updated_at = ? WHERE name = ?")
        .bind(now())
        .bind(app)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("app \"{app}\"")));
    }
    Ok(())
}
