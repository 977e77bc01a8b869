//! One release on ECS: log in to ECR, store the app's secrets, register the
//! task definition, create or update the service, follow the rollout.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_ecs::types::{DesiredStatus, Service, Task};
use base64::Engine;
use tokio_util::sync::CancellationToken;

use super::clients::{Aws, AwsError, failed};
use super::requests::{self, ServicePlan, TaskPlan};
use super::rollout;
use super::target::AwsTarget;
use crate::apps::{DeployVar, RegistryAddress};
use crate::deploy::{DeployLog, Failure};

/// Credentials for pushing to a target's ECR registry.
#[derive(Clone)]
pub struct RegistryLogin {
    /// `<account>.dkr.ecr.<region>.amazonaws.com/slipway` (or the target's
    /// registry override): images go to `<this>/<app>`.
    pub registry: RegistryAddress,
    pub username: String,
    pub password: String,
    pub expires_at: SystemTime,
}

/// ECR logins per target. A token lives 12 hours; one is reused until an
/// hour before it expires.
#[derive(Default)]
pub struct EcrLogins(Mutex<HashMap<String, RegistryLogin>>);

const REFRESH_BEFORE: Duration = Duration::from_secs(3600);

impl EcrLogins {
    pub async fn get(&self, aws: &Aws, target: &AwsTarget) -> Result<RegistryLogin, AwsError> {
        let cached = self.0.lock().unwrap_or_else(|e| e.into_inner()).get(&target.name).cloned();
        if let Some(login) = cached
            && login.expires_at > SystemTime::now() + REFRESH_BEFORE
        {
            return Ok(login);
        }
        let login = fetch_login(aws, target).await?;
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(target.name.clone(), login.clone());
        Ok(login)
    }
}

async fn fetch_login(aws: &Aws, target: &AwsTarget) -> Result<RegistryLogin, AwsError> {
    const ACTION: &str = "ecr:GetAuthorizationToken";
    let answer = aws.ecr.get_authorization_token().send().await.map_err(failed(ACTION))?;
    let data = answer
        .authorization_data()
        .first()
        .ok_or_else(|| AwsError::new(ACTION, "ECR returned no authorization data."))?;
    let (username, password) = decode_token(data.authorization_token().unwrap_or_default())
        .map_err(|why| AwsError::new(ACTION, format!("ECR's authorization token is unreadable: {why}")))?;
    let endpoint = data.proxy_endpoint().unwrap_or_default();
    let host = target.registry_override.as_deref().unwrap_or(endpoint);
    let registry = RegistryAddress::parse(&format!("{}/slipway", host.trim_end_matches('/')))
        .map_err(|(_, message)| AwsError::new(ACTION, message))?;
    let expires_at = data
        .expires_at()
        .and_then(|t| SystemTime::try_from(*t).ok())
        .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(12 * 3600));
    Ok(RegistryLogin { registry, username, password, expires_at })
}

/// ECR's token is base64 of `AWS:<password>`.
pub fn decode_token(token: &str) -> Result<(String, String), String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(token.trim()).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    let (user, password) = text.split_once(':').ok_or("no user:password inside")?;
    Ok((user.to_owned(), password.to_owned()))
}

/// The SSM parameter an app secret is stored in.
pub fn parameter_name(app: &str, var: &str) -> String {
    format!("/slipway/{app}/{var}")
}

/// A secret whose value is already a Secrets Manager or SSM ARN is passed as
/// that reference; any other secret is written to SSM Parameter Store
/// (SecureString) and referenced from there. Plain variables stay in the
/// task definition's environment.
pub fn secret_reference(app: &str, var: &DeployVar) -> (String, bool) {
    let value = var.value.trim();
    if value.starts_with("arn:aws:secretsmanager:") || value.starts_with("arn:aws:ssm:") {
        (value.to_owned(), false)
    } else {
        (parameter_name(app, &var.name), true)
    }
}

