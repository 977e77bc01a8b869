use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::ApiJson;
use crate::audit::{self, Origin};
use crate::auth::{self, ApiToken, CurrentUser, NewToken, User};
use crate::error::Result;
use crate::state::AppState;
use crate::teams::{Member, Viewer};

pub async fn me(CurrentUser(user): CurrentUser) -> ApiJson<User> {
    ApiJson(user)
}

/// The caller's tokens in the acting team.
pub async fn list(State(state): State<AppState>, member: Member<Viewer>) -> Result<ApiJson<Vec<ApiToken>>> {
    Ok(ApiJson(auth::list_tokens(&state.db, &member.user, member.team.id).await?))
}

#[derive(Deserialize)]
pub struct CreateToken {
    name: String,
}

/// A token acts in the team it was made in, with its owner's role there.
pub async fn create(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Origin(origin): Origin,
    ApiJson(request): ApiJson<CreateToken>,
) -> Result<(StatusCode, ApiJson<NewToken>)> {
    let token = auth::create_token(&state.db, &member.user, member.team.id, &request.name).await?;
    audit::record(&state.db, &member.actor(origin), "token.create", request.name.trim(), None).await;
    Ok((StatusCode::CREATED, ApiJson(token)))
}

pub async fn revoke(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Origin(origin): Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    auth::revoke_token(&state.db, &member.user, id).await?;
    audit::record(&state.db, &member.actor(origin), "token.revoke", &format!("token #{id}"), None).await;
    Ok(StatusCode::NO_CONTENT)
}
