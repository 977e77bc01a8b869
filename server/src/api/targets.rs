//! AWS targets: CRUD, test connection, provision (or plan), teardown. And the
//! AWS views of an app: its plan, drift and teardown.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::audit::{self, Origin};
use crate::error::Result;
use crate::state::AppState;
use crate::targets::ecs::checks::ConnectionReport;
use crate::targets::ecs::operations::{self, DriftReport};
use crate::targets::ecs::plan::AppPlan;
use crate::targets::ecs::provision::PlanItem;
use crate::targets::ecs::target::{self, AwsTarget, TargetDraft, TargetSpec};
use crate::teams::{Admin, Member, Viewer};

pub async fn list(State(state): State<AppState>, member: Member<Viewer>) -> Result<ApiJson<Vec<AwsTarget>>> {
    Ok(ApiJson(target::list(&state.db, member.team.id).await?))
}

pub async fn show(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Path(name): Path<String>,
) -> Result<ApiJson<AwsTarget>> {
    member.target(&state.db, &name).await?;
    Ok(ApiJson(target::get(&state.db, &name).await?))
}

pub async fn create(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    ApiJson(draft): ApiJson<TargetDraft>,
) -> Result<(StatusCode, ApiJson<AwsTarget>)> {
    let spec = TargetSpec::parse(&draft).map_err(crate::Error::Validation)?;
    let created = target::create(&state.db, &state.secrets, member.team.id, &spec).await?;
    let detail = Some(format!("{} · {}", created.region, created.credentials.as_str()));
    audit::record(&state.db, &member.actor(origin), "target.create", &created.name, detail).await;
    tracing::info!(target = %created.name, by = %member.user.email, "AWS target created");
    Ok((StatusCode::CREATED, ApiJson(created)))
}

pub async fn update(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(name): Path<String>,
    ApiJson(mut draft): ApiJson<TargetDraft>,
) -> Result<ApiJson<AwsTarget>> {
    if draft.name.trim().is_empty() {
        draft.name.clone_from(&name);
    }
    member.target(&state.db, &name).await?;
    let spec = TargetSpec::parse(&draft).map_err(crate::Error::Validation)?;
    let updated = target::update(&state.db, &state.secrets, &name, &spec).await?;
    let detail = draft.secret_access_key.as_ref().map(|_| "secret access key replaced".to_owned());
    audit::record(&state.db, &member.actor(origin), "target.update", &name, detail).await;
    Ok(ApiJson(updated))
}

pub async fn remove(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    member.target(&state.db, &name).await?;
    target::delete(&state.db, &name).await?;
    audit::record(&state.db, &member.actor(origin), "target.delete", &name, None).await;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn test(
    State(state): State<AppState>,
    member: Member<Admin>,
    Path(name): Path<String>,
) -> Result<ApiJson<ConnectionReport>> {
    member.target(&state.db, &name).await?;
    Ok(ApiJson(operations::test_target(&state, &name).await?))
}

#[derive(Serialize)]
pub struct Items {
    pub items: Vec<PlanItem>,
}

pub async fn plan(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Path(name): Path<String>,
) -> Result<ApiJson<Items>> {
    member.target(&state.db, &name).await?;
    Ok(ApiJson(Items { items: operations::provision_target(&state, &name, false).await? }))
}

pub async fn provision(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(name): Path<String>,
) -> Result<ApiJson<Items>> {
    member.target(&state.db, &name).await?;
    let items = operations::provision_target(&state, &name, true).await?;
    let changed = items.iter().filter(|i| i.action != crate::targets::ecs::provision::PlanAction::Unchanged).count();
    let detail = Some(format!("{changed} resource(s) created or updated"));
    audit::record(&state.db, &member.actor(origin), "target.provision", &name, detail).await;
    Ok(ApiJson(Items { items }))
}

#[derive(Serialize)]
pub struct Done {
    pub done: Vec<String>,
}

pub async fn teardown(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(name): Path<String>,
) -> Result<ApiJson<Done>> {
    member.target(&state.db, &name).await?;
    let done = operations::teardown_target(&state, &name).await?;
    let detail = Some(format!("{} resource(s) removed", done.len()));
    audit::record(&state.db, &member.actor(origin), "target.teardown", &name, detail).await;
    tracing::info!(target = %name, by = %member.user.email, "AWS target torn down");
    Ok(ApiJson(Done { done }))
}

pub async fn app_plan(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Path(app): Path<String>,
) -> Result<ApiJson<AppPlan>> {
    member.app(&state.db, &app).await?;
    Ok(ApiJson(operations::plan_app(&state, &app).await?))
}

pub async fn app_drift(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Path(app): Path<String>,
) -> Result<ApiJson<DriftReport>> {
    member.app(&state.db, &app).await?;
    Ok(ApiJson(operations::drift(&state, &app).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeardownRequest {
    /// Also delete the app's ECR repository and its images.
    #[serde(default)]
    pub delete_images: bool,
}

pub async fn app_teardown(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(app): Path<String>,
    body: axum::body::Bytes,
) -> Result<ApiJson<Done>> {
    member.app(&state.db, &app).await?;
    // No body: keep the images.
    let request: TeardownRequest = super::optional_json(&body)?;
    let done = operations::teardown_app(&state, &app, request.delete_images).await?;
    let detail =
        Some(format!("{} resource(s) removed{}", done.len(), if request.delete_images { ", images too" } else { "" }));
    audit::record(&state.db, &member.actor(origin), "app.teardown", &app, detail).await;
    tracing::info!(app = %app, by = %member.user.email, "app's AWS resources torn down");
    Ok(ApiJson(Done { done }))
}
