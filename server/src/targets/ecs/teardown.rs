//! Removing what Slipway made. An app: its service, host rule, target group,
//! log group, task definitions, stored secrets and its port on the tasks'
//! security group (the ECR repository on request). A target: every app on
//! it, then everything tagged `slipway:managed` (listeners, load balancer,
//! security groups, cluster, execution role). Each removal tolerates "already
//! gone", so a teardown that stopped half-way converges when run again.

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::TaskDefinitionStatus;

use super::clients::{Aws, AwsError, failed, refused, unless_missing};
use super::provision::{self, EXECUTION_POLICY};
use super::requests::{self, MANAGED_TAG, TARGET_TAG};
use super::target::AwsTarget;

/// Error codes that mean "already gone".
const GONE: [&str; 10] = [
    "ServiceNotFoundException",
    "ClusterNotFoundException",
    "RuleNotFound",
    "TargetGroupNotFound",
    "ResourceNotFoundException",
    "RepositoryNotFoundException",
    "NoSuchEntity",
    "InvalidGroup.NotFound",
    "LoadBalancerNotFound",
    "ListenerNotFound",
];

fn tolerate_gone(result: Result<(), AwsError>) -> Result<bool, AwsError> {
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.code.as_deref().is_some_and(|c| GONE.contains(&c)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What an app teardown needs to know about the others on the target.
pub struct AppTeardown<'a> {
    pub app: &'a str,
    pub port: u16,
    /// Ports of the target's other apps: a shared port keeps its ingress rule.
    pub other_ports: &'a [u16],
    pub delete_images: bool,
}

/// Removes an app's AWS resources; returns what was done, a line each.
pub async fn app(aws: &Aws, target: &AwsTarget, request: &AppTeardown<'_>) -> Result<Vec<String>, AwsError> {
    let app = request.app;
    let mut done = Vec::new();
    let cluster = &target.cluster;
    let service = requests::service_name(app);

    // The service first: it stops its tasks and leaves the target group.
    let deleted = tolerate_gone(
        aws.ecs
            .delete_service()
            .cluster(cluster)
            .service(&service)
            .force(true)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| refused("ecs:DeleteService", e)),
    )?;
    if deleted {
        done.push(format!("Deleted ECS service {service} (its tasks stop)."));
    }

    // The host rule (on any listener of the load balancer) and the target group.
    let group_name = requests::target_group_name(app);
    let group_arn = unless_missing(
        "elasticloadbalancing:DescribeTargetGroups",
        "TargetGroupNotFound",
        aws.elb.describe_target_groups().names(&group_name).send().await,
    )?
    .and_then(|found| found.target_groups().first().and_then(|g| g.target_group_arn()).map(str::to_owned));
    if let Some(group_arn) = &group_arn {
        for listener in listeners(aws, target).await? {
            let rules = aws
                .elb
                .describe_rules()
                .listener_arn(&listener)
                .send()
                .await
                .map_err(failed("elasticloadbalancing:DescribeRules"))?;
            for rule in rules.rules() {
                if rule.is_default() != Some(true)
                    && rule.actions().iter().any(|a| a.target_group_arn() == Some(group_arn.as_str()))
                    && let Some(arn) = rule.rule_arn()
                {
                    tolerate_gone(
                        aws.elb
                            .delete_rule()
                            .rule_arn(arn)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| refused("elasticloadbalancing:DeleteRule", e)),
                    )?;
                    done.push(format!("Deleted the listener rule for {}.", target.app_host(app)));
                }
            }
        }
        retry_while_in_use(|| async {
            aws.elb
                .delete_target_group()
                .target_group_arn(group_arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| refused("elasticloadbalancing:DeleteTargetGroup", e))
        })
        .await?;
        done.push(format!("Deleted target group {group_name}."));
    }

    let log_group = provision::log_group_name(app);
    if tolerate_gone(
        aws.logs
            .delete_log_group()
            .log_group_name(&log_group)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| refused("logs:DeleteLogGroup", e)),
    )? {
        done.push(format!("Deleted log group {log_group}."));
    }

    let revisions = task_definitions(aws, app).await?;
    for arn in &revisions {
        aws.ecs
            .deregister_task_definition()
            .task_definition(arn)
            .send()
            .await
            .map_err(failed("ecs:DeregisterTaskDefinition"))?;
    }
    if !revisions.is_empty() {
        done.push(format!(
            "Deregistered {} task definition revision(s) of {}.",
            revisions.len(),
            requests::family(app)
        ));
    }

    let parameters = parameters(aws, app).await?;
    for chunk in parameters.chunks(10) {
        aws.ssm
            .delete_parameters()
            .set_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(failed("ssm:DeleteParameters"))?;
    }
    if !parameters.is_empty() {
        done.push(format!("Deleted {} stored secret(s) under /slipway/{app}/.", parameters.len()));
    }

    if !request.other_ports.contains(&request.port)
        && let Some(line) = revoke_port(aws, target, request.port).await?
    {
        done.push(line);
    }

    if request.delete_images {
        let repository = provision::repository_name(app);
        if tolerate_gone(
            aws.ecr
                .delete_repository()
                .repository_name(&repository)
                .force(true)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| refused("ecr:DeleteRepository", e)),
        )? {
            done.push(format!("Deleted ECR repository {repository} and its images."));
        }
    }
    Ok(done)
}

