//! Deployments as the API and the UI show them, with their steps; listing
//! with filters and paging; and the user actions on them (deploy, cancel,
//! redeploy, rollback), which only touch the queue.

use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::DeployHub;
use super::queue::{self, Trigger};
use crate::error::{Error, FieldErrors, Result};
use crate::time_fmt::{now, rfc3339};

pub const STATUSES: [&str; 10] =
    ["queued", "cloning", "building", "pushing", "deploying", "verifying", "live", "failed", "cancelled", "superseded"];
pub const ACTIVE: [&str; 6] = ["queued", "cloning", "building", "pushing", "deploying", "verifying"];

/// The app's deployments that are queued or running, oldest first.
pub async fn active_of(db: &SqlitePool, app_id: i64) -> Result<Vec<i64>> {
    let mut query: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT id FROM deployments WHERE app_id = ");
    query.push_bind(app_id).push(" AND status IN (");
    let mut statuses = query.separated(", ");
    for status in ACTIVE {
        statuses.push_bind(status);
    }
    query.push(") ORDER BY id");
    Ok(query.build_query_scalar().fetch_all(db).await?)
}
pub const STEPS: [&str; 6] = ["clone", "build", "push", "deploy", "verify", "retire"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: i64,
    pub app: String,
    pub status: String,
    pub trigger: String,
    pub requested_by: String,
    pub requested_commit: Option<String>,
    pub commit_sha: Option<String>,
    pub commit_message: Option<String>,
    pub commit_author: Option<String>,
    pub image: Option<String>,
    pub image_digest: Option<String>,
    pub url: Option<String>,
    /// "local", or the AWS target it went to.
    pub target: String,
    /// ECS: the task definition revision it registered (or rolled back to).
    pub task_definition_arn: Option<String>,
    pub rollback_of: Option<i64>,
    pub error: Option<String>,
    /// Whether this deployment is the one serving the app now.
    pub current: bool,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub duration_secs: Option<i64>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub step: String,
    /// running, done, skipped, failed, cancelled
    pub outcome: String,
    pub detail: Option<String>,
    pub duration_ms: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    app: String,
    status: String,
    trigger: String,
    requested_by: String,
    requested_commit: Option<String>,
    commit_sha: Option<String>,
    commit_message: Option<String>,
    commit_author: Option<String>,
    image: Option<String>,
    image_digest: Option<String>,
    url: Option<String>,
    target: String,
    task_definition_arn: Option<String>,
    rollback_of: Option<i64>,
    error: Option<String>,
    current: bool,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

const SELECT: &str =
    "SELECT d.id, a.name AS app, d.status, d.trigger, d.requested_by, d.requested_commit, d.commit_sha,
        d.commit_message, d.commit_author, d.image, d.image_digest, d.url, d.target, d.task_definition_arn, d.rollback_of, d.error,
        (a.live_deployment_id IS d.id) AS current, d.created_at, d.started_at, d.finished_at
    FROM deployments d JOIN apps a ON a.id = d.app_id";

/// Filters of the history (all optional) and paging: `before` is a deployment id.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DeploymentFilter {
    pub app: Option<String>,
    pub status: Option<String>,
    pub who: Option<String>,
    /// Unix seconds, inclusive.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// The history's filters as typed (query string or form): empty means "any";
/// `since`/`until` are YYYY-MM-DD (whole days, UTC) or RFC 3339.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FilterQuery {
    pub app: Option<String>,
    pub status: Option<String>,
    pub who: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

impl FilterQuery {
    /// Parses the filters; `app` (from a path) wins over the typed one.
    pub fn into_filter(self, app: Option<String>) -> Result<DeploymentFilter> {
        let non_empty = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(DeploymentFilter {
            app: app.or(non_empty(self.app)),
            status: non_empty(self.status),
            who: non_empty(self.who),
            since: non_empty(self.since).map(|d| parse_day(&d, "since", false)).transpose()?,
            until: non_empty(self.until).map(|d| parse_day(&d, "until", true)).transpose()?,
            before: self.before,
            limit: self.limit,
        })
    }
}

/// `YYYY-MM-DD` (the whole day, UTC) or RFC 3339 → Unix seconds.
pub fn parse_day(raw: &str, field: &str, end_of_day: bool) -> Result<i64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(at) = time::OffsetDateTime::parse(raw, &Rfc3339) {
        return Ok(at.unix_timestamp());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(raw, &format) {
        Ok(day) => {
            let start = day.midnight().assume_utc().unix_timestamp();
            Ok(if end_of_day { start + 86_399 } else { start })
        }
        Err(_) => Err(Error::Validation(FieldErrors::single(
            field,
            "invalid_date",
            format!("\"{raw}\" is not a date; write YYYY-MM-DD or an RFC 3339 time."),
        ))),
    }
}

pub async fn get(db: &SqlitePool, id: i64) -> Result<Deployment> {
    let row: Option<Row> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE d.id = ?"))).bind(id).fetch_optional(db).await?;
    let row = row.ok_or_else(|| Error::NotFound(format!("deployment #{id}")))?;
    let mut found = with_steps(db, vec![row]).await?;
    found.pop().ok_or_else(|| Error::NotFound(format!("deployment #{id}")))
}

/// Team `team_id`'s deployments that pass `filter`, newest first.
pub async fn list(db: &SqlitePool, team_id: i64, filter: &DeploymentFilter) -> Result<Vec<Deployment>> {
    if let Some(status) = filter.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(Error::Validation(FieldErrors::single(
            "status",
            "invalid_status",
            format!("\"{status}\" is not a deployment status; use one of {}.", STATUSES.join(", ")),
        )));
    }
    let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(SELECT);
    query.push(" WHERE a.team_id = ").push_bind(team_id);
    if let Some(app) = &filter.app {
        query.push(" AND a.name = ").push_bind(app.clone());
    }
    if let Some(status) = &filter.status {
        query.push(" AND d.status = ").push_bind(status.clone());
    }
    if let Some(who) = &filter.who {
        query.push(" AND d.requested_by LIKE ").push_bind(format!("%{}%", who.replace(['%', '_'], "")));
    }
    if let Some(since) = filter.since {
        query.push(" AND d.created_at >= ").push_bind(since);
    }
    if let Some(until) = filter.until {
        query.push(" AND d.created_at <= ").push_bind(until);
    }
    if let Some(before) = filter.before {
        query.push(" AND d.id < ").push_bind(before);
    }
    query.push(" ORDER BY d.id DESC LIMIT ").push_bind(filter.limit.unwrap_or(50).clamp(1, 200));
    let rows: Vec<Row> = query.build_query_as().fetch_all(db).await?;
    with_steps(db, rows).await
}

