use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::ApiJson;
use crate::apps::{self, App, AppDraft, AppSpec, EnvDraft};
use crate::audit::{self, Origin};
use crate::error::Result;
use crate::state::AppState;
use crate::teams::{Admin, Deployer, Member, Viewer};

/// The JSON body of create/update. Numbers may be sent as numbers or strings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppRequest {
    #[serde(default)]
    name: Option<String>,
    repo_url: String,
    #[serde(default)]
    branch: Option<String>,
    #[serde(default)]
    dockerfile: Option<String>,
    #[serde(default)]
    build_context: Option<String>,
    #[serde(default)]
    port: Option<Value>,
    #[serde(default)]
    health_path: Option<String>,
    #[serde(default)]
    health_timeout_secs: Option<Value>,
    #[serde(default)]
    replicas: Option<Value>,
    #[serde(default)]
    cpus: Option<Value>,
    #[serde(default)]
    memory_mb: Option<Value>,
    #[serde(default)]
    env: Vec<EnvDraft>,
    #[serde(default)]
    git_username: Option<String>,
    /// Write-only: omitted keeps the stored value, `""` removes it.
    #[serde(default)]
    git_token: Option<String>,
    #[serde(default)]
    git_ssh_key: Option<String>,
    #[serde(default)]
    registry: Option<String>,
    #[serde(default)]
    registry_username: Option<String>,
    #[serde(default)]
    registry_password: Option<String>,
    /// A registry the team shares, by name (instead of `registry`).
    #[serde(default)]
    registry_name: Option<String>,
    /// "local" (default) or an AWS target's name.
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    health_interval_secs: Option<Value>,
    #[serde(default)]
    healthy_threshold: Option<Value>,
    #[serde(default)]
    deregistration_delay_secs: Option<Value>,
    #[serde(default)]
    container_health_check: Option<bool>,
}

fn text(value: Option<Value>) -> String {
    match value {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl AppRequest {
    fn into_draft(self, name: Option<&str>) -> AppDraft {
        AppDraft {
            name: name.map(str::to_owned).or(self.name).unwrap_or_default(),
            repo_url: self.repo_url,
            branch: self.branch.unwrap_or_default(),
            dockerfile: self.dockerfile.unwrap_or_default(),
            build_context: self.build_context.unwrap_or_default(),
            port: text(self.port),
            health_path: self.health_path.unwrap_or_default(),
            health_timeout: text(self.health_timeout_secs),
            replicas: text(self.replicas),
            cpus: text(self.cpus),
            memory_mb: text(self.memory_mb),
            env: self.env,
            git_username: self.git_username.unwrap_or_default(),
            git_token: self.git_token,
            git_ssh_key: self.git_ssh_key,
            registry: self.registry.unwrap_or_default(),
            registry_username: self.registry_username.unwrap_or_default(),
            registry_password: self.registry_password,
            registry_name: self.registry_name.unwrap_or_default(),
            target: self.target.unwrap_or_default(),
            health_interval: text(self.health_interval_secs),
            healthy_threshold: text(self.healthy_threshold),
            deregistration_delay: text(self.deregistration_delay_secs),
            container_health_check: self.container_health_check.unwrap_or(false),
        }
    }
}

pub async fn list(State(state): State<AppState>, member: Member<Viewer>) -> Result<ApiJson<Vec<App>>> {
    Ok(ApiJson(apps::list_apps(&state.db, member.team.id).await?))
}

pub async fn show(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Path(name): Path<String>,
) -> Result<ApiJson<App>> {
    member.app(&state.db, &name).await?;
    Ok(ApiJson(apps::get_app(&state.db, &name).await?))
}

pub async fn create(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    ApiJson(request): ApiJson<AppRequest>,
) -> Result<(StatusCode, ApiJson<App>)> {
    let spec = AppSpec::parse(&request.into_draft(None)).map_err(crate::Error::Validation)?;
    let app = apps::create_app(&state.db, &state.secrets, member.team.id, &spec).await?;
    let actor = member.actor(origin);
    audit::record(&state.db, &actor, "app.create", &app.name, audit::variable_names(&spec.env)).await;
    tracing::info!(app = %app.name, "app created");
    Ok((StatusCode::CREATED, ApiJson(app)))
}

pub async fn update(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(name): Path<String>,
    ApiJson(request): ApiJson<AppRequest>,
) -> Result<ApiJson<App>> {
    member.app(&state.db, &name).await?;
    if let Some(sent) = request.name.as_deref().filter(|sent| *sent != name) {
        return Err(crate::Error::Validation(crate::FieldErrors::single(
            "name",
            "rename_unsupported",
            format!("An app's name cannot be changed (sent \"{sent}\")."),
        )));
    }
    let spec = AppSpec::parse(&request.into_draft(Some(&name))).map_err(crate::Error::Validation)?;
    let app = apps::update_app(&state.db, &state.secrets, &name, &spec).await?;
    let actor = member.actor(origin);
    audit::record(&state.db, &actor, "app.update", &name, audit::variable_names(&spec.env)).await;
    Ok(ApiJson(app))
}

pub async fn remove(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    member.app(&state.db, &name).await?;
    crate::deploy::teardown_app(&state, &name).await?;
    apps::delete_app(&state.db, &name).await?;
    audit::record(&state.db, &member.actor(origin), "app.delete", &name, None).await;
    tracing::info!(app = %name, "app deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvRequest {
    env: Vec<EnvDraft>,
}

/// Replaces the app's variables and secrets only: what a deployer may change.
pub async fn update_env(
    State(state): State<AppState>,
    member: Member<Deployer>,
    Origin(origin): Origin,
    Path(name): Path<String>,
    ApiJson(request): ApiJson<EnvRequest>,
) -> Result<ApiJson<App>> {
    let app_id = member.app(&state.db, &name).await?;
    let env = apps::parse_env_drafts(&request.env).map_err(crate::Error::Validation)?;
    apps::update_env(&state.db, &state.secrets, app_id, &env).await?;
    audit::record(&state.db, &member.actor(origin), "app.env", &name, audit::variable_names(&env)).await;
    Ok(ApiJson(apps::get_app(&state.db, &name).await?))
}

/// The app's webhook: URL, branch patterns, and the latest deliveries.
pub async fn webhook(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Path(name): Path<String>,
) -> Result<ApiJson<crate::webhooks::store::Webhook>> {
    member.app(&state.db, &name).await?;
    Ok(ApiJson(crate::webhooks::store::show(&state.db, &state.config.public_url, &name).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// Glob patterns of the branches that deploy (default: the app's branch).
    #[serde(default)]
    branches: Option<String>,
}

/// Turns the webhook on or rotates its secret; the secret is in this answer only.
pub async fn rotate_webhook(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<ApiJson<crate::webhooks::store::NewSecret>> {
    member.app(&state.db, &name).await?;
    let request: WebhookRequest = super::optional_json(&body)?;
    let secret = crate::webhooks::store::rotate(
        &state.db,
        &state.secrets,
        &state.config.public_url,
        &name,
        request.branches.as_deref(),
    )
    .await?;
    tracing::info!(app = %name, by = %member.user.email, "webhook secret rotated");
    let detail = Some(format!("branches: {}", secret.branches));
    audit::record(&state.db, &member.actor(origin), "webhook.rotate", &name, detail).await;
    Ok(ApiJson(secret))
}

pub async fn disable_webhook(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    member.app(&state.db, &name).await?;
    crate::webhooks::store::disable(&state.db, &name).await?;
    audit::record(&state.db, &member.actor(origin), "webhook.disable", &name, None).await;
    Ok(StatusCode::NO_CONTENT)
}
