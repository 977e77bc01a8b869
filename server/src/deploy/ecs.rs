//! The pipeline's steps on an AWS target (push, deploy, verify, retire); the
//! runbook that calls them is `pipeline::run_on_ecs`.

use std::time::{Duration, Instant};

use super::Failure;
use super::image::{self, PushTarget};
use super::pipeline::Run;
use super::source::Checkout;
use crate::apps::App;
use crate::targets::ecs::provision::{PlanAction, Provisioner};
use crate::targets::ecs::requests::{self, ServicePlan, TaskPlan};
use crate::targets::ecs::{Aws, AwsTarget, plan, provision, release};

/// An AWS target's clients and settings, opened once per deployment.
pub struct Ecs {
    pub aws: Aws,
    pub target: AwsTarget,
}

/// What the deploy step rolls out.
pub enum Release {
    /// A new image in ECR: a new task definition revision is registered.
    Image(PushedImage),
    /// An earlier revision (rollback).
    Revision(String),
}

pub struct PushedImage {
    /// `<repository uri>@<digest>`, or `:<commit>` when the registry gave no digest.
    pub reference: String,
}

/// Makes sure the ECR repository exists, logs in and pushes the built image.
pub async fn push(run: &Run, ecs: &Ecs, app: &App, image: &str, source: &Checkout) -> Result<PushedImage, Failure> {
    let mut provisioner = Provisioner::apply(&ecs.aws, &ecs.target);
    let repository = provisioner.repository(&app.name).await?;
    log_changes(run, &provisioner.items).await;
    let repository = repository.ok_or_else(|| Failure::new("ECR created the repository without a URI."))?;
    let login = run.hub.ecr_logins.get(&ecs.aws, &ecs.target).await?;
    run.log.line(format!("Pushing to {}", login.registry.as_str())).await;
    let target =
        PushTarget { registry: &login.registry, username: Some(&login.username), password: Some(&login.password) };
    let (pushed, digest) = image::push(&run.docker, &target, image, &app.name, &source.commit, &run.log).await?;
    run.log.line(format!("Pushed {pushed} {}", digest.as_deref().unwrap_or(""))).await;
    let reference = match &digest {
        Some(digest) => format!("{repository}@{digest}"),
        None => format!("{repository}:{}", source.commit),
    };
    run.record("image = ?, image_digest = ?", &[Some(&format!("{repository}:{}", source.commit)), digest.as_deref()])
        .await?;
    Ok(PushedImage { reference })
}

async fn log_changes(run: &Run, items: &[provision::PlanItem]) {
    let unchanged = items.iter().filter(|i| i.action == PlanAction::Unchanged).count();
    for item in items.iter().filter(|i| i.action != PlanAction::Unchanged) {
        run.log.line(item.describe()).await;
    }
    if unchanged > 0 {
        run.log.line(format!("{unchanged} AWS resource(s) already as they should be.")).await;
    }
}

