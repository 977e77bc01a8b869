//! The audit log over the API.

use axum::extract::{Query, State};

use super::ApiJson;
use crate::audit::{self, AuditQuery, Entry};
use crate::error::Result;
use crate::state::AppState;
use crate::teams::{Admin, Member};

/// The team's entries, for its admins. Newest first; filters `actor` (contains), `action` (prefix, e.g. "app."), `subject`, `since`/`until`, paging `before` + `limit`.
pub async fn list(
    State(state): State<AppState>,
    member: Member<Admin>,
    Query(query): Query<AuditQuery>,
) -> Result<ApiJson<Vec<Entry>>> {
    Ok(ApiJson(audit::list(&state.db, member.team.id, &query).await?))
}
