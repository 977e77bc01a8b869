//! Invitations by link: an admin picks a role (and optionally the one email that
//! may use it) and gets a link that works once, until it expires. Only a SHA-256
//! of the link's token is stored; the link is shown once.

use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{SqliteConnection, SqlitePool};

use super::store::add_member;
use super::{Membership, Role, Team, needs};
use crate::auth::{Email, User};
use crate::error::{Error, FieldErrors, Result};
use crate::time_fmt::{now, rfc3339};

pub const DEFAULT_HOURS: i64 = 7 * 24;
const MAX_HOURS: i64 = 30 * 24;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invite {
    pub id: i64,
    pub role: Role,
    pub email: Option<String>,
    pub created_by: Option<String>,
    pub created_at: String,
    pub expires_at: String,
}

/// A freshly created invite: the only time its link is available.
#[derive(Debug, Clone, Serialize)]
pub struct NewInvite {
    pub invite: Invite,
    pub url: String,
}

/// What the invite page shows before someone accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InviteInfo {
    pub team: Team,
    pub role: Role,
    pub email: Option<String>,
    pub expires_at: String,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Parses the optional email and lifetime, then stores the invite.
pub async fn create_invite(
    db: &SqlitePool,
    public_url: &url::Url,
    by: &Membership,
    role: Role,
    email: Option<&str>,
    hours: Option<i64>,
) -> Result<NewInvite> {
    if role == Role::Owner && by.role < Role::Owner {
        return Err(needs(Role::Owner, by));
    }
    let email =
        email.map(str::trim).filter(|e| !e.is_empty()).map(Email::parse).transpose().map_err(Error::Validation)?;
    let hours = hours.unwrap_or(DEFAULT_HOURS);
    if !(1..=MAX_HOURS).contains(&hours) {
        return Err(Error::Validation(FieldErrors::single(
            "expires_in_hours",
            "invalid_expiry",
            format!("An invite lasts 1 to {MAX_HOURS} hours (30 days)."),
        )));
    }
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let at = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO team_invites (team_id, token_hash, role, email, created_by, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(by.team.id)
    .bind(hash(&token))
    .bind(role.as_str())
    .bind(email.as_ref().map(Email::as_str))
    .bind(by.user.id)
    .bind(at)
    .bind(at + hours * 3600)
    .fetch_one(db)
    .await?;
    let invite = Invite {
        id,
        role,
        email: email.map(|e| e.as_str().to_owned()),
        created_by: Some(by.user.email.clone()),
        created_at: rfc3339(at),
        expires_at: rfc3339(at + hours * 3600),
    };
    Ok(NewInvite { invite, url: format!("{}/invite/{token}", public_url.as_str().trim_end_matches('/')) })
}

/// id, role, email, created by, created at, expires at.
type InviteListRow = (i64, String, Option<String>, Option<String>, i64, i64);

/// The team's invites that can still be accepted.
pub async fn list_invites(db: &SqlitePool, team_id: i64) -> Result<Vec<Invite>> {
    let rows: Vec<InviteListRow> = sqlx::query_as(
        "SELECT i.id, i.role, i.email, u.email, i.created_at, i.expires_at
         FROM team_invites i LEFT JOIN users u ON u.id = i.created_by
         WHERE i.team_id = ? AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?
         ORDER BY i.id DESC",
    )
    .bind(team_id)
    .bind(now())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, role, email, created_by, created_at, expires_at)| Invite {
            id,
            role: role.into(),
            email,
            created_by,
            created_at: rfc3339(created_at),
            expires_at: rfc3339(expires_at),
        })
        .collect())
}

pub async fn revoke_invite(db: &SqlitePool, team_id: i64, id: i64) -> Result<Role> {
    let role: Option<String> = sqlx::query_scalar(
        "UPDATE team_invites SET revoked_at = ? WHERE id = ? AND team_id = ? AND accepted_at IS NULL AND revoked_at IS NULL
         RETURNING role",
    )
    .bind(now())
    .bind(id)
    .bind(team_id)
    .fetch_optional(db)
    .await?;
    role.map(Role::from).ok_or_else(|| Error::NotFound("pending invite".into()))
}

#[derive(sqlx::FromRow)]
struct InviteRow {
    id: i64,
    team_id: i64,
    slug: String,
    name: String,
    role: String,
    email: Option<String>,
    expires_at: i64,
    accepted_at: Option<i64>,
    revoked_at: Option<i64>,
}

async fn row(conn: &mut SqliteConnection, token: &str) -> Result<InviteRow> {
    sqlx::query_as(
        "SELECT i.id, i.team_id, t.slug, t.name, i.role, i.email, i.expires_at, i.accepted_at, i.revoked_at
         FROM team_invites i JOIN teams t ON t.id = i.team_id WHERE i.token_hash = ?",
    )
    .bind(hash(token.trim()))
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| gone("This invite link is not valid. Check that you copied all of it, or ask for a new one."))
}

fn gone(message: &str) -> Error {
    Error::Conflict { code: "invite_unusable", message: message.into() }
}

/// Why a stored invite can't be used any more, if it can't.
fn unusable(row: &InviteRow) -> Option<Error> {
    if row.accepted_at.is_some() {
        Some(gone("This invite has already been used. Ask the team's admin for a new link."))
    } else if row.revoked_at.is_some() {
        Some(gone("This invite was withdrawn. Ask the team's admin for a new link."))
    } else if row.expires_at <= now() {
        Some(gone(&format!("This invite expired at {}. Ask the team's admin for a new link.", rfc3339(row.expires_at))))
    } else {
        None
    }
}

/// The invite behind a link, if it can still be accepted.
pub async fn find_invite(db: &SqlitePool, token: &str) -> Result<InviteInfo> {
    let mut conn = db.acquire().await?;
    let row = row(&mut conn, token).await?;
    if let Some(error) = unusable(&row) {
        return Err(error);
    }
    Ok(InviteInfo {
        team: Team { id: row.team_id, slug: row.slug, name: row.name },
        role: row.role.into(),
        email: row.email,
        expires_at: rfc3339(row.expires_at),
    })
}

/// Accepts an invite for `user`, in the caller's transaction (which may also have
/// created the user): the link is used up and the user joins with its role.
pub async fn accept_invite(tx: &mut SqliteConnection, token: &str, user: &User) -> Result<(Team, Role)> {
    let row = row(tx, token).await?;
    if let Some(error) = unusable(&row) {
        return Err(error);
    }
    if let Some(email) = row.email.as_deref().filter(|e| !e.eq_ignore_ascii_case(&user.email)) {
        return Err(Error::Forbidden(format!(
            "This invite is for {email}; you are signed in as {}. Sign in with that address, or ask for a new link.",
            user.email
        )));
    }
    let team = Team { id: row.team_id, slug: row.slug, name: row.name };
    let role = Role::from(row.role);
    if !add_member(tx, team.id, user.id, role).await? {
        return Err(Error::Conflict {
            code: "already_member",
            message: format!("You are already a member of team \"{}\"; the invite is still unused.", team.name),
        });
    }
    // Only one acceptance wins, even when two people use the link at once.
    let used =
        sqlx::query("UPDATE team_invites SET accepted_at = ?, accepted_by = ? WHERE id = ? AND accepted_at IS NULL")
            .bind(now())
            .bind(user.id)
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
    if used.rows_affected() == 0 {
        return Err(gone("This invite has already been used. Ask the team's admin for a new link."));
    }
    Ok((team, role))
}
