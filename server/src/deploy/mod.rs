//! Deployments: the durable queue (a table, so a restart loses nothing), the
//! worker that claims from it, and the pipeline that runs one deployment.
//!
//! - `queue`: enqueue / claim / recover, in single SQL statements.
//! - `pipeline`: clone → build → push → deploy → verify → retire, one line per step.
//! - `source`, `context`, `image`: git checkout, build context, build and push.
//! - `logs`: the deployment log and its live fan-out.
//! - `history`: deployments as the API and UI show them.
//! - `worker`: N tasks claiming queued deployments.

pub mod context;
pub mod ecs;
pub mod history;
pub mod image;
pub mod logs;
pub mod pipeline;
pub mod queue;
pub mod source;
pub mod worker;

use std::collections::HashMap;
use std::sync::Mutex;

use bollard::Docker;
use tokio::sync::{Notify, OnceCell};
use tokio_util::sync::CancellationToken;

pub use history::{Deployment, DeploymentFilter, Step};
pub use logs::{DeployLog, LogEvents, LogLine};
pub use queue::Trigger;

/// Why a step failed, in words for the person who clicked Deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub cancelled: bool,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), cancelled: false }
    }

    pub fn cancelled() -> Self {
        Self { message: "Cancelled.".into(), cancelled: true }
    }
}

impl From<crate::Error> for Failure {
    fn from(error: crate::Error) -> Self {
        tracing::error!(%error, cause = ?error, "internal error in a deployment");
        Failure::new("Slipway hit an internal error; the server log has the details.")
    }
}

/// Shared by the API, the UI and the worker: wake-ups, log fan-out, cancel
/// tokens of running deployments, and the Docker client.
#[derive(Default)]
pub struct DeployHub {
    pub wake: Notify,
    pub logs: LogEvents,
    running: Mutex<HashMap<i64, CancellationToken>>,
    docker: OnceCell<Docker>,
    /// Wakes the notification sender.
    pub notifications: Notify,
    /// ECR logins per AWS target, reused until an hour before they expire.
    pub ecr_logins: crate::targets::ecs::release::EcrLogins,
}

impl DeployHub {
    /// The Docker engine, connected on first use.
    pub async fn docker(&self) -> Result<Docker, Failure> {
        self.docker
            .get_or_try_init(|| async {
                let client = Docker::connect_with_local_defaults()
                    .map_err(|e| Failure::new(format!("Slipway can't use the Docker engine: {e}")))?;
                client.negotiate_version().await.map_err(|e| {
                    Failure::new(format!(
                        "Slipway can't reach the Docker engine (is dockerd running and /var/run/docker.sock readable?): {e}"
                    ))
                })
            })
            .await
            .cloned()
    }

    fn start(&self, deployment_id: i64) -> CancellationToken {
        let token = CancellationToken::new();
        self.running.lock().unwrap_or_else(|e| e.into_inner()).insert(deployment_id, token.clone());
        token
    }

    fn finish(&self, deployment_id: i64) {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&deployment_id);
    }

    /// Signals a running deployment to stop; `false` if it isn't running here.
    pub fn cancel(&self, deployment_id: i64) -> bool {
        match self.running.lock().unwrap_or_else(|e| e.into_inner()).get(&deployment_id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }
}

/// Stops serving an app that is about to be deleted: cancels its running
/// deployment, removes its route from the edge and its containers.
pub async fn teardown_app(state: &crate::AppState, name: &str) -> crate::error::Result<()> {
    let app = crate::apps::get_app(&state.db, name).await?;
    for id in history::active_of(&state.db, app.id).await? {
        let _ = history::cancel(&state.db, &state.hub, id).await;
    }
    if app.target != crate::apps::LOCAL_TARGET {
        // Nothing is left running (or billed) in AWS; if AWS refuses, the app is kept.
        crate::targets::ecs::operations::teardown_app(state, name, true).await?;
    }
    crate::edge::remove_route(&state.db, name).await?;
    let replicas = crate::targets::local::replicas_of(&state.db, app.id).await?;
    if !replicas.is_empty() {
        let docker = state.hub.docker().await.map_err(|f| anyhow::anyhow!(f.message))?;
        let containers: Vec<String> = replicas.into_iter().map(|(_, r)| r.container).collect();
        crate::targets::local::remove(&docker, &state.db, &containers).await;
    }
    Ok(())
}
