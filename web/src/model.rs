//! What the UI shows: plain serde types shared by the server and the wasm bundle
//! (the backend's own types stay native-only).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: Option<UserView>,
    pub csrf: String,
    /// The team the session acts in, with the user's role there (`None`: in no team yet).
    pub team: Option<TeamChoice>,
    /// Every team the user belongs to (for the switcher).
    pub teams: Vec<TeamChoice>,
}

impl SessionInfo {
    /// The role in the acting team, ordered viewer < deployer < admin < owner.
    fn rank(&self) -> u8 {
        self.team.as_ref().map_or(0, |t| role_rank(&t.role))
    }
    pub fn can_deploy(&self) -> bool {
        self.rank() >= role_rank("deployer")
    }
    pub fn can_admin(&self) -> bool {
        self.rank() >= role_rank("admin")
    }
    pub fn is_owner(&self) -> bool {
        self.rank() >= role_rank("owner")
    }
}

/// The UI's copy of the server's role order (the wasm bundle can't use the server crate).
pub fn role_rank(role: &str) -> u8 {
    match role {
        "viewer" => 1,
        "deployer" => 2,
        "admin" => 3,
        "owner" => 4,
        _ => 0,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamChoice {
    pub slug: String,
    pub name: String,
    pub role: String,
}

/// The Team page: members, pending invites (admins), the user's teams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    pub team: TeamChoice,
    pub members: Vec<MemberView>,
    pub invites: Vec<InviteView>,
    /// An invite link created just now, shown once.
    pub new_invite: Option<String>,
    pub me: i64,
    pub registries: Vec<RegistryView>,
}

/// A registry the team shares (never its password).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistryView {
    pub name: String,
    pub address: String,
    pub username: Option<String>,
    pub has_password: bool,
    pub apps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: i64,
    pub email: String,
    pub role: String,
    pub joined_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteView {
    pub id: i64,
    pub role: String,
    pub email: Option<String>,
    pub created_by: Option<String>,
    pub expires_at: String,
}

/// What an invite link's page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteLanding {
    pub team: String,
    pub role: String,
    pub email: Option<String>,
    pub expires_at: String,
    /// Who is signed in in this browser, if anyone.
    pub signed_in_as: Option<String>,
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
    pub registry_name: Option<String>,
    /// "local", or the AWS target's name.
    pub target: String,
    pub health_interval_secs: u32,
    pub healthy_threshold: u32,
    pub deregistration_delay_secs: u32,
    pub container_health_check: bool,
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
    /// "local", or the AWS target it went to.
    pub target: String,
    pub task_definition_arn: Option<String>,
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
    /// The team the tokens act in, and the user's role there.
    pub team: String,
    pub role: String,
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
                registry_name: app.registry_name,
                target: app.target,
                health_interval_secs: app.health_interval_secs,
                healthy_threshold: app.healthy_threshold,
                deregistration_delay_secs: app.deregistration_delay_secs,
                container_health_check: app.container_health_check,
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
                target: d.target,
                task_definition_arn: d.task_definition_arn,
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

    impl From<slipway_server::teams::TeamOfUser> for TeamChoice {
        fn from(t: slipway_server::teams::TeamOfUser) -> Self {
            Self { slug: t.team.slug, name: t.team.name, role: t.role.as_str().to_owned() }
        }
    }

    impl From<slipway_server::teams::MemberRow> for MemberView {
        fn from(m: slipway_server::teams::MemberRow) -> Self {
            Self { user_id: m.user_id, email: m.email, role: m.role.as_str().to_owned(), joined_at: m.joined_at }
        }
    }

    impl From<slipway_server::teams::Invite> for InviteView {
        fn from(i: slipway_server::teams::Invite) -> Self {
            Self {
                id: i.id,
                role: i.role.as_str().to_owned(),
                email: i.email,
                created_by: i.created_by,
                expires_at: i.expires_at,
            }
        }
    }

    impl From<slipway_server::registries::Registry> for RegistryView {
        fn from(r: slipway_server::registries::Registry) -> Self {
            Self { name: r.name, address: r.address, username: r.username, has_password: r.has_password, apps: r.apps }
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

/// An AWS target as the UI shows it (never the secret key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetView {
    pub name: String,
    pub region: String,
    /// default, access_key or assume_role
    pub credentials: String,
    pub access_key_id: Option<String>,
    pub has_secret_access_key: bool,
    pub role_arn: Option<String>,
    pub cluster: String,
    pub vpc_id: Option<String>,
    pub subnets: Vec<String>,
    pub public_ip: bool,
    pub load_balancer: String,
    pub certificate_arn: Option<String>,
    pub base_domain: String,
    pub execution_role_arn: Option<String>,
    pub log_retention_days: u32,
    pub keep_images: u32,
    pub rollout_timeout_secs: u32,
    pub endpoint_url: Option<String>,
    pub registry_override: Option<String>,
    pub apps: Vec<String>,
}

/// One AWS resource in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItemView {
    pub resource: String,
    pub name: String,
    /// create, update or unchanged
    pub action: String,
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostView {
    pub compute_month: f64,
    pub load_balancer_share_month: f64,
    pub total_month: f64,
    pub prices_as_of: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppPlanView {
    pub target: String,
    pub region: String,
    pub url: String,
    pub size: String,
    pub items: Vec<PlanItemView>,
    pub cost: CostView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckView {
    pub permission: String,
    pub ok: bool,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub ok: bool,
    pub account: Option<String>,
    pub identity: Option<String>,
    pub checks: Vec<CheckView>,
}

/// An app on AWS: where it runs and whether it drifted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsAppView {
    pub target: String,
    pub region: String,
    pub cluster: String,
    /// Differences made outside Slipway; empty when none.
    pub drift: Vec<String>,
    /// Whether there was a live deployment to compare with.
    pub drift_checked: bool,
    /// Why the drift check could not run (e.g. AWS unreachable).
    pub drift_error: Option<String>,
}

#[cfg(feature = "ssr")]
mod from_aws {
    use slipway_server::targets::ecs::AwsTarget;
    use slipway_server::targets::ecs::checks::ConnectionReport;
    use slipway_server::targets::ecs::plan::AppPlan;
    use slipway_server::targets::ecs::provision::{PlanAction, PlanItem};

    use super::*;

    impl From<AwsTarget> for TargetView {
        fn from(t: AwsTarget) -> Self {
            Self {
                name: t.name,
                region: t.region,
                credentials: t.credentials.as_str().to_owned(),
                access_key_id: t.access_key_id,
                has_secret_access_key: t.has_secret_access_key,
                role_arn: t.role_arn,
                cluster: t.cluster,
                vpc_id: t.vpc_id,
                subnets: t.subnets,
                public_ip: t.public_ip,
                load_balancer: t.load_balancer,
                certificate_arn: t.certificate_arn,
                base_domain: t.base_domain,
                execution_role_arn: t.execution_role_arn,
                log_retention_days: t.log_retention_days,
                keep_images: t.keep_images,
                rollout_timeout_secs: t.rollout_timeout_secs,
                endpoint_url: t.endpoint_url,
                registry_override: t.registry_override,
                apps: t.apps,
            }
        }
    }

    impl From<PlanItem> for PlanItemView {
        fn from(item: PlanItem) -> Self {
            let action = match item.action {
                PlanAction::Create => "create",
                PlanAction::Update => "update",
                PlanAction::Unchanged => "unchanged",
            };
            Self { resource: item.resource, name: item.name, action: action.into(), changes: item.changes }
        }
    }

    impl From<AppPlan> for AppPlanView {
        fn from(plan: AppPlan) -> Self {
            Self {
                target: plan.target,
                region: plan.region,
                url: plan.url,
                size: plan.size,
                items: plan.items.into_iter().map(Into::into).collect(),
                cost: CostView {
                    compute_month: plan.cost.compute_month,
                    load_balancer_share_month: plan.cost.load_balancer_share_month,
                    total_month: plan.cost.total_month,
                    prices_as_of: plan.cost.prices_as_of,
                    region: plan.cost.region,
                },
            }
        }
    }

    impl From<ConnectionReport> for ConnectionView {
        fn from(r: ConnectionReport) -> Self {
            Self {
                ok: r.ok,
                account: r.account,
                identity: r.identity,
                checks: r
                    .checks
                    .into_iter()
                    .map(|c| CheckView { permission: c.permission, ok: c.ok, detail: c.detail })
                    .collect(),
            }
        }
    }
}

/// An app's webhook as the UI shows it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub enabled: bool,
    pub url: String,
    pub branches: String,
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub provider: String,
    pub event: String,
    pub delivery_id: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub deployment_id: Option<i64>,
    pub pusher: Option<String>,
    pub received_at: String,
}

/// A new or rotated webhook secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookSecretView {
    pub url: String,
    pub secret: String,
    pub branches: String,
}

#[cfg(feature = "ssr")]
mod from_webhooks {
    use slipway_server::webhooks::store::{NewSecret, Webhook};

    use super::*;

    impl From<Webhook> for WebhookView {
        fn from(w: Webhook) -> Self {
            Self {
                enabled: w.enabled,
                url: w.url,
                branches: w.branches,
                deliveries: w
                    .deliveries
                    .into_iter()
                    .map(|d| DeliveryView {
                        provider: d.provider,
                        event: d.event,
                        delivery_id: d.delivery_id,
                        outcome: d.outcome,
                        detail: d.detail,
                        deployment_id: d.deployment_id,
                        pusher: d.pusher,
                        received_at: d.received_at,
                    })
                    .collect(),
            }
        }
    }

    impl From<NewSecret> for WebhookSecretView {
        fn from(s: NewSecret) -> Self {
            Self { url: s.url, secret: s.secret, branches: s.branches }
        }
    }
}

/// A notification channel (the URL is a secret: only its host is shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub id: i64,
    pub for_every_app: bool,
    pub kind: String,
    pub host: String,
    pub events: Vec<String>,
    pub signed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationDeliveryView {
    pub kind: String,
    pub host: String,
    pub deployment_id: i64,
    pub event: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationsView {
    pub channels: Vec<ChannelView>,
    pub deliveries: Vec<NotificationDeliveryView>,
}
