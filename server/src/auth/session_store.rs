//! tower-sessions records kept in SQLite, so a restart keeps people signed in.

use async_trait::async_trait;
use sqlx::SqlitePool;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error as StoreError, Result as StoreResult, SessionStore};

#[derive(Debug, Clone)]
pub struct SqliteSessionStore {
    db: SqlitePool,
}

impl SqliteSessionStore {
    pub fn new(db: SqlitePool) -> Self {
        Self { db }
    }

    /// Removes expired sessions; called periodically.
    pub async fn delete_expired(&self) -> sqlx::Result<u64> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let done = sqlx::query("DELETE FROM sessions WHERE expiry_date < ?").bind(now).execute(&self.db).await?;
        Ok(done.rows_affected())
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for SqliteSessionStore {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| StoreError::Encode(e.to_string()))?;
        loop {
            let inserted =
                sqlx::query("INSERT INTO sessions (id, data, expiry_date) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING")
                    .bind(record.id.to_string())
                    .bind(&data)
                    .bind(record.expiry_date.unix_timestamp())
                    .execute(&self.db)
                    .await
                    .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| StoreError::Encode(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sessions (id, data, expiry_date) VALUES (?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date",
        )
        .bind(record.id.to_string())
        .bind(data)
        .bind(record.expiry_date.unix_timestamp())
        .execute(&self.db)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT data, expiry_date FROM sessions WHERE id = ? AND expiry_date > ?")
                .bind(id.to_string())
                .bind(now)
                .fetch_optional(&self.db)
                .await
                .map_err(backend)?;
        let Some((data, expiry)) = row else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| StoreError::Decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expiry).map_err(backend)?,
        }))
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id = ?")
            .bind(id.to_string())
            .execute(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
