//! Read-only checks: "Test connection" for a target, and the drift check of
//! an app (its ECS service or task definition changed outside Slipway).

use serde::{Deserialize, Serialize};

use super::clients::{Aws, AwsError, failed, refused};
use super::provision;
use super::release;
use super::requests;
use super::target::AwsTarget;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionCheck {
    pub permission: String,
    pub ok: bool,
    /// "allowed", or AWS's refusal in plain words.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionReport {
    pub ok: bool,
    pub account: Option<String>,
    pub identity: Option<String>,
    pub checks: Vec<PermissionCheck>,
}

fn outcome(permission: &str, result: Result<(), AwsError>) -> PermissionCheck {
    match result {
        Ok(()) => PermissionCheck { permission: permission.into(), ok: true, detail: "allowed".into() },
        // "Not found" answers mean the call itself was allowed.
        Err(e) if e.code.as_deref().is_some_and(|c| c.contains("NotFound") || c == "NoSuchEntity") => {
            PermissionCheck { permission: permission.into(), ok: true, detail: "allowed".into() }
        }
        Err(e) => PermissionCheck { permission: permission.into(), ok: false, detail: e.message },
    }
}

/// Who the credentials are, and whether the read calls Slipway starts every
/// deploy with are allowed. (Write permissions show up, named, at the first
/// provisioning that lacks one.)
pub async fn test_connection(aws: &Aws, target: &AwsTarget) -> ConnectionReport {
    let identity = aws.sts.get_caller_identity().send().await;
    let (account, arn, mut checks) = match identity {
        Ok(who) => (
            who.account().map(str::to_owned),
            who.arn().map(str::to_owned),
            vec![PermissionCheck { permission: "sts:GetCallerIdentity".into(), ok: true, detail: "allowed".into() }],
        ),
        Err(e) => {
            let e = refused("sts:GetCallerIdentity", e);
            let check = PermissionCheck { permission: "sts:GetCallerIdentity".into(), ok: false, detail: e.message };
            // Without working credentials every other call fails the same way.
            return ConnectionReport { ok: false, account: None, identity: None, checks: vec![check] };
        }
    };
    let ec2 = aws.ec2.describe_vpcs().send().await.map(|_| ()).map_err(|e| refused("ec2:DescribeVpcs", e));
    checks.push(outcome("ec2:DescribeVpcs", ec2));
    let groups = aws
        .ec2
        .describe_security_groups()
        .max_results(5)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| refused("ec2:DescribeSecurityGroups", e));
    checks.push(outcome("ec2:DescribeSecurityGroups", groups));
    let ecs = aws
        .ecs
        .describe_clusters()
        .clusters(&target.cluster)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| refused("ecs:DescribeClusters", e));
    checks.push(outcome("ecs:DescribeClusters", ecs));
    let ecr = aws
        .ecr
        .describe_repositories()
        .max_results(1)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| refused("ecr:DescribeRepositories", e));
    checks.push(outcome("ecr:DescribeRepositories", ecr));
    let token =
        aws.ecr.get_authorization_token().send().await.map(|_| ()).map_err(|e| refused("ecr:GetAuthorizationToken", e));
    checks.push(outcome("ecr:GetAuthorizationToken", token));
    let elb = aws
        .elb
        .describe_load_balancers()
        .names(&target.load_balancer)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| refused("elasticloadbalancing:DescribeLoadBalancers", e));
    checks.push(outcome("elasticloadbalancing:DescribeLoadBalancers", elb));
    let logs = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix("/slipway/")
        .limit(1)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| refused("logs:DescribeLogGroups", e));
    checks.push(outcome("logs:DescribeLogGroups", logs));
    if target.execution_role_arn.is_none() {
        let role = aws
            .iam
            .get_role()
            .role_name(provision::execution_role_name(&target.name))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| refused("iam:GetRole", e));
        checks.push(outcome("iam:GetRole", role));
    }
    let ok = checks.iter().all(|c| c.ok);
    ConnectionReport { ok, account, identity: arn, checks }
}

/// What Slipway last deployed for an app.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub task_definition_arn: String,
    pub desired_count: i32,
    /// Every revision Slipway registered for the app.
    pub known_revisions: Vec<String>,
}

/// Differences between the service as Slipway left it and as it is now,
/// one sentence each; empty when nothing drifted.
pub async fn drift(aws: &Aws, target: &AwsTarget, app: &str, recorded: &Recorded) -> Result<Vec<String>, AwsError> {
    let mut findings = Vec::new();
    let Some(service) = release::describe_service(aws, &target.cluster, app).await? else {
        findings.push(format!(
            "The ECS service {app} no longer exists in cluster {}: it was deleted outside Slipway. Deploy to recreate it.",
            target.cluster
        ));
        return Ok(findings);
    };
    if let Some(running) = service.task_definition()
        && running != recorded.task_definition_arn
    {
        findings.push(format!(
            "The service runs task definition {}, not {} that Slipway deployed.",
            short(running),
            short(&recorded.task_definition_arn)
        ));
    }
    if service.desired_count() != recorded.desired_count {
        findings.push(format!(
            "The service's desired count is {}; Slipway set {}.",
            service.desired_count(),
            recorded.desired_count
        ));
    }
    let latest = aws
        .ecs
        .list_task_definitions()
        .family_prefix(requests::family(app))
        .sort(aws_sdk_ecs::types::SortOrder::Desc)
        .max_results(1)
        .send()
        .await
        .map_err(failed("ecs:ListTaskDefinitions"))?;
    if let Some(newest) = latest.task_definition_arns().first()
        && !recorded.known_revisions.iter().any(|k| k == newest)
    {
        findings.push(format!(
            "Task definition {} was registered outside Slipway (the next deploy replaces it).",
            short(newest)
        ));
    }
    Ok(findings)
}

/// `slipway-shop:3` from a task definition ARN.
pub fn short(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}
