//! The audit log: who did what, when, from where. Each change made through
//! the API, the dashboard or a webhook is recorded by the handler that made
//! it, with the actor and the client address. Secrets appear by name only.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::deploy::history::parse_day;
use crate::error::Result;
use crate::time_fmt::{now, rfc3339};

/// Who acted, and from which address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub who: String,
    pub origin: Option<String>,
    /// The team the action was taken in (`None`: sign-ins, which are about no team).
    pub team_id: Option<i64>,
}

impl Actor {
    pub fn new(who: impl Into<String>, origin: Option<String>) -> Self {
        Self { who: who.into(), origin, team_id: None }
    }

    pub fn in_team(mut self, team_id: i64) -> Self {
        self.team_id = Some(team_id);
        self
    }
}

/// The client address of a request (the TCP peer; behind a reverse proxy,
/// the proxy's address).
#[derive(Debug, Clone, Default)]
pub struct Origin(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> std::result::Result<Self, Self::Rejection> {
        Ok(Origin(
            parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|ConnectInfo(addr)| addr.ip().to_string()),
        ))
    }
}

/// Records one action. The action already happened: a failure to record is
/// logged loudly rather than undoing it.
pub async fn record(db: &SqlitePool, actor: &Actor, action: &str, subject: &str, detail: Option<String>) {
    let written = sqlx::query(
        "INSERT INTO audit_log (at, actor, origin, action, subject, detail, team_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(now())
    .bind(&actor.who)
    .bind(&actor.origin)
    .bind(action)
    .bind(subject)
    .bind(&detail)
    .bind(actor.team_id)
    .execute(db)
    .await;
    if let Err(error) = written {
        tracing::error!(%error, actor = %actor.who, action, subject, "writing the audit log failed");
    }
}

/// "variables: A, B; secrets: C" — names only, never values.
pub fn variable_names(env: &[crate::apps::EnvSpec]) -> Option<String> {
    let names =
        |secret: bool| -> Vec<&str> { env.iter().filter(|v| v.secret == secret).map(|v| v.name.as_str()).collect() };
    let (plain, secret) = (names(false), names(true));
    let mut parts = Vec::new();
    if !plain.is_empty() {
        parts.push(format!("variables: {}", plain.join(", ")));
    }
    if !secret.is_empty() {
        let changed: Vec<&str> =
            env.iter().filter(|v| v.secret && v.value.is_some()).map(|v| v.name.as_str()).collect();
        parts.push(format!(
            "secrets: {} (new values for: {})",
            secret.join(", "),
            if changed.is_empty() { "none".to_owned() } else { changed.join(", ") }
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub origin: Option<String>,
    pub action: String,
    pub subject: String,
    pub detail: Option<String>,
}

/// Filters as typed (empty = any); `action` matches a prefix ("app." for every app action).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub before: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Team `team_id`'s entries, plus the sign-ins (and failed sign-ins) of its members' addresses.
pub async fn list(db: &SqlitePool, team_id: i64, query: &AuditQuery) -> Result<Vec<Entry>> {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let since = text(&query.since).map(|d| parse_day(&d, "since", false)).transpose()?;
    let until = text(&query.until).map(|d| parse_day(&d, "until", true)).transpose()?;
    let mut sql: QueryBuilder<Sqlite> =
        QueryBuilder::new("SELECT id, at, actor, origin, action, subject, detail FROM audit_log WHERE (team_id = ");
    sql.push_bind(team_id).push(
        " OR (team_id IS NULL AND subject IN (SELECT u.email FROM users u JOIN team_members m ON m.user_id = u.id WHERE m.team_id = ",
    );
    sql.push_bind(team_id).push(")))");
    if let Some(actor) = text(&query.actor) {
        sql.push(" AND actor LIKE ").push_bind(format!("%{actor}%"));
    }
    if let Some(action) = text(&query.action) {
        sql.push(" AND action LIKE ").push_bind(format!("{action}%"));
    }
    if let Some(subject) = text(&query.subject) {
        sql.push(" AND subject = ").push_bind(subject);
    }
    if let Some(since) = since {
        sql.push(" AND at >= ").push_bind(since);
    }
    if let Some(until) = until {
        sql.push(" AND at <= ").push_bind(until);
    }
    if let Some(before) = query.before {
        sql.push(" AND id < ").push_bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ").push_bind(query.limit.unwrap_or(100).clamp(1, 500));
    let rows: Vec<EntryRow> = sql.build_query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            id: r.id,
            at: rfc3339(r.at),
            actor: r.actor,
            origin: r.origin,
            action: r.action,
            subject: r.subject,
            detail: r.detail,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    at: i64,
    actor: String,
    origin: Option<String>,
    action: String,
    subject: String,
    detail: Option<String>,
}
