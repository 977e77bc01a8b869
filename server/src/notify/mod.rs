//! Notifications: when a deployment starts, goes live, fails or is rolled
//! back, a message goes to each matching channel — Slack or Discord incoming
//! webhooks, or a generic JSON webhook signed with HMAC-SHA256. Messages go
//! through an outbox table (a restart loses none) and are retried with
//! exponential backoff; failed deliveries are listed with their last error.

pub mod messages;

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sqlx::SqlitePool;

use crate::error::{Error, FieldErrors, Result};
use crate::secrets::SecretBox;
use crate::state::AppState;
use crate::time_fmt::{now, now_ms, rfc3339};
pub use messages::Event;
use messages::Facts;

/// Attempts before a delivery is given up as failed.
pub const MAX_ATTEMPTS: i64 = 6;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: i64,
    /// `None`: every app.
    pub app: Option<String>,
    pub kind: String,
    /// The URL's host (the URL itself is a secret).
    pub host: String,
    pub events: Vec<String>,
    pub signed: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChannelDraft {
    /// slack, discord or webhook
    pub kind: String,
    pub url: String,
    /// HMAC key for `webhook` channels (X-Slipway-Signature: sha256=…).
    #[serde(default)]
    pub secret: Option<String>,
    /// Any of started, live, failed, rolled_back; empty: all.
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: i64,
    pub channel_id: i64,
    pub kind: String,
    pub host: String,
    pub deployment_id: i64,
    pub event: String,
    /// pending, sent, failed
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
}

fn parse_draft(draft: &ChannelDraft) -> std::result::Result<(String, String, Vec<String>), FieldErrors> {
    let mut errors = FieldErrors::default();
    let kind = draft.kind.trim().to_lowercase();
    if !["slack", "discord", "webhook"].contains(&kind.as_str()) {
        errors.add("kind", "invalid_kind", "Pick slack, discord or webhook.");
    }
    let host = match url::Url::parse(draft.url.trim()) {
        Ok(url) if ["http", "https"].contains(&url.scheme()) && url.host_str().is_some() => {
            url.host_str().unwrap_or_default().to_owned()
        }
        _ => {
            errors.add("url", "invalid_url", "Enter the webhook's http(s) URL.");
            String::new()
        }
    };
    let mut events = Vec::new();
    for raw in &draft.events {
        match Event::parse(raw) {
            Some(e) => events.push(e.as_str().to_owned()),
            None => errors.add(
                "events",
                "invalid_event",
                format!("\"{raw}\" is not an event; use started, live, failed or rolled_back."),
            ),
        }
    }
    if events.is_empty() {
        events = Event::ALL.iter().map(|e| e.as_str().to_owned()).collect();
    }
    if errors.is_empty() { Ok((kind, host, events)) } else { Err(errors) }
}

async fn app_id(db: &SqlitePool, app: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT id FROM apps WHERE name = ?")
        .bind(app)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("app \"{app}\"")))
}

/// Adds a channel of team `team_id` for `app`, or for every app of the team.
pub async fn add(
    db: &SqlitePool,
    secrets: &SecretBox,
    team_id: i64,
    app: Option<&str>,
    draft: &ChannelDraft,
) -> Result<Channel> {
    let (kind, host, events) = parse_draft(draft).map_err(Error::Validation)?;
    let app_id = match app {
        Some(app) => Some(app_id(db, app).await?),
        None => None,
    };
    let secret =
        draft.secret.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|s| secrets.encrypt(s)).transpose()?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notification_channels (team_id, app_id, kind, url, host, secret, events, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(team_id)
    .bind(app_id)
    .bind(&kind)
    .bind(secrets.encrypt(draft.url.trim())?)
    .bind(&host)
    .bind(secret)
    .bind(events.join(","))
    .bind(now())
    .fetch_one(db)
    .await?;
    list(db, team_id, app).await?.into_iter().find(|c| c.id == id).ok_or_else(|| Error::NotFound("channel".into()))
}

