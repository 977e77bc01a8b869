//! AWS targets: CRUD, test connection, provision (or plan), teardown. And the
//! AWS views of an app: its plan, drift and teardown.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::audit::{self, Actor, Origin};
use crate::auth::CurrentUser;
use crate::error::Result;
use crate::state::AppState;
use crate::targets::ecs::checks::ConnectionReport;
use crate::targets::ecs::operations::{self, DriftReport};
use crate::targets::ecs::plan::AppPlan;
use crate::targets::ecs::provision::PlanItem;
use crate::targets::ecs::target::{self, AwsTarget, TargetDraft, TargetSpec};

pub async fn list(State(state): State<AppState>, _user: CurrentUser) -> Result<ApiJson<Vec<AwsTarget>>> {
    Ok(ApiJson(target::list(&state.db).await?))
}

pub async fn show(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(name): Path<String>,
) -> Result<ApiJson<AwsTarget>> {
    Ok(ApiJson(target::get(&state.db, &name).await?))
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Origin(origin): Origin,
    ApiJson(draft): ApiJson<TargetDraft>,
) -> Result<(StatusCode, ApiJson<AwsTarget>)> {
    let spec = TargetSpec::parse(&draft).map_err(crate::Error::Validation)?;
    let created = target::create(&state.db, &state.secrets, &spec).await?;
    let detail = Some(format!("{} · {}", created.region, created.credentials.as_str()));
    audit::record(&state.db, &Actor::new(&user.0.email, origin), "target.create", &created.name, detail).await;
    tracing::info!(target = %created.name, by = %user.0.email, "AWS target created");
    Ok((StatusCode::CREATED, ApiJson(created)))
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Origin(origin): Origin,
    Path(name): Path<String>,
    ApiJson(mut draft): ApiJson<TargetDraft>,
) -> Result<ApiJson<AwsTarget>> {
    if draft.name.trim().is_empty() {
        draft.name.clone_from(&name);
    }
    let spec = TargetSpec::parse(&draft).map_err(crate::Error::Validation)?;
    let updated = target::update(&state.db, &state.secrets, &name, &spec).await?;
    let detail = draft.secret_access_key.as_ref().map(|_| "secret access key replaced".to_owned());
    audit::record(&state.db, &Actor::new(&user.0.email, origin), "target.update", &name, detail).await;
    Ok(ApiJson(updated))
}

pub async fn remove(
    State(state): State<AppState>,
    user: CurrentUser,
    Origin(origin): Origin,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    target::delete(&state.db, &name).await?;
    audit::record(&state.db, &Actor::new(&user.0.email, origin), "target.delete", &name, None).await;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn test(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(name): Path<String>,
) -> Result<ApiJson<ConnectionReport>> {
    Ok(ApiJson(operations::test_target(&state, &name).await?))
}

#[derive(Serialize)]
pub struct Items {
    pub items: Vec<PlanItem>,
}

pub async fn plan(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(name): Path<String>,
) -> Result<ApiJson<Items>> {
    Ok(ApiJson(Items { items: operations::provision_target(&state, &name, false).await? }))
}

pub async fn provision(
    State(state): State<AppState>,
    user: CurrentUser,
    Origin(origin): Origin,
    Path(name): Path<String>,
) -> Result<ApiJson<Items>> {
    let items = operations::provision_target(&state, &name, true).await?;
    let changed = items.iter().filter(|i| i.action != crate::targets::ecs::provision::PlanAction::Unchanged).count();
    let detail = Some(format!("{changed} resource(s) created or updated"));
    audit::record(&state.db, &Actor::new(&user.0.email, origin), "target.provision", &name, detail).await;
    Ok(ApiJson(Items { items }))
}

#[derive(Serialize)]
pub struct Done {
    pub done: Vec<String>,
}

pub async fn teardown(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Result<ApiJson<Done>> {
    let done = operations::teardown_target(&state, &name).await?;
    tracing::info!(target = %name, by = %user.0.email, "AWS target torn down");
    Ok(ApiJson(Done { done }))
}

pub async fn app_plan(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(app): Path<String>,
) -> Result<ApiJson<AppPlan>> {
    Ok(ApiJson(operations::plan_app(&state, &app).await?))
}

pub async fn app_drift(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(app): Path<String>,
) -> Result<ApiJson<DriftReport>> {
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
    user: CurrentUser,
    Origin(origin): Origin,
    Path(app): Path<String>,
    body: axum::body::Bytes,
) -> Result<ApiJson<Done>> {
    // No body: keep the images.
    let request: TeardownRequest = super::optional_json(&body)?;
    let done = operations::teardown_app(&state, &app, request.delete_images).await?;
    let detail =
        Some(format!("{} resource(s) removed{}", done.len(), if request.delete_images { ", images too" } else { "" }));
    audit::record(&state.db, &Actor::new(&user.0.email, origin), "app.teardown", &app, detail).await;
    tracing::info!(app = %app, by = %user.0.email, "app's AWS resources torn down");
    Ok(ApiJson(Done { done }))
}
