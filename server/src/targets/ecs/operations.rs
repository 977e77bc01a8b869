//! What the API and UI do with AWS targets and the apps on them: test a
//! target's connection, provision it, plan an app's deploy, check drift, tear
//! down. Each opens the target's clients from SQLite and calls AWS.

use serde::{Deserialize, Serialize};

use super::checks::{self, ConnectionReport, Recorded};
use super::clients::Aws;
use super::plan::{self, AppPlan};
use super::provision::{PlanItem, Provisioner};
use super::target::{self, AwsTarget};
use super::teardown::{self, AppTeardown};
use crate::apps::{self, App};
use crate::error::{Error, Result};
use crate::state::AppState;

pub async fn connect(state: &AppState, target_name: &str) -> Result<(Aws, AwsTarget)> {
    let access = target::access(&state.db, &state.secrets, target_name).await?;
    let aws = Aws::connect(&access).await?;
    Ok((aws, access.target))
}

async fn app_on_aws(state: &AppState, app_name: &str) -> Result<(App, Aws, AwsTarget)> {
    let app = apps::get_app(&state.db, app_name).await?;
    if app.target == apps::LOCAL_TARGET {
        return Err(Error::Conflict {
            code: "not_on_aws",
            message: format!(
                "{app_name} runs on this machine's Docker engine; pick an AWS target in its settings first."
            ),
        });
    }
    let (aws, target) = connect(state, &app.target).await?;
    Ok((app, aws, target))
}

pub async fn test_target(state: &AppState, name: &str) -> Result<ConnectionReport> {
    let (aws, target) = connect(state, name).await?;
    Ok(checks::test_connection(&aws, &target).await)
}

/// The target's shared resources: `apply` creates or updates them, otherwise only lists them.
pub async fn provision_target(state: &AppState, name: &str, apply: bool) -> Result<Vec<PlanItem>> {
    let (aws, target) = connect(state, name).await?;
    let mut provisioner = if apply { Provisioner::apply(&aws, &target) } else { Provisioner::plan(&aws, &target) };
    provisioner.shared().await?;
    tracing::info!(target = name, apply, "provisioned an AWS target");
    Ok(provisioner.items)
}

async fn live_task_definition(state: &AppState, app: &App) -> Result<Option<(String, i32)>> {
    let Some(live) = app.live_deployment_id else { return Ok(None) };
    let row: Option<(Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT task_definition_arn, desired_count FROM deployments WHERE id = ? AND target != 'local'")
            .bind(live)
            .fetch_optional(&state.db)
            .await?;
    Ok(row.and_then(|(arn, count)| arn.map(|a| (a, count.and_then(|c| i32::try_from(c).ok()).unwrap_or(1)))))
}

pub async fn plan_app(state: &AppState, app_name: &str) -> Result<AppPlan> {
    let (app, aws, target) = app_on_aws(state, app_name).await?;
    let env = apps::runtime_env(&state.db, &state.secrets, app.id).await?;
    let live = live_task_definition(state, &app).await?;
    let prices = state.config.price_table()?;
    Ok(plan::app_plan(&aws, &target, &app, &env, live.as_ref().map(|(arn, _)| arn.as_str()), &prices).await?)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftReport {
    /// False when there is nothing to compare (no live deployment on AWS).
    pub checked: bool,
    /// One sentence per difference; empty when none.
    pub findings: Vec<String>,
}

pub async fn drift(state: &AppState, app_name: &str) -> Result<DriftReport> {
    let (app, aws, target) = app_on_aws(state, app_name).await?;
    let Some((task_definition_arn, desired_count)) = live_task_definition(state, &app).await? else {
        return Ok(DriftReport { checked: false, findings: vec![] });
    };
    let known_revisions: Vec<String> = sqlx::query_scalar(
        "SELECT task_definition_arn FROM deployments WHERE app_id = ? AND task_definition_arn IS NOT NULL",
    )
    .bind(app.id)
    .fetch_all(&state.db)
    .await?;
    let recorded = Recorded { task_definition_arn, desired_count, known_revisions };
    let findings = checks::drift(&aws, &target, &app.name, &recorded).await?;
    Ok(DriftReport { checked: true, findings })
}

async fn refuse_while_deploying(state: &AppState, app: &App) -> Result<()> {
    match crate::deploy::history::active_of(&state.db, app.id).await?.first() {
        Some(id) => Err(Error::Conflict {
            code: "deployment_active",
            message: format!("Deployment #{id} of {} is still running; cancel it or wait for it to end.", app.name),
        }),
        None => Ok(()),
    }
}

/// The apps of the target's team (only they can deploy to it).
async fn apps_sharing(state: &AppState, target: &AwsTarget) -> Result<Vec<App>> {
    let team_id: i64 =
        sqlx::query_scalar("SELECT team_id FROM aws_targets WHERE id = ?").bind(target.id).fetch_one(&state.db).await?;
    apps::list_apps(&state.db, team_id).await
}

async fn teardown_one(
    state: &AppState,
    aws: &Aws,
    target: &AwsTarget,
    app: &App,
    delete_images: bool,
) -> Result<Vec<String>> {
    let others: Vec<u16> = apps_sharing(state, target)
        .await?
        .into_iter()
        .filter(|a| a.target == target.name && a.name != app.name)
        .map(|a| a.port)
        .collect();
    let request = AppTeardown { app: &app.name, port: app.port, other_ports: &others, delete_images };
    let done = teardown::app(aws, target, &request).await?;
    sqlx::query("UPDATE apps SET live_deployment_id = NULL WHERE id = ?").bind(app.id).execute(&state.db).await?;
    tracing::info!(app = %app.name, target = %target.name, "tore down an app's AWS resources");
    Ok(done)
}

/// Removes an app's AWS resources (its images too with `delete_images`). The app stays in Slipway.
pub async fn teardown_app(state: &AppState, app_name: &str, delete_images: bool) -> Result<Vec<String>> {
    let (app, aws, target) = app_on_aws(state, app_name).await?;
    refuse_while_deploying(state, &app).await?;
    teardown_one(state, &aws, &target, &app, delete_images).await
}

/// Removes every app's resources on the target (images too), then all it shares.
pub async fn teardown_target(state: &AppState, name: &str) -> Result<Vec<String>> {
    let (aws, target) = connect(state, name).await?;
    let on_target: Vec<App> =
        apps_sharing(state, &target).await?.into_iter().filter(|a| a.target == target.name).collect();
    for app in &on_target {
        refuse_while_deploying(state, app).await?;
    }
    let mut done = Vec::new();
    for app in &on_target {
        done.extend(teardown_one(state, &aws, &target, app, true).await?);
    }
    done.extend(teardown::target(&aws, &target).await?);
    tracing::info!(target = name, "tore down an AWS target");
    Ok(done)
}
