use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::ApiJson;
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
    ApiJson(request): ApiJson<CreateToken>,
) -> Result<(StatusCode, ApiJson<NewToken>)> {
    Ok((StatusCode::CREATED, ApiJson(auth::create_token(&state.db, &user, &request.name).await?)))
}

pub async fn revoke(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    auth::revoke_token(&state.db, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
