//! Deployments: queue, cancel, redeploy, roll back; the history with filters;
//! one deployment with its log so far; the running containers' output.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::UiError;
use crate::model::DeploymentView;

#[cfg(feature = "ssr")]
use super::context;
#[cfg(feature = "ssr")]
use slipway_server::teams::Role;

/// Filters of the history page, as typed (empty = no filter).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryQuery {
    pub app: String,
    pub status: String,
    pub who: String,
    pub since: String,
    pub until: String,
    pub before: Option<i64>,
}

#[server(prefix = "/_app", endpoint = "deployments", input = leptos::server_fn::codec::GetUrl)]
pub async fn list_deployments(query: HistoryQuery) -> Result<Vec<DeploymentView>, UiError> {
    use slipway_server::deploy::history::{self, FilterQuery};
    let (state, member) = context::require_member(Role::Viewer).await?;
    let filter = FilterQuery {
        app: Some(query.app),
        status: Some(query.status),
        who: Some(query.who),
        since: Some(query.since),
        until: Some(query.until),
        before: query.before,
        limit: Some(PAGE),
    }
    .into_filter(None)?;
    Ok(history::list(&state.db, member.team.id, &filter).await?.into_iter().map(Into::into).collect())
}

/// Deployments per history page.
pub const PAGE: i64 = 25;

/// A deployment with its log so far (the page then follows the live stream).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentPage {
    pub deployment: DeploymentView,
    pub lines: Vec<(i64, String)>,
}

#[server(prefix = "/_app", endpoint = "deployment", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_deployment(id: i64) -> Result<DeploymentPage, UiError> {
    let (state, member) = context::require_member(Role::Viewer).await?;
    member.deployment(&state.db, id).await?;
    let deployment = slipway_server::deploy::history::get(&state.db, id).await?;
    let lines = slipway_server::deploy::logs::lines_after(&state.db, id, 0, 20_000).await?;
    Ok(DeploymentPage { deployment: deployment.into(), lines: lines.into_iter().map(|l| (l.id, l.line)).collect() })
}

/// Queues a deployment of `app` (branch head, or `commit`) and opens it.
#[server(prefix = "/_app", endpoint = "deploy")]
pub async fn deploy(app: String, commit: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf; // verified by slipway_server::csrf::protect before we run
    let (state, member) = context::require_member(Role::Deployer).await?;
    member.app(&state.db, &app).await?;
    let commit = Some(commit.trim()).filter(|c| !c.is_empty());
    let id = slipway_server::deploy::history::deploy(
        &state.db,
        &state.hub,
        &app,
        slipway_server::deploy::Trigger::Ui,
        &member.user.email,
        commit,
    )
    .await
    .map_err(|e| UiError::from(e).with_input([("commit", commit.unwrap_or_default())]))?;
    tracing::info!(deployment = id, %app, by = %member.user.email, "deployment queued");
    let detail = Some(format!("#{id}{}", commit.map(|c| format!(" of {c}")).unwrap_or_default()));
    context::audit(&state, &member, "deployment.deploy", &app, detail).await;
    leptos_axum::redirect(&format!("/deployments/{id}"));
    Ok(())
}

#[server(prefix = "/_app", endpoint = "cancel_deployment")]
pub async fn cancel_deployment(id: i64, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Deployer).await?;
    member.deployment(&state.db, id).await?;
    slipway_server::deploy::history::cancel(&state.db, &state.hub, id).await?;
    tracing::info!(deployment = id, by = %member.user.email, "deployment cancelled");
    let app = slipway_server::deploy::history::get(&state.db, id).await?.app;
    context::audit(&state, &member, "deployment.cancel", &app, Some(format!("#{id}"))).await;
    leptos_axum::redirect(&format!("/deployments/{id}"));
    Ok(())
}

#[server(prefix = "/_app", endpoint = "redeploy")]
pub async fn redeploy(id: i64, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Deployer).await?;
    member.deployment(&state.db, id).await?;
    let new_id = slipway_server::deploy::history::redeploy(
        &state.db,
        &state.hub,
        id,
        &member.user.email,
        slipway_server::deploy::Trigger::Ui,
    )
    .await?;
    let app = slipway_server::deploy::history::get(&state.db, new_id).await?.app;
    context::audit(&state, &member, "deployment.redeploy", &app, Some(format!("#{new_id} of #{id}"))).await;
    leptos_axum::redirect(&format!("/deployments/{new_id}"));
    Ok(())
}

#[server(prefix = "/_app", endpoint = "rollback")]
pub async fn rollback(app: String, id: i64, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Deployer).await?;
    member.app(&state.db, &app).await?;
    let new_id = slipway_server::deploy::history::rollback(&state.db, &state.hub, &app, id, &member.user.email).await?;
    tracing::info!(deployment = new_id, %app, to = id, by = %member.user.email, "rollback queued");
    context::audit(&state, &member, "deployment.rollback", &app, Some(format!("#{new_id} back to #{id}"))).await;
    leptos_axum::redirect(&format!("/deployments/{new_id}"));
    Ok(())
}

/// The last lines each running replica of `app` wrote.
#[server(prefix = "/_app", endpoint = "runtime_logs", input = leptos::server_fn::codec::GetUrl)]
pub async fn runtime_logs(app: String) -> Result<Vec<(String, Vec<String>)>, UiError> {
    let (state, member) = context::require_member(Role::Viewer).await?;
    member.app(&state.db, &app).await?;
    let app = slipway_server::apps::get_app(&state.db, &app).await?;
    if app.live_deployment_id.is_none() {
        return Ok(Vec::new());
    }
    let docker = state.hub.docker().await.map_err(|f| UiError::new("engine_unavailable", f.message))?;
    Ok(slipway_server::targets::local::runtime_logs(&docker, &state.db, app.id, 100).await?)
}
