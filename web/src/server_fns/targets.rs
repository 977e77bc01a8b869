//! AWS targets (list, save, delete, test, plan/provision, tear down) and the
//! AWS side of an app (where it runs, drift, the plan of its next deploy,
//! tear down).

use leptos::prelude::*;

use crate::error::UiError;
use crate::model::{AppPlanView, AwsAppView, ConnectionView, PlanItemView, TargetView};

#[cfg(feature = "ssr")]
use super::context;
#[cfg(feature = "ssr")]
use slipway_server::teams::Role;

#[server(prefix = "/_app", endpoint = "targets", input = leptos::server_fn::codec::GetUrl)]
pub async fn list_targets() -> Result<Vec<TargetView>, UiError> {
    let (state, member) = context::require_member(Role::Viewer).await?;
    Ok(slipway_server::targets::ecs::target::list(&state.db, member.team.id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

#[server(prefix = "/_app", endpoint = "target", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_target(name: String) -> Result<TargetView, UiError> {
    let (state, member) = context::require_member(Role::Viewer).await?;
    member.target(&state.db, &name).await?;
    Ok(slipway_server::targets::ecs::target::get(&state.db, &name).await?.into())
}

/// Creates a target (`original` empty) or updates the target named `original`.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/_app", endpoint = "save_target")]
pub async fn save_target(
    original: String,
    name: String,
    region: String,
    credentials: String,
    #[server(default)] access_key_id: String,
    #[server(default)] secret_access_key: String,
    #[server(default)] role_arn: String,
    #[server(default)] cluster: String,
    #[server(default)] vpc_id: String,
    #[server(default)] subnets: String,
    #[server(default)] public_ip: Option<String>,
    #[server(default)] load_balancer: String,
    #[server(default)] certificate_arn: String,
    base_domain: String,
    #[server(default)] execution_role_arn: String,
    #[server(default)] log_retention_days: String,
    #[server(default)] keep_images: String,
    #[server(default)] rollout_timeout_secs: String,
    #[server(default)] endpoint_url: String,
    #[server(default)] registry_override: String,
    csrf: String,
) -> Result<(), UiError> {
    let _ = csrf; // verified by slipway_server::csrf::protect before we run
    use slipway_server::targets::ecs::target::{self, TargetDraft, TargetSpec};
    let (state, member) = context::require_member(Role::Admin).await?;
    let name = if original.is_empty() { name } else { original.clone() };
    let public = if public_ip.is_some() { "on" } else { "" };
    let echo = [
        ("name", name.as_str()),
        ("region", region.as_str()),
        ("credentials", credentials.as_str()),
        ("access_key_id", access_key_id.as_str()),
        ("role_arn", role_arn.as_str()),
        ("cluster", cluster.as_str()),
        ("vpc_id", vpc_id.as_str()),
        ("subnets", subnets.as_str()),
        ("public_ip", public),
        ("load_balancer", load_balancer.as_str()),
        ("certificate_arn", certificate_arn.as_str()),
        ("base_domain", base_domain.as_str()),
        ("execution_role_arn", execution_role_arn.as_str()),
        ("log_retention_days", log_retention_days.as_str()),
        ("keep_images", keep_images.as_str()),
        ("rollout_timeout_secs", rollout_timeout_secs.as_str()),
        ("endpoint_url", endpoint_url.as_str()),
        ("registry_override", registry_override.as_str()),
    ];
    let fail = |e: UiError| e.with_input(echo);
    let secret_access_key_given = !secret_access_key.trim().is_empty();
    let draft = TargetDraft {
        name: name.clone(),
        region: region.clone(),
        credentials: credentials.clone(),
        access_key_id: access_key_id.clone(),
        // Blank keeps the saved key.
        secret_access_key: Some(secret_access_key.clone()).filter(|s| !s.trim().is_empty()),
        role_arn: role_arn.clone(),
        cluster: cluster.clone(),
        vpc_id: vpc_id.clone(),
        subnets: subnets.clone(),
        public_ip: Some(public_ip.is_some()),
        load_balancer: load_balancer.clone(),
        certificate_arn: certificate_arn.clone(),
        base_domain: base_domain.clone(),
        execution_role_arn: execution_role_arn.clone(),
        log_retention_days: log_retention_days.clone(),
        keep_images: keep_images.clone(),
        rollout_timeout_secs: rollout_timeout_secs.clone(),
        endpoint_url: endpoint_url.clone(),
        registry_override: registry_override.clone(),
    };
    let spec = TargetSpec::parse(&draft).map_err(|f| fail(slipway_server::Error::Validation(f).into()))?;
    let saved = if original.is_empty() {
        target::create(&state.db, &state.secrets, member.team.id, &spec).await
    } else {
        member.target(&state.db, &original).await.map_err(|e| fail(e.into()))?;
        target::update(&state.db, &state.secrets, &original, &spec).await
    }
    .map_err(|e| fail(e.into()))?;
    tracing::info!(target = %saved.name, by = %member.user.email, "AWS target saved");
    let action = if original.is_empty() { "target.create" } else { "target.update" };
    let detail = secret_access_key_given.then(|| "secret access key replaced".to_owned());
    context::audit(&state, &member, action, &saved.name, detail).await;
    leptos_axum::redirect(&format!("/targets/{}", saved.name));
    Ok(())
}

#[server(prefix = "/_app", endpoint = "delete_target")]
pub async fn delete_target(name: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    member.target(&state.db, &name).await?;
    slipway_server::targets::ecs::target::delete(&state.db, &name).await?;
    context::audit(&state, &member, "target.delete", &name, None).await;
    leptos_axum::redirect("/targets");
    Ok(())
}

#[server(prefix = "/_app", endpoint = "test_target")]
pub async fn test_target(name: String, csrf: String) -> Result<ConnectionView, UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    member.target(&state.db, &name).await?;
    Ok(slipway_server::targets::ecs::operations::test_target(&state, &name).await?.into())
}

/// The target's shared resources: `apply` ("true") creates or updates them; otherwise they are only listed.
#[server(prefix = "/_app", endpoint = "provision_target")]
pub async fn provision_target(name: String, apply: String, csrf: String) -> Result<Vec<PlanItemView>, UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    member.target(&state.db, &name).await?;
    let items = slipway_server::targets::ecs::operations::provision_target(&state, &name, apply == "true").await?;
    if apply == "true" {
        let changed =
            items.iter().filter(|i| i.action != slipway_server::targets::ecs::provision::PlanAction::Unchanged).count();
        context::audit(
            &state,
            &member,
            "target.provision",
            &name,
            Some(format!("{changed} resource(s) created or updated")),
        )
        .await;
    }
    Ok(items.into_iter().map(Into::into).collect())
}

