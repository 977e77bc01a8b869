//! The audit log over the API.

use axum::extract::{Query, State};

use super::ApiJson;
use crate::audit::{self, AuditQuery, Entry};
use crate::auth::CurrentUser;
use crate::error::Result;
use crate::state::AppState;

/// Newest first; filters `actor` (contains), `action` (prefix, e.g. "app."), `subject`, `since`/`until`, paging `before` + `limit`.
pub async fn list(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(query): Query<AuditQuery>,
) -> Result<ApiJson<Vec<Entry>>> {
    Ok(ApiJson(audit::list(&state.db, &query).await?))
}
