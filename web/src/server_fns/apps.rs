//! Apps: list, show, save (create or update), delete.

use leptos::prelude::*;

use crate::error::UiError;
use crate::model::AppView;

#[cfg(feature = "ssr")]
use super::context;
#[cfg(feature = "ssr")]
use slipway_server::teams::Role;

#[server(prefix = "/_app", endpoint = "apps", input = leptos::server_fn::codec::GetUrl)]
pub async fn list_apps() -> Result<Vec<AppView>, UiError> {
    let (state, member) = context::require_member(Role::Viewer).await?;
    let apps = slipway_server::apps::list_apps(&state.db, member.team.id).await?;
    Ok(apps.into_iter().map(Into::into).collect())
}

#[server(prefix = "/_app", endpoint = "app", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_app(name: String) -> Result<AppView, UiError> {
    let (state, member) = context::require_member(Role::Viewer).await?;
    member.app(&state.db, &name).await?;
    Ok(slipway_server::apps::get_app(&state.db, &name).await?.into())
}

/// Creates an app (`original` empty) or updates the app named `original`.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/_app", endpoint = "save_app")]
pub async fn save_app(
    original: String,
    name: String,
    repo_url: String,
    branch: String,
    dockerfile: String,
    build_context: String,
    port: String,
    health_path: String,
    health_timeout: String,
    replicas: String,
    cpus: String,
    memory_mb: String,
    env: String,
    build_args: String,
    secrets: String,
    git_username: String,
    git_token: String,
    git_ssh_key: String,
    registry: String,
    registry_username: String,
    registry_password: String,
    #[server(default)] registry_name: String,
    #[server(default)] target: String,
    #[server(default)] health_interval: String,
    #[server(default)] healthy_threshold: String,
    #[server(default)] deregistration_delay: String,
    #[server(default)] container_health_check: Option<String>,
    csrf: String,
) -> Result<(), UiError> {
    let _ = csrf; // verified by slipway_server::csrf::protect before we run
    use slipway_server::apps::{AppDraft, AppSpec, create_app, update_app};
    let (state, member) = context::require_member(Role::Admin).await?;
    let name = if original.is_empty() { name } else { original.clone() };
    let echo = [
        ("name", name.as_str()),
        ("repo_url", repo_url.as_str()),
        ("branch", branch.as_str()),
        ("dockerfile", dockerfile.as_str()),
        ("build_context", build_context.as_str()),
        ("port", port.as_str()),
        ("health_path", health_path.as_str()),
        ("health_timeout", health_timeout.as_str()),
        ("replicas", replicas.as_str()),
        ("cpus", cpus.as_str()),
        ("memory_mb", memory_mb.as_str()),
        ("env", env.as_str()),
        ("build_args", build_args.as_str()),
        ("git_username", git_username.as_str()),
        ("registry", registry.as_str()),
        ("registry_username", registry_username.as_str()),
        ("registry_name", registry_name.as_str()),
        ("target", target.as_str()),
        ("health_interval", health_interval.as_str()),
        ("healthy_threshold", healthy_threshold.as_str()),
        ("deregistration_delay", deregistration_delay.as_str()),
        ("container_health_check", if container_health_check.is_some() { "on" } else { "" }),
    ];
    // Secret values are not echoed back; their names are.
    let secret_names = secret_names(&secrets);
    let fail = |e: UiError| e.with_input(echo).with_input([("secrets", secret_names.as_str())]);

    let vars = env_drafts(&env, &build_args, &secrets).map_err(fail)?;
    // Blank credential fields keep what is saved.
    let write_only = |value: String| Some(value).filter(|v| !v.trim().is_empty());
    let draft = AppDraft {
        name: name.clone(),
        repo_url: repo_url.clone(),
        branch: branch.clone(),
        dockerfile: dockerfile.clone(),
        build_context: build_context.clone(),
        port: port.clone(),
        health_path: health_path.clone(),
        health_timeout: health_timeout.clone(),
        replicas: replicas.clone(),
        cpus: cpus.clone(),
        memory_mb: memory_mb.clone(),
        env: vars,
        git_username: git_username.clone(),
        git_token: write_only(git_token),
        git_ssh_key: write_only(git_ssh_key),
        registry: registry.clone(),
        registry_username: registry_username.clone(),
        registry_password: write_only(registry_password),
        registry_name: registry_name.clone(),
        target: target.clone(),
        health_interval: health_interval.clone(),
        healthy_threshold: healthy_threshold.clone(),
        deregistration_delay: deregistration_delay.clone(),
        container_health_check: container_health_check.is_some(),
    };
    let spec = AppSpec::parse(&draft).map_err(|f| fail(slipway_server::Error::Validation(f).into()))?;
    let app = if original.is_empty() {
        create_app(&state.db, &state.secrets, member.team.id, &spec).await
    } else {
        member.app(&state.db, &original).await.map_err(|e| fail(e.into()))?;
        update_app(&state.db, &state.secrets, &original, &spec).await
    }
    .map_err(|e| fail(e.into()))?;
    tracing::info!(app = %app.name, by = %member.user.email, created = original.is_empty(), "app saved");
    let action = if original.is_empty() { "app.create" } else { "app.update" };
    context::audit(&state, &member, action, &app.name, slipway_server::audit::variable_names(&spec.env)).await;
    leptos_axum::redirect(&format!("/apps/{}", app.name));
    Ok(())
}

