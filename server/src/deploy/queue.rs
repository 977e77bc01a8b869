//! The deployment queue in SQLite.
//!
//! - `enqueue` adds a queued deployment and, in the same transaction, marks the
//!   app's older queued ones Superseded (only the newest request matters).
//! - `claim_next` takes the oldest queued deployment of an app that has nothing
//!   running, in one SQL statement: two workers can never take the same one,
//!   and an app never runs two at once.
//! - `recover_interrupted` ends, at start-up, what a crash left running.

use sqlx::SqlitePool;

use crate::error::{Error, FieldErrors, Result};
use crate::time_fmt::now;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Ui,
    Api,
    Webhook,
    Rollback,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Ui => "ui",
            Trigger::Api => "api",
            Trigger::Webhook => "webhook",
            Trigger::Rollback => "rollback",
        }
    }
}

/// A commit named by the user: 7–40 hex digits.
pub fn parse_commit(raw: &str) -> Result<String, FieldErrors> {
    let sha = raw.trim().to_lowercase();
    if (7..=40).contains(&sha.len()) && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(sha)
    } else {
        Err(FieldErrors::single(
            "commit",
            "invalid_commit",
            format!("\"{raw}\" is not a commit SHA (7 to 40 hex digits)."),
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueuedDeployment {
    pub id: i64,
    pub app_id: i64,
    pub status: String,
    pub trigger: String,
    pub requested_by: String,
    pub requested_commit: Option<String>,
    pub rollback_of: Option<i64>,
}

/// Queues a deployment of `app_id`; returns its id.
pub async fn enqueue(
    db: &SqlitePool,
    app_id: i64,
    trigger: Trigger,
    requested_by: &str,
    commit: Option<&str>,
) -> Result<i64> {
    insert(db, app_id, trigger, requested_by, commit, None).await
}

async fn insert(
    db: &SqlitePool,
    app_id: i64,
    trigger: Trigger,
    requested_by: &str,
    commit: Option<&str>,
    rollback_of: Option<i64>,
) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = enqueue_in(&mut tx, app_id, trigger, requested_by, commit, rollback_of).await?;
    tx.commit().await?;
    Ok(id)
}

/// `enqueue` inside the caller's transaction (a webhook records its delivery in the same one).
pub async fn enqueue_in(
    tx: &mut sqlx::SqliteConnection,
    app_id: i64,
    trigger: Trigger,
    requested_by: &str,
    commit: Option<&str>,
    rollback_of: Option<i64>,
) -> Result<i64> {
    let commit = commit.map(parse_commit).transpose().map_err(Error::Validation)?;
    let at = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO deployments (app_id, status, trigger, requested_by, requested_commit, rollback_of, created_at)
         VALUES (?, 'queued', ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(app_id)
    .bind(trigger.as_str())
    .bind(requested_by)
    .bind(commit)
    .bind(rollback_of)
    .bind(at)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE deployments SET status = 'superseded', finished_at = ?, error = 'superseded by deployment #' || ?
         WHERE app_id = ? AND status = 'queued' AND id < ?",
    )
    .bind(at)
    .bind(id)
    .bind(app_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// Queues a rollback to the Live deployment `target` (validated by the caller).
pub async fn enqueue_rollback(db: &SqlitePool, app_id: i64, requested_by: &str, target: i64) -> Result<i64> {
    insert(db, app_id, Trigger::Rollback, requested_by, None, Some(target)).await
}

/// Atomically moves the next runnable deployment to `cloning` and returns it.
pub async fn claim_next(db: &SqlitePool) -> Result<Option<QueuedDeployment>> {
    Ok(sqlx::query_as(
        "UPDATE deployments SET status = 'cloning', started_at = ?
         WHERE id = (
             SELECT d.id FROM deployments d
             WHERE d.status = 'queued'
               AND NOT EXISTS (
                   SELECT 1 FROM deployments r
                   WHERE r.app_id = d.app_id
                     AND r.status IN ('cloning', 'building', 'pushing', 'deploying', 'verifying'))
             ORDER BY d.id LIMIT 1)
           AND status = 'queued'
         RETURNING id, app_id, status, trigger, requested_by, requested_commit, rollback_of",
    )
    .bind(now())
    .fetch_optional(db)
    .await?)
}

/// At start-up: deployments a crash interrupted end as Failed (interrupted).
/// Queued ones stay queued and resume. Returns how many were ended.
pub async fn recover_interrupted(db: &SqlitePool) -> Result<u64> {
    let mut tx = db.begin().await?;
    let at = now();
    // The log says it too, as its last line.
    sqlx::query(
        "INSERT INTO deployment_logs (deployment_id, at, line)
         SELECT id, ?, '✗ interrupted: Slipway stopped while this deployment was ' || status || '; the previous release kept serving'
         FROM deployments WHERE status IN ('cloning', 'building', 'pushing', 'deploying', 'verifying')",
    )
    .bind(at)
    .execute(&mut *tx)
    .await?;
    let done = sqlx::query(
        "UPDATE deployments SET status = 'failed', finished_at = ?,
             error = 'interrupted: Slipway stopped while this deployment was ' || status || '; the previous release kept serving'
         WHERE status IN ('cloning', 'building', 'pushing', 'deploying', 'verifying')",
    )
    .bind(at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// The status, and whether the deployment is over: it has an end time (a Live
/// deployment gets one once the previous release is retired).
pub async fn progress(db: &SqlitePool, id: i64) -> Result<(String, bool)> {
    sqlx::query_as("SELECT status, finished_at IS NOT NULL FROM deployments WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("deployment #{id}")))
}

pub async fn status(db: &SqlitePool, id: i64) -> Result<String> {
    sqlx::query_scalar("SELECT status FROM deployments WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("deployment #{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn db_with_apps(n: usize) -> (tempfile::TempDir, SqlitePool, Vec<i64>) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::connect(&dir.path().join("q.db")).await.unwrap();
        let mut ids = Vec::new();
        for i in 0..n {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO apps (name, repo_url, branch, dockerfile, build_context, port, health_path, replicas, created_at, updated_at)
                 VALUES (?, '/r', 'main', 'Dockerfile', '.', 8080, '/', 1, 0, 0) RETURNING id",
            )
            .bind(format!("app{i}"))
            .fetch_one(&db)
            .await
            .unwrap();
            ids.push(id);
        }
        (dir, db, ids)
    }

    #[tokio::test]
    async fn a_newer_request_supersedes_older_queued_ones() {
        let (_dir, db, apps) = db_with_apps(2).await;
        let first = enqueue(&db, apps[0], Trigger::Ui, "a@example.com", None).await.unwrap();
        let other_app = enqueue(&db, apps[1], Trigger::Api, "a@example.com", None).await.unwrap();
        let second = enqueue(&db, apps[0], Trigger::Ui, "a@example.com", Some("ABCDEF1")).await.unwrap();
        assert_eq!(status(&db, first).await.unwrap(), "superseded");
        assert_eq!(status(&db, second).await.unwrap(), "queued");
        assert_eq!(status(&db, other_app).await.unwrap(), "queued", "other apps are untouched");
    }

    #[tokio::test]
    async fn one_running_deployment_per_app_and_no_double_claims() {
        let (_dir, db, apps) = db_with_apps(2).await;
        let a = enqueue(&db, apps[0], Trigger::Ui, "x", None).await.unwrap();
        let b = enqueue(&db, apps[1], Trigger::Ui, "x", None).await.unwrap();
        let claims = futures::future::join_all((0..4).map(|_| claim_next(&db))).await;
        let mut claimed: Vec<i64> = claims.into_iter().filter_map(|c| c.unwrap()).map(|d| d.id).collect();
        claimed.sort_unstable();
        assert_eq!(claimed, vec![a, b], "each claimed exactly once");

        // A request queued while the app runs waits for it.
        let c = enqueue(&db, apps[0], Trigger::Ui, "x", None).await.unwrap();
        assert_eq!(claim_next(&db).await.unwrap(), None);
        sqlx::query("UPDATE deployments SET status = 'live' WHERE id = ?").bind(a).execute(&db).await.unwrap();
        assert_eq!(claim_next(&db).await.unwrap().map(|d| d.id), Some(c));
    }

    #[tokio::test]
    async fn recovery_ends_interrupted_work_and_keeps_the_queue() {
        let (_dir, db, apps) = db_with_apps(2).await;
        let running = enqueue(&db, apps[0], Trigger::Ui, "x", None).await.unwrap();
        claim_next(&db).await.unwrap();
        let waiting = enqueue(&db, apps[1], Trigger::Ui, "x", None).await.unwrap();
        sqlx::query("UPDATE deployments SET status = 'building' WHERE id = ?")
            .bind(running)
            .execute(&db)
            .await
            .unwrap();

        assert_eq!(recover_interrupted(&db).await.unwrap(), 1);
        assert_eq!(status(&db, running).await.unwrap(), "failed");
        let error: String = sqlx::query_scalar("SELECT error FROM deployments WHERE id = ?")
            .bind(running)
            .fetch_one(&db)
            .await
            .unwrap();
        assert!(error.starts_with("interrupted: Slipway stopped while this deployment was building"), "{error}");
        assert_eq!(status(&db, waiting).await.unwrap(), "queued");
        assert_eq!(claim_next(&db).await.unwrap().map(|d| d.id), Some(waiting));
    }

    #[test]
    fn commits_are_hex() {
        assert_eq!(parse_commit(" ABCDEF1 ").unwrap(), "abcdef1");
        assert!(parse_commit("main").is_err());
        assert!(parse_commit("abc").is_err());
        assert!(parse_commit(&"a".repeat(41)).is_err());
    }
}
