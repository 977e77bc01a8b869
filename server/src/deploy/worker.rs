//! The worker: `workers` tasks that claim queued deployments from SQLite and
//! run them. At start-up it ends what a crash interrupted and removes the
//! containers those deployments left.

use std::time::Duration;

use tokio::task::JoinSet;

use super::{pipeline, queue};
use crate::state::AppState;
use crate::targets::local;

/// Recovers, then runs the workers until the returned set is dropped.
pub async fn start(state: &AppState) -> JoinSet<()> {
    match queue::recover_interrupted(&state.db).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(deployments = n, "deployments interrupted by a restart were marked failed"),
        Err(error) => tracing::error!(%error, "recovering interrupted deployments failed"),
    }
    match state.hub.docker().await {
        Ok(docker) => match local::reconcile(&docker, &state.db, &state.installation).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(containers = n, "removed containers no live release uses"),
            Err(error) => tracing::warn!(%error, "cleaning up stale containers failed"),
        },
        Err(failure) => tracing::warn!(reason = %failure.message, "the Docker engine is not reachable yet"),
    }
    let mut workers = JoinSet::new();
    workers.spawn(crate::notify::run_sender(state.clone()));
    // Zero workers queue deployments without running them (tests, a stand-by instance).
    for _ in 0..state.config.workers {
        let state = state.clone();
        workers.spawn(async move { work(state).await });
    }
    workers
}

async fn work(state: AppState) {
    loop {
        match queue::claim_next(&state.db).await {
            Ok(Some(deployment)) => {
                tracing::info!(deployment = deployment.id, "deployment claimed");
                pipeline::execute(&state, deployment).await;
                // A deployment of the same app may have waited for this one.
                state.hub.wake.notify_one();
            }
            Ok(None) => {
                tokio::select! {
                    () = state.hub.wake.notified() => {}
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
            Err(error) => {
                tracing::error!(%error, "claiming a deployment failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