/// Converges the target's and app's resources, registers the task
/// definition (unless rolling back), and points the service at it.
pub async fn deploy(run: &Run, ecs: &Ecs, app: &App, release: Release) -> Result<String, Failure> {
    let size = plan::task_size(app)?;
    run.log.line(format!("Provisioning on {} ({}):", ecs.target.name, ecs.target.region)).await;
    let mut provisioner = Provisioner::apply(&ecs.aws, &ecs.target);
    let shared = provisioner.shared().await?;
    let resources = provisioner.app(&shared, &plan::needs(app)).await?;
    log_changes(run, &provisioner.items).await;
    let missing =
        |what: &str| Failure::new(format!("AWS did not return the {what} it just created; run the deploy again."));
    let task_definition = match release {
        Release::Revision(revision) => revision,
        Release::Image(image) => {
            let secrets = release::store_secrets(&ecs.aws, &app.name, &run.env).await?;
            if !secrets.is_empty() {
                run.log.line(format!("{} secret(s) passed as SSM/Secrets Manager references.", secrets.len())).await;
            }
            let plan = TaskPlan {
                app: app.name.clone(),
                image: image.reference,
                port: app.port,
                size,
                env: run.env.iter().filter(|v| !v.secret).map(|v| (v.name.clone(), v.value.clone())).collect(),
                secrets,
                execution_role_arn: shared.execution_role_arn.clone().ok_or_else(|| missing("execution role"))?,
                log_group: resources.log_group.clone(),
                region: ecs.target.region.clone(),
                health_command: app
                    .container_health_check
                    .then(|| requests::container_health_command(app.port, &app.health_path)),
            };
            let arn = release::register(&ecs.aws, &plan).await?;
            run.log
                .line(format!(
                    "Registered task definition {} ({} vCPU, {} MiB)",
                    crate::targets::ecs::checks::short(&arn),
                    size.vcpus(),
                    size.memory_mb()
                ))
                .await;
            arn
        }
    };
    let desired = i32::try_from(app.replicas).unwrap_or(1);
    let service = ServicePlan {
        app: app.name.clone(),
        cluster: ecs.target.cluster.clone(),
        task_definition_arn: task_definition.clone(),
        desired_count: desired,
        subnets: shared.subnets.clone(),
        security_group: shared.tasks_security_group.clone().ok_or_else(|| missing("tasks' security group"))?,
        public_ip: ecs.target.public_ip,
        target_group_arn: resources.target_group_arn.clone().ok_or_else(|| missing("target group"))?,
        container_port: app.port,
        health_check_grace_secs: i32::try_from(app.health_timeout_secs).unwrap_or(60),
    };
    let created = release::upsert_service(&ecs.aws, &service).await?;
    run.log
        .line(if created {
            format!("Created ECS service {} with {desired} task(s).", app.name)
        } else {
            format!("Updated ECS service {}: {desired} task(s) of the new revision.", app.name)
        })
        .await;
    sqlx::query("UPDATE deployments SET task_definition_arn = ?, desired_count = ? WHERE id = ?")
        .bind(&task_definition)
        .bind(desired)
        .bind(run.deployment.id)
        .execute(&run.db)
        .await
        .map_err(crate::Error::from)?;
    Ok(task_definition)
}

/// Follows the rollout until ECS reports it COMPLETED, FAILED, or the target's deadline passes.
pub async fn verify(run: &Run, ecs: &Ecs, app: &App, task_definition: &str) -> Result<(), Failure> {
    let timeout = Duration::from_secs(u64::from(ecs.target.rollout_timeout_secs));
    run.log
        .line(format!(
            "Following the rollout (up to {} s): new tasks must pass the load balancer's GET {} check",
            timeout.as_secs(),
            app.health_path
        ))
        .await;
    release::follow(
        &ecs.aws,
        &ecs.target.cluster,
        &app.name,
        task_definition,
        Instant::now() + timeout,
        &run.log,
        &run.cancel,
    )
    .await
}

/// ECS drains and stops the previous tasks by itself once the new ones are
/// healthy. An app that moved here from this machine's engine has its local
/// replicas stopped and its edge route removed.
pub async fn retire(run: &Run, _ecs: &Ecs, app: &App) -> Result<(), Failure> {
    let local = crate::targets::local::replicas_of(&run.db, app.id).await?;
    if local.is_empty() {
        run.skip(format!(
            "ECS drains the previous tasks ({} s deregistration delay) and stops them",
            app.deregistration_delay_secs
        ));
        return Ok(());
    }
    crate::edge::remove_route(&run.db, &app.name).await?;
    let containers: Vec<String> = local.into_iter().map(|(_, r)| r.container).collect();
    crate::targets::local::remove(&run.docker, &run.db, &containers).await;
    run.log
        .line(format!(
            "The app moved to AWS: stopped its replicas on this machine ({}) and removed its edge route.",
            containers.join(", ")
        ))
        .await;
    Ok(())
}