/// deployment_id, step, outcome, detail, started_at, finished_at
type StepRow = (i64, String, String, Option<String>, i64, Option<i64>);

async fn with_steps(db: &SqlitePool, rows: Vec<Row>) -> Result<Vec<Deployment>> {
    // The steps of every listed deployment in one query (the app page polls this list).
    let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
        "SELECT deployment_id, step, outcome, detail, started_at, finished_at FROM deployment_steps WHERE deployment_id IN (",
    );
    let mut ids = query.separated(", ");
    for row in &rows {
        ids.push_bind(row.id);
    }
    query.push(")");
    let step_rows: Vec<StepRow> =
        if rows.is_empty() { Vec::new() } else { query.build_query_as().fetch_all(db).await? };
    let mut steps_of: std::collections::HashMap<i64, Vec<Step>> = std::collections::HashMap::new();
    for (deployment_id, step, outcome, detail, started, finished) in step_rows {
        steps_of.entry(deployment_id).or_default().push(Step {
            step,
            outcome,
            detail,
            duration_ms: finished.map(|f| f - started),
        });
    }
    let mut deployments = Vec::with_capacity(rows.len());
    for row in rows {
        let mut steps = steps_of.remove(&row.id).unwrap_or_default();
        steps.sort_by_key(|s| STEPS.iter().position(|n| *n == s.step));
        deployments.push(Deployment {
            id: row.id,
            app: row.app,
            status: row.status,
            trigger: row.trigger,
            requested_by: row.requested_by,
            requested_commit: row.requested_commit,
            commit_sha: row.commit_sha,
            commit_message: row.commit_message,
            commit_author: row.commit_author,
            image: row.image,
            image_digest: row.image_digest,
            url: row.url,
            target: row.target,
            task_definition_arn: row.task_definition_arn,
            rollback_of: row.rollback_of,
            error: row.error,
            current: row.current,
            created_at: rfc3339(row.created_at),
            started_at: row.started_at.map(rfc3339),
            finished_at: row.finished_at.map(rfc3339),
            duration_secs: row.started_at.map(|s| row.finished_at.unwrap_or_else(now) - s),
            steps,
        });
    }
    Ok(deployments)
}

