//! Git webhooks: `POST /hooks/<app>` from GitHub, GitLab, Gitea/Forgejo or
//! Bitbucket Cloud. A delivery is verified with the app's secret, read, and
//! — for a push to a matching branch — turned into a queued deployment in the
//! same SQLite transaction that records it, before the 202 goes out. Each
//! delivery id is processed once; every delivery is recorded with its outcome.

pub mod providers;
pub mod store;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

use crate::deploy::queue::{self, Trigger};
use crate::state::AppState;
use crate::time_fmt::now;
use providers::{Event, Provider};

/// The largest delivery accepted (GitHub caps payloads at 25 MB; a push of a
/// few hundred commits is well under this).
pub const MAX_BODY: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/hooks/{app}", post(receive)).layer(DefaultBodyLimit::max(MAX_BODY))
}

/// One delivery as recorded.
struct Record<'a> {
    app_id: i64,
    provider: &'a str,
    event: &'a str,
    delivery_id: Option<&'a str>,
    claims: bool,
    outcome: &'a str,
    detail: Option<&'a str>,
    deployment_id: Option<i64>,
    commit: Option<&'a str>,
    pusher: Option<&'a str>,
}

async fn record(conn: &mut sqlx::SqliteConnection, r: &Record<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO webhook_deliveries (app_id, provider, event, delivery_id, claims_delivery, outcome, detail,
         deployment_id, commit_sha, pusher, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(r.app_id)
    .bind(r.provider)
    .bind(r.event)
    .bind(r.delivery_id)
    .bind(r.claims)
    .bind(r.outcome)
    .bind(r.detail)
    .bind(r.deployment_id)
    .bind(r.commit)
    .bind(r.pusher)
    .bind(now())
    .fetch_one(&mut *conn)
    .await
}

fn answer(status: StatusCode, outcome: &str, detail: &str, deployment_id: Option<i64>) -> Response {
    (status, Json(json!({ "outcome": outcome, "detail": detail, "deployment_id": deployment_id }))).into_response()
}

fn internal(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "recording a webhook delivery failed");
    answer(
        StatusCode::INTERNAL_SERVER_ERROR,
        "error",
        "Slipway could not record the delivery; the host may retry.",
        None,
    )
}

async fn receive(State(state): State<AppState>, Path(app): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let hook = match store::target(&state.db, &state.secrets, &app).await {
        Ok(Some(hook)) => hook,
        Ok(None) => {
            return answer(StatusCode::NOT_FOUND, "unknown", &format!("No app \"{app}\" with a webhook here."), None);
        }
        Err(error) => return internal(error),
    };
    let Some(provider) = providers::detect(&headers) else {
        let detail = "Unknown sender: expected an X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event or X-Event-Key header.";
        let mut conn = match state.db.acquire().await {
            Ok(conn) => conn,
            Err(error) => return internal(error),
        };
        let unknown = Record {
            app_id: hook.app_id,
            provider: "unknown",
            event: "",
            delivery_id: None,
            claims: false,
            outcome: "invalid",
            detail: Some(detail),
            deployment_id: None,
            commit: None,
            pusher: None,
        };
        if let Err(error) = record(&mut conn, &unknown).await {
            return internal(error);
        }
        return answer(StatusCode::BAD_REQUEST, "invalid", detail, None);
    };
    let (event, delivery_id) = providers::event_and_delivery(provider, &headers);
    let base = Record {
        app_id: hook.app_id,
        provider: provider.as_str(),
        event: &event,
        delivery_id: delivery_id.as_deref(),
        claims: false,
        outcome: "refused",
        detail: None,
        deployment_id: None,
        commit: None,
        pusher: None,
    };
    let mut conn = match state.db.acquire().await {
        Ok(conn) => conn,
        Err(error) => return internal(error),
    };
    if let Err(why) = providers::verify(provider, &headers, &body, &hook.secret) {
        let detail = format!("Refused: {why}.");
        if let Err(error) = record(&mut conn, &Record { detail: Some(&detail), ..base }).await {
            return internal(error);
        }
        tracing::warn!(app = %app, provider = provider.as_str(), "webhook delivery refused: {why}");
        return answer(StatusCode::UNAUTHORIZED, "refused", &detail, None);
    }
    let parsed = match providers::parse(provider, &event, &body) {
        Ok(parsed) => parsed,
        Err(why) => {
            let detail = format!("Unreadable {} {event} delivery: {why}.", provider.label());
            if let Err(error) = record(&mut conn, &Record { outcome: "invalid", detail: Some(&detail), ..base }).await {
                return internal(error);
            }
            return answer(StatusCode::BAD_REQUEST, "invalid", &detail, None);
        }
    };
    drop(conn);
    let verified = Record { claims: delivery_id.is_some(), ..base };
    match parsed {
        Event::Ping => {
            settle(&state, Record { outcome: "ping", detail: Some("pong"), ..verified }, StatusCode::OK).await
        }
        Event::Other(name) => {
            let detail = format!("{} event \"{name}\" doesn't deploy.", provider.label());
            settle(&state, Record { outcome: "ignored", detail: Some(&detail), ..verified }, StatusCode::OK).await
        }
        Event::Push(push) => {
            let who = push.pusher.clone();
            let verified = Record { commit: push.commit.as_deref(), pusher: Some(&who), ..verified };
            match providers::decide(&push, &hook.branches) {
                Err(reason) => {
                    let detail = format!("Not deployed: {reason}.");
                    settle(&state, Record { outcome: "ignored", detail: Some(&detail), ..verified }, StatusCode::OK)
                        .await
                }
                Ok(commit) => deploy(&state, &app, provider, verified, &commit, &who).await,
            }
        }
    }
}

