//! The AWS target end to end against moto: provision from an empty region,
//! read the state back through the SDK, plan before and after, deploy (build
//! on the real engine, push with moto's ECR token to the test registry),
//! a second revision, drift, rollback, teardown to zero tagged resources.

use aws_sdk_ec2::types::Filter;
use serde_json::{Value, json};
use slipway_tests::aws::{create_target, fresh_region, sdk};
use slipway_tests::deploys::{Api, fixture_repo, wait_until_done};
use slipway_tests::moto::ACCOUNT;
use slipway_tests::registry::registry;
use slipway_tests::spawn_app;

fn actions(plan: &Value) -> Vec<(String, String)> {
    plan["items"]
        .as_array()
        .expect("plan items")
        .iter()
        .map(|i| {
            (i["resource"].as_str().unwrap_or_default().to_owned(), i["action"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn action_of(plan: &Value, resource: &str) -> String {
    actions(plan)
        .into_iter()
        .find(|(r, _)| r == resource)
        .map(|(_, a)| a)
        .unwrap_or_else(|| panic!("{resource} in {plan}"))
}

async fn group_by_name(aws: &slipway_server::targets::ecs::Aws, name: &str) -> Vec<aws_sdk_ec2::types::SecurityGroup> {
    aws.ec2
        .describe_security_groups()
        .filters(Filter::builder().name("group-name").values(name).build())
        .send()
        .await
        .expect("DescribeSecurityGroups")
        .security_groups()
        .to_vec()
}

#[tokio::test]
async fn provision_deploy_drift_roll_back_and_tear_down_on_ecs() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let region = fresh_region();
    let target = create_target(&api, region).await;
    let aws = sdk(region).await;

    // Test connection: who we are, and the read calls allowed.
    let (status, report) = api.post(&format!("/api/v1/targets/{target}/test"), json!({})).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["ok"], json!(true), "{report}");
    assert_eq!(report["account"], json!(ACCOUNT));

    // The plan of an empty region: everything to create.
    let (status, plan) = api.get(&format!("/api/v1/targets/{target}/plan")).await;
    assert_eq!(status, 200, "{plan}");
    assert!(actions(&plan).iter().all(|(_, a)| a == "create"), "{plan}");

    // An app on the target; a bad Fargate size is a form error.
    let repo = fixture_repo("on ecs one\n");
    let (status, refused) = api
        .post(
            "/api/v1/apps",
            json!({ "name": "toobig", "repo_url": repo.http_url, "target": target, "cpus": 0.25, "memory_mb": 4096 }),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["fields"]["memory_mb"]["code"], json!("invalid_fargate_size"), "{refused}");
    let name = api
        .create_app(&repo.http_url, json!({
            "target": target, "replicas": 2, "container_health_check": true,
            "env": [{ "name": "GREETING", "value": "hi" }, { "name": "DB_PASSWORD", "value": "hunter2", "secret": true }]
        }))
        .await;

    let (status, plan) = api.get(&format!("/api/v1/apps/{name}/plan")).await;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(action_of(&plan, "ECR repository"), "create");
    assert_eq!(action_of(&plan, "task definition"), "create");
    assert_eq!(action_of(&plan, "ECS service"), "create");
    assert_eq!(plan["url"], json!(format!("http://{name}.apps.example.com")));
    // 2 tasks of 0.25 vCPU / 0.5 GB, and the whole load balancer (one app).
    assert_eq!(plan["cost"]["compute_month"], json!(18.02), "{plan}");
    assert_eq!(plan["cost"]["prices_as_of"], json!("2026-06"));

    // Deploy: built here, pushed with moto's ECR token, rolled out on ECS.
    let first = api.deploy(&name, None).await;
    let done = wait_until_done(&app, first).await;
    let log = api.log(first).await;
    assert_eq!(done.status, "live", "{:?}\n{log}", done.error);
    assert!(log.contains("on AWS target"), "{log}");
    assert!(log.contains("ECR repository slipway/"), "{log}");
    assert!(log.contains("Registered task definition slipway-"), "{log}");
    assert!(log.contains("the rollout is COMPLETED"), "{log}");
    assert_eq!(done.url.as_deref(), Some(format!("http://{name}.apps.example.com").as_str()));

    // The image reached the registry standing in for ECR.
    let tags: Value = reqwest::Client::new()
        .get(format!("http://{}/v2/slipway/{name}/tags/list", registry().address))
        .basic_auth("AWS", Some(slipway_tests::moto::ECR_PASSWORD))
        .send()
        .await
        .expect("registry tags")
        .json()
        .await
        .expect("tags JSON");
    let commit = done.commit_sha.clone().expect("commit");
    assert!(tags["tags"].as_array().expect("tags").iter().any(|t| t == &json!(commit)), "{tags}");

    // Read it all back.
    let lbs = aws.elb.describe_load_balancers().names(format!("slipway-{target}")).send().await.expect("ALB");
    assert_eq!(lbs.load_balancers().len(), 1);
    let lb_arn = lbs.load_balancers()[0].load_balancer_arn().expect("ALB ARN").to_owned();
    let listeners = aws.elb.describe_listeners().load_balancer_arn(&lb_arn).send().await.expect("listeners");
    assert_eq!(listeners.listeners().len(), 1, "HTTP only without a certificate");
    let http = &listeners.listeners()[0];
    assert_eq!(http.port(), Some(80));
    let listener_arn = http.listener_arn().expect("listener ARN").to_owned();

    let alb_groups = group_by_name(&aws, &format!("slipway-{target}-alb")).await;
    let task_groups = group_by_name(&aws, &format!("slipway-{target}-tasks")).await;
    assert_eq!((alb_groups.len(), task_groups.len()), (1, 1));
    let alb_group = alb_groups[0].group_id().expect("id");
    let mut alb_ports: Vec<i32> = alb_groups[0].ip_permissions().iter().filter_map(|p| p.from_port()).collect();
    alb_ports.sort_unstable();
    assert_eq!(alb_ports, [80, 443]);
    assert!(alb_groups[0].ip_permissions().iter().all(|p| p.ip_ranges()[0].cidr_ip() == Some("0.0.0.0/0")));
    let task_rules = task_groups[0].ip_permissions();
    assert_eq!(task_rules.len(), 1, "only the app port: {task_rules:?}");
    assert_eq!(task_rules[0].from_port(), Some(8080));
    assert!(task_rules[0].ip_ranges().is_empty(), "no CIDR: tasks are not reachable directly");
    assert_eq!(task_rules[0].user_id_group_pairs()[0].group_id(), Some(alb_group));
    assert!(alb_groups[0].tags().iter().any(|t| t.key() == Some("slipway:managed")));

    let groups = aws.elb.describe_target_groups().names(format!("slw-{name}")).send().await.expect("target group");
    let group = &groups.target_groups()[0];
    assert_eq!(group.target_type().map(|t| t.as_str()), Some("ip"));
    assert_eq!(group.health_check_path(), Some("/healthz"));
    assert_eq!(group.health_check_interval_seconds(), Some(10));
    assert_eq!(group.healthy_threshold_count(), Some(2));
    let group_arn = group.target_group_arn().expect("TG ARN").to_owned();
    let attributes =
        aws.elb.describe_target_group_attributes().target_group_arn(&group_arn).send().await.expect("attributes");
    let delay = attributes.attributes().iter().find(|a| a.key() == Some("deregistration_delay.timeout_seconds"));
    assert_eq!(delay.and_then(|a| a.value()), Some("30"));

    let rules = aws.elb.describe_rules().listener_arn(&listener_arn).send().await.expect("rules");
    let ours: Vec<_> = rules.rules().iter().filter(|r| r.is_default() != Some(true)).collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].priority(), Some("1"));
    let host = ours[0].conditions()[0]
        .host_header_config()
        .map(|h| h.values().to_vec())
        .unwrap_or_else(|| ours[0].conditions()[0].values().to_vec());
    assert_eq!(host, [format!("{name}.apps.example.com")]);
    assert_eq!(ours[0].actions()[0].target_group_arn(), Some(group_arn.as_str()));

    let repository = format!("slipway/{name}");
    let policy = aws.ecr.get_lifecycle_policy().repository_name(&repository).send().await.expect("lifecycle policy");
    assert!(policy.lifecycle_policy_text().unwrap_or_default().contains("imageCountMoreThan"));
    let logs =
        aws.logs.describe_log_groups().log_group_name_prefix(format!("/slipway/{name}")).send().await.expect("logs");
    assert_eq!(logs.log_groups()[0].retention_in_days(), Some(30));
    let role = aws
        .iam
        .list_attached_role_policies()
        .role_name(format!("slipway-{target}-execution"))
        .send()
        .await
        .expect("role");
    assert!(role.attached_policies().iter().any(|p| p.policy_name() == Some("AmazonECSTaskExecutionRolePolicy")));

    let cluster = format!("slipway-{target}");
    let services = aws.ecs.describe_services().cluster(&cluster).services(&name).send().await.expect("service");
    let service = &services.services()[0];
    assert_eq!(service.desired_count(), 2);
    let first_revision = service.task_definition().expect("task definition").to_owned();
    assert!(first_revision.ends_with(&format!("slipway-{name}:1")), "{first_revision}");
    assert_eq!(service.load_balancers()[0].container_port(), Some(8080));
    let td = aws.ecs.describe_task_definition().task_definition(&first_revision).send().await.expect("task definition");
    let td = td.task_definition().expect("task definition");
    assert_eq!((td.cpu(), td.memory()), (Some("256"), Some("512")));
    assert_eq!(td.network_mode().map(|m| m.as_str()), Some("awsvpc"));
    assert_eq!(
        td.execution_role_arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:role/slipway-{target}-execution").as_str())
    );
    let health = td.container_definitions()[0].health_check().expect("a container health check");
    assert!(health.command()[1].contains("wget -q -O /dev/null 'http://localhost:8080/healthz'"), "{health:?}");
    // Plain variables in the environment; the secret as an SSM reference, stored encrypted.
    let container = &td.container_definitions()[0];
    let names: Vec<&str> = container.environment().iter().filter_map(|kv| kv.name()).collect();
    assert_eq!(names, ["GREETING"]);
    assert_eq!(container.secrets()[0].name(), "DB_PASSWORD");
    assert_eq!(container.secrets()[0].value_from(), format!("/slipway/{name}/DB_PASSWORD"));
    let stored = aws
        .ssm
        .get_parameter()
        .name(format!("/slipway/{name}/DB_PASSWORD"))
        .with_decryption(true)
        .send()
        .await
        .expect("the secret in SSM");
    let parameter = stored.parameter().expect("parameter");
    assert_eq!(parameter.value(), Some("hunter2"));
    assert_eq!(parameter.r#type().map(|t| t.as_str()), Some("SecureString"));
    let logs_options = td.container_definitions()[0].log_configuration().expect("awslogs").options().expect("options");
    assert_eq!(logs_options["awslogs-group"], format!("/slipway/{name}"));
    let image = td.container_definitions()[0].image().expect("image");
    assert!(
        image.starts_with(&format!("{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/slipway/{name}@sha256:")),
        "the task definition pins the pushed digest: {image}"
    );

    // Provisioning again changes nothing and duplicates nothing.
    let (status, again) = api.post(&format!("/api/v1/targets/{target}/provision"), json!({})).await;
    assert_eq!(status, 200, "{again}");
    assert!(actions(&again).iter().all(|(_, a)| a == "unchanged"), "{again}");
    let (_, plan) = api.get(&format!("/api/v1/apps/{name}/plan")).await;
    assert_eq!(action_of(&plan, "ECR repository"), "unchanged", "{plan}");
    assert_eq!(action_of(&plan, "target group"), "unchanged", "{plan}");
    assert_eq!(action_of(&plan, "listener rule"), "unchanged", "{plan}");
    assert_eq!(action_of(&plan, "task definition"), "update", "{plan}");
    assert_eq!(action_of(&plan, "ECS service"), "update", "{plan}");
    let lbs = aws.elb.describe_load_balancers().send().await.expect("ALBs");
    assert_eq!(lbs.load_balancers().len(), 1, "no second load balancer");

    // A second revision.
    repo.push(&[("www/index.html", b"on ecs two\n")], "second version");
    let second = api.deploy(&name, None).await;
    let done = wait_until_done(&app, second).await;
    assert_eq!(done.status, "live", "{:?}\n{}", done.error, api.log(second).await);
    let services = aws.ecs.describe_services().cluster(&cluster).services(&name).send().await.expect("service");
    let second_revision = services.services()[0].task_definition().expect("td").to_owned();
    assert!(second_revision.ends_with(&format!("slipway-{name}:2")), "{second_revision}");

    // Drift: none, then a change made outside Slipway.
    let (status, drift) = api.get(&format!("/api/v1/apps/{name}/drift")).await;
    assert_eq!(status, 200, "{drift}");
    assert_eq!(drift, json!({ "checked": true, "findings": [] }));
    aws.ecs.update_service().cluster(&cluster).service(&name).desired_count(3).send().await.expect("scale outside");
    let (_, drift) = api.get(&format!("/api/v1/apps/{name}/drift")).await;
    assert!(drift["findings"][0].as_str().unwrap_or_default().contains("desired count is 3; Slipway set 2"), "{drift}");

    // Roll back to the first deployment: the service goes back to revision 1, nothing is rebuilt.
    let (status, queued) = api.post(&format!("/api/v1/apps/{name}/rollback"), json!({ "deployment_id": first })).await;
    assert_eq!(status, 202, "{queued}");
    let rollback = queued["id"].as_i64().expect("id");
    let done = wait_until_done(&app, rollback).await;
    assert_eq!(done.status, "live", "{:?}\n{}", done.error, api.log(rollback).await);
    assert!(
        done.steps
            .iter()
            .filter(|s| ["clone", "build", "push"].contains(&s.step.as_str()))
            .all(|s| s.outcome == "skipped")
    );
    let services = aws.ecs.describe_services().cluster(&cluster).services(&name).send().await.expect("service");
    assert_eq!(services.services()[0].task_definition(), Some(first_revision.as_str()));
    assert_eq!(services.services()[0].desired_count(), 2, "the rollback restores Slipway's count");

    // Tear the app down: its service, rule, target group and log group go; the shared ones stay.
    let (status, torn) = api.post(&format!("/api/v1/apps/{name}/teardown"), json!({ "delete_images": true })).await;
    assert_eq!(status, 200, "{torn}");
    let services = aws.ecs.describe_services().cluster(&cluster).services(&name).send().await.expect("service");
    assert!(services.services().iter().all(|s| s.status() == Some("INACTIVE")), "{services:?}");
    assert!(aws.elb.describe_target_groups().names(format!("slw-{name}")).send().await.is_err());
    let rules = aws.elb.describe_rules().listener_arn(&listener_arn).send().await.expect("rules");
    assert!(rules.rules().iter().all(|r| r.is_default() == Some(true)));
    let logs =
        aws.logs.describe_log_groups().log_group_name_prefix(format!("/slipway/{name}")).send().await.expect("logs");
    assert!(logs.log_groups().is_empty());
    assert!(aws.ecr.describe_repositories().repository_names(&repository).send().await.is_err());
    assert!(
        aws.ssm.get_parameter().name(format!("/slipway/{name}/DB_PASSWORD")).send().await.is_err(),
        "the stored secret is gone"
    );
    let revisions =
        aws.ecs.list_task_definitions().family_prefix(format!("slipway-{name}")).send().await.expect("list");
    assert!(revisions.task_definition_arns().is_empty(), "revisions deregistered: {revisions:?}");
    let task_groups = group_by_name(&aws, &format!("slipway-{target}-tasks")).await;
    assert!(task_groups[0].ip_permissions().is_empty(), "the app's port is closed again");

    // Tear the target down: zero tagged resources left.
    let (status, torn) = api.post(&format!("/api/v1/targets/{target}/teardown"), json!({})).await;
    assert_eq!(status, 200, "{torn}");
    assert!(aws.elb.describe_load_balancers().send().await.expect("ALBs").load_balancers().is_empty());
    assert!(aws.elb.describe_target_groups().send().await.expect("TGs").target_groups().is_empty());
    assert!(group_by_name(&aws, &format!("slipway-{target}-alb")).await.is_empty());
    assert!(group_by_name(&aws, &format!("slipway-{target}-tasks")).await.is_empty());
    let clusters = aws.ecs.describe_clusters().clusters(&cluster).send().await.expect("clusters");
    assert!(clusters.clusters().iter().all(|c| c.status() == Some("INACTIVE")), "{clusters:?}");
    assert!(aws.iam.get_role().role_name(format!("slipway-{target}-execution")).send().await.is_err());
    let (_, plan) = api.get(&format!("/api/v1/targets/{target}/plan")).await;
    assert!(actions(&plan).iter().all(|(_, a)| a == "create"), "after teardown, everything is to create again: {plan}");
}

#[tokio::test]
async fn a_certificate_adds_https_and_redirects_http() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let region = fresh_region();
    let target = create_target(&api, region).await;
    let aws = sdk(region).await;
    let repo = fixture_repo("https\n");
    // The app starts on this machine's engine, then moves to AWS.
    let name = api.create_app(&repo.http_url, json!({})).await;
    let local = api.deploy(&name, None).await;
    assert_eq!(wait_until_done(&app, local).await.status, "live", "{}", api.log(local).await);
    assert!(app.edge_get(&name, "/").await.is_ok_and(|(status, _)| status == 200));
    let (status, moved) = api
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/apps/{name}"),
            Some(json!({ "repo_url": repo.http_url, "health_path": "/healthz", "target": target })),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let first = api.deploy(&name, None).await;
    assert_eq!(wait_until_done(&app, first).await.status, "live", "{}", api.log(first).await);
    assert!(api.log(first).await.contains("The app moved to AWS: stopped its replicas on this machine"));
    let replicas: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM replicas").fetch_one(&app.state.db).await.expect("count");
    assert_eq!(replicas, 0, "no local replica left");
    let routes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM edge_routes WHERE app = ?")
        .bind(&name)
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(routes, 0, "no edge route left");

    // Add a certificate: the plan shows HTTP turning into a redirect and a new HTTPS listener.
    let certificate = slipway_tests::aws::request_certificate(region, "*.apps.example.com").await;
    let mut body = slipway_tests::aws::target_body(&target, region);
    body["certificate_arn"] = json!(certificate);
    body.as_object_mut().expect("object").remove("secret_access_key");
    let (status, updated) = api.send(reqwest::Method::PUT, &format!("/api/v1/targets/{target}"), Some(body)).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["has_secret_access_key"], json!(true), "an update without the secret keeps it");
    let (_, plan) = api.get(&format!("/api/v1/apps/{name}/plan")).await;
    let listeners: Vec<(String, String)> = plan["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["resource"] == json!("listener"))
        .map(|i| {
            (i["name"].as_str().unwrap_or_default().to_owned(), i["action"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    assert_eq!(listeners, [("HTTP 80".to_owned(), "update".to_owned()), ("HTTPS 443".to_owned(), "create".to_owned())]);
    assert_eq!(plan["url"], json!(format!("https://{name}.apps.example.com")));

    let second = api.deploy(&name, None).await;
    let done = wait_until_done(&app, second).await;
    assert_eq!(done.status, "live", "{}", api.log(second).await);
    assert_eq!(done.url.as_deref(), Some(format!("https://{name}.apps.example.com").as_str()));

    let lbs = aws.elb.describe_load_balancers().names(format!("slipway-{target}")).send().await.expect("ALB");
    let lb = lbs.load_balancers()[0].load_balancer_arn().expect("ARN").to_owned();
    let listeners = aws.elb.describe_listeners().load_balancer_arn(&lb).send().await.expect("listeners");
    let http = listeners.listeners().iter().find(|l| l.port() == Some(80)).expect("HTTP listener");
    let https = listeners.listeners().iter().find(|l| l.port() == Some(443)).expect("HTTPS listener");
    let redirect = http.default_actions()[0].redirect_config().expect("HTTP redirects");
    assert_eq!((redirect.protocol(), redirect.port()), (Some("HTTPS"), Some("443")));
    assert_eq!(https.certificates()[0].certificate_arn(), Some(certificate.as_str()));
    let rules_on = |arn: &str| {
        let aws = &aws;
        let arn = arn.to_owned();
        async move {
            aws.elb
                .describe_rules()
                .listener_arn(arn)
                .send()
                .await
                .expect("rules")
                .rules()
                .iter()
                .filter(|r| r.is_default() != Some(true))
                .count()
        }
    };
    assert_eq!(rules_on(http.listener_arn().expect("arn")).await, 0, "the host rule left HTTP");
    assert_eq!(rules_on(https.listener_arn().expect("arn")).await, 1, "and is on HTTPS");
}

#[tokio::test]
async fn an_unreachable_aws_is_explained_in_the_test_and_the_deployment_log() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let mut body = slipway_tests::aws::target_body("nowhere", "us-east-1");
    // Nothing listens on the discard port.
    body["endpoint_url"] = json!("http://127.0.0.1:9");
    let (status, created) = api.post("/api/v1/targets", body).await;
    assert_eq!(status, 201, "{created}");
    let (status, report) = api.post("/api/v1/targets/nowhere/test", json!({})).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["ok"], json!(false));
    let detail = report["checks"][0]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("Could not reach AWS to call sts:GetCallerIdentity"), "{report}");

    let (status, plan) = api.get("/api/v1/targets/nowhere/plan").await;
    assert_eq!(status, 502, "{plan}");
    assert_eq!(plan["error"]["code"], json!("aws_error"));
    assert!(plan["error"]["message"].as_str().unwrap_or_default().contains("Could not reach AWS"), "{plan}");

    let repo = fixture_repo("never\n");
    let name = api.create_app(&repo.http_url, json!({ "target": "nowhere" })).await;
    let id = api.deploy(&name, None).await;
    let done = wait_until_done(&app, id).await;
    assert_eq!(done.status, "failed");
    let error = done.error.unwrap_or_default();
    assert!(error.contains("Could not reach AWS"), "{error}");
    assert!(api.log(id).await.contains(&format!("✗ {error}")));

    // A target in use can't be deleted; the app keeps pointing at it.
    let (status, refused) = api.send(reqwest::Method::DELETE, "/api/v1/targets/nowhere", None).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], json!("target_in_use"));
}

