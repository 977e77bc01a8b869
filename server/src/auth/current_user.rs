//! `CurrentUser`: the signed-in user of a request, from a bearer token or the session.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use tower_sessions::Session;

use super::tokens::user_for_token;
use super::users::{User, find_user};
use crate::error::{Error, Result};
use crate::state::AppState;

/// Session key holding the signed-in user's id.
pub const SESSION_USER_KEY: &str = "user_id";

pub struct CurrentUser(pub User);

/// The user signed in to this session, if any.
pub async fn user_from_session(state: &AppState, session: &Session) -> Result<Option<User>> {
    let id: Option<i64> = session.get(SESSION_USER_KEY).await.map_err(|e| Error::Internal(e.into()))?;
    match id {
        Some(id) => find_user(&state.db, id).await,
        None => Ok(None),
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let state = AppState::from_ref(state);
        if let Some(value) = parts.headers.get(AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or(Error::InvalidToken)?;
            return user_for_token(&state.db, token).await.map(|(user, _team)| CurrentUser(user));
        }
        let session = parts.extensions.get::<Session>().cloned().ok_or(Error::Unauthorized)?;
        user_from_session(&state, &session).await?.map(CurrentUser).ok_or(Error::Unauthorized)
    }
}
