//! API tokens: `slw_` + 32 random bytes (hex). Only a SHA-256 hash is stored;
//! the token is shown once, at creation.

use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

use super::users::{User, find_user};
use crate::error::{Error, FieldErrors, Result};
use crate::time_fmt::now;

const TOKEN_PREFIX: &str = "slw_";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A freshly created token: the only time the secret is available.
#[derive(Debug, Clone, Serialize)]
pub struct NewToken {
    pub token: ApiToken,
    pub secret: String,
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A token of `user` that acts in team `team_id` with the user's role there.
pub async fn create_token(db: &SqlitePool, user: &User, team_id: i64, name: &str) -> Result<NewToken> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(Error::Validation(FieldErrors::single(
            "name",
            "invalid_token_name",
            "Give the token a name of 1 to 64 characters, e.g. \"CI\".",
        )));
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let token = sqlx::query_as(
        "INSERT INTO api_tokens (user_id, team_id, name, token_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?)
         RETURNING id, name, prefix, created_at, last_used_at",
    )
    .bind(user.id)
    .bind(team_id)
    .bind(name)
    .bind(hash(&secret))
    .bind(prefix)
    .bind(now())
    .fetch_one(db)
    .await?;
    Ok(NewToken { token, secret })
}

/// The user's live tokens in team `team_id`.
pub async fn list_tokens(db: &SqlitePool, user: &User, team_id: i64) -> Result<Vec<ApiToken>> {
    Ok(sqlx::query_as(
        "SELECT id, name, prefix, created_at, last_used_at FROM api_tokens
         WHERE user_id = ? AND team_id = ? AND revoked_at IS NULL ORDER BY id",
    )
    .bind(user.id)
    .bind(team_id)
    .fetch_all(db)
    .await?)
}

pub async fn revoke_token(db: &SqlitePool, user: &User, token_id: i64) -> Result<()> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL")
        .bind(now())
        .bind(token_id)
        .bind(user.id)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound("token".into()));
    }
    Ok(())
}

/// The user a bearer token acts for and the team it acts in, or `InvalidToken`.
pub async fn user_for_token(db: &SqlitePool, secret: &str) -> Result<(User, i64)> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? AND revoked_at IS NULL RETURNING user_id, team_id",
    )
    .bind(now())
    .bind(hash(secret))
    .fetch_optional(db)
    .await?;
    match row {
        Some((id, team_id)) => Ok((find_user(db, id).await?.ok_or(Error::InvalidToken)?, team_id)),
        None => Err(Error::InvalidToken),
    }
}