pub async fn store_secrets(aws: &Aws, app: &str, vars: &[DeployVar]) -> Result<Vec<(String, String)>, AwsError> {
    let mut references = Vec::new();
    for var in vars.iter().filter(|v| v.secret) {
        let (reference, store) = secret_reference(app, var);
        if store {
            aws.ssm
                .put_parameter()
                .name(&reference)
                .value(&var.value)
                .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
                .overwrite(true)
                .send()
                .await
                .map_err(failed("ssm:PutParameter"))?;
        }
        references.push((var.name.clone(), reference));
    }
    Ok(references)
}

pub async fn register(aws: &Aws, plan: &TaskPlan) -> Result<String, AwsError> {
    const ACTION: &str = "ecs:RegisterTaskDefinition";
    let input = requests::task_definition(plan).map_err(|m| AwsError::new(ACTION, m))?;
    let answer = aws
        .ecs
        .register_task_definition()
        .set_family(input.family)
        .set_requires_compatibilities(input.requires_compatibilities)
        .set_network_mode(input.network_mode)
        .set_cpu(input.cpu)
        .set_memory(input.memory)
        .set_execution_role_arn(input.execution_role_arn)
        .set_container_definitions(input.container_definitions)
        .set_tags(input.tags)
        .send()
        .await
        .map_err(failed(ACTION))?;
    answer
        .task_definition()
        .and_then(|td| td.task_definition_arn())
        .map(str::to_owned)
        .ok_or_else(|| AwsError::new(ACTION, "ECS registered the task definition without an ARN."))
}

pub async fn describe_service(aws: &Aws, cluster: &str, app: &str) -> Result<Option<Service>, AwsError> {
    let answer = aws
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(requests::service_name(app))
        .send()
        .await
        .map_err(failed("ecs:DescribeServices"))?;
    Ok(answer.services().iter().find(|s| s.status() != Some("INACTIVE")).cloned())
}

/// Creates the service, or points the existing one at the new revision. `true` when created.
pub async fn upsert_service(aws: &Aws, plan: &ServicePlan) -> Result<bool, AwsError> {
    if describe_service(aws, &plan.cluster, &plan.app).await?.is_none() {
        let input = requests::create_service(plan).map_err(|m| AwsError::new("ecs:CreateService", m))?;
        aws.ecs
            .create_service()
            .set_cluster(input.cluster)
            .set_service_name(input.service_name)
            .set_task_definition(input.task_definition)
            .set_desired_count(input.desired_count)
            .set_launch_type(input.launch_type)
            .set_network_configuration(input.network_configuration)
            .set_load_balancers(input.load_balancers)
            .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
            .set_deployment_configuration(input.deployment_configuration)
            .set_propagate_tags(input.propagate_tags)
            .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
            .set_tags(input.tags)
            .send()
            .await
            .map_err(failed("ecs:CreateService"))?;
        return Ok(true);
    }
    let input = requests::update_service(plan).map_err(|m| AwsError::new("ecs:UpdateService", m))?;
    aws.ecs
        .update_service()
        .set_cluster(input.cluster)
        .set_service(input.service)
        .set_task_definition(input.task_definition)
        .set_desired_count(input.desired_count)
        .set_network_configuration(input.network_configuration)
        .set_load_balancers(input.load_balancers)
        .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
        .set_deployment_configuration(input.deployment_configuration)
        .send()
        .await
        .map_err(failed("ecs:UpdateService"))?;
    Ok(false)
}

/// Follows the rollout of `task_definition` until it is done, streaming ECS's
/// events into the log. A failure says why tasks stopped, when ECS tells.
pub async fn follow(
    aws: &Aws,
    cluster: &str,
    app: &str,
    task_definition: &str,
    deadline: Instant,
    log: &DeployLog,
    cancel: &CancellationToken,
) -> Result<(), Failure> {
    let (lines, mut receive) = tokio::sync::mpsc::unbounded_channel::<String>();
    let writer = {
        let log = log.clone();
        tokio::spawn(async move {
            while let Some(line) = receive.recv().await {
                log.line(line).await;
            }
        })
    };
    let describe = || async {
        describe_service(aws, cluster, app)
            .await
            .map_err(|e| e.message)?
            .ok_or_else(|| format!("The ECS service {app} disappeared during the rollout (deleted outside Slipway?)."))
    };
    let followed = tokio::select! {
        result = rollout::follow(describe, task_definition, deadline, Duration::from_secs(5), |line| {
            let _ = lines.send(line);
        }) => result,
        () = cancel.cancelled() => Err("Cancelled; ECS finishes or rolls back the rollout by itself.".into()),
    };
    drop(lines);
    let _ = writer.await;
    match followed {
        Ok(()) => Ok(()),
        Err(message) if cancel.is_cancelled() => Err(Failure { message, cancelled: true }),
        Err(message) => {
            let reasons = stopped_reasons(aws, cluster, app, task_definition).await;
            let why = if reasons.is_empty() { String::new() } else { format!(" {}", reasons.join(" ")) };
            Err(Failure::new(format!("{message}{why}")))
        }
    }
}

