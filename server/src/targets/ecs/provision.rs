//! Provisioning, idempotent: every resource is looked up before it is
//! created, compared with what it should be, and changed only where it
//! differs. The same code makes the plan: with `apply` off, nothing is
//! changed and each resource is listed as create / update (with the fields)
//! / unchanged.
//!
//! Shared by a target's apps: the network (VPC and subnets, discovered when
//! not given), the load balancer's and the tasks' security groups, the task
//! execution role, the cluster, the load balancer and its listeners.
//! Per app: the ECR repository and its lifecycle policy, the log group, the
//! tasks' ingress on the app's port, the target group and the host rule.

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, ResourceType, TagSpecification, UserIdGroupPair};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, FixedResponseActionConfig, HostHeaderConditionConfig, Listener,
    LoadBalancerSchemeEnum, LoadBalancerTypeEnum, ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum,
    RuleCondition,
};
use serde::{Deserialize, Serialize};

use super::clients::{Aws, AwsError, failed, unless_missing};
use super::requests::{self, APP_TAG, MANAGED_TAG, TargetGroupSettings};
use super::target::AwsTarget;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanAction {
    Create,
    Update,
    Unchanged,
}

/// One AWS resource in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItem {
    pub resource: String,
    pub name: String,
    pub action: PlanAction,
    /// For updates: what changes, e.g. "retention: 7 → 30 days".
    pub changes: Vec<String>,
}

impl PlanItem {
    /// "create ECR repository slipway/shop", for the deployment log.
    pub fn describe(&self) -> String {
        let verb = match self.action {
            PlanAction::Create => "created",
            PlanAction::Update => "updated",
            PlanAction::Unchanged => "unchanged",
        };
        let changes = if self.changes.is_empty() { String::new() } else { format!(" ({})", self.changes.join("; ")) };
        format!("{} {}: {verb}{changes}", self.resource, self.name)
    }
}

/// The shared resources of a target. In a plan, what doesn't exist yet is `None`.
#[derive(Debug, Clone, Default)]
pub struct Shared {
    pub vpc_id: String,
    pub subnets: Vec<String>,
    pub alb_security_group: Option<String>,
    pub tasks_security_group: Option<String>,
    pub execution_role_arn: Option<String>,
    pub cluster_arn: Option<String>,
    pub load_balancer_arn: Option<String>,
    pub load_balancer_dns: Option<String>,
    /// The listener host rules go on: HTTPS with a certificate, else HTTP.
    pub listener_arn: Option<String>,
    /// The load balancer's other listeners: host rules found there (e.g.
    /// left on HTTP after a certificate was added) are removed.
    pub other_listeners: Vec<String>,
}

/// What an app needs from its target group and rule.
#[derive(Debug, Clone)]
pub struct AppNeeds {
    pub app: String,
    pub port: u16,
    pub health_path: String,
    pub settings: TargetGroupSettings,
}

#[derive(Debug, Clone, Default)]
pub struct AppResources {
    pub repository_uri: Option<String>,
    pub log_group: String,
    pub target_group_arn: Option<String>,
}

pub const EXECUTION_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
const SECRETS_POLICY_NAME: &str = "slipway-secrets";

pub fn alb_security_group_name(target: &str) -> String {
    format!("slipway-{target}-alb")
}

pub fn tasks_security_group_name(target: &str) -> String {
    format!("slipway-{target}-tasks")
}

pub fn execution_role_name(target: &str) -> String {
    format!("slipway-{target}-execution")
}

pub fn repository_name(app: &str) -> String {
    format!("slipway/{app}")
}

pub fn log_group_name(app: &str) -> String {
    format!("/slipway/{app}")
}

/// ECR lifecycle policy: untagged images expire after a day; of the rest, the newest `keep` stay.
pub fn lifecycle_policy(keep: u32) -> String {
    serde_json::json!({
        "rules": [
            {
                "rulePriority": 1,
                "description": "Expire untagged images after a day",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
                "action": {"type": "expire"}
            },
            {
                "rulePriority": 2,
                "description": format!("Keep the newest {keep} images"),
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
                "action": {"type": "expire"}
            }
        ]
    })
    .to_string()
}

/// Trust policy: ECS tasks may assume the execution role.
pub fn execution_trust_policy() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

