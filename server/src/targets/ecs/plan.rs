//! The plan of an app's next deploy: every AWS resource as create / update
//! (with the changed fields) / unchanged, and the monthly cost estimate.
//! Nothing is changed in AWS to make it.

use serde::{Deserialize, Serialize};

use super::clients::{Aws, AwsError, failed};
use super::pricing::{CostEstimate, PriceTable};
use super::provision::{AppNeeds, PlanAction, PlanItem, Provisioner};
use super::release;
use super::requests::{self, TargetGroupSettings};
use super::sizing::TaskSize;
use super::target::AwsTarget;
use crate::apps::{App, DeployVar};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppPlan {
    pub app: String,
    pub target: String,
    pub region: String,
    pub url: String,
    /// e.g. "0.25 vCPU, 0.5 GB × 2 tasks"
    pub size: String,
    pub items: Vec<PlanItem>,
    pub cost: CostEstimate,
}

impl AppPlan {
    pub fn changes(&self) -> usize {
        self.items.iter().filter(|i| i.action != PlanAction::Unchanged).count()
    }
}

pub fn needs(app: &App) -> AppNeeds {
    AppNeeds {
        app: app.name.clone(),
        port: app.port,
        health_path: app.health_path.clone(),
        settings: TargetGroupSettings {
            interval_secs: i32::try_from(app.health_interval_secs).unwrap_or(10),
            healthy_threshold: i32::try_from(app.healthy_threshold).unwrap_or(2),
            unhealthy_threshold: 3,
            deregistration_delay_secs: i32::try_from(app.deregistration_delay_secs).unwrap_or(30),
        },
    }
}

pub fn task_size(app: &App) -> Result<TaskSize, AwsError> {
    crate::apps::fargate_size(app.cpus, app.memory_mb).map_err(|m| AwsError::new("ecs:RegisterTaskDefinition", m))
}

/// What the next deploy of `app` would do. `live_task_definition` is the
/// revision Slipway last deployed; `apps_on_target` share the load balancer.
pub async fn app_plan(
    aws: &Aws,
    target: &AwsTarget,
    app: &App,
    env: &[DeployVar],
    live_task_definition: Option<&str>,
    prices: &PriceTable,
) -> Result<AppPlan, AwsError> {
    let size = task_size(app)?;
    let mut provisioner = Provisioner::plan(aws, target);
    let shared = provisioner.shared().await?;
    provisioner.app(&shared, &needs(app)).await?;
    let mut items = provisioner.items;

    // The task definition: every deploy registers a new revision.
    let family = requests::family(&app.name);
    let mut changes = vec![format!("image → a new build of {}", app.branch)];
    if let Some(current) = live_task_definition {
        let described = aws
            .ecs
            .describe_task_definition()
            .task_definition(current)
            .send()
            .await
            .map_err(failed("ecs:DescribeTaskDefinition"))?;
        if let Some(td) = described.task_definition() {
            changes.extend(task_definition_changes(td, app, size, env));
        }
    }
    items.push(PlanItem {
        resource: "task definition".into(),
        name: family,
        action: if live_task_definition.is_some() { PlanAction::Update } else { PlanAction::Create },
        changes,
    });

    // The service.
    let service = match shared.cluster_arn {
        Some(_) => release::describe_service(aws, &target.cluster, &app.name).await?,
        None => None,
    };
    let desired = i32::try_from(app.replicas).unwrap_or(1);
    let item = match service {
        None => PlanItem {
            resource: "ECS service".into(),
            name: requests::service_name(&app.name),
            action: PlanAction::Create,
            changes: vec![format!("{desired} Fargate task(s), rolling 100/200 with circuit-breaker rollback")],
        },
        Some(service) => {
            let mut changes = vec!["task definition → the new revision".to_owned()];
            if service.desired_count() != desired {
                changes.push(format!("desired count: {} → {desired}", service.desired_count()));
            }
            PlanItem {
                resource: "ECS service".into(),
                name: requests::service_name(&app.name),
                action: PlanAction::Update,
                changes,
            }
        }
    };
    items.push(item);

    let apps_on_target = u32::try_from(target.apps.len().max(1)).unwrap_or(1);
    Ok(AppPlan {
        app: app.name.clone(),
        target: target.name.clone(),
        region: target.region.clone(),
        url: target.app_url(&app.name),
        size: format!("{} vCPU, {} GB × {} task(s)", size.vcpus(), size.memory_gb(), app.replicas),
        items,
        cost: prices.estimate(size, app.replicas, apps_on_target),
    })
}

/// Fields of the running revision that the next one changes.
fn task_definition_changes(
    current: &aws_sdk_ecs::types::TaskDefinition,
    app: &App,
    size: TaskSize,
    env: &[DeployVar],
) -> Vec<String> {
    let mut changes = Vec::new();
    if current.cpu() != Some(size.cpu().to_string().as_str()) {
        changes.push(format!("cpu: {} → {}", current.cpu().unwrap_or("unset"), size.cpu()));
    }
    if current.memory() != Some(size.memory_mb().to_string().as_str()) {
        changes.push(format!("memory: {} → {} MiB", current.memory().unwrap_or("unset"), size.memory_mb()));
    }
    let Some(container) = current.container_definitions().first() else { return changes };
    if container.health_check().is_some() != app.container_health_check {
        changes
            .push(format!("container health check: {}", if app.container_health_check { "added" } else { "removed" }));
    }
    let port = container.port_mappings().first().and_then(|p| p.container_port());
    if port != Some(i32::from(app.port)) {
        changes.push(format!("port: {} → {}", port.map(|p| p.to_string()).unwrap_or_default(), app.port));
    }
    let mut had: Vec<&str> = container
        .environment()
        .iter()
        .filter_map(|kv| kv.name())
        .chain(container.secrets().iter().map(|s| s.name()))
        .collect();
    had.sort_unstable();
    let mut has: Vec<&str> = env.iter().map(|v| v.name.as_str()).collect();
    has.sort_unstable();
    for added in has.iter().filter(|n| !had.contains(n)) {
        changes.push(format!("variable {added} added"));
    }
    for removed in had.iter().filter(|n| !has.contains(n)) {
        changes.push(format!("variable {removed} removed"));
    }
    let values_changed = container.environment().iter().any(|kv| {
        env.iter().any(|v| !v.secret && Some(v.name.as_str()) == kv.name() && Some(v.value.as_str()) != kv.value())
    });
    if values_changed {
        changes.push("variable values changed".into());
    }
    changes
}