async fn listeners(aws: &Aws, target: &AwsTarget) -> Result<Vec<String>, AwsError> {
    let Some(lb) = load_balancer_arn(aws, target).await? else { return Ok(vec![]) };
    let found = aws
        .elb
        .describe_listeners()
        .load_balancer_arn(lb)
        .send()
        .await
        .map_err(failed("elasticloadbalancing:DescribeListeners"))?;
    Ok(found.listeners().iter().filter_map(|l| l.listener_arn().map(str::to_owned)).collect())
}

async fn load_balancer_arn(aws: &Aws, target: &AwsTarget) -> Result<Option<String>, AwsError> {
    match aws.elb.describe_load_balancers().names(&target.load_balancer).send().await {
        Ok(found) => Ok(found.load_balancers().first().and_then(|l| l.load_balancer_arn()).map(str::to_owned)),
        Err(e) => {
            let e = refused("elasticloadbalancing:DescribeLoadBalancers", e);
            if e.is("LoadBalancerNotFound") { Ok(None) } else { Err(e) }
        }
    }
}

/// Every revision of the app's family, active or not yet deregistered.
pub async fn task_definitions(aws: &Aws, app: &str) -> Result<Vec<String>, AwsError> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .ecs
            .list_task_definitions()
            .family_prefix(requests::family(app))
            .status(TaskDefinitionStatus::Active)
            .set_next_token(token)
            .send()
            .await
            .map_err(failed("ecs:ListTaskDefinitions"))?;
        // A prefix also matches longer family names: keep this family only.
        let family = format!("task-definition/{}:", requests::family(app));
        arns.extend(page.task_definition_arns().iter().filter(|a| a.contains(&family)).cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(arns);
        }
    }
}

async fn parameters(aws: &Aws, app: &str) -> Result<Vec<String>, AwsError> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = aws
            .ssm
            .get_parameters_by_path()
            .path(format!("/slipway/{app}/"))
            .set_next_token(token)
            .send()
            .await
            .map_err(failed("ssm:GetParametersByPath"))?;
        names.extend(page.parameters().iter().filter_map(|p| p.name().map(str::to_owned)));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(names);
        }
    }
}

async fn find_group(aws: &Aws, name: &str) -> Result<Option<aws_sdk_ec2::types::SecurityGroup>, AwsError> {
    let found = aws
        .ec2
        .describe_security_groups()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-name").values(name).build())
        .send()
        .await
        .map_err(failed("ec2:DescribeSecurityGroups"))?;
    Ok(found.security_groups().first().cloned())
}

/// Removes the tasks' ingress on `port`.
async fn revoke_port(aws: &Aws, target: &AwsTarget, port: u16) -> Result<Option<String>, AwsError> {
    let Some(group) = find_group(aws, &provision::tasks_security_group_name(&target.name)).await? else {
        return Ok(None);
    };
    let rules: Vec<_> =
        group.ip_permissions().iter().filter(|p| p.from_port() == Some(i32::from(port))).cloned().collect();
    if rules.is_empty() {
        return Ok(None);
    }
    aws.ec2
        .revoke_security_group_ingress()
        .set_group_id(group.group_id().map(str::to_owned))
        .set_ip_permissions(Some(rules))
        .send()
        .await
        .map_err(failed("ec2:RevokeSecurityGroupIngress"))?;
    Ok(Some(format!("Closed port {port} on the tasks' security group.")))
}