/// Why the rollout's tasks stopped, from ECS's stopped tasks.
async fn stopped_reasons(aws: &Aws, cluster: &str, app: &str, task_definition: &str) -> Vec<String> {
    let listed = aws
        .ecs
        .list_tasks()
        .cluster(cluster)
        .service_name(requests::service_name(app))
        .desired_status(DesiredStatus::Stopped)
        .send()
        .await;
    let Ok(listed) = listed else { return vec![] };
    if listed.task_arns().is_empty() {
        return vec![];
    }
    let described = aws.ecs.describe_tasks().cluster(cluster).set_tasks(Some(listed.task_arns().to_vec())).send().await;
    match described {
        Ok(described) => stopped_reason_lines(described.tasks(), app, task_definition),
        Err(_) => vec![],
    }
}

/// "A task stopped: <reason> (container: <reason>, exit code N)" for the
/// tasks of this service and revision, at most three distinct reasons.
pub fn stopped_reason_lines(tasks: &[Task], app: &str, task_definition: &str) -> Vec<String> {
    let group = format!("service:{}", requests::service_name(app));
    let mut lines: Vec<String> = Vec::new();
    for task in tasks {
        if task.task_definition_arn() != Some(task_definition) || task.group().is_some_and(|g| g != group) {
            continue;
        }
        let Some(reason) = task.stopped_reason() else { continue };
        let containers: Vec<String> = task
            .containers()
            .iter()
            .filter_map(|c| {
                let why = c.reason().map(str::to_owned);
                let code = c.exit_code().map(|code| format!("exit code {code}"));
                let parts: Vec<String> = why.into_iter().chain(code).collect();
                (!parts.is_empty()).then(|| parts.join(", "))
            })
            .collect();
        let detail = if containers.is_empty() { String::new() } else { format!(" ({})", containers.join("; ")) };
        let line = format!("A task stopped: {reason}{detail}.");
        if !lines.contains(&line) && lines.len() < 3 {
            lines.push(line);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::Container;

    use super::*;

    #[test]
    fn ecr_tokens_decode_to_user_and_password() {
        let token = base64::engine::general_purpose::STANDARD.encode("AWS:secret:with:colons");
        assert_eq!(decode_token(&token).unwrap(), ("AWS".into(), "secret:with:colons".into()));
        assert!(decode_token("not base64!").is_err());
    }

    #[test]
    fn secrets_go_to_ssm_unless_already_a_reference() {
        let var = |value: &str| DeployVar { name: "DB".into(), value: value.into(), build_time: false, secret: true };
        assert_eq!(secret_reference("shop", &var("hunter2")), ("/slipway/shop/DB".into(), true));
        let arn = "arn:aws:secretsmanager:us-east-1:123:secret:slipway/db-AbC";
        assert_eq!(secret_reference("shop", &var(arn)), (arn.into(), false));
    }

    #[test]
    fn stopped_tasks_explain_a_failed_rollout() {
        let task = |td: &str| {
            Task::builder()
                .task_definition_arn(td)
                .group("service:shop")
                .stopped_reason("Essential container in task exited")
                .containers(Container::builder().reason("OutOfMemoryError: Container killed").exit_code(137).build())
                .build()
        };
        let lines = stopped_reason_lines(&[task("td:2"), task("td:2"), task("td:1")], "shop", "td:2");
        assert_eq!(
            lines,
            ["A task stopped: Essential container in task exited (OutOfMemoryError: Container killed, exit code 137)."]
        );
    }
}
