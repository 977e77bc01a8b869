//! The audit log for the dashboard.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::UiError;

#[cfg(feature = "ssr")]
use super::context;
#[cfg(feature = "ssr")]
use slipway_server::teams::Role;

/// Filters as typed (empty = any).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub since: String,
    pub until: String,
    pub before: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub origin: Option<String>,
    pub action: String,
    pub subject: String,
    pub detail: Option<String>,
}

/// Entries per page.
pub const AUDIT_PAGE: i64 = 100;

#[server(prefix = "/_app", endpoint = "audit", input = leptos::server_fn::codec::GetUrl)]
pub async fn list_audit(filter: AuditFilter) -> Result<Vec<AuditEntryView>, UiError> {
    use slipway_server::audit::{self, AuditQuery};
    let (state, member) = context::require_member(Role::Admin).await?;
    let query = AuditQuery {
        actor: Some(filter.actor),
        action: Some(filter.action),
        subject: Some(filter.subject),
        since: Some(filter.since),
        until: Some(filter.until),
        before: filter.before,
        limit: Some(AUDIT_PAGE),
    };
    Ok(audit::list(&state.db, member.team.id, &query)
        .await?
        .into_iter()
        .map(|e| AuditEntryView {
            id: e.id,
            at: e.at,
            actor: e.actor,
            origin: e.origin,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
        })
        .collect())
}