/// The execution role may read the app secrets Slipway stores (SSM under /slipway/) and Secrets Manager secrets named slipway/….
pub fn secrets_policy() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": "arn:aws:ssm:*:*:parameter/slipway/*"},
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": "arn:aws:secretsmanager:*:*:secret:slipway/*"}
        ]
    })
    .to_string()
}

/// Ingress of the load balancer's group: HTTP and HTTPS from anywhere.
pub fn alb_ingress() -> Vec<IpPermission> {
    [80, 443]
        .into_iter()
        .map(|port| {
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(port)
                .to_port(port)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").description("HTTP(S) from anywhere").build())
                .build()
        })
        .collect()
}

/// Ingress of the tasks' group: the app's port, from the load balancer's group only.
pub fn tasks_ingress(port: u16, alb_group: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(i32::from(port))
        .to_port(i32::from(port))
        .user_id_group_pairs(
            UserIdGroupPair::builder().group_id(alb_group).description("from the Slipway load balancer").build(),
        )
        .build()
}

/// Whether `rule` is already among `existing` (same protocol, ports and sources).
pub fn has_permission(existing: &[IpPermission], rule: &IpPermission) -> bool {
    existing.iter().any(|e| {
        e.ip_protocol() == rule.ip_protocol()
            && e.from_port() == rule.from_port()
            && e.to_port() == rule.to_port()
            && rule.ip_ranges().iter().all(|r| e.ip_ranges().iter().any(|x| x.cidr_ip() == r.cidr_ip()))
            && rule
                .user_id_group_pairs()
                .iter()
                .all(|g| e.user_id_group_pairs().iter().any(|x| x.group_id() == g.group_id()))
    })
}

fn describe_permission(rule: &IpPermission) -> String {
    let from: Vec<&str> = rule
        .ip_ranges()
        .iter()
        .filter_map(|r| r.cidr_ip())
        .chain(rule.user_id_group_pairs().iter().filter_map(|g| g.group_id()))
        .collect();
    format!("ingress tcp/{} from {}", rule.from_port().unwrap_or_default(), from.join(", "))
}

fn ec2_tags(resource: ResourceType, name: &str, app: Option<&str>) -> TagSpecification {
    let mut spec = TagSpecification::builder()
        .resource_type(resource)
        .tags(aws_sdk_ec2::types::Tag::builder().key(MANAGED_TAG).value("true").build())
        .tags(aws_sdk_ec2::types::Tag::builder().key("Name").value(name).build());
    if let Some(app) = app {
        spec = spec.tags(aws_sdk_ec2::types::Tag::builder().key(APP_TAG).value(app).build());
    }
    spec.build()
}

fn elb_tag(key: &str, value: &str) -> aws_sdk_elasticloadbalancingv2::types::Tag {
    aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(key).value(value).build()
}

/// The listener's default action when no host rule matches.
pub fn no_app_action() -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(
            FixedResponseActionConfig::builder()
                .status_code("404")
                .content_type("text/plain")
                .message_body("No app is deployed at this address.")
                .build(),
        )
        .build()
}

pub fn redirect_to_https() -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(
            RedirectActionConfig::builder()
                .protocol("HTTPS")
                .port("443")
                .status_code(RedirectActionStatusCodeEnum::Http301)
                .build(),
        )
        .build()
}

fn action_kind(listener: &Listener) -> Option<&ActionTypeEnum> {
    listener.default_actions().first().and_then(|a| a.r#type())
}

/// Looks up, compares and (when applying) converges the resources.
pub struct Provisioner<'a> {
    aws: &'a Aws,
    target: &'a AwsTarget,
    apply: bool,
    pub items: Vec<PlanItem>,
}

impl<'a> Provisioner<'a> {
    /// Changes AWS to match.
    pub fn apply(aws: &'a Aws, target: &'a AwsTarget) -> Self {
        Self { aws, target, apply: true, items: Vec::new() }
    }

    /// Only looks: the items say what `apply` would do.
    pub fn plan(aws: &'a Aws, target: &'a AwsTarget) -> Self {
        Self { aws, target, apply: false, items: Vec::new() }
    }

    fn note(&mut self, resource: &str, name: &str, action: PlanAction, changes: Vec<String>) {
        self.items.push(PlanItem { resource: resource.into(), name: name.into(), action, changes });
    }

    /// The target's shared resources.
    pub async fn shared(&mut self) -> Result<Shared, AwsError> {
        let (vpc_id, subnets) = self.network().await?;
        let alb_security_group = self.alb_security_group(&vpc_id).await?;
        let tasks_security_group = self.tasks_security_group(&vpc_id).await?;
        let execution_role_arn = self.execution_role().await?;
        let cluster_arn = self.cluster().await?;
        let (load_balancer_arn, load_balancer_dns) =
            self.load_balancer(&subnets, alb_security_group.as_deref()).await?;
        let (listener_arn, other_listeners) = self.listeners(load_balancer_arn.as_deref()).await?;
        Ok(Shared {
            vpc_id,
            subnets,
            alb_security_group,
            tasks_security_group,
            execution_role_arn,
            cluster_arn,
            load_balancer_arn,
            load_balancer_dns,
            listener_arn,
            other_listeners,
        })
    }

    /// The VPC and subnets: configured, or the region's default VPC and its subnets.
    async fn network(&mut self) -> Result<(String, Vec<String>), AwsError> {
        let vpc_id = match &self.target.vpc_id {
            Some(vpc) => vpc.clone(),
            None => {
                let vpcs = self
                    .aws
                    .ec2
                    .describe_vpcs()
                    .filters(Filter::builder().name("isDefault").values("true").build())
                    .send()
                    .await
                    .map_err(failed("ec2:DescribeVpcs"))?;
                vpcs.vpcs().first().and_then(|v| v.vpc_id()).map(str::to_owned).ok_or_else(|| {
                    AwsError::new(
                        "ec2:DescribeVpcs",
                        format!(
                            "The region {} has no default VPC; set the target's VPC and subnets.",
                            self.target.region
                        ),
                    )
                })?
            }
        };
        if !self.target.subnets.is_empty() {
            return Ok((vpc_id, self.target.subnets.clone()));
        }
        let found = self
            .aws
            .ec2
            .describe_subnets()
            .filters(Filter::builder().name("vpc-id").values(&vpc_id).build())
            .send()
            .await
            .map_err(failed("ec2:DescribeSubnets"))?;
        // One subnet per availability zone is what a load balancer takes.
        let mut zones = std::collections::BTreeMap::new();
        for subnet in found.subnets() {
            if let (Some(zone), Some(id)) = (subnet.availability_zone(), subnet.subnet_id()) {
                zones.entry(zone.to_owned()).or_insert_with(|| id.to_owned());
            }
        }
        let subnets: Vec<String> = zones.into_values().collect();
        if subnets.len() < 2 {
            return Err(AwsError::new(
                "ec2:DescribeSubnets",
                format!(
                    "The VPC {vpc_id} has subnets in fewer than two availability zones; a load balancer needs two. Set the target's subnets."
                ),
            ));
        }
        Ok((vpc_id, subnets))
    }

    async fn find_security_group(
        &self,
        vpc_id: &str,
        name: &str,
    ) -> Result<Option<aws_sdk_ec2::types::SecurityGroup>, AwsError> {
        let found = self
            .aws
            .ec2
            .describe_security_groups()
            .filters(Filter::builder().name("group-name").values(name).build())
            .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
            .send()
            .await
            .map_err(failed("ec2:DescribeSecurityGroups"))?;
        Ok(found.security_groups().first().cloned())
    }

    /// A security group with (at least) the given ingress rules.
    async fn security_group(
        &mut self,
        vpc_id: &str,
        name: &str,
        description: &str,
        ingress: Vec<IpPermission>,
        app: Option<&str>,
    ) -> Result<Option<String>, AwsError> {
        let existing = self.find_security_group(vpc_id, name).await?;
        let have: Vec<IpPermission> = existing.as_ref().map(|g| g.ip_permissions().to_vec()).unwrap_or_default();
        let missing: Vec<IpPermission> = ingress.into_iter().filter(|rule| !has_permission(&have, rule)).collect();
        let changes: Vec<String> = missing.iter().map(describe_permission).collect();
        let id = match existing.and_then(|g| g.group_id().map(str::to_owned)) {
            Some(id) => {
                let action = if missing.is_empty() { PlanAction::Unchanged } else { PlanAction::Update };
                self.note("security group", name, action, changes);
                id
            }
            None => {
                self.note("security group", name, PlanAction::Create, changes);
                if !self.apply {
                    return Ok(None);
                }
                let created = self
                    .aws
                    .ec2
                    .create_security_group()
                    .group_name(name)
                    .description(description)
                    .vpc_id(vpc_id)
                    .tag_specifications(ec2_tags(ResourceType::SecurityGroup, name, app))
                    .send()
                    .await
                    .map_err(failed("ec2:CreateSecurityGroup"))?;
                created.group_id().map(str::to_owned).ok_or_else(|| {
                    AwsError::new("ec2:CreateSecurityGroup", "AWS created the security group without an id.")
                })?
            }
        };
        if self.apply {
            for rule in missing {
                self.authorize(&id, rule).await?;
            }
        }
        Ok(Some(id))
    }

    async fn authorize(&self, group: &str, rule: IpPermission) -> Result<(), AwsError> {
        match self.aws.ec2.authorize_security_group_ingress().group_id(group).ip_permissions(rule).send().await {
            Ok(_) => Ok(()),
            Err(error) => {
                let error = super::clients::refused("ec2:AuthorizeSecurityGroupIngress", error);
                // Added by a concurrent run: converged.
                if error.is("InvalidPermission.Duplicate") { Ok(()) } else { Err(error) }
            }
        }
    }

    async fn alb_security_group(&mut self, vpc_id: &str) -> Result<Option<String>, AwsError> {
        let name = alb_security_group_name(&self.target.name);
        self.security_group(vpc_id, &name, "Slipway load balancer: HTTP and HTTPS from anywhere", alb_ingress(), None)
            .await
    }

    /// The tasks' group; each app adds its port from the load balancer's group.
    async fn tasks_security_group(&mut self, vpc_id: &str) -> Result<Option<String>, AwsError> {
        let name = tasks_security_group_name(&self.target.name);
        self.security_group(vpc_id, &name, "Slipway tasks: app ports from the Slipway load balancer only", vec![], None)
            .await
    }

    /// The configured execution role, or Slipway's own (created with the
    /// managed execution policy and read access to the app secrets).
    async fn execution_role(&mut self) -> Result<Option<String>, AwsError> {
        if let Some(arn) = &self.target.execution_role_arn {
            self.note("IAM role (configured)", arn, PlanAction::Unchanged, vec![]);
            return Ok(Some(arn.clone()));
        }
        let name = execution_role_name(&self.target.name);
        let iam = &self.aws.iam;
        let existing = unless_missing("iam:GetRole", "NoSuchEntity", iam.get_role().role_name(&name).send().await)?
            .and_then(|found| found.role().map(|r| r.arn().to_owned()));
        let mut changes = Vec::new();
        let arn = match existing {
            Some(arn) => {
                let attached = iam
                    .list_attached_role_policies()
                    .role_name(&name)
                    .send()
                    .await
                    .map_err(failed("iam:ListAttachedRolePolicies"))?;
                if !attached.attached_policies().iter().any(|p| p.policy_arn() == Some(EXECUTION_POLICY)) {
                    changes.push("attach AmazonECSTaskExecutionRolePolicy".to_owned());
                }
                let inline = iam.get_role_policy().role_name(&name).policy_name(SECRETS_POLICY_NAME).send().await;
                let current = inline.ok().map(|p| p.policy_document().to_owned());
                let same = current.as_deref().is_some_and(|doc| same_json(doc, &secrets_policy()));
                if !same {
                    changes.push("secrets read policy".to_owned());
                }
                let action = if changes.is_empty() { PlanAction::Unchanged } else { PlanAction::Update };
                self.note("IAM role", &name, action, changes.clone());
                Some(arn)
            }
            None => {
                changes = vec!["attach AmazonECSTaskExecutionRolePolicy".into(), "secrets read policy".into()];
                self.note("IAM role", &name, PlanAction::Create, changes.clone());
                if !self.apply {
                    return Ok(None);
                }
                let tag = |k: &str, v: &str| {
                    aws_sdk_iam::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .map_err(|e| AwsError::new("iam:CreateRole", e.to_string()))
                };
                let created = iam
                    .create_role()
                    .role_name(&name)
                    .description("Lets ECS pull Slipway's images, write logs and read app secrets")
                    .assume_role_policy_document(execution_trust_policy())
                    .tags(tag(MANAGED_TAG, "true")?)
                    .send()
                    .await
                    .map_err(failed("iam:CreateRole"))?;
                created.role().map(|r| r.arn().to_owned())
            }
        };
        if self.apply {
            if changes.iter().any(|c| c.starts_with("attach")) {
                iam.attach_role_policy()
                    .role_name(&name)
                    .policy_arn(EXECUTION_POLICY)
                    .send()
                    .await
                    .map_err(failed("iam:AttachRolePolicy"))?;
            }
            if changes.iter().any(|c| c.starts_with("secrets")) {
                iam.put_role_policy()
                    .role_name(&name)
                    .policy_name(SECRETS_POLICY_NAME)
                    .policy_document(secrets_policy())
                    .send()
                    .await
                    .map_err(failed("iam:PutRolePolicy"))?;
            }
        }
        Ok(arn)
    }

    async fn cluster(&mut self) -> Result<Option<String>, AwsError> {
        let name = self.target.cluster.clone();
        let found =
            self.aws.ecs.describe_clusters().clusters(&name).send().await.map_err(failed("ecs:DescribeClusters"))?;
        if let Some(cluster) = found.clusters().iter().find(|c| c.status() == Some("ACTIVE")) {
            self.note("ECS cluster", &name, PlanAction::Unchanged, vec![]);
            return Ok(cluster.cluster_arn().map(str::to_owned));
        }
        self.note("ECS cluster", &name, PlanAction::Create, vec!["capacity provider FARGATE".into()]);
        if !self.apply {
            return Ok(None);
        }
        let created = self
            .aws
            .ecs
            .create_cluster()
            .cluster_name(&name)
            .capacity_providers("FARGATE")
            .tags(aws_sdk_ecs::types::Tag::builder().key(MANAGED_TAG).value("true").build())
            .send()
            .await
            .map_err(failed("ecs:CreateCluster"))?;
        Ok(created.cluster().and_then(|c| c.cluster_arn()).map(str::to_owned))
    }

    async fn load_balancer(
        &mut self,
        subnets: &[String],
        security_group: Option<&str>,
    ) -> Result<(Option<String>, Option<String>), AwsError> {
        let name = self.target.load_balancer.clone();
        match self.aws.elb.describe_load_balancers().names(&name).send().await {
            Ok(found) => {
                if let Some(lb) = found.load_balancers().first() {
                    let mut changes = Vec::new();
                    if let Some(group) = security_group
                        && !lb.security_groups().iter().any(|g| g == group)
                    {
                        changes.push(format!("security group {group}"));
                    }
                    let action = if changes.is_empty() { PlanAction::Unchanged } else { PlanAction::Update };
                    self.note("load balancer", &name, action, changes.clone());
                    let arn = lb.load_balancer_arn().map(str::to_owned);
                    if self.apply
                        && !changes.is_empty()
                        && let (Some(arn), Some(group)) = (&arn, security_group)
                    {
                        let mut groups: Vec<String> = lb.security_groups().to_vec();
                        groups.push(group.to_owned());
                        self.aws
                            .elb
                            .set_security_groups()
                            .load_balancer_arn(arn)
                            .set_security_groups(Some(groups))
                            .send()
                            .await
                            .map_err(failed("elasticloadbalancing:SetSecurityGroups"))?;
                    }
                    return Ok((arn, lb.dns_name().map(str::to_owned)));
                }
            }
            Err(error) => {
                let error = super::clients::refused("elasticloadbalancing:DescribeLoadBalancers", error);
                if !error.is("LoadBalancerNotFound") {
                    return Err(error);
                }
            }
        }
        self.note(
            "load balancer",
            &name,
            PlanAction::Create,
            vec![format!("internet-facing, application, {} subnets", subnets.len())],
        );
        if !self.apply {
            return Ok((None, None));
        }
        let group = security_group.ok_or_else(|| {
            AwsError::new("ec2:CreateSecurityGroup", "The load balancer's security group is missing.")
        })?;
        let created = self
            .aws
            .elb
            .create_load_balancer()
            .name(&name)
            .set_subnets(Some(subnets.to_vec()))
            .security_groups(group)
            .scheme(LoadBalancerSchemeEnum::InternetFacing)
            .r#type(LoadBalancerTypeEnum::Application)
            .tags(elb_tag(MANAGED_TAG, "true"))
            .send()
            .await
            .map_err(failed("elasticloadbalancing:CreateLoadBalancer"))?;
        let lb = created.load_balancers().first();
        Ok((
            lb.and_then(|l| l.load_balancer_arn()).map(str::to_owned),
            lb.and_then(|l| l.dns_name()).map(str::to_owned),
        ))
    }

    /// HTTP:80 (404 for unknown hosts, or a redirect to HTTPS with a
    /// certificate) and HTTPS:443 with the certificate. Returns the listener
    /// that carries the host rules.
    async fn listeners(&mut self, load_balancer: Option<&str>) -> Result<(Option<String>, Vec<String>), AwsError> {
        let existing: Vec<Listener> = match load_balancer {
            Some(arn) => self
                .aws
                .elb
                .describe_listeners()
                .load_balancer_arn(arn)
                .send()
                .await
                .map_err(failed("elasticloadbalancing:DescribeListeners"))?
                .listeners()
                .to_vec(),
            None => vec![],
        };
        let certificate = self.target.certificate_arn.clone();
        let http_action = if certificate.is_some() { redirect_to_https() } else { no_app_action() };
        let http = self.listener(load_balancer, &existing, 80, ProtocolEnum::Http, http_action, None).await?;
        let rules_on = match certificate {
            Some(cert) => {
                self.listener(load_balancer, &existing, 443, ProtocolEnum::Https, no_app_action(), Some(&cert)).await?
            }
            None => http,
        };
        let others = existing
            .iter()
            .filter_map(|l| l.listener_arn())
            .filter(|arn| Some(*arn) != rules_on.as_deref())
            .map(str::to_owned)
            .collect();
        Ok((rules_on, others))
    }

    async fn listener(
        &mut self,
        load_balancer: Option<&str>,
        existing: &[Listener],
        port: i32,
        protocol: ProtocolEnum,
        default_action: Action,
        certificate: Option<&str>,
    ) -> Result<Option<String>, AwsError> {
        let name = format!("{} {port}", protocol.as_str());
        let found = existing.iter().find(|l| l.port() == Some(port));
        match found {
            Some(listener) => {
                let mut changes = Vec::new();
                if listener.protocol() != Some(&protocol) {
                    changes.push(format!("protocol → {}", protocol.as_str()));
                }
                if action_kind(listener) != default_action.r#type() {
                    changes.push(format!(
                        "default action → {}",
                        default_action.r#type().map(|t| t.as_str()).unwrap_or_default()
                    ));
                }
                if let Some(cert) = certificate
                    && !listener.certificates().iter().any(|c| c.certificate_arn() == Some(cert))
                {
                    changes.push(format!("certificate → {cert}"));
                }
                let action = if changes.is_empty() { PlanAction::Unchanged } else { PlanAction::Update };
                self.note("listener", &name, action, changes.clone());
                let arn = listener.listener_arn().map(str::to_owned);
                if self.apply && !changes.is_empty() {
                    self.aws
                        .elb
                        .modify_listener()
                        .set_listener_arn(arn.clone())
                        .protocol(protocol)
                        .port(port)
                        .default_actions(default_action)
                        .set_certificates(certificate.map(|c| vec![Certificate::builder().certificate_arn(c).build()]))
                        .send()
                        .await
                        .map_err(failed("elasticloadbalancing:ModifyListener"))?;
                }
                Ok(arn)
            }
            None => {
                self.note("listener", &name, PlanAction::Create, vec![]);
                let Some(load_balancer) = load_balancer.filter(|_| self.apply) else {
                    return Ok(None);
                };
                let mut request = self
                    .aws
                    .elb
                    .create_listener()
                    .load_balancer_arn(load_balancer)
                    .protocol(protocol)
                    .port(port)
                    .default_actions(default_action)
                    .tags(elb_tag(MANAGED_TAG, "true"));
                if let Some(cert) = certificate {
                    request = request
                        .certificates(Certificate::builder().certificate_arn(cert).build())
                        .ssl_policy("ELBSecurityPolicy-TLS13-1-2-2021-06");
                }
                let created = request.send().await.map_err(failed("elasticloadbalancing:CreateListener"))?;
                Ok(created.listeners().first().and_then(|l| l.listener_arn()).map(str::to_owned))
            }
        }
    }

    /// The app's own resources.
    pub async fn app(&mut self, shared: &Shared, needs: &AppNeeds) -> Result<AppResources, AwsError> {
        let repository_uri = self.repository(&needs.app).await?;
        let log_group = self.log_group(&needs.app).await?;
        self.app_ingress(shared, needs.port).await?;
        let target_group_arn = self.target_group(&shared.vpc_id, needs).await?;
        self.rule(shared.listener_arn.as_deref(), target_group_arn.as_deref(), needs).await?;
        if let Some(group) = &target_group_arn {
            self.stale_rules(&shared.other_listeners, group, &needs.app).await?;
        }
        Ok(AppResources { repository_uri, log_group, target_group_arn })
    }

    /// The tasks' group lets the load balancer's group reach the app's port.
    async fn app_ingress(&mut self, shared: &Shared, port: u16) -> Result<(), AwsError> {
        let name = format!("{} tcp/{port}", tasks_security_group_name(&self.target.name));
        let (Some(tasks), Some(alb)) = (&shared.tasks_security_group, &shared.alb_security_group) else {
            self.note("security group rule", &name, PlanAction::Create, vec!["from the load balancer's group".into()]);
            return Ok(());
        };
        let rule = tasks_ingress(port, alb);
        let found = self
            .aws
            .ec2
            .describe_security_groups()
            .group_ids(tasks)
            .send()
            .await
            .map_err(failed("ec2:DescribeSecurityGroups"))?;
        let have: Vec<IpPermission> =
            found.security_groups().first().map(|g| g.ip_permissions().to_vec()).unwrap_or_default();
        if has_permission(&have, &rule) {
            self.note("security group rule", &name, PlanAction::Unchanged, vec![]);
            return Ok(());
        }
        self.note("security group rule", &name, PlanAction::Create, vec!["from the load balancer's group".into()]);
        if self.apply {
            self.authorize(tasks, rule).await?;
        }
        Ok(())
    }

    /// The ECR repository of an app, with its lifecycle policy.
    pub async fn repository(&mut self, app: &str) -> Result<Option<String>, AwsError> {
        let name = repository_name(app);
        let ecr = &self.aws.ecr;
        let existing = unless_missing(
            "ecr:DescribeRepositories",
            "RepositoryNotFoundException",
            ecr.describe_repositories().repository_names(&name).send().await,
        )?
        .and_then(|found| found.repositories().first().and_then(|r| r.repository_uri()).map(str::to_owned));
        let policy = lifecycle_policy(self.target.keep_images);
        let uri = match existing {
            Some(uri) => {
                let current = unless_missing(
                    "ecr:GetLifecyclePolicy",
                    "LifecyclePolicyNotFoundException",
                    ecr.get_lifecycle_policy().repository_name(&name).send().await,
                )?
                .and_then(|found| found.lifecycle_policy_text().map(str::to_owned));
                if current.as_deref().is_some_and(|c| same_json(c, &policy)) {
                    self.note("ECR repository", &name, PlanAction::Unchanged, vec![]);
                    return Ok(Some(uri));
                }
                self.note(
                    "ECR repository",
                    &name,
                    PlanAction::Update,
                    vec![format!("lifecycle: keep the newest {} images", self.target.keep_images)],
                );
                Some(uri)
            }
            None => {
                self.note(
                    "ECR repository",
                    &name,
                    PlanAction::Create,
                    vec![format!("lifecycle: keep the newest {} images", self.target.keep_images)],
                );
                if !self.apply {
                    return Ok(None);
                }
                let tag = |k: &str, v: &str| {
                    aws_sdk_ecr::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .map_err(|e| AwsError::new("ecr:CreateRepository", e.to_string()))
                };
                let created = ecr
                    .create_repository()
                    .repository_name(&name)
                    .tags(tag(MANAGED_TAG, "true")?)
                    .tags(tag(APP_TAG, app)?)
                    .send()
                    .await
                    .map_err(failed("ecr:CreateRepository"))?;
                created.repository().and_then(|r| r.repository_uri()).map(str::to_owned)
            }
        };
        if self.apply {
            ecr.put_lifecycle_policy()
                .repository_name(&name)
                .lifecycle_policy_text(policy)
                .send()
                .await
                .map_err(failed("ecr:PutLifecyclePolicy"))?;
        }
        Ok(uri)
    }

    async fn log_group(&mut self, app: &str) -> Result<String, AwsError> {
        let name = log_group_name(app);
        let days = i32::try_from(self.target.log_retention_days).unwrap_or(30);
        let found = self
            .aws
            .logs
            .describe_log_groups()
            .log_group_name_prefix(&name)
            .send()
            .await
            .map_err(failed("logs:DescribeLogGroups"))?;
        let existing = found.log_groups().iter().find(|g| g.log_group_name() == Some(name.as_str()));
        let create = existing.is_none();
        let retention = existing.and_then(|g| g.retention_in_days());
        if create {
            self.note("log group", &name, PlanAction::Create, vec![format!("retention {days} days")]);
        } else if retention != Some(days) {
            let was = retention.map(|d| format!("{d} days")).unwrap_or_else(|| "forever".into());
            self.note("log group", &name, PlanAction::Update, vec![format!("retention: {was} → {days} days")]);
        } else {
            self.note("log group", &name, PlanAction::Unchanged, vec![]);
        }
        if self.apply {
            if create {
                self.aws
                    .logs
                    .create_log_group()
                    .log_group_name(&name)
                    .tags(MANAGED_TAG, "true")
                    .tags(APP_TAG, app)
                    .send()
                    .await
                    .map_err(failed("logs:CreateLogGroup"))?;
            }
            if retention != Some(days) {
                self.aws
                    .logs
                    .put_retention_policy()
                    .log_group_name(&name)
                    .retention_in_days(days)
                    .send()
                    .await
                    .map_err(failed("logs:PutRetentionPolicy"))?;
            }
        }
        Ok(name)
    }

    async fn target_group(&mut self, vpc_id: &str, needs: &AppNeeds) -> Result<Option<String>, AwsError> {
        let name = requests::target_group_name(&needs.app);
        let wanted = requests::target_group(
            &needs.app,
            &self.target.name,
            vpc_id,
            needs.port,
            &needs.health_path,
            needs.settings,
        )
        .map_err(|message| AwsError::new("elasticloadbalancing:CreateTargetGroup", message))?;
        let elb = &self.aws.elb;
        let existing = unless_missing(
            "elasticloadbalancing:DescribeTargetGroups",
            "TargetGroupNotFound",
            elb.describe_target_groups().names(&name).send().await,
        )?
        .and_then(|found| found.target_groups().first().cloned());
        let Some(group) = existing else {
            self.note(
                "target group",
                &name,
                PlanAction::Create,
                vec![format!(
                    "health GET {} every {} s, healthy after {}, drain {} s",
                    needs.health_path,
                    needs.settings.interval_secs,
                    needs.settings.healthy_threshold,
                    needs.settings.deregistration_delay_secs
                )],
            );
            if !self.apply {
                return Ok(None);
            }
            let created = elb
                .create_target_group()
                .set_name(wanted.name)
                .set_protocol(wanted.protocol)
                .set_port(wanted.port)
                .set_vpc_id(wanted.vpc_id)
                .set_target_type(wanted.target_type)
                .set_health_check_protocol(wanted.health_check_protocol)
                .set_health_check_path(wanted.health_check_path)
                .set_health_check_interval_seconds(wanted.health_check_interval_seconds)
                .set_health_check_timeout_seconds(wanted.health_check_timeout_seconds)
                .set_healthy_threshold_count(wanted.healthy_threshold_count)
                .set_unhealthy_threshold_count(wanted.unhealthy_threshold_count)
                .set_matcher(wanted.matcher)
                .set_tags(wanted.tags)
                .send()
                .await
                .map_err(failed("elasticloadbalancing:CreateTargetGroup"))?;
            let arn = created.target_groups().first().and_then(|g| g.target_group_arn()).map(str::to_owned);
            if let Some(arn) = &arn {
                self.set_attributes(arn, needs.settings).await?;
            }
            return Ok(arn);
        };
        let arn = group.target_group_arn().map(str::to_owned);
        let mut changes = Vec::new();
        let mut differs = |what: &str, have: Option<String>, want: Option<String>| {
            if have != want {
                changes.push(format!(
                    "{what}: {} → {}",
                    have.unwrap_or_else(|| "unset".into()),
                    want.unwrap_or_else(|| "unset".into())
                ));
            }
        };
        differs("health path", group.health_check_path().map(str::to_owned), wanted.health_check_path.clone());
        let num = |n: Option<i32>| n.map(|n| n.to_string());
        differs("interval", num(group.health_check_interval_seconds()), num(wanted.health_check_interval_seconds));
        differs("healthy threshold", num(group.healthy_threshold_count()), num(wanted.healthy_threshold_count));
        differs("unhealthy threshold", num(group.unhealthy_threshold_count()), num(wanted.unhealthy_threshold_count));
        let attributes = match &arn {
            Some(arn) => elb
                .describe_target_group_attributes()
                .target_group_arn(arn)
                .send()
                .await
                .map_err(failed("elasticloadbalancing:DescribeTargetGroupAttributes"))?
                .attributes()
                .to_vec(),
            None => vec![],
        };
        let delay = attributes
            .iter()
            .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
            .and_then(|a| a.value())
            .map(str::to_owned);
        let want_delay = needs.settings.deregistration_delay_secs.to_string();
        let delay_differs = delay.as_deref() != Some(want_delay.as_str());
        if delay_differs {
            changes.push(format!("drain: {} → {want_delay} s", delay.unwrap_or_else(|| "unset".into())));
        }
        let health_differs = changes.len() > usize::from(delay_differs);
        let action = if changes.is_empty() { PlanAction::Unchanged } else { PlanAction::Update };
        self.note("target group", &name, action, changes);
        if self.apply
            && let Some(arn) = &arn
        {
            if health_differs {
                elb.modify_target_group()
                    .target_group_arn(arn)
                    .set_health_check_path(wanted.health_check_path)
                    .set_health_check_interval_seconds(wanted.health_check_interval_seconds)
                    .set_health_check_timeout_seconds(wanted.health_check_timeout_seconds)
                    .set_healthy_threshold_count(wanted.healthy_threshold_count)
                    .set_unhealthy_threshold_count(wanted.unhealthy_threshold_count)
                    .send()
                    .await
                    .map_err(failed("elasticloadbalancing:ModifyTargetGroup"))?;
            }
            if delay_differs {
                self.set_attributes(arn, needs.settings).await?;
            }
        }
        Ok(arn)
    }

    async fn set_attributes(&self, arn: &str, settings: TargetGroupSettings) -> Result<(), AwsError> {
        self.aws
            .elb
            .modify_target_group_attributes()
            .target_group_arn(arn)
            .set_attributes(Some(requests::target_group_attributes(settings)))
            .send()
            .await
            .map_err(failed("elasticloadbalancing:ModifyTargetGroupAttributes"))?;
        Ok(())
    }

    /// Rules for the app on listeners that no longer carry host rules (HTTP
    /// once a certificate redirects it to HTTPS) are removed.
    async fn stale_rules(&mut self, listeners: &[String], target_group: &str, app: &str) -> Result<(), AwsError> {
        for listener in listeners {
            let rules = self
                .aws
                .elb
                .describe_rules()
                .listener_arn(listener)
                .send()
                .await
                .map_err(failed("elasticloadbalancing:DescribeRules"))?;
            for rule in rules.rules() {
                if rule.is_default() == Some(true)
                    || !rule.actions().iter().any(|a| a.target_group_arn() == Some(target_group))
                {
                    continue;
                }
                let host = self.target.app_host(app);
                self.note(
                    "listener rule",
                    &format!("host {host} (old listener)"),
                    PlanAction::Update,
                    vec!["removed: the listener now redirects to HTTPS".into()],
                );
                if self.apply
                    && let Some(arn) = rule.rule_arn()
                {
                    self.aws
                        .elb
                        .delete_rule()
                        .rule_arn(arn)
                        .send()
                        .await
                        .map_err(failed("elasticloadbalancing:DeleteRule"))?;
                }
            }
        }
        Ok(())
    }

    /// The host-header rule `<app>.<base domain>` → the app's target group,
    /// at the lowest free priority (retried if a concurrent run took it).
    async fn rule(
        &mut self,
        listener: Option<&str>,
        target_group: Option<&str>,
        needs: &AppNeeds,
    ) -> Result<(), AwsError> {
        let host = self.target.app_host(&needs.app);
        let name = format!("host {host}");
        let (Some(listener), Some(target_group)) = (listener, target_group) else {
            self.note("listener rule", &name, PlanAction::Create, vec![]);
            return Ok(());
        };
        for _attempt in 0..5 {
            let rules = self
                .aws
                .elb
                .describe_rules()
                .listener_arn(listener)
                .send()
                .await
                .map_err(failed("elasticloadbalancing:DescribeRules"))?
                .rules()
                .to_vec();
            let forwards_to_us = |r: &&aws_sdk_elasticloadbalancingv2::types::Rule| {
                r.actions().iter().any(|a| a.target_group_arn() == Some(target_group))
            };
            let hosts = |r: &aws_sdk_elasticloadbalancingv2::types::Rule| -> Vec<String> {
                r.conditions()
                    .iter()
                    .flat_map(|c| {
                        c.host_header_config().map(|h| h.values().to_vec()).unwrap_or_else(|| c.values().to_vec())
                    })
                    .collect()
            };
            if let Some(ours) = rules.iter().find(forwards_to_us) {
                let current = hosts(ours);
                if current == [host.clone()] {
                    self.note("listener rule", &name, PlanAction::Unchanged, vec![]);
                    return Ok(());
                }
                self.note(
                    "listener rule",
                    &name,
                    PlanAction::Update,
                    vec![format!("host: {} → {host}", current.join(","))],
                );
                if self.apply {
                    self.aws
                        .elb
                        .modify_rule()
                        .set_rule_arn(ours.rule_arn().map(str::to_owned))
                        .conditions(
                            RuleCondition::builder()
                                .field("host-header")
                                .host_header_config(HostHeaderConditionConfig::builder().values(&host).build())
                                .build(),
                        )
                        .send()
                        .await
                        .map_err(failed("elasticloadbalancing:ModifyRule"))?;
                }
                return Ok(());
            }
            if rules.iter().any(|r| r.is_default() != Some(true) && hosts(r).contains(&host)) {
                return Err(AwsError::new(
                    "elasticloadbalancing:CreateRule",
                    format!(
                        "Another rule on the load balancer already routes {host} elsewhere; remove it, or deploy the app under another name."
                    ),
                ));
            }
            self.note("listener rule", &name, PlanAction::Create, vec![]);
            if !self.apply {
                return Ok(());
            }
            let used: Vec<i32> = rules.iter().filter_map(|r| r.priority()?.parse().ok()).collect();
            let priority = requests::free_priority(&used).ok_or_else(|| {
                AwsError::new("elasticloadbalancing:CreateRule", "The listener has no free rule priority left.")
            })?;
            let wanted = requests::listener_rule(listener, priority, &host, target_group, &needs.app)
                .map_err(|m| AwsError::new("elasticloadbalancing:CreateRule", m))?;
            let created = self
                .aws
                .elb
                .create_rule()
                .set_listener_arn(wanted.listener_arn)
                .set_priority(wanted.priority)
                .set_conditions(wanted.conditions)
                .set_actions(wanted.actions)
                .set_tags(wanted.tags)
                .send()
                .await;
            match created {
                Ok(_) => return Ok(()),
                Err(error) => {
                    let error = super::clients::refused("elasticloadbalancing:CreateRule", error);
                    if !error.is("PriorityInUse") {
                        return Err(error);
                    }
                    self.items.pop();
                }
            }
        }
        Err(AwsError::new("elasticloadbalancing:CreateRule", "Other rules kept taking the free priority; try again."))
    }
}

/// Whether two JSON documents are equal (AWS may reformat or URL-encode them).
fn same_json(a: &str, b: &str) -> bool {
    let decoded = url::form_urlencoded::parse(format!("x={a}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    let b = parse(b);
    b.is_some() && (parse(a) == b || parse(&decoded) == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_policy_expires_untagged_then_keeps_the_newest() {
        let policy: serde_json::Value = serde_json::from_str(&lifecycle_policy(20)).unwrap();
        let rules = policy["rules"].as_array().unwrap();
        assert_eq!(rules[0]["selection"]["tagStatus"], "untagged");
        // ECR requires the tagStatus "any" rule to have the highest priority.
        assert_eq!(rules[1]["selection"]["tagStatus"], "any");
        assert!(rules[1]["rulePriority"].as_i64() > rules[0]["rulePriority"].as_i64());
        assert_eq!(rules[1]["selection"]["countNumber"], 20);
    }

    #[test]
    fn tasks_accept_only_the_app_port_from_the_load_balancer() {
        let rule = tasks_ingress(8080, "sg-alb");
        assert_eq!((rule.from_port(), rule.to_port()), (Some(8080), Some(8080)));
        assert!(rule.ip_ranges().is_empty(), "no CIDR source: tasks are not reachable directly");
        assert_eq!(rule.user_id_group_pairs()[0].group_id(), Some("sg-alb"));
        assert!(has_permission(std::slice::from_ref(&rule), &rule));
        assert!(!has_permission(&[tasks_ingress(9090, "sg-alb")], &rule));
        let alb = alb_ingress();
        assert_eq!(alb.iter().map(|r| r.from_port().unwrap()).collect::<Vec<_>>(), [80, 443]);
        assert_eq!(alb[0].ip_ranges()[0].cidr_ip(), Some("0.0.0.0/0"));
    }

    #[test]
    fn policies_compare_as_json() {
        let encoded = "%7B%22a%22%3A1%7D";
        assert!(same_json(encoded, r#"{"a": 1}"#));
        assert!(same_json(r#"{"a":1}"#, r#"{ "a": 1 }"#));
        assert!(!same_json(r#"{"a":2}"#, r#"{"a":1}"#));
    }

    #[test]
    fn listener_actions() {
        assert_eq!(no_app_action().fixed_response_config().unwrap().status_code(), Some("404"));
        let redirect = redirect_to_https();
        assert_eq!(redirect.redirect_config().unwrap().protocol(), Some("HTTPS"));
        assert_eq!(redirect.redirect_config().unwrap().status_code(), Some(&RedirectActionStatusCodeEnum::Http301));
    }
}
