//! Users, password hashing (argon2) and sign-in with failed-attempt rate limiting.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use serde::Serialize;
use sqlx::SqlitePool;

use crate::error::{Error, FieldErrors, Result};
use crate::time_fmt::now;

/// Failed sign-ins allowed per email or per client address within `WINDOW_SECS`.
const MAX_FAILURES: i64 = 5;
const WINDOW_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldErrors> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
        if valid {
            Ok(Self(email))
        } else {
            Err(FieldErrors::single("email", "invalid_email", "Enter an email address like ada@example.com."))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 10;

    pub fn parse(raw: &str) -> Result<Self, FieldErrors> {
        if raw.chars().count() < Self::MIN_LEN {
            return Err(FieldErrors::single(
                "password",
                "password_too_short",
                format!("Use at least {} characters.", Self::MIN_LEN),
            ));
        }
        if raw.len() > 1024 {
            return Err(FieldErrors::single("password", "password_too_long", "Use at most 1024 bytes."));
        }
        Ok(Self(raw.to_owned()))
    }

    pub(crate) fn hash(&self) -> Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| Error::Internal(anyhow::anyhow!("hashing password: {e}")))
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub is_owner: bool,
    pub created_at: i64,
}

pub async fn count_users(db: &SqlitePool) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(db).await?)
}

pub async fn find_user(db: &SqlitePool, id: i64) -> Result<Option<User>> {
    Ok(sqlx::query_as("SELECT id, email, is_owner, created_at FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?)
}

pub async fn find_user_by_email(db: &SqlitePool, email: &Email) -> Result<Option<User>> {
    Ok(sqlx::query_as("SELECT id, email, is_owner, created_at FROM users WHERE email = ?")
        .bind(email.as_str())
        .fetch_optional(db)
        .await?)
}

pub async fn create_user(db: &SqlitePool, email: &Email, password: &Password, is_owner: bool) -> Result<User> {
    let hash = password.hash()?;
    let inserted = sqlx::query_as(
        "INSERT INTO users (email, password_hash, is_owner, created_at) VALUES (?, ?, ?, ?)
         RETURNING id, email, is_owner, created_at",
    )
    .bind(email.as_str())
    .bind(hash)
    .bind(is_owner)
    .bind(now())
    .fetch_one(db)
    .await;
    match inserted {
        Ok(user) => Ok(user),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(Error::Validation(FieldErrors::single(
            "email",
            "email_taken",
            "An account with this email already exists.",
        ))),
        Err(e) => Err(e.into()),
    }
}

/// First-run set-up: creates the owner, but only while there are no users at all.
/// The owner owns the installation's first team.
pub async fn create_owner(db: &SqlitePool, email: &Email, password: &Password) -> Result<User> {
    let hash = password.hash()?;
    let mut tx = db.begin().await?;
    let created: Option<User> = sqlx::query_as(
        "INSERT INTO users (email, password_hash, is_owner, created_at)
         SELECT ?, ?, 1, ? WHERE NOT EXISTS (SELECT 1 FROM users)
         RETURNING id, email, is_owner, created_at",
    )
    .bind(email.as_str())
    .bind(hash)
    .bind(now())
    .fetch_optional(&mut *tx)
    .await?;
    let owner = created.ok_or_else(|| Error::Conflict {
        code: "already_set_up",
        message: "Slipway is already set up; sign in instead.".into(),
    })?;
    let first_team: i64 = sqlx::query_scalar("SELECT MIN(id) FROM teams").fetch_one(&mut *tx).await?;
    crate::teams::add_member(&mut tx, first_team, owner.id, crate::teams::Role::Owner).await?;
    tx.commit().await?;
    Ok(owner)
}

/// Checks credentials. Refuses with `RateLimited` after too many recent failures for
/// this email or this client address; records each failure.
pub async fn sign_in(db: &SqlitePool, email: &str, password: &str, client_ip: &str) -> Result<User> {
    let email = email.trim().to_lowercase();
    let since = now() - WINDOW_SECS;
    let (failures, oldest): (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), MIN(at) FROM login_failures WHERE (email = ? OR ip = ?) AND at > ?")
            .bind(&email)
            .bind(client_ip)
            .bind(since)
            .fetch_one(db)
            .await?;
    if failures >= MAX_FAILURES {
        let retry_after = oldest.map_or(WINDOW_SECS, |at| at + WINDOW_SECS - now()).max(1);
        return Err(Error::RateLimited { retry_after_secs: retry_after.unsigned_abs() });
    }

    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, password_hash FROM users WHERE email = ?").bind(&email).fetch_optional(db).await?;
    let verified = match &row {
        Some((_, hash)) => verify(password, hash),
        // Spend the same effort on unknown emails so timing does not reveal accounts.
        None => {
            let _ = Password(password.to_owned()).hash();
            false
        }
    };
    match (row, verified) {
        (Some((id, _)), true) => {
            sqlx::query("DELETE FROM login_failures WHERE email = ?").bind(&email).execute(db).await?;
            find_user(db, id).await?.ok_or(Error::WrongCredentials)
        }
        _ => {
            sqlx::query("INSERT INTO login_failures (email, ip, at) VALUES (?, ?, ?)")
                .bind(&email)
                .bind(client_ip)
                .bind(now())
                .execute(db)
                .await?;
            sqlx::query("DELETE FROM login_failures WHERE at < ?").bind(since).execute(db).await?;
            Err(Error::WrongCredentials)
        }
    }
}

fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in ["", "ada", "@example.com", "ada@", "ada@example", "a da@example.com", "ada@.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough!").is_ok());
    }

    #[test]
    fn hashes_verify() {
        let hash = Password::parse("correct horse").unwrap().hash().unwrap();
        assert!(verify("correct horse", &hash));
        assert!(!verify("wrong horse!", &hash));
    }
}
