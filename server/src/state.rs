//! Shared state handed to handlers through axum's `State` / `FromRef`.

use std::sync::Arc;

use sqlx::SqlitePool;

use crate::config::Config;
use crate::secrets::SecretBox;

#[derive(Clone)]
pub struct AppState {
    pub db: SqlitePool,
    pub config: Arc<Config>,
    pub secrets: SecretBox,
}

impl AppState {
    /// Opens the data directory: database (migrated) and the secrets key.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let db = crate::db::connect(&config.database_path()).await?;
        let secrets = SecretBox::load(&config)?;
        Ok(Self { db, config: Arc::new(config), secrets })
    }
}
