//! Deployments over the API: queue one, list and read them, follow the log
//! (text, or server-sent events that resume from `Last-Event-ID`), cancel,
//! redeploy and roll back.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt, stream};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use super::{ApiJson, optional_json};
use crate::audit::{self, Origin};
use crate::deploy::history;
use crate::deploy::history::FilterQuery;
use crate::deploy::logs::lines_after;
use crate::deploy::{Deployment, Trigger, queue};
use crate::error::Result;
use crate::state::AppState;
use crate::teams::{Deployer, Member, Viewer};

#[derive(Debug, Serialize)]
pub struct Queued {
    id: i64,
    status: String,
    /// Where to follow it.
    deployment_url: String,
    logs_url: String,
}

fn queued(id: i64) -> (StatusCode, ApiJson<Queued>) {
    (
        StatusCode::ACCEPTED,
        ApiJson(Queued {
            id,
            status: "queued".into(),
            deployment_url: format!("/api/v1/deployments/{id}"),
            logs_url: format!("/api/v1/deployments/{id}/logs"),
        }),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeployRequest {
    #[serde(default)]
    commit: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    member: Member<Deployer>,
    Origin(origin): Origin,
    Path(app): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, ApiJson<Queued>)> {
    member.app(&state.db, &app).await?;
    let request: DeployRequest = optional_json(&body)?;
    let id = history::deploy(&state.db, &state.hub, &app, Trigger::Api, &member.user.email, request.commit.as_deref())
        .await?;
    let detail = Some(format!("#{id}{}", request.commit.as_deref().map(|c| format!(" of {c}")).unwrap_or_default()));
    audit::record(&state.db, &member.actor(origin), "deployment.deploy", &app, detail).await;
    tracing::info!(deployment = id, %app, by = %member.user.email, "deployment queued");
    Ok(queued(id))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    deployment_id: i64,
}

pub async fn rollback(
    State(state): State<AppState>,
    member: Member<Deployer>,
    Origin(origin): Origin,
    Path(app): Path<String>,
    ApiJson(request): ApiJson<RollbackRequest>,
) -> Result<(StatusCode, ApiJson<Queued>)> {
    member.app(&state.db, &app).await?;
    let id = history::rollback(&state.db, &state.hub, &app, request.deployment_id, &member.user.email).await?;
    let detail = Some(format!("#{id} back to #{}", request.deployment_id));
    audit::record(&state.db, &member.actor(origin), "deployment.rollback", &app, detail).await;
    Ok(queued(id))
}

pub async fn redeploy(
    State(state): State<AppState>,
    member: Member<Deployer>,
    Origin(origin): Origin,
    Path(id): Path<i64>,
) -> Result<(StatusCode, ApiJson<Queued>)> {
    member.deployment(&state.db, id).await?;
    let of = id;
    let id = history::redeploy(&state.db, &state.hub, id, &member.user.email, Trigger::Api).await?;
    let app = history::get(&state.db, id).await?.app;
    audit::record(&state.db, &member.actor(origin), "deployment.redeploy", &app, Some(format!("#{id} of #{of}"))).await;
    Ok(queued(id))
}

pub async fn cancel(
    State(state): State<AppState>,
    member: Member<Deployer>,
    Origin(origin): Origin,
    Path(id): Path<i64>,
) -> Result<ApiJson<Deployment>> {
    member.deployment(&state.db, id).await?;
    history::cancel(&state.db, &state.hub, id).await?;
    let deployment = history::get(&state.db, id).await?;
    let actor = member.actor(origin);
    audit::record(&state.db, &actor, "deployment.cancel", &deployment.app, Some(format!("#{id}"))).await;
    Ok(ApiJson(deployment))
}

pub async fn show(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Path(id): Path<i64>,
) -> Result<ApiJson<Deployment>> {
    member.deployment(&state.db, id).await?;
    Ok(ApiJson(history::get(&state.db, id).await?))
}

pub async fn list(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Query(query): Query<FilterQuery>,
) -> Result<ApiJson<Vec<Deployment>>> {
    Ok(ApiJson(history::list(&state.db, member.team.id, &query.into_filter(None)?).await?))
}

pub async fn list_for_app(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Path(app): Path<String>,
    Query(query): Query<FilterQuery>,
) -> Result<ApiJson<Vec<Deployment>>> {
    member.app(&state.db, &app).await?;
    Ok(ApiJson(history::list(&state.db, member.team.id, &query.into_filter(Some(app))?).await?))
}

#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    /// Resume after this line id (SSE clients send `Last-Event-ID` instead).
    after: Option<i64>,
}

pub async fn logs(
    State(state): State<AppState>,
    member: Member<Viewer>,
    Path(id): Path<i64>,
    Query(query): Query<LogQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    member.deployment(&state.db, id).await?;
    let wants_stream =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/event-stream"));
    let last_seen = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
    let after = last_seen.or(query.after).unwrap_or(0);
    if wants_stream {
        return Ok(Sse::new(log_events(state, id, after)).keep_alive(KeepAlive::default()).into_response());
    }
    let lines = lines_after(&state.db, id, after, i64::MAX).await?;
    let mut text = String::with_capacity(lines.iter().map(|l| l.line.len() + 1).sum());
    for line in lines {
        text.push_str(&line.line);
        text.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// Log lines as SSE: `line` events (id = line id), a `status` event whenever
/// the status changes, and a final `end` event once the deployment is over.
pub fn log_events(state: AppState, id: i64, after: i64) -> impl Stream<Item = std::result::Result<Event, Infallible>> {
    struct Cursor {
        state: AppState,
        events: tokio::sync::broadcast::Receiver<i64>,
        after: i64,
        status: String,
        done: bool,
    }
    let events = state.hub.logs.subscribe();
    let cursor = Cursor { state, events, after, status: String::new(), done: false };
    stream::unfold(cursor, move |mut cursor| async move {
        if cursor.done {
            return None;
        }
        let mut batch = Vec::new();
        loop {
            // The state first, then the lines: a deployment writes its last line before it
            // ends, so once it is seen over, the lines read next are complete.
            let (status, over) =
                queue::progress(&cursor.state.db, id).await.unwrap_or_else(|_| ("failed".into(), true));
            let lines = lines_after(&cursor.state.db, id, cursor.after, 500).await.unwrap_or_default();
            let full = lines.len() == 500;
            for line in lines {
                cursor.after = line.id;
                batch.push(Event::default().event("line").id(line.id.to_string()).data(line.line));
            }
            if status != cursor.status {
                batch.push(Event::default().event("status").data(&status));
                cursor.status = status.clone();
            }
            if full {
                break;
            }
            if over {
                batch.push(Event::default().event("end").data(&status));
                cursor.done = true;
                break;
            }
            if !batch.is_empty() {
                break;
            }
            // Nothing new: wait for this deployment's next line (or a periodic re-check).
            let wait = async {
                loop {
                    match cursor.events.recv().await {
                        Ok(changed) if changed == id => return,
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => return,
                        Err(RecvError::Closed) => return std::future::pending().await,
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(5), wait).await;
        }
        Some((stream::iter(batch.into_iter().map(Ok)), cursor))
    })
    .flatten()
}