/// The three environment boxes of the forms (variables, build-time variables,
/// secrets) as drafts; a line that can't be read is a field error.
#[cfg(feature = "ssr")]
fn env_drafts(env: &str, build_args: &str, secrets: &str) -> Result<Vec<slipway_server::apps::EnvDraft>, UiError> {
    let mut drafts = Vec::new();
    for (text, secret, build_time, field) in
        [(env, false, false, "env"), (build_args, false, true, "build_args"), (secrets, true, false, "secrets")]
    {
        let vars = crate::components::env_text::parse(text, secret)
            .map_err(|m| UiError::new("validation_failed", "Some fields need attention.").field(field, m))?;
        drafts.extend(vars.into_iter().map(|(name, value, secret)| slipway_server::apps::EnvDraft {
            name,
            value,
            secret,
            build_time,
        }));
    }
    Ok(drafts)
}

#[cfg(feature = "ssr")]
fn secret_names(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('=').map_or(l, |(name, _)| name).trim())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Deletes an app; `confirm` must repeat its name.
#[server(prefix = "/_app", endpoint = "delete_app")]
pub async fn delete_app(name: String, confirm: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf; // verified by slipway_server::csrf::protect before we run
    let (state, member) = context::require_member(Role::Admin).await?;
    member.app(&state.db, &name).await?;
    if confirm.trim() != name {
        return Err(UiError::new("confirmation_mismatch", "Type the app's name to confirm the deletion.")
            .field("confirm", format!("Type \"{name}\" to confirm.")));
    }
    slipway_server::deploy::teardown_app(&state, &name).await?;
    slipway_server::apps::delete_app(&state.db, &name).await?;
    tracing::info!(app = %name, by = %member.user.email, "app deleted");
    context::audit(&state, &member, "app.delete", &name, None).await;
    leptos_axum::redirect("/");
    Ok(())
}

/// Replaces only the app's variables, build-time variables and secrets (what a
/// deployer may change; a secret line without `=value` keeps its stored value).
#[server(prefix = "/_app", endpoint = "save_env")]
pub async fn save_env(
    app: String,
    env: String,
    #[server(default)] build_args: String,
    #[server(default)] secrets: String,
    csrf: String,
) -> Result<(), UiError> {
    let _ = csrf;
    use slipway_server::apps::{parse_env_drafts, update_env};
    let (state, member) = context::require_member(Role::Deployer).await?;
    let app_id = member.app(&state.db, &app).await?;
    let secret_names = secret_names(&secrets);
    let echo = [("env", env.as_str()), ("build_args", build_args.as_str()), ("secrets", secret_names.as_str())];
    let fail = |e: UiError| e.with_input(echo);
    let vars = env_drafts(&env, &build_args, &secrets).map_err(fail)?;
    let spec = parse_env_drafts(&vars).map_err(|f| fail(slipway_server::Error::Validation(f).into()))?;
    update_env(&state.db, &state.secrets, app_id, &spec).await.map_err(|e| fail(e.into()))?;
    context::audit(&state, &member, "app.env", &app, slipway_server::audit::variable_names(&spec)).await;
    leptos_axum::redirect(&format!("/apps/{app}"));
    Ok(())
}
