//! The AWS requests of an ECS deploy, built by pure functions so each can be
//! checked against the API reference's constraints without calling AWS:
//! the task definition, the target group and its attributes, the host-header
//! listener rule and its priority.

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, DeploymentCircuitBreaker,
    DeploymentConfiguration, HealthCheck, KeyValuePair, LaunchType, LoadBalancer, LogConfiguration, LogDriver,
    NetworkConfiguration, NetworkMode, PortMapping, PropagateTags, Secret, TransportProtocol,
};
use aws_sdk_elasticloadbalancingv2::operation::create_rule::CreateRuleInput;
use aws_sdk_elasticloadbalancingv2::operation::create_target_group::CreateTargetGroupInput;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, HostHeaderConditionConfig, Matcher, ProtocolEnum, RuleCondition, TargetGroupAttribute,
    TargetTypeEnum,
};
use sha2::{Digest, Sha256};

use super::sizing::TaskSize;

/// Tag keys on everything Slipway creates in AWS.
pub const MANAGED_TAG: &str = "slipway:managed";
pub const APP_TAG: &str = "slipway:app";
/// On resources a target teardown sweeps up by tag (target groups).
pub const TARGET_TAG: &str = "slipway:target";

/// What the task definition of one app release needs.
#[derive(Debug, Clone)]
pub struct TaskPlan {
    pub app: String,
    pub image: String,
    pub port: u16,
    pub size: TaskSize,
    pub env: Vec<(String, String)>,
    /// Secrets as (name, Secrets Manager or SSM parameter ARN).
    pub secrets: Vec<(String, String)>,
    pub execution_role_arn: String,
    pub log_group: String,
    pub region: String,
    /// A container health check (needs `curl` or `wget` in the image); the
    /// target group's check gates traffic either way.
    pub health_command: Option<String>,
}

/// The in-container health check: GET the health path with wget, or curl.
pub fn container_health_command(port: u16, path: &str) -> String {
    let url = format!("http://localhost:{port}{path}");
    format!("wget -q -O /dev/null '{url}' || curl -fsS -o /dev/null '{url}' || exit 1")
}

/// The ECS task-definition family of an app.
pub fn family(app: &str) -> String {
    format!("slipway-{app}")
}

pub fn task_definition(plan: &TaskPlan) -> Result<RegisterTaskDefinitionInput, String> {
    let built = |e: aws_sdk_ecs::error::BuildError| e.to_string();
    let secrets = plan
        .secrets
        .iter()
        .map(|(name, from)| Secret::builder().name(name).value_from(from).build().map_err(built))
        .collect::<Result<Vec<_>, _>>()?;
    let logs = LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", &plan.log_group)
        .options("awslogs-region", &plan.region)
        .options("awslogs-stream-prefix", "slipway")
        .build()
        .map_err(built)?;
    let health = plan
        .health_command
        .as_ref()
        .map(|command| {
            HealthCheck::builder()
                .command("CMD-SHELL")
                .command(command)
                .interval(10)
                .timeout(5)
                .retries(3)
                .start_period(30)
                .build()
                .map_err(built)
        })
        .transpose()?;
    let container = ContainerDefinition::builder()
        .name(&plan.app)
        .image(&plan.image)
        .essential(true)
        // The whole task's memory: a container without `memory` is refused by some APIs (and moto).
        .memory(i32::try_from(plan.size.memory_mb()).unwrap_or(i32::MAX))
        .port_mappings(
            PortMapping::builder().container_port(i32::from(plan.port)).protocol(TransportProtocol::Tcp).build(),
        )
        .set_environment(Some(
            plan.env.iter().map(|(name, value)| KeyValuePair::builder().name(name).value(value).build()).collect(),
        ))
        .set_secrets((!secrets.is_empty()).then_some(secrets))
        .log_configuration(logs)
        .set_health_check(health)
        .build();
    RegisterTaskDefinitionInput::builder()
        .family(family(&plan.app))
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu(plan.size.cpu().to_string())
        .memory(plan.size.memory_mb().to_string())
        .execution_role_arn(&plan.execution_role_arn)
        .container_definitions(container)
        .tags(aws_sdk_ecs::types::Tag::builder().key(MANAGED_TAG).value("true").build())
        .tags(aws_sdk_ecs::types::Tag::builder().key(APP_TAG).value(&plan.app).build())
        .build()
        .map_err(built)
}