type ChannelRow = (i64, Option<String>, String, String, String, bool, i64);

/// The channels of team `team_id` that notify about `app` (its own and the team-wide
/// ones), or only the team-wide ones.
pub async fn list(db: &SqlitePool, team_id: i64, app: Option<&str>) -> Result<Vec<Channel>> {
    let rows: Vec<ChannelRow> = sqlx::query_as(
        "SELECT c.id, a.name, c.kind, c.host, c.events, c.secret IS NOT NULL, c.created_at
         FROM notification_channels c LEFT JOIN apps a ON a.id = c.app_id
         WHERE c.team_id = ? AND (c.app_id IS NULL OR a.name = ?) ORDER BY c.id",
    )
    .bind(team_id)
    .bind(app)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, app, kind, host, events, signed, at)| Channel {
            id,
            app,
            kind,
            host,
            events: events.split(',').map(str::to_owned).collect(),
            signed,
            created_at: rfc3339(at),
        })
        .collect())
}

pub async fn remove(db: &SqlitePool, id: i64) -> Result<()> {
    let done = sqlx::query("DELETE FROM notification_channels WHERE id = ?").bind(id).execute(db).await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("notification channel #{id}")));
    }
    Ok(())
}

type DeliveryRow = (i64, i64, String, String, i64, String, String, i64, Option<String>, i64);

/// The latest deliveries about `app`'s deployments.
pub async fn deliveries(db: &SqlitePool, app: &str) -> Result<Vec<Delivery>> {
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT n.id, n.channel_id, c.kind, c.host, n.deployment_id, n.event, n.status, n.attempts, n.last_error, n.created_at
         FROM notification_deliveries n JOIN notification_channels c ON c.id = n.channel_id
         JOIN deployments d ON d.id = n.deployment_id JOIN apps a ON a.id = d.app_id
         WHERE a.name = ? ORDER BY n.id DESC LIMIT 50",
    )
    .bind(app)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, channel_id, kind, host, deployment_id, event, status, attempts, last_error, at)| Delivery {
            id,
            channel_id,
            kind,
            host,
            deployment_id,
            event,
            status,
            attempts,
            last_error,
            created_at: rfc3339(at),
        })
        .collect())
}

/// Queues `event` of a deployment for every channel that wants it, and wakes the sender.
pub async fn emit(state: &AppState, deployment_id: i64, event: Event) {
    let queued = sqlx::query(
        "INSERT INTO notification_deliveries (channel_id, deployment_id, event, status, next_attempt_at, created_at)
         SELECT c.id, d.id, ?, 'pending', ?, ? FROM notification_channels c JOIN deployments d ON d.id = ?
         JOIN apps a ON a.id = d.app_id
         WHERE (c.app_id = d.app_id OR (c.app_id IS NULL AND c.team_id = a.team_id)) AND (',' || c.events || ',') LIKE ('%,' || ? || ',%')",
    )
    .bind(event.as_str())
    .bind(now_ms())
    .bind(now())
    .bind(deployment_id)
    .bind(event.as_str())
    .execute(&state.db)
    .await;
    match queued {
        Ok(done) if done.rows_affected() > 0 => state.hub.notifications.notify_one(),
        Ok(_) => {}
        Err(error) => tracing::error!(%error, deployment = deployment_id, "queuing notifications failed"),
    }
}

type Due = (i64, String, String, Option<String>, String, i64, i64);

