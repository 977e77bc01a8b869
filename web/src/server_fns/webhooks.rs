//! An app's webhook: its URL and deliveries; turn it on or rotate its secret; turn it off.

use leptos::prelude::*;

use crate::error::UiError;
use crate::model::{WebhookSecretView, WebhookView};

#[cfg(feature = "ssr")]
use super::context;
#[cfg(feature = "ssr")]
use slipway_server::teams::Role;

#[server(prefix = "/_app", endpoint = "webhook", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_webhook(app: String) -> Result<WebhookView, UiError> {
    let (state, member) = context::require_member(Role::Viewer).await?;
    member.app(&state.db, &app).await?;
    Ok(slipway_server::webhooks::store::show(&state.db, &state.config.public_url, &app).await?.into())
}

/// Turns the webhook on or rotates its secret; `branches` (blank: keep) sets the patterns.
#[server(prefix = "/_app", endpoint = "rotate_webhook")]
pub async fn rotate_webhook(
    app: String,
    #[server(default)] branches: String,
    csrf: String,
) -> Result<WebhookSecretView, UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    member.app(&state.db, &app).await?;
    let secret = slipway_server::webhooks::store::rotate(
        &state.db,
        &state.secrets,
        &state.config.public_url,
        &app,
        Some(branches.as_str()),
    )
    .await?;
    tracing::info!(app = %app, by = %member.user.email, "webhook secret rotated");
    context::audit(&state, &member, "webhook.rotate", &app, Some(format!("branches: {}", secret.branches))).await;
    Ok(secret.into())
}

#[server(prefix = "/_app", endpoint = "disable_webhook")]
pub async fn disable_webhook(app: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    member.app(&state.db, &app).await?;
    slipway_server::webhooks::store::disable(&state.db, &app).await?;
    context::audit(&state, &member, "webhook.disable", &app, None).await;
    Ok(())
}