/// A target group's name: at most 32 letters, digits and hyphens, not
/// starting or ending with a hyphen. Long app names keep a hash suffix so two
/// apps never share a name.
pub fn target_group_name(app: &str) -> String {
    let name = format!("slw-{app}");
    if name.len() <= 32 {
        return name;
    }
    let hash = hex::encode(&Sha256::digest(app.as_bytes())[..3]);
    let head = name[..32 - hash.len() - 1].trim_end_matches('-');
    format!("{head}-{hash}")
}

/// Health-check and drain settings of an app's target group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetGroupSettings {
    /// 5–300 s; Slipway defaults to 10.
    pub interval_secs: i32,
    /// 2–10; Slipway uses 2 so a new task takes traffic quickly.
    pub healthy_threshold: i32,
    pub unhealthy_threshold: i32,
    /// 0–3600 s; Slipway defaults to 30.
    pub deregistration_delay_secs: i32,
}

impl Default for TargetGroupSettings {
    fn default() -> Self {
        Self { interval_secs: 10, healthy_threshold: 2, unhealthy_threshold: 3, deregistration_delay_secs: 30 }
    }
}

impl TargetGroupSettings {
    pub fn check(self) -> Result<Self, String> {
        if !(5..=300).contains(&self.interval_secs) {
            return Err("The health-check interval must be 5 to 300 seconds.".into());
        }
        if !(2..=10).contains(&self.healthy_threshold) || !(2..=10).contains(&self.unhealthy_threshold) {
            return Err("Healthy and unhealthy thresholds must be 2 to 10.".into());
        }
        if !(0..=3600).contains(&self.deregistration_delay_secs) {
            return Err("The deregistration delay must be 0 to 3600 seconds.".into());
        }
        Ok(self)
    }
}

pub fn target_group(
    app: &str,
    target: &str,
    vpc_id: &str,
    port: u16,
    health_path: &str,
    settings: TargetGroupSettings,
) -> Result<CreateTargetGroupInput, String> {
    let settings = settings.check()?;
    CreateTargetGroupInput::builder()
        .name(target_group_name(app))
        .protocol(ProtocolEnum::Http)
        .port(i32::from(port))
        .vpc_id(vpc_id)
        // Fargate tasks (awsvpc) are registered by IP.
        .target_type(TargetTypeEnum::Ip)
        .health_check_protocol(ProtocolEnum::Http)
        .health_check_path(health_path)
        .health_check_interval_seconds(settings.interval_secs)
        // The timeout must be below the interval.
        .health_check_timeout_seconds((settings.interval_secs - 1).clamp(2, 5))
        .healthy_threshold_count(settings.healthy_threshold)
        .unhealthy_threshold_count(settings.unhealthy_threshold)
        .matcher(Matcher::builder().http_code("200-399").build())
        .tags(aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(MANAGED_TAG).value("true").build())
        .tags(aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(APP_TAG).value(app).build())
        .tags(aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(TARGET_TAG).value(target).build())
        .build()
        .map_err(|e| e.to_string())
}

/// Attributes set after creation (not part of CreateTargetGroup).
pub fn target_group_attributes(settings: TargetGroupSettings) -> Vec<TargetGroupAttribute> {
    vec![
        TargetGroupAttribute::builder()
            .key("deregistration_delay.timeout_seconds")
            .value(settings.deregistration_delay_secs.to_string())
            .build(),
    ]
}

/// The lowest listener-rule priority not in `used` (1–50000).
pub fn free_priority(used: &[i32]) -> Option<i32> {
    (1..=50_000).find(|p| !used.contains(p))
}

/// Host-header rule: `<app>.<base domain>` → the app's target group.
pub fn listener_rule(
    listener_arn: &str,
    priority: i32,
    host: &str,
    target_group_arn: &str,
    app: &str,
) -> Result<CreateRuleInput, String> {
    CreateRuleInput::builder()
        .listener_arn(listener_arn)
        .priority(priority)
        .conditions(
            RuleCondition::builder()
                .field("host-header")
                .host_header_config(HostHeaderConditionConfig::builder().values(host).build())
                .build(),
        )
        .actions(Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(target_group_arn).build())
        .tags(aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(MANAGED_TAG).value("true").build())
        .tags(aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(APP_TAG).value(app).build())
        .build()
        .map_err(|e| e.to_string())
}

