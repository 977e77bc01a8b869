//! `Member<R>`: the extractor every team-scoped route takes. It finds who is
//! asking (API token or session), the team the request acts in (the token's
//! team, or the one chosen in the session, else the user's first), and their
//! role there — and refuses with 403 before the handler runs when the role is
//! below `R`. Handlers then look resources up *in that team* (`Membership::app`…),
//! so another team's app is simply not found.

use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sqlx::SqlitePool;
use tower_sessions::Session;

use super::{Role, Team, needs};
use crate::audit::Actor;
use crate::auth::{User, user_for_token, user_from_session};
use crate::error::{Error, Result};
use crate::state::AppState;

/// Session key holding the id of the team the user chose to work in.
pub const SESSION_TEAM_KEY: &str = "team_id";

/// A user acting in a team with a role.
#[derive(Debug, Clone)]
pub struct Membership {
    pub user: User,
    pub team: Team,
    pub role: Role,
}

/// The least role a route needs.
pub trait MinRole {
    const ROLE: Role;
}
pub struct Viewer;
pub struct Deployer;
pub struct Admin;
pub struct Owner;
impl MinRole for Viewer {
    const ROLE: Role = Role::Viewer;
}
impl MinRole for Deployer {
    const ROLE: Role = Role::Deployer;
}
impl MinRole for Admin {
    const ROLE: Role = Role::Admin;
}
impl MinRole for Owner {
    const ROLE: Role = Role::Owner;
}

/// A member whose role in the acting team is at least `R`.
pub struct Member<R: MinRole = Viewer>(pub Membership, PhantomData<R>);

impl<R: MinRole> Deref for Member<R> {
    type Target = Membership;
    fn deref(&self) -> &Membership {
        &self.0
    }
}

/// The user's team `team_id` with their role there; `None` for their first team.
async fn role_in(db: &SqlitePool, user_id: i64, team_id: Option<i64>) -> Result<Option<(Team, Role)>> {
    let row: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT t.id, t.slug, t.name, m.role FROM team_members m JOIN teams t ON t.id = m.team_id
         WHERE m.user_id = ?1 AND (?2 IS NULL OR m.team_id = ?2) ORDER BY t.id LIMIT 1",
    )
    .bind(user_id)
    .bind(team_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id, slug, name, role)| (Team { id, slug, name }, role.into())))
}

/// The membership a session user acts with: the chosen team while they still
/// belong to it, else their first team.
pub async fn membership_for(db: &SqlitePool, user: User, chosen: Option<i64>) -> Result<Membership> {
    if let Some(team_id) = chosen
        && let Some((team, role)) = role_in(db, user.id, Some(team_id)).await?
    {
        return Ok(Membership { user, team, role });
    }
    match role_in(db, user.id, None).await? {
        Some((team, role)) => Ok(Membership { user, team, role }),
        None => Err(no_team()),
    }
}

fn no_team() -> Error {
    Error::Forbidden(
        "You are not in any team yet: create one on the Team page, or ask a team admin for an invite link.".into(),
    )
}

impl Membership {
    /// Refuses with 403 unless the member's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<()> {
        if self.role >= role { Ok(()) } else { Err(needs(role, self)) }
    }

    /// The audit log's "who": the user, from this address, in this team.
    pub fn actor(&self, origin: Option<String>) -> Actor {
        Actor::new(&self.user.email, origin).in_team(self.team.id)
    }

    /// The id of the team's app called `name`; another team's app is not found.
    pub async fn app(&self, db: &SqlitePool, name: &str) -> Result<i64> {
        sqlx::query_scalar("SELECT id FROM apps WHERE name = ? AND team_id = ?")
            .bind(name)
            .bind(self.team.id)
            .fetch_optional(db)
            .await?
            .ok_or_else(|| Error::NotFound(format!("app \"{name}\"")))
    }

    /// Checks that deployment `id` is of one of the team's apps; returns the app's name.
    pub async fn deployment(&self, db: &SqlitePool, id: i64) -> Result<String> {
        sqlx::query_scalar(
            "SELECT a.name FROM deployments d JOIN apps a ON a.id = d.app_id WHERE d.id = ? AND a.team_id = ?",
        )
        .bind(id)
        .bind(self.team.id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("deployment #{id}")))
    }

    /// Checks that the AWS target `name` is the team's.
    pub async fn target(&self, db: &SqlitePool, name: &str) -> Result<()> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM aws_targets WHERE name = ? AND team_id = ?")
            .bind(name)
            .bind(self.team.id)
            .fetch_optional(db)
            .await?;
        found.map(drop).ok_or_else(|| Error::NotFound(format!("AWS target \"{name}\"")))
    }

    /// Checks that notification channel `id` is the team's.
    pub async fn channel(&self, db: &SqlitePool, id: i64) -> Result<()> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM notification_channels WHERE id = ? AND team_id = ?")
                .bind(id)
                .bind(self.team.id)
                .fetch_optional(db)
                .await?;
        found.map(drop).ok_or_else(|| Error::NotFound("notification channel".into()))
    }
}

/// Who is asking and in which team, before any role check.
pub async fn resolve(state: &AppState, parts: &Parts) -> Result<Membership> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let token =
            value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).ok_or(Error::InvalidToken)?;
        let (user, team_id) = user_for_token(&state.db, token).await?;
        // Tokens act in their own team, with their owner's role there today.
        return match role_in(&state.db, user.id, Some(team_id)).await? {
            Some((team, role)) => Ok(Membership { user, team, role }),
            None => Err(Error::InvalidToken),
        };
    }
    let session = parts.extensions.get::<Session>().cloned().ok_or(Error::Unauthorized)?;
    let user = user_from_session(state, &session).await?.ok_or(Error::Unauthorized)?;
    let chosen: Option<i64> = session.get(SESSION_TEAM_KEY).await.map_err(|e| Error::Internal(e.into()))?;
    membership_for(&state.db, user, chosen).await
}

impl<S, R> FromRequestParts<S> for Member<R>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    R: MinRole,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let membership = resolve(&AppState::from_ref(state), parts).await?;
        membership.require(R::ROLE)?;
        Ok(Member(membership, PhantomData))
    }
}
