//! The deployment log: append-only lines in SQLite, and a live fan-out so
//! streams (SSE) wake up as soon as a line is written.

use serde::Serialize;
use sqlx::SqlitePool;
use tokio::sync::broadcast;

use crate::error::Result;
use crate::time_fmt::now;

/// Lines longer than this are cut (a runaway build can print anything).
const MAX_LINE: usize = 8 * 1024;

/// Wakes log readers: carries the id of the deployment that got new lines
/// (or changed state). Readers then read the rows; nothing is lost if a
/// reader lags, it just reads more rows at once.
#[derive(Clone)]
pub struct LogEvents(broadcast::Sender<i64>);

impl Default for LogEvents {
    fn default() -> Self {
        Self(broadcast::channel(1024).0)
    }
}

impl LogEvents {
    pub fn notify(&self, deployment_id: i64) {
        // No receivers is fine: nobody is watching.
        let _ = self.0.send(deployment_id);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.0.subscribe()
    }
}

/// Writes lines to one deployment's log.
#[derive(Clone)]
pub struct DeployLog {
    db: SqlitePool,
    events: LogEvents,
    deployment_id: i64,
}

impl DeployLog {
    pub fn new(db: SqlitePool, events: LogEvents, deployment_id: i64) -> Self {
        Self { db, events, deployment_id }
    }

    /// Appends `text`, one row per line. A failure to write is logged, never fatal.
    pub async fn line(&self, text: impl AsRef<str>) {
        let lines: Vec<&str> = text.as_ref().lines().collect();
        if lines.is_empty() {
            return;
        }
        if let Err(error) = self.insert(&lines).await {
            tracing::error!(deployment = self.deployment_id, %error, "writing the deployment log failed");
        }
        self.events.notify(self.deployment_id);
    }

    async fn insert(&self, lines: &[&str]) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let at = now();
        for line in lines {
            let line = cut(line.trim_end_matches('\r'));
            sqlx::query("INSERT INTO deployment_logs (deployment_id, at, line) VALUES (?, ?, ?)")
                .bind(self.deployment_id)
                .bind(at)
                .bind(line)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn cut(line: &str) -> &str {
    if line.len() <= MAX_LINE {
        return line;
    }
    let mut end = MAX_LINE;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LogLine {
    pub id: i64,
    pub at: i64,
    pub line: String,
}

/// Lines of a deployment after line id `after` (0 for all), at most `limit`.
pub async fn lines_after(db: &SqlitePool, deployment_id: i64, after: i64, limit: i64) -> Result<Vec<LogLine>> {
    Ok(sqlx::query_as(
        "SELECT id, at, line FROM deployment_logs WHERE deployment_id = ? AND id > ? ORDER BY id LIMIT ?",
    )
    .bind(deployment_id)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn long_lines_are_cut_on_a_char_boundary() {
        let long = "é".repeat(super::MAX_LINE);
        let kept = cut(&long);
        assert!(kept.len() <= super::MAX_LINE);
        assert!(kept.chars().all(|c| c == 'é'));
        assert_eq!(cut("short"), "short");
    }
}
