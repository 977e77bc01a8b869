//! What the UI shows: plain serde types shared by the server and the wasm bundle
//! (the backend's own types stay native-only).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: Option<UserView>,
    pub csrf: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub email: String,
    pub is_owner: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppView {
    pub name: String,
    pub repo_url: String,
    pub branch: String,
    pub dockerfile: String,
    pub build_context: String,
    pub port: u16,
    pub health_path: String,
    pub health_timeout_secs: u32,
    pub replicas: u32,
    pub cpus: Option<f64>,
    pub memory_mb: Option<u32>,
    pub env: Vec<EnvVarView>,
    pub git_username: Option<String>,
    pub has_git_token: bool,
    pub has_git_ssh_key: bool,
    pub registry: Option<String>,
    pub registry_username: Option<String>,
    pub has_registry_password: bool,
    /// "local", or the AWS target's name.
    pub target: String,
    pub health_interval_secs: u32,
    pub healthy_threshold: u32,
    pub deregistration_delay_secs: u32,
    pub status: String,
    pub live_deployment_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl AppView {
    pub fn on_aws(&self) -> bool {
        self.target != "local"
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvVarView {
    pub name: String,
    pub value: Option<String>,
    pub secret: bool,
    pub build_time: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentView {
    pub id: i64,
    pub app: String,
    pub status: String,
    pub trigger: String,
    pub requested_by: String,
    pub requested_commit: Option<String>,
    pub commit_sha: Option<String>,
    pub commit_message: Option<String>,
    pub commit_author: Option<String>,
    pub image: Option<String>,
    pub image_digest: Option<String>,
    pub url: Option<String>,
    pub rollback_of: Option<i64>,
    pub error: Option<String>,
    pub current: bool,
    pub created_at: String,
    pub duration_secs: Option<i64>,
    pub steps: Vec<StepView>,
}

impl DeploymentView {
    pub fn is_active(&self) -> bool {
        ["queued", "cloning", "building", "pushing", "deploying", "verifying"].contains(&self.status.as_str())
    }

    pub fn short_commit(&self) -> String {
        self.commit_sha
            .as_deref()
            .or(self.requested_commit.as_deref())
            .map(|c| c.chars().take(10).collect())
            .unwrap_or_else(|| "branch head".into())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub step: String,
    pub outcome: String,
    pub detail: Option<String>,
    pub duration_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub user: UserView,
    pub tokens: Vec<TokenView>,
    /// A token created just now, shown once.
    pub new_token: Option<String>,
}

#[cfg(feature = "ssr")]
mod from_backend {
    use super::*;
    use slipway_server::apps::App;
    use slipway_server::auth::{ApiToken, User};
    use slipway_server::time_fmt::rfc3339;

    impl From<App> for AppView {
        fn from(app: App) -> Self {
            Self {
                name: app.name,
                repo_url: app.repo_url,
                branch: app.branch,
                dockerfile: app.dockerfile,
                build_context: app.build_context,
                port: app.port,
                health_path: app.health_path,
                health_timeout_secs: app.health_timeout_secs,
                replicas: app.replicas,
                cpus: app.cpus,
                memory_mb: app.memory_mb,
                env: app
                    .env
                    .into_iter()
                    .map(|v| EnvVarView { name: v.name, value: v.value, secret: v.secret, build_time: v.build_time })
                    .collect(),
                git_username: app.git_username,
                has_git_token: app.has_git_token,
                has_git_ssh_key: app.has_git_ssh_key,
                registry: app.registry,
                registry_username: app.registry_username,
                has_registry_password: app.has_registry_password,
                target: app.target,
                health_interval_secs: app.health_interval_secs,
                healthy_threshold: app.healthy_threshold,
                deregistration_delay_secs: app.deregistration_delay_secs,
                status: app.status,
                live_deployment_id: app.live_deployment_id,
                created_at: app.created_at,
                updated_at: app.updated_at,
            }
        }
    }

    impl From<slipway_server::deploy::Deployment> for DeploymentView {
        fn from(d: slipway_server::deploy::Deployment) -> Self {
            Self {
                id: d.id,
                app: d.app,
                status: d.status,
                trigger: d.trigger,
                requested_by: d.requested_by,
                requested_commit: d.requested_commit,
                commit_sha: d.commit_sha,
                commit_message: d.commit_message,
                commit_author: d.commit_author,
                image: d.image,
                image_digest: d.image_digest,
                url: d.url,
                rollback_of: d.rollback_of,
                error: d.error,
                current: d.current,
                created_at: d.created_at,
                duration_secs: d.duration_secs,
                steps: d
                    .steps
                    .into_iter()
                    .map(|s| StepView {
                        step: s.step,
                        outcome: s.outcome,
                        detail: s.detail,
                        duration_ms: s.duration_ms,
                    })
                    .collect(),
            }
        }
    }

    impl From<&User> for UserView {
        fn from(user: &User) -> Self {
            Self { email: user.email.clone(), is_owner: user.is_owner }
        }
    }

    impl From<ApiToken> for TokenView {
        fn from(token: ApiToken) -> Self {
            Self {
                id: token.id,
                name: token.name,
                prefix: token.prefix,
                created_at: rfc3339(token.created_at),
                last_used_at: token.last_used_at.map(rfc3339),
            }
        }
    }
}