/// What an app's ECS service needs.
#[derive(Debug, Clone)]
pub struct ServicePlan {
    pub app: String,
    pub cluster: String,
    pub task_definition_arn: String,
    pub desired_count: i32,
    pub subnets: Vec<String>,
    pub security_group: String,
    pub public_ip: bool,
    pub target_group_arn: String,
    pub container_port: u16,
    /// Seconds ECS ignores failing load-balancer health checks of a new task.
    pub health_check_grace_secs: i32,
}

/// The ECS service name of an app (in its target's cluster).
pub fn service_name(app: &str) -> String {
    app.to_owned()
}

/// Rolling 100/200: the old tasks serve until the new ones are healthy; the
/// circuit breaker stops a rollout whose tasks keep failing and rolls back.
pub fn deployment_configuration() -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .minimum_healthy_percent(100)
        .maximum_percent(200)
        .deployment_circuit_breaker(DeploymentCircuitBreaker::builder().enable(true).rollback(true).build())
        .build()
}

fn network(plan: &ServicePlan) -> Result<NetworkConfiguration, String> {
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(plan.subnets.clone()))
        .security_groups(&plan.security_group)
        .assign_public_ip(if plan.public_ip { AssignPublicIp::Enabled } else { AssignPublicIp::Disabled })
        .build()
        .map_err(|e| e.to_string())?;
    Ok(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
}

fn load_balancer(plan: &ServicePlan) -> LoadBalancer {
    LoadBalancer::builder()
        .target_group_arn(&plan.target_group_arn)
        .container_name(&plan.app)
        .container_port(i32::from(plan.container_port))
        .build()
}

pub fn create_service(plan: &ServicePlan) -> Result<CreateServiceInput, String> {
    CreateServiceInput::builder()
        .cluster(&plan.cluster)
        .service_name(service_name(&plan.app))
        .task_definition(&plan.task_definition_arn)
        .desired_count(plan.desired_count)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network(plan)?)
        .load_balancers(load_balancer(plan))
        .health_check_grace_period_seconds(plan.health_check_grace_secs)
        .deployment_configuration(deployment_configuration())
        .propagate_tags(PropagateTags::Service)
        .enable_ecs_managed_tags(true)
        .tags(aws_sdk_ecs::types::Tag::builder().key(MANAGED_TAG).value("true").build())
        .tags(aws_sdk_ecs::types::Tag::builder().key(APP_TAG).value(&plan.app).build())
        .build()
        .map_err(|e| e.to_string())
}