async fn app_id(db: &SqlitePool, app: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT id FROM apps WHERE name = ?")
        .bind(app)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("app \"{app}\"")))
}

/// Queues a deployment of `app` (branch head, or `commit`) and wakes a worker.
pub async fn deploy(
    db: &SqlitePool,
    hub: &DeployHub,
    app: &str,
    trigger: Trigger,
    who: &str,
    commit: Option<&str>,
) -> Result<i64> {
    let app_id = app_id(db, app).await?;
    let commit = commit.map(str::trim).filter(|c| !c.is_empty());
    let id = queue::enqueue(db, app_id, trigger, who, commit).await?;
    hub.wake.notify_one();
    Ok(id)
}

/// Queues the same commit as deployment `id` again (the build is skipped when nothing changed).
pub async fn redeploy(db: &SqlitePool, hub: &DeployHub, id: i64, who: &str, trigger: Trigger) -> Result<i64> {
    let earlier = get(db, id).await?;
    let commit = earlier.commit_sha.or(earlier.requested_commit);
    deploy(db, hub, &earlier.app, trigger, who, commit.as_deref()).await
}

/// Queues a rollback of `app` to the earlier Live deployment `target`: its image runs again, no rebuild.
pub async fn rollback(db: &SqlitePool, hub: &DeployHub, app: &str, target: i64, who: &str) -> Result<i64> {
    let app_id = app_id(db, app).await?;
    let row: Option<(String, Option<String>, i64)> =
        sqlx::query_as("SELECT status, image, app_id FROM deployments WHERE id = ?")
            .bind(target)
            .fetch_optional(db)
            .await?;
    let refuse = |message: String| Err(Error::Conflict { code: "not_rollbackable", message });
    match row {
        None => Err(Error::NotFound(format!("deployment #{target}"))),
        Some((_, _, other)) if other != app_id => refuse(format!("Deployment #{target} belongs to another app.")),
        Some((status, Some(_), _)) if status == "live" => {
            let id = queue::enqueue_rollback(db, app_id, who, target).await?;
            hub.wake.notify_one();
            Ok(id)
        }
        Some((status, _, _)) => refuse(format!(
            "Deployment #{target} never went live (it is {status}); only a Live deployment can be rolled back to."
        )),
    }
}

/// Cancels a queued or running deployment. Returns its status afterwards.
pub async fn cancel(db: &SqlitePool, hub: &DeployHub, id: i64) -> Result<String> {
    let status = queue::status(db, id).await?;
    if !ACTIVE.contains(&status.as_str()) {
        return Err(Error::Conflict {
            code: "not_cancellable",
            message: format!("Deployment #{id} is {status}; only a queued or running deployment can be cancelled."),
        });
    }
    let done = sqlx::query(
        "UPDATE deployments SET status = 'cancelled', finished_at = ?, error = 'cancelled before it started'
         WHERE id = ? AND status = 'queued'",
    )
    .bind(now())
    .bind(id)
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        sqlx::query("UPDATE deployments SET cancel_requested = 1 WHERE id = ?").bind(id).execute(db).await?;
        hub.cancel(id);
    }
    hub.logs.notify(id);
    queue::status(db, id).await
}
