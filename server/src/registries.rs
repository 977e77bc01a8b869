//! Registries a team shares: an address (host[:port][/namespace]) with optional
//! credentials, stored once (the password encrypted) and picked by name in an
//! app's settings. ECR needs none of this: AWS targets log in to ECR themselves.

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::apps::RegistryAddress;
use crate::error::{Error, FieldErrors, Result};
use crate::secrets::SecretBox;
use crate::time_fmt::{now, rfc3339};

/// As shown by the API and the UI: never the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registry {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub username: Option<String>,
    pub has_password: bool,
    /// The team's apps that push to it.
    pub apps: Vec<String>,
    pub created_at: String,
}

/// Raw input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryDraft {
    pub name: String,
    pub address: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

/// Validated input: every problem reported at once.
#[derive(Debug, Clone)]
pub struct RegistrySpec {
    pub name: String,
    pub address: RegistryAddress,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl RegistrySpec {
    pub fn parse(draft: &RegistryDraft) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = draft.name.trim();
        let name_ok = !name.is_empty()
            && name.len() <= 63
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-');
        if !name_ok {
            errors.add(
                "name",
                "invalid_registry_name",
                "Name the registry with lowercase letters, digits and dashes, e.g. \"ghcr\".",
            );
        }
        let address = RegistryAddress::parse(&draft.address).map_err(|(code, m)| errors.add("address", code, m)).ok();
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let (username, password) = (text(&draft.username), text(&draft.password));
        if password.is_some() && username.is_none() {
            errors.add("username", "missing_username", "A password needs the user name it belongs to.");
        }
        match address {
            Some(address) if errors.is_empty() => Ok(Self { name: name.to_owned(), address, username, password }),
            _ => Err(errors),
        }
    }
}

type Row = (i64, String, String, Option<String>, bool, Option<String>, i64);

/// Team `team_id`'s registries, by name.
pub async fn list(db: &SqlitePool, team_id: i64) -> Result<Vec<Registry>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.id, r.name, r.address, r.username, r.password IS NOT NULL,
                (SELECT group_concat(name, ',') FROM (SELECT name FROM apps a WHERE a.registry_id = r.id ORDER BY name)),
                r.created_at
         FROM registries r WHERE r.team_id = ? ORDER BY r.name",
    )
    .bind(team_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, address, username, has_password, apps, at)| Registry {
            id,
            name,
            address,
            username,
            has_password,
            apps: apps.map(|a| a.split(',').map(str::to_owned).collect()).unwrap_or_default(),
            created_at: rfc3339(at),
        })
        .collect())
}

pub async fn create(db: &SqlitePool, secrets: &SecretBox, team_id: i64, spec: &RegistrySpec) -> Result<Registry> {
    let password = spec.password.as_deref().map(|p| secrets.encrypt(p)).transpose()?;
    let inserted = sqlx::query(
        "INSERT INTO registries (team_id, name, address, username, password, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(team_id)
    .bind(&spec.name)
    .bind(spec.address.as_str())
    .bind(&spec.username)
    .bind(password)
    .bind(now())
    .execute(db)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(Error::Validation(FieldErrors::single(
                "name",
                "registry_name_taken",
                format!("This team already has a registry named \"{}\".", spec.name),
            )));
        }
        Err(e) => return Err(e.into()),
    }
    list(db, team_id)
        .await?
        .into_iter()
        .find(|r| r.name == spec.name)
        .ok_or_else(|| Error::NotFound(format!("registry \"{}\"", spec.name)))
}

/// Removes a registry no app pushes to any more.
pub async fn delete(db: &SqlitePool, team_id: i64, name: &str) -> Result<()> {
    let registry = list(db, team_id)
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| Error::NotFound(format!("registry \"{name}\"")))?;
    if !registry.apps.is_empty() {
        return Err(Error::Conflict {
            code: "registry_in_use",
            message: format!(
                "Apps still push to registry \"{name}\": {}. Change their registry first.",
                registry.apps.join(", ")
            ),
        });
    }
    sqlx::query("DELETE FROM registries WHERE id = ?").bind(registry.id).execute(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(name: &str, address: &str) -> RegistryDraft {
        RegistryDraft { name: name.into(), address: address.into(), ..RegistryDraft::default() }
    }

    #[test]
    fn drafts_are_checked_field_by_field() {
        let spec = RegistrySpec::parse(&draft("ghcr", "https://ghcr.io/acme/")).unwrap();
        assert_eq!(spec.address.as_str(), "ghcr.io/acme");
        let errors =
            RegistrySpec::parse(&RegistryDraft { password: Some("p".into()), ..draft("Bad Name", "not a registry") })
                .unwrap_err();
        assert_eq!(errors.0["name"].code, "invalid_registry_name");
        assert_eq!(errors.0["address"].code, "invalid_registry");
        assert_eq!(errors.0["username"].code, "missing_username");
    }
}
