//! The routing table in SQLite: app → backends, with a global version the edge watches.

use std::collections::HashMap;
use std::net::SocketAddr;

use sqlx::SqlitePool;

use crate::error::Result;

/// Points `app` at `backends` (the new release); returns the new table version.
pub async fn set_route(db: &SqlitePool, app: &str, deployment_id: i64, backends: &[SocketAddr]) -> Result<i64> {
    let mut tx = db.begin().await?;
    let version: i64 =
        sqlx::query_scalar("UPDATE edge_version SET version = version + 1 WHERE id = 1 RETURNING version")
            .fetch_one(&mut *tx)
            .await?;
    let backends = serde_json::to_string(&backends.iter().map(ToString::to_string).collect::<Vec<_>>())
        .map_err(anyhow::Error::from)?;
    sqlx::query(
        "INSERT INTO edge_routes (app, deployment_id, backends, version) VALUES (?, ?, ?, ?)
         ON CONFLICT (app) DO UPDATE SET deployment_id = excluded.deployment_id, backends = excluded.backends, version = excluded.version",
    )
    .bind(app)
    .bind(deployment_id)
    .bind(backends)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Stops routing `app`; returns the new table version.
pub async fn remove_route(db: &SqlitePool, app: &str) -> Result<i64> {
    let mut tx = db.begin().await?;
    let version: i64 =
        sqlx::query_scalar("UPDATE edge_version SET version = version + 1 WHERE id = 1 RETURNING version")
            .fetch_one(&mut *tx)
            .await?;
    sqlx::query("DELETE FROM edge_routes WHERE app = ?").bind(app).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(version)
}

pub async fn current_version(db: &SqlitePool) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT version FROM edge_version WHERE id = 1").fetch_one(db).await?)
}

/// The whole table: its version and each app's backends.
pub async fn load(db: &SqlitePool) -> Result<(i64, HashMap<String, Vec<SocketAddr>>)> {
    let mut tx = db.begin().await?;
    let version: i64 = sqlx::query_scalar("SELECT version FROM edge_version WHERE id = 1").fetch_one(&mut *tx).await?;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT app, backends FROM edge_routes").fetch_all(&mut *tx).await?;
    tx.commit().await?;
    let mut routes = HashMap::new();
    for (app, backends) in rows {
        let addrs: Vec<String> = serde_json::from_str(&backends).unwrap_or_default();
        routes.insert(app, addrs.iter().filter_map(|a| a.parse().ok()).collect());
    }
    Ok((version, routes))
}
