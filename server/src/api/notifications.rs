//! Notification channels (per app, or for every app of the team) and their deliveries.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::ApiJson;
use crate::audit::{self, Origin};
use crate::error::Result;
use crate::notify::{self, Channel, ChannelDraft, Delivery};
use crate::state::AppState;
use crate::teams::{Admin, Member, Viewer};

#[derive(Serialize)]
pub struct AppNotifications {
    pub channels: Vec<Channel>,
    pub deliveries: Vec<Delivery>,
}

pub async fn for_app(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Path(app): Path<String>,
) -> Result<ApiJson<AppNotifications>> {
    member.app(&state.db, &app).await?;
    Ok(ApiJson(AppNotifications {
        channels: notify::list(&state.db, member.team.id, Some(&app)).await?,
        deliveries: notify::deliveries(&state.db, &app).await?,
    }))
}

pub async fn add_for_app(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(app): Path<String>,
    ApiJson(draft): ApiJson<ChannelDraft>,
) -> Result<(StatusCode, ApiJson<Channel>)> {
    member.app(&state.db, &app).await?;
    let channel = notify::add(&state.db, &state.secrets, member.team.id, Some(&app), &draft).await?;
    let detail = Some(format!("{} to {} on {}", channel.kind, channel.host, channel.events.join(", ")));
    audit::record(&state.db, &member.actor(origin), "notification.add", &app, detail).await;
    Ok((StatusCode::CREATED, ApiJson(channel)))
}

pub async fn global(State(state): State<AppState>, member: Member<Viewer>) -> Result<ApiJson<Vec<Channel>>> {
    Ok(ApiJson(notify::list(&state.db, member.team.id, None).await?))
}

pub async fn add_global(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    ApiJson(draft): ApiJson<ChannelDraft>,
) -> Result<(StatusCode, ApiJson<Channel>)> {
    let channel = notify::add(&state.db, &state.secrets, member.team.id, None, &draft).await?;
    let detail = Some(format!("{} to {} on {}", channel.kind, channel.host, channel.events.join(", ")));
    audit::record(&state.db, &member.actor(origin), "notification.add", "every app", detail).await;
    Ok((StatusCode::CREATED, ApiJson(channel)))
}

pub async fn remove(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    member.channel(&state.db, id).await?;
    notify::remove(&state.db, id).await?;
    audit::record(&state.db, &member.actor(origin), "notification.remove", &format!("channel #{id}"), None).await;
    Ok(StatusCode::NO_CONTENT)
}
