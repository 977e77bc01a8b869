//! An app's notification channels and deliveries.

use leptos::prelude::*;

use crate::error::UiError;
use crate::model::NotificationsView;

#[cfg(feature = "ssr")]
use super::context;
#[cfg(feature = "ssr")]
use slipway_server::teams::Role;

#[server(prefix = "/_app", endpoint = "notifications", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_notifications(app: String) -> Result<NotificationsView, UiError> {
    use crate::model::{ChannelView, NotificationDeliveryView};
    let (state, member) = context::require_member(Role::Viewer).await?;
    member.app(&state.db, &app).await?;
    let channels = slipway_server::notify::list(&state.db, member.team.id, Some(&app)).await?;
    let deliveries = slipway_server::notify::deliveries(&state.db, &app).await?;
    Ok(NotificationsView {
        channels: channels
            .into_iter()
            .map(|c| ChannelView {
                id: c.id,
                for_every_app: c.app.is_none(),
                kind: c.kind,
                host: c.host,
                events: c.events,
                signed: c.signed,
            })
            .collect(),
        deliveries: deliveries
            .into_iter()
            .map(|d| NotificationDeliveryView {
                kind: d.kind,
                host: d.host,
                deployment_id: d.deployment_id,
                event: d.event,
                status: d.status,
                attempts: d.attempts,
                last_error: d.last_error,
                created_at: d.created_at,
            })
            .collect(),
    })
}

/// Adds a channel for `app` (or every app with `scope` = "all"); `events` is a comma list, empty for all.
#[server(prefix = "/_app", endpoint = "add_channel")]
pub async fn add_channel(
    app: String,
    kind: String,
    url: String,
    #[server(default)] secret: String,
    #[server(default)] events: String,
    #[server(default)] scope: String,
    csrf: String,
) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    member.app(&state.db, &app).await?;
    let draft = slipway_server::notify::ChannelDraft {
        kind: kind.clone(),
        url,
        secret: Some(secret),
        events: events.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned).collect(),
    };
    let for_app = (scope != "all").then_some(app.as_str());
    let channel = slipway_server::notify::add(&state.db, &state.secrets, member.team.id, for_app, &draft)
        .await
        .map_err(|e| UiError::from(e).with_input([("kind", kind.as_str()), ("events", events.as_str())]))?;
    let detail = Some(format!("{} to {} on {}", channel.kind, channel.host, channel.events.join(", ")));
    context::audit(&state, &member, "notification.add", for_app.unwrap_or("every app"), detail).await;
    Ok(())
}

#[server(prefix = "/_app", endpoint = "remove_channel")]
pub async fn remove_channel(id: i64, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    member.channel(&state.db, id).await?;
    slipway_server::notify::remove(&state.db, id).await?;
    context::audit(&state, &member, "notification.remove", &format!("channel #{id}"), None).await;
    Ok(())
}
