//! Teams over the API: the caller's teams, creating one, the acting team's
//! members and roles, invites, leaving and deleting.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::ApiJson;
use crate::audit::{self, Actor, Origin};
use crate::auth::CurrentUser;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::teams::{
    self, Admin, Invite, Member, MemberRow, NewInvite, Owner, Role, SESSION_TEAM_KEY, Team, TeamName, TeamOfUser,
    Viewer,
};

/// The teams the caller belongs to, with their role in each.
pub async fn mine(State(state): State<AppState>, CurrentUser(user): CurrentUser) -> Result<ApiJson<Vec<TeamOfUser>>> {
    Ok(ApiJson(teams::teams_of(&state.db, user.id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    name: String,
}

/// Creates a team; the caller is its owner.
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Origin(origin): Origin,
    ApiJson(request): ApiJson<CreateTeam>,
) -> Result<(StatusCode, ApiJson<Team>)> {
    let name = TeamName::parse(&request.name).map_err(Error::Validation)?;
    let team = teams::create_team(&state.db, user.id, &name).await?;
    let actor = Actor::new(&user.email, origin).in_team(team.id);
    audit::record(&state.db, &actor, "team.create", &team.name, None).await;
    Ok((StatusCode::CREATED, ApiJson(team)))
}

/// Makes `team` the one this browser session acts in.
pub async fn switch(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    headers: axum::http::HeaderMap,
    session: Session,
    Path(slug): Path<String>,
) -> Result<ApiJson<TeamOfUser>> {
    let mine = teams::teams_of(&state.db, user.id).await?;
    let team =
        mine.into_iter().find(|t| t.team.slug == slug).ok_or_else(|| Error::NotFound(format!("team \"{slug}\"")))?;
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        return Err(Error::BadRequest(
            "API tokens act in the team they were made in; make a token in the other team instead.".into(),
        ));
    }
    session.insert(SESSION_TEAM_KEY, team.team.id).await.map_err(|e| Error::Internal(e.into()))?;
    Ok(ApiJson(team))
}

#[derive(Serialize)]
pub struct CurrentTeam {
    #[serde(flatten)]
    team: Team,
    role: Role,
    members: Vec<MemberRow>,
}

/// The acting team, the caller's role in it and its members.
pub async fn show(State(state): State<AppState>, member: Member<Viewer>) -> Result<ApiJson<CurrentTeam>> {
    let members = teams::members(&state.db, member.team.id).await?;
    Ok(ApiJson(CurrentTeam { team: member.team.clone(), role: member.role, members }))
}

/// Deletes the acting team (owners; only once it has no apps or targets).
pub async fn remove(
    State(state): State<AppState>,
    member: Member<Owner>,
    Origin(origin): Origin,
) -> Result<StatusCode> {
    teams::delete_team(&state.db, &member.team).await?;
    audit::record(&state.db, &member.actor(origin), "team.delete", &member.team.name, None).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    role: String,
}

pub async fn set_role(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(user_id): Path<i64>,
    ApiJson(request): ApiJson<RoleRequest>,
) -> Result<ApiJson<Vec<MemberRow>>> {
    let role = Role::parse(&request.role).map_err(Error::Validation)?;
    let (email, before) = teams::set_role(&state.db, &member, user_id, role).await?;
    audit::record(&state.db, &member.actor(origin), "member.role", &email, Some(format!("{before} → {role}"))).await;
    Ok(ApiJson(teams::members(&state.db, member.team.id).await?))
}

pub async fn remove_member(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(user_id): Path<i64>,
) -> Result<StatusCode> {
    let email = teams::remove_member(&state.db, &member, user_id).await?;
    audit::record(&state.db, &member.actor(origin), "member.remove", &email, None).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller leaves the acting team.
pub async fn leave(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Origin(origin): Origin,
) -> Result<StatusCode> {
    teams::leave_team(&state.db, &member).await?;
    audit::record(&state.db, &member.actor(origin), "member.leave", &member.user.email, None).await;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn invites(State(state): State<AppState>, member: Member<Admin>) -> Result<ApiJson<Vec<Invite>>> {
    Ok(ApiJson(teams::list_invites(&state.db, member.team.id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    role: String,
    /// Only this address may accept (optional).
    #[serde(default)]
    email: Option<String>,
    /// Default 168 (7 days), at most 720.
    #[serde(default)]
    expires_in_hours: Option<i64>,
}

/// An invite link; it is in this answer only.
pub async fn invite(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    ApiJson(request): ApiJson<InviteRequest>,
) -> Result<(StatusCode, ApiJson<NewInvite>)> {
    let role = Role::parse(&request.role).map_err(Error::Validation)?;
    let created = teams::create_invite(
        &state.db,
        &state.config.public_url,
        &member,
        role,
        request.email.as_deref(),
        request.expires_in_hours,
    )
    .await?;
    let detail = Some(format!(
        "{role}{}, until {}",
        created.invite.email.as_deref().map(|e| format!(" for {e}")).unwrap_or_default(),
        created.invite.expires_at
    ));
    audit::record(&state.db, &member.actor(origin), "member.invite", &format!("invite #{}", created.invite.id), detail)
        .await;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

pub async fn revoke_invite(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    let role = teams::revoke_invite(&state.db, member.team.id, id).await?;
    audit::record(
        &state.db,
        &member.actor(origin),
        "member.invite_revoke",
        &format!("invite #{id}"),
        Some(role.to_string()),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// A signed-in user accepts an invite link's token and joins its team.
pub async fn accept(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Origin(origin): Origin,
    Path(token): Path<String>,
) -> Result<ApiJson<TeamOfUser>> {
    let mut tx = state.db.begin().await?;
    let (team, role) = teams::accept_invite(&mut tx, &token, &user).await?;
    tx.commit().await?;
    let actor = Actor::new(&user.email, origin).in_team(team.id);
    audit::record(&state.db, &actor, "member.join", &user.email, Some(format!("as {role}"))).await;
    Ok(ApiJson(TeamOfUser { team, role }))
}
