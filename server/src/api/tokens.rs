use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::ApiJson;
use crate::audit::{self, Actor, Origin};
use crate::auth::{self, ApiToken, CurrentUser, NewToken, User};
use crate::error::Result;
use crate::state::AppState;

pub async fn me(CurrentUser(user): CurrentUser) -> ApiJson<User> {
    ApiJson(user)
}

pub async fn list(State(state): State<AppState>, CurrentUser(user): CurrentUser) -> Result<ApiJson<Vec<ApiToken>>> {
    Ok(ApiJson(auth::list_tokens(&state.db, &user).await?))
}

#[derive(Deserialize)]
pub struct CreateToken {
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Origin(origin): Origin,
    ApiJson(request): ApiJson<CreateToken>,
) -> Result<(StatusCode, ApiJson<NewToken>)> {
    let token = auth::create_token(&state.db, &user, &request.name).await?;
    audit::record(&state.db, &Actor::new(&user.email, origin), "token.create", request.name.trim(), None).await;
    Ok((StatusCode::CREATED, ApiJson(token)))
}

pub async fn revoke(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Origin(origin): Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    auth::revoke_token(&state.db, &user, id).await?;
    audit::record(&state.db, &Actor::new(&user.email, origin), "token.revoke", &format!("token #{id}"), None).await;
    Ok(StatusCode::NO_CONTENT)
}