pub fn update_service(plan: &ServicePlan) -> Result<UpdateServiceInput, String> {
    UpdateServiceInput::builder()
        .cluster(&plan.cluster)
        .service(service_name(&plan.app))
        .task_definition(&plan.task_definition_arn)
        .desired_count(plan.desired_count)
        .network_configuration(network(plan)?)
        .load_balancers(load_balancer(plan))
        .health_check_grace_period_seconds(plan.health_check_grace_secs)
        .deployment_configuration(deployment_configuration())
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> TaskPlan {
        TaskPlan {
            app: "shop".into(),
            image: "123.dkr.ecr.us-east-1.amazonaws.com/shop:abc".into(),
            port: 8080,
            size: TaskSize::parse(512, 1024).unwrap(),
            env: vec![("A".into(), "1".into())],
            secrets: vec![("DB".into(), "arn:aws:ssm:us-east-1:123:parameter/shop/db".into())],
            execution_role_arn: "arn:aws:iam::123:role/slipway-task-execution".into(),
            log_group: "/slipway/shop".into(),
            region: "us-east-1".into(),
            health_command: None,
        }
    }

    #[test]
    fn task_definition_for_fargate() {
        let input = task_definition(&plan()).unwrap();
        assert_eq!(input.family(), Some("slipway-shop"));
        assert_eq!(input.requires_compatibilities(), [Compatibility::Fargate]);
        assert_eq!(input.network_mode(), Some(&NetworkMode::Awsvpc), "Fargate requires awsvpc");
        assert_eq!((input.cpu(), input.memory()), (Some("512"), Some("1024")), "sizes are strings of units/MiB");
        let container = &input.container_definitions()[0];
        assert_eq!(container.essential(), Some(true));
        assert_eq!(container.memory(), Some(1024));
        assert_eq!(container.port_mappings()[0].container_port(), Some(8080));
        assert_eq!(container.environment()[0].name(), Some("A"));
        assert_eq!(container.secrets()[0].value_from(), "arn:aws:ssm:us-east-1:123:parameter/shop/db");
        let logs = container.log_configuration().unwrap();
        assert_eq!(logs.log_driver(), &LogDriver::Awslogs);
        assert_eq!(logs.options().unwrap()["awslogs-group"], "/slipway/shop");
        assert!(input.tags().iter().any(|t| t.key() == Some(MANAGED_TAG)));
        assert!(container.health_check().is_none());
        let checked =
            task_definition(&TaskPlan { health_command: Some("curl -fsS localhost:8080/ || exit 1".into()), ..plan() })
                .unwrap();
        assert_eq!(checked.container_definitions()[0].health_check().unwrap().command()[0], "CMD-SHELL");
    }

    #[test]
    fn target_group_names_fit_aws_limits() {
        assert_eq!(target_group_name("shop"), "slw-shop");
        let long = "a-very-long-application-name-for-billing";
        let name = target_group_name(long);
        assert!(name.len() <= 32, "{name}");
        assert!(!name.starts_with('-') && !name.ends_with('-'));
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'), "{name}");
        assert_ne!(name, target_group_name("a-very-long-application-name-for-payroll"), "no collisions by truncation");
    }

    #[test]
    fn target_group_request() {
        let input = target_group("shop", "prod", "vpc-1", 8080, "/healthz", TargetGroupSettings::default()).unwrap();
        assert_eq!(input.target_type(), Some(&TargetTypeEnum::Ip));
        assert_eq!(input.health_check_path(), Some("/healthz"));
        assert_eq!(input.health_check_interval_seconds(), Some(10));
        assert!(input.health_check_timeout_seconds().unwrap() < input.health_check_interval_seconds().unwrap());
        assert_eq!(input.healthy_threshold_count(), Some(2));
        let delay = &target_group_attributes(TargetGroupSettings::default())[0];
        assert_eq!((delay.key(), delay.value()), (Some("deregistration_delay.timeout_seconds"), Some("30")));
        let bad = TargetGroupSettings { interval_secs: 3, ..TargetGroupSettings::default() };
        assert!(target_group("shop", "prod", "vpc-1", 8080, "/", bad).is_err());
    }

    #[test]
    fn rules_take_the_lowest_free_priority() {
        assert_eq!(free_priority(&[]), Some(1));
        assert_eq!(free_priority(&[1, 2, 4]), Some(3));
        let rule = listener_rule("arn:listener", 3, "shop.apps.example.com", "arn:tg", "shop").unwrap();
        assert_eq!(rule.priority(), Some(3));
        assert_eq!(rule.conditions()[0].field(), Some("host-header"));
        assert_eq!(rule.conditions()[0].host_header_config().unwrap().values(), ["shop.apps.example.com"]);
        assert_eq!(rule.actions()[0].target_group_arn(), Some("arn:tg"));
    }

    fn service_plan() -> ServicePlan {
        ServicePlan {
            app: "shop".into(),
            cluster: "slipway-prod".into(),
            task_definition_arn: "arn:td:2".into(),
            desired_count: 2,
            subnets: vec!["subnet-a".into(), "subnet-b".into()],
            security_group: "sg-tasks".into(),
            public_ip: true,
            target_group_arn: "arn:tg".into(),
            container_port: 8080,
            health_check_grace_secs: 60,
        }
    }

    #[test]
    fn services_roll_100_200_with_the_circuit_breaker() {
        let input = create_service(&service_plan()).unwrap();
        assert_eq!(input.launch_type(), Some(&LaunchType::Fargate));
        let config = input.deployment_configuration().unwrap();
        assert_eq!((config.minimum_healthy_percent(), config.maximum_percent()), (Some(100), Some(200)));
        let breaker = config.deployment_circuit_breaker().unwrap();
        assert!(breaker.enable() && breaker.rollback());
        let vpc = input.network_configuration().unwrap().awsvpc_configuration().unwrap();
        assert_eq!(vpc.security_groups(), ["sg-tasks"], "tasks get the tasks' security group (moto needs it too)");
        assert_eq!(vpc.assign_public_ip(), Some(&AssignPublicIp::Enabled));
        let lb = &input.load_balancers()[0];
        assert_eq!(
            (lb.container_name(), lb.container_port()),
            (Some("shop"), Some(8080)),
            "the container of the task definition"
        );
        assert_eq!(input.health_check_grace_period_seconds(), Some(60));
        let update = update_service(&service_plan()).unwrap();
        assert_eq!(
            (update.service(), update.task_definition(), update.desired_count()),
            (Some("shop"), Some("arn:td:2"), Some(2))
        );
    }
}