/// Tears down everything Slipway made on the target; `confirm` must repeat its name.
#[server(prefix = "/_app", endpoint = "teardown_target")]
pub async fn teardown_target(name: String, confirm: String, csrf: String) -> Result<Vec<String>, UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    member.target(&state.db, &name).await?;
    if confirm.trim() != name {
        return Err(UiError::new("confirmation_mismatch", "Type the target's name to confirm the teardown.")
            .field("confirm", format!("Type \"{name}\" to confirm.")));
    }
    let done = slipway_server::targets::ecs::operations::teardown_target(&state, &name).await?;
    tracing::info!(target = %name, by = %member.user.email, "AWS target torn down");
    context::audit(&state, &member, "target.teardown", &name, Some(format!("{} resource(s) removed", done.len())))
        .await;
    Ok(done)
}

/// Where an app on AWS runs, and its drift; `None` for apps on the local engine.
#[server(prefix = "/_app", endpoint = "app_aws", input = leptos::server_fn::codec::GetUrl)]
pub async fn app_aws(app: String) -> Result<Option<AwsAppView>, UiError> {
    use slipway_server::targets::ecs::{operations, target};
    let (state, member) = context::require_member(Role::Viewer).await?;
    member.app(&state.db, &app).await?;
    let found = slipway_server::apps::get_app(&state.db, &app).await?;
    if found.target == slipway_server::apps::LOCAL_TARGET {
        return Ok(None);
    }
    let target = target::get(&state.db, &found.target).await?;
    let (drift, drift_checked, drift_error) = match operations::drift(&state, &app).await {
        Ok(report) => (report.findings, report.checked, None),
        Err(error) => (vec![], false, Some(UiError::from(error).message)),
    };
    Ok(Some(AwsAppView {
        target: target.name,
        region: target.region,
        cluster: target.cluster,
        drift,
        drift_checked,
        drift_error,
    }))
}

/// The plan of the app's next deploy, with the cost estimate.
#[server(prefix = "/_app", endpoint = "plan_app")]
pub async fn plan_app(app: String, csrf: String) -> Result<AppPlanView, UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Viewer).await?;
    member.app(&state.db, &app).await?;
    Ok(slipway_server::targets::ecs::operations::plan_app(&state, &app).await?.into())
}

/// Removes the app's AWS resources (its images too when `delete_images` is "on"); `confirm` repeats its name.
#[server(prefix = "/_app", endpoint = "teardown_app")]
pub async fn teardown_app(
    app: String,
    confirm: String,
    #[server(default)] delete_images: Option<String>,
    csrf: String,
) -> Result<Vec<String>, UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    member.app(&state.db, &app).await?;
    if confirm.trim() != app {
        return Err(UiError::new("confirmation_mismatch", "Type the app's name to confirm the teardown.")
            .field("confirm", format!("Type \"{app}\" to confirm.")));
    }
    let done = slipway_server::targets::ecs::operations::teardown_app(&state, &app, delete_images.is_some()).await?;
    tracing::info!(app = %app, by = %member.user.email, "app's AWS resources torn down");
    context::audit(&state, &member, "app.teardown", &app, Some(format!("{} resource(s) removed", done.len()))).await;
    Ok(done)
}