#[tokio::test]
async fn a_deploy_that_failed_half_way_converges_when_run_again() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let region = fresh_region();
    let target = create_target(&api, region).await;
    let aws = sdk(region).await;
    let (status, provisioned) = api.post(&format!("/api/v1/targets/{target}/provision"), json!({})).await;
    assert_eq!(status, 200, "{provisioned}");
    let repo = fixture_repo("converge\n");
    let name = api.create_app(&repo.http_url, json!({ "target": target })).await;

    // Someone else's rule already routes the app's host: the deploy stops, in plain words.
    let lb = aws.elb.describe_load_balancers().names(format!("slipway-{target}")).send().await.expect("ALB");
    let lb = lb.load_balancers()[0].load_balancer_arn().expect("ARN").to_owned();
    let listener = aws.elb.describe_listeners().load_balancer_arn(&lb).send().await.expect("listeners");
    let listener = listener.listeners()[0].listener_arn().expect("ARN").to_owned();
    let vpc = aws.ec2.describe_vpcs().send().await.expect("VPCs").vpcs()[0].vpc_id().expect("VPC").to_owned();
    let other = aws
        .elb
        .create_target_group()
        .name("someone-else")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(vpc)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
        .send()
        .await
        .expect("a foreign target group");
    let other = other.target_groups()[0].target_group_arn().expect("ARN").to_owned();
    let rule = aws
        .elb
        .create_rule()
        .listener_arn(&listener)
        .priority(7)
        .conditions(
            aws_sdk_elasticloadbalancingv2::types::RuleCondition::builder()
                .field("host-header")
                .values(format!("{name}.apps.example.com"))
                .build(),
        )
        .actions(
            aws_sdk_elasticloadbalancingv2::types::Action::builder()
                .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
                .target_group_arn(&other)
                .build(),
        )
        .send()
        .await
        .expect("a foreign rule");
    let first = api.deploy(&name, None).await;
    let failed = wait_until_done(&app, first).await;
    assert_eq!(failed.status, "failed");
    let error = failed.error.unwrap_or_default();
    assert!(error.contains("already routes") && error.contains(&format!("{name}.apps.example.com")), "{error}");

    // Once the foreign rule is gone, the same deploy converges: nothing twice.
    aws.elb.delete_rule().rule_arn(rule.rules()[0].rule_arn().expect("ARN")).send().await.expect("delete rule");
    let second = api.deploy(&name, None).await;
    let done = wait_until_done(&app, second).await;
    assert_eq!(done.status, "live", "{}", api.log(second).await);
    assert!(api.log(second).await.contains("already as they should be"));
    assert_eq!(aws.elb.describe_load_balancers().send().await.expect("ALBs").load_balancers().len(), 1);
    assert_eq!(group_by_name(&aws, &format!("slipway-{target}-tasks")).await.len(), 1);
    let groups = aws.elb.describe_target_groups().send().await.expect("TGs");
    assert_eq!(
        groups.target_groups().iter().filter(|g| g.target_group_name() == Some(&format!("slw-{name}"))).count(),
        1
    );
    let rules = aws.elb.describe_rules().listener_arn(&listener).send().await.expect("rules");
    assert_eq!(rules.rules().iter().filter(|r| r.is_default() != Some(true)).count(), 1);
    let services =
        aws.ecs.describe_services().cluster(format!("slipway-{target}")).services(&name).send().await.expect("svc");
    assert_eq!(services.services().len(), 1);
}