/// Records a verified delivery that deploys nothing; a repeated delivery id is recorded as such.
async fn settle(state: &AppState, r: Record<'_>, status: StatusCode) -> Response {
    let mut conn = match state.db.acquire().await {
        Ok(conn) => conn,
        Err(error) => return internal(error),
    };
    match record(&mut conn, &r).await {
        Ok(_) => answer(status, r.outcome, r.detail.unwrap_or_default(), None),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => duplicate(state, r).await,
        Err(error) => internal(error),
    }
}

async fn duplicate(state: &AppState, r: Record<'_>) -> Response {
    let detail = "This delivery id was already processed; nothing done again.";
    let mut conn = match state.db.acquire().await {
        Ok(conn) => conn,
        Err(error) => return internal(error),
    };
    match record(&mut conn, &Record { claims: false, outcome: "duplicate", detail: Some(detail), ..r }).await {
        Ok(_) => answer(StatusCode::OK, "duplicate", detail, None),
        Err(error) => internal(error),
    }
}

/// Records the delivery and queues its deployment in one transaction: once
/// the 202 is sent, a restart can't lose it. A queued deployment of the same
/// commit is joined rather than duplicated.
async fn deploy(
    state: &AppState,
    app: &str,
    provider: Provider,
    r: Record<'_>,
    commit: &str,
    pusher: &str,
) -> Response {
    let result = async {
        let mut tx = state.db.begin().await?;
        // The insert comes first: it takes SQLite's write lock and claims the delivery id.
        let delivery = match record(&mut tx, &Record { outcome: "queued", ..r }).await {
            Ok(id) => id,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(None),
            Err(e) => return Err(crate::Error::from(e)),
        };
        let joined: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM deployments WHERE app_id = ? AND status = 'queued' AND requested_commit = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(r.app_id)
        .bind(commit)
        .fetch_optional(&mut *tx)
        .await?;
        let (deployment, outcome) = match joined {
            Some(id) => (id, "joined"),
            None => {
                let by = format!("{pusher} (push via {})", provider.label());
                (queue::enqueue_in(&mut tx, r.app_id, Trigger::Webhook, &by, Some(commit), None).await?, "queued")
            }
        };
        sqlx::query("UPDATE webhook_deliveries SET deployment_id = ?, outcome = ? WHERE id = ?")
            .bind(deployment)
            .bind(outcome)
            .bind(delivery)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<_, crate::Error>(Some((deployment, outcome)))
    }
    .await;
    match result {
        Ok(Some((deployment, outcome))) => {
            state.hub.wake.notify_one();
            let team_id: i64 = sqlx::query_scalar("SELECT team_id FROM apps WHERE id = ?")
                .bind(r.app_id)
                .fetch_one(&state.db)
                .await
                .unwrap_or(1);
            let actor = crate::audit::Actor::new(format!("{pusher} via {}", provider.label()), None).in_team(team_id);
            let detail =
                Some(format!("#{deployment} of {commit} ({outcome}, delivery {})", r.delivery_id.unwrap_or("-")));
            crate::audit::record(&state.db, &actor, "deployment.webhook", app, detail).await;
            let detail = if outcome == "joined" {
                format!("Commit {} is already queued as deployment #{deployment}.", &commit[..commit.len().min(12)])
            } else {
                format!("Deploying commit {} as deployment #{deployment}.", &commit[..commit.len().min(12)])
            };
            answer(StatusCode::ACCEPTED, outcome, &detail, Some(deployment))
        }
        Ok(None) => duplicate(state, r).await,
        Err(error) => internal(error),
    }
}