/// Sends due deliveries until the process ends.
pub async fn run_sender(state: AppState) {
    let client = match reqwest::Client::builder().timeout(Duration::from_secs(10)).build() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "notifications are off: no HTTP client");
            return;
        }
    };
    loop {
        let due: std::result::Result<Vec<Due>, _> = sqlx::query_as(
            "SELECT n.id, c.kind, c.url, c.secret, n.event, n.deployment_id, n.attempts
             FROM notification_deliveries n JOIN notification_channels c ON c.id = n.channel_id
             WHERE n.status = 'pending' AND n.next_attempt_at <= ? ORDER BY n.id LIMIT 20",
        )
        .bind(now_ms())
        .fetch_all(&state.db)
        .await;
        let due = due.unwrap_or_else(|error| {
            tracing::error!(%error, "reading the notification outbox failed");
            vec![]
        });
        for (id, kind, url, secret, event, deployment_id, attempts) in &due {
            let outcome = send(&state, &client, kind, url, secret.as_deref(), event, *deployment_id, *id).await;
            record(&state, *id, *attempts, outcome).await;
        }
        if due.is_empty() {
            tokio::select! {
                () = state.hub.notifications.notified() => {}
                () = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn send(
    state: &AppState,
    client: &reqwest::Client,
    kind: &str,
    url: &str,
    secret: Option<&str>,
    event: &str,
    deployment_id: i64,
    delivery_id: i64,
) -> std::result::Result<(), String> {
    let url = state.secrets.decrypt(url).map_err(|_| "the channel's URL can't be decrypted".to_owned())?;
    let event = Event::parse(event).ok_or("unknown event")?;
    let facts = facts(state, deployment_id).await.map_err(|e| e.to_string())?;
    let body = serde_json::to_vec(&messages::body(kind, event, &facts)).map_err(|e| e.to_string())?;
    let mut request = client
        .post(&url)
        .header("Content-Type", "application/json")
        .header("User-Agent", "Slipway")
        .header("X-Slipway-Event", event.as_str())
        .header("X-Slipway-Delivery", delivery_id.to_string());
    if let Some(secret) = secret {
        let key = state.secrets.decrypt(secret).map_err(|_| "the channel's secret can't be decrypted".to_owned())?;
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).map_err(|e| e.to_string())?;
        mac.update(&body);
        request = request.header("X-Slipway-Signature", format!("sha256={}", hex::encode(mac.finalize().into_bytes())));
    }
    let response = request.body(body).send().await.map_err(|e| format!("could not reach the channel: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        Err(format!("the channel answered {status}: {}", text.chars().take(200).collect::<String>()))
    }
}

async fn record(state: &AppState, id: i64, attempts: i64, outcome: std::result::Result<(), String>) {
    let attempts = attempts + 1;
    let written = match outcome {
        Ok(()) => sqlx::query("UPDATE notification_deliveries SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL WHERE id = ?")
            .bind(attempts)
            .bind(now())
            .bind(id)
            .execute(&state.db)
            .await,
        Err(error) => {
            let status = if attempts >= MAX_ATTEMPTS { "failed" } else { "pending" };
            let base = i64::try_from(state.config.notify_retry_base_ms).unwrap_or(1000);
            let next = now_ms() + base.saturating_mul(1 << (attempts - 1).min(20));
            tracing::warn!(delivery = id, attempts, %error, status, "a notification was not delivered");
            sqlx::query("UPDATE notification_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?")
                .bind(status)
                .bind(attempts)
                .bind(next)
                .bind(error)
                .bind(id)
                .execute(&state.db)
                .await
        }
    };
    if let Err(error) = written {
        tracing::error!(%error, delivery = id, "recording a notification delivery failed");
    }
}

async fn facts(state: &AppState, deployment_id: i64) -> Result<Facts> {
    let d = crate::deploy::history::get(&state.db, deployment_id).await?;
    Ok(Facts {
        deployment_id,
        link: format!("{}/deployments/{deployment_id}", state.config.public_url.as_str().trim_end_matches('/')),
        app: d.app,
        status: d.status,
        trigger: d.trigger,
        requested_by: d.requested_by,
        commit: d.commit_sha.or(d.requested_commit),
        commit_message: d.commit_message,
        url: d.url,
        error: d.error,
    })
}
