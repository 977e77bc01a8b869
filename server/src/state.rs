//! Shared state handed to handlers through axum's `State` / `FromRef`.

use std::sync::Arc;

use sqlx::SqlitePool;

use crate::config::Config;
use crate::deploy::DeployHub;
use crate::secrets::SecretBox;

#[derive(Clone)]
pub struct AppState {
    pub db: SqlitePool,
    pub config: Arc<Config>,
    pub secrets: SecretBox,
    /// Worker wake-ups, live log fan-out, cancel tokens, the Docker client.
    pub hub: Arc<DeployHub>,
    /// This installation's id (names and labels its containers).
    pub installation: Arc<str>,
}

impl AppState {
    /// Opens the data directory: database (migrated) and the secrets key.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let db = crate::db::connect(&config.database_path()).await?;
        let secrets = SecretBox::load(&config)?;
        let installation: String =
            sqlx::query_scalar("SELECT key FROM installation WHERE id = 1").fetch_one(&db).await?;
        Ok(Self { db, config: Arc::new(config), secrets, hub: Arc::default(), installation: installation.into() })
    }
}