/// AWS keeps some resources "in use" for a while after what used them is
/// deleted (a target group after its rule, a security group after the load
/// balancer's network interfaces): retry for up to three minutes.
async fn retry_while_in_use<F, Fut>(mut call: F) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        match tolerate_gone(call().await) {
            Ok(_) => return Ok(()),
            Err(e) if (e.is("ResourceInUse") || e.is("DependencyViolation")) && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Removes everything of a target tagged as Slipway's. Its apps must have
/// been torn down first (`app` for each).
pub async fn target(aws: &Aws, target: &AwsTarget) -> Result<Vec<String>, AwsError> {
    let mut done = Vec::new();

    // Services Slipway made in the cluster that no app claims any more.
    if let Ok(listed) = aws.ecs.list_services().cluster(&target.cluster).send().await
        && !listed.service_arns().is_empty()
    {
        let described = aws
            .ecs
            .describe_services()
            .cluster(&target.cluster)
            .set_services(Some(listed.service_arns().to_vec()))
            .include(aws_sdk_ecs::types::ServiceField::Tags)
            .send()
            .await
            .map_err(failed("ecs:DescribeServices"))?;
        for service in described.services() {
            if service.status() != Some("INACTIVE")
                && service.tags().iter().any(|t| t.key() == Some(MANAGED_TAG))
                && let Some(name) = service.service_name()
            {
                aws.ecs
                    .delete_service()
                    .cluster(&target.cluster)
                    .service(name)
                    .force(true)
                    .send()
                    .await
                    .map_err(failed("ecs:DeleteService"))?;
                done.push(format!("Deleted ECS service {name}."));
            }
        }
    }

    // Target groups tagged as Slipway's (rules go with the listeners below).
    let groups =
        aws.elb.describe_target_groups().send().await.map_err(failed("elasticloadbalancing:DescribeTargetGroups"))?;
    let group_arns: Vec<String> =
        groups.target_groups().iter().filter_map(|g| g.target_group_arn().map(str::to_owned)).collect();
    let tagged_groups = tagged_elb(aws, &group_arns, TARGET_TAG, &target.name).await?;

    if let Some(lb) = load_balancer_arn(aws, target).await?
        && tagged_elb(aws, std::slice::from_ref(&lb), MANAGED_TAG, "true").await?.contains(&lb)
    {
        for listener in listeners(aws, target).await? {
            tolerate_gone(
                aws.elb
                    .delete_listener()
                    .listener_arn(&listener)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| refused("elasticloadbalancing:DeleteListener", e)),
            )?;
        }
        aws.elb
            .delete_load_balancer()
            .load_balancer_arn(&lb)
            .send()
            .await
            .map_err(failed("elasticloadbalancing:DeleteLoadBalancer"))?;
        done.push(format!("Deleted load balancer {} and its listeners.", target.load_balancer));
    }

    for arn in &tagged_groups {
        retry_while_in_use(|| async {
            aws.elb
                .delete_target_group()
                .target_group_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| refused("elasticloadbalancing:DeleteTargetGroup", e))
        })
        .await?;
        done.push(format!("Deleted target group {}.", arn.rsplit('/').nth(1).unwrap_or(arn)));
    }

    // Security groups: the tasks' first (it refers to the load balancer's).
    for name in [provision::tasks_security_group_name(&target.name), provision::alb_security_group_name(&target.name)] {
        if let Some(group) = find_group(aws, &name).await?
            && group.tags().iter().any(|t| t.key() == Some(MANAGED_TAG))
            && let Some(id) = group.group_id()
        {
            if !group.ip_permissions().is_empty() {
                aws.ec2
                    .revoke_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(group.ip_permissions().to_vec()))
                    .send()
                    .await
                    .map_err(failed("ec2:RevokeSecurityGroupIngress"))?;
            }
            retry_while_in_use(|| async {
                aws.ec2
                    .delete_security_group()
                    .group_id(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| refused("ec2:DeleteSecurityGroup", e))
            })
            .await?;
            done.push(format!("Deleted security group {name}."));
        }
    }

    // The cluster, if Slipway made it.
    let clusters = aws
        .ecs
        .describe_clusters()
        .clusters(&target.cluster)
        .include(aws_sdk_ecs::types::ClusterField::Tags)
        .send()
        .await
        .map_err(failed("ecs:DescribeClusters"))?;
    if clusters
        .clusters()
        .iter()
        .any(|c| c.status() == Some("ACTIVE") && c.tags().iter().any(|t| t.key() == Some(MANAGED_TAG)))
    {
        aws.ecs.delete_cluster().cluster(&target.cluster).send().await.map_err(failed("ecs:DeleteCluster"))?;
        done.push(format!("Deleted ECS cluster {}.", target.cluster));
    }

    // The execution role, if Slipway made it.
    if target.execution_role_arn.is_none() {
        let name = provision::execution_role_name(&target.name);
        let tags =
            unless_missing("iam:ListRoleTags", "NoSuchEntity", aws.iam.list_role_tags().role_name(&name).send().await)?;
        let ours = tags.is_some_and(|tags| tags.tags().iter().any(|t| t.key() == MANAGED_TAG));
        if ours {
            tolerate_gone(
                aws.iam
                    .detach_role_policy()
                    .role_name(&name)
                    .policy_arn(EXECUTION_POLICY)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| refused("iam:DetachRolePolicy", e)),
            )?;
            tolerate_gone(
                aws.iam
                    .delete_role_policy()
                    .role_name(&name)
                    .policy_name("slipway-secrets")
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| refused("iam:DeleteRolePolicy", e)),
            )?;
            aws.iam.delete_role().role_name(&name).send().await.map_err(failed("iam:DeleteRole"))?;
            done.push(format!("Deleted IAM role {name}."));
        }
    }
    Ok(done)
}

/// Which of `arns` (load balancers, target groups) carry the tag `key` = `value`.
async fn tagged_elb(aws: &Aws, arns: &[String], key: &str, value: &str) -> Result<Vec<String>, AwsError> {
    let mut tagged = Vec::new();
    // DescribeTags takes at most 20 ARNs.
    for chunk in arns.chunks(20) {
        let tags = aws
            .elb
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(failed("elasticloadbalancing:DescribeTags"))?;
        for description in tags.tag_descriptions() {
            if description.tags().iter().any(|t| t.key() == Some(key) && t.value() == Some(value))
                && let Some(arn) = description.resource_arn()
            {
                tagged.push(arn.to_owned());
            }
        }
    }
    Ok(tagged)
}
