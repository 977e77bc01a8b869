//! The deploy pipeline end to end on the real engine, git server and registry:
//! deploy → served through the edge proxy; redeploy (build skipped); a new
//! version; rollback; failures that keep the old release serving.

use std::time::Duration;

use serde_json::json;
use slipway_tests::deploys::{Api, dockerfile_with, fixture_repo, wait_until_done};
use slipway_tests::registry::registry;
use slipway_tests::{spawn_app, wait_until};

async fn edge_body(app: &slipway_tests::TestApp, name: &str) -> String {
    match app.edge_get(name, "/").await {
        Ok((200, body)) => body,
        other => panic!("GET / of {name} through the edge: {other:?}"),
    }
}

#[tokio::test]
async fn deploy_redeploy_update_and_roll_back() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let repo = fixture_repo("version one\n");
    let name = api.create_app(&repo.http_url, json!({ "replicas": 2 })).await;

    // First deployment: every step done, the log carries the builder's output.
    let first = api.deploy(&name, None).await;
    let done = wait_until_done(&app, first).await;
    assert_eq!(done.status, "live", "{:?}", done.error);
    let outcomes: Vec<(&str, &str)> = done.steps.iter().map(|s| (s.step.as_str(), s.outcome.as_str())).collect();
    assert_eq!(
        outcomes,
        [
            ("clone", "done"),
            ("build", "done"),
            ("push", "skipped"),
            ("deploy", "done"),
            ("verify", "done"),
            ("retire", "skipped")
        ]
    );
    assert_eq!(done.commit_message.as_deref(), Some("initial commit"));
    assert!(done.current);
    assert_eq!(edge_body(&app, &name).await, "version one\n");
    let log = api.log(first).await;
    assert!(log.contains("Step 1/") || log.contains("COPY busybox"), "the build output is in the log:\n{log}");
    assert!(log.contains("All 2 replicas are healthy"), "{log}");

    // Redeploying the same commit skips the build.
    let (status, again) = api.post(&format!("/api/v1/deployments/{first}/redeploy"), json!({})).await;
    assert_eq!(status, 202, "{again}");
    let again = wait_until_done(&app, again["id"].as_i64().expect("id")).await;
    assert_eq!(again.status, "live", "{:?}", again.error);
    let build = again.steps.iter().find(|s| s.step == "build").expect("build step");
    assert_eq!(build.outcome, "skipped");
    assert!(build.detail.as_deref().unwrap_or_default().contains("already built"), "{build:?}");
    assert_eq!(again.steps.iter().find(|s| s.step == "retire").map(|s| s.outcome.as_str()), Some("done"));

    // A new commit goes live; the old containers are gone.
    repo.push(&[("www/index.html", b"version two\n")], "second version");
    let second = wait_until_done(&app, api.deploy(&name, None).await).await;
    assert_eq!(second.status, "live", "{:?}", second.error);
    assert_eq!(edge_body(&app, &name).await, "version two\n");
    let replicas: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM replicas").fetch_one(&app.state.db).await.expect("count");
    assert_eq!(replicas, 2, "only the live release's replicas remain");

    // Roll back to the first: no clone, no build.
    let (status, rollback) =
        api.post(&format!("/api/v1/apps/{name}/rollback"), json!({ "deployment_id": first })).await;
    assert_eq!(status, 202, "{rollback}");
    let rollback = wait_until_done(&app, rollback["id"].as_i64().expect("id")).await;
    assert_eq!(rollback.status, "live", "{:?}", rollback.error);
    assert_eq!(rollback.trigger, "rollback");
    assert_eq!(rollback.rollback_of, Some(first));
    assert!(
        rollback
            .steps
            .iter()
            .filter(|s| ["clone", "build", "push"].contains(&s.step.as_str()))
            .all(|s| s.outcome == "skipped")
    );
    assert_eq!(edge_body(&app, &name).await, "version one\n");

    // Rolling back to something that never went live is refused.
    let failed_id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO deployments (app_id, status, trigger, requested_by, created_at) SELECT id, 'failed', 'api', 'x', 0 FROM apps WHERE name = ? RETURNING id",
    )
    .bind(&name)
    .fetch_one(&app.state.db)
    .await
    .expect("insert");
    let (status, refused) =
        api.post(&format!("/api/v1/apps/{name}/rollback"), json!({ "deployment_id": failed_id })).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("not_rollbackable")), "{refused}");

    // Deleting the app stops serving it and removes its containers.
    let (status, _) = api.send(reqwest::Method::DELETE, &format!("/api/v1/apps/{name}"), None).await;
    assert_eq!(status, 204);
    wait_until("the edge to forget the app", Duration::from_secs(5), || async {
        matches!(app.edge_get(&name, "/").await, Ok((404, _))).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_build_error_fails_with_the_builders_message() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let repo = fixture_repo("x\n");
    repo.push(
        &[(
            "Dockerfile",
            dockerfile_with("RUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo compiling; exit 3\"]").as_bytes(),
        )],
        "broken build",
    );
    let name = api.create_app(&repo.http_url, json!({})).await;
    let done = wait_until_done(&app, api.deploy(&name, None).await).await;
    assert_eq!(done.status, "failed");
    let error = done.error.unwrap_or_default();
    assert!(error.starts_with("The build failed:") && error.contains("non-zero code: 3"), "{error}");
    let log = api.log(done.id).await;
    assert!(log.contains("compiling"), "the build's own output is in the log:\n{log}");
    assert!(log.contains("✗ The build failed"), "{log}");
    assert_eq!(done.steps.iter().find(|s| s.step == "build").map(|s| s.outcome.as_str()), Some("failed"));
}

#[tokio::test]
async fn an_unhealthy_release_is_removed_and_the_old_one_keeps_serving() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let repo = fixture_repo("stable\n");
    let name = api.create_app(&repo.http_url, json!({ "health_timeout_secs": 3 })).await;
    assert_eq!(wait_until_done(&app, api.deploy(&name, None).await).await.status, "live");

    // The next version has no /healthz: it never becomes healthy.
    let healthz = repo.work_dir.join("www/healthz");
    std::fs::remove_file(&healthz).expect("removing healthz");
    let noisy = dockerfile_with("").replace(
        "CMD [\"/bin/httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]",
        "CMD [\"/bin/sh\", \"-c\", \"echo booting version two; exec httpd -f -v -p 8080 -h /www\"]",
    );
    repo.push(&[("www/index.html", b"broken\n"), ("Dockerfile", noisy.as_bytes())], "drop the health check");
    let done = wait_until_done(&app, api.deploy(&name, None).await).await;
    assert_eq!(done.status, "failed");
    let error = done.error.unwrap_or_default();
    assert!(error.contains("never became healthy") && error.contains("/healthz answered HTTP 404"), "{error}");
    assert!(error.contains("The previous release keeps serving"), "{error}");
    // The container's own output (busybox httpd -v logs each request) is attached.
    assert!(error.contains("Its last log lines") && error.contains("response:404"), "{error}");
    assert_eq!(edge_body(&app, &name).await, "stable\n");
    let leftovers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM replicas WHERE deployment_id = ?")
        .bind(done.id)
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(leftovers, 0, "the unhealthy replicas were removed");
}

#[tokio::test]
async fn images_are_pushed_to_the_apps_registry() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let registry = registry();
    let repo = fixture_repo("pushed\n");
    let name = api
        .create_app(
            &repo.http_url,
            json!({ "registry": format!("{}/team", registry.address), "registry_username": registry.username, "registry_password": registry.password }),
        )
        .await;
    let done = wait_until_done(&app, api.deploy(&name, None).await).await;
    assert_eq!(done.status, "live", "{:?}", done.error);
    assert_eq!(done.steps.iter().find(|s| s.step == "push").map(|s| s.outcome.as_str()), Some("done"));
    let digest = done.image_digest.expect("a digest was recorded");
    assert!(digest.starts_with("sha256:"), "{digest}");
    let tags: serde_json::Value = reqwest::Client::new()
        .get(format!("http://{}/v2/team/{name}/tags/list", registry.address))
        .basic_auth(&registry.username, Some(&registry.password))
        .send()
        .await
        .expect("registry")
        .json()
        .await
        .expect("JSON");
    assert_eq!(tags["tags"], json!([done.commit_sha.expect("sha")]));

    // Wrong credentials: the push step fails in plain words.
    let (status, _) = api
        .send(reqwest::Method::PUT, &format!("/api/v1/apps/{name}"), Some(json!({ "repo_url": repo.http_url, "health_path": "/healthz", "registry": registry.address, "registry_username": "slipway", "registry_password": "wrong" })))
        .await;
    assert_eq!(status, 200);
    let refused = wait_until_done(&app, api.deploy(&name, None).await).await;
    assert_eq!(refused.status, "failed");
    assert!(refused.error.unwrap_or_default().contains("refused the credentials"), "plain words for a 401");
}

#[tokio::test]
async fn apps_push_to_a_registry_the_team_shares() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let registry = registry();
    // The team adds the registry once; its password is never shown again.
    let (status, created) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/registries",
            Some(json!({ "name": "shared", "address": format!("{}/shared", registry.address),
                         "username": registry.username, "password": registry.password })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["has_password"], true);
    assert!(!created.to_string().contains(&registry.password), "{created}");
    let (status, bad) = api
        .send(reqwest::Method::POST, "/api/v1/registries", Some(json!({ "name": "Bad", "address": "no way" })))
        .await;
    assert_eq!(status, 422);
    assert_eq!(bad["error"]["fields"]["address"]["code"], "invalid_registry", "{bad}");

    let repo = fixture_repo("pushed to the team registry\n");
    let name = api.create_app(&repo.http_url, json!({ "registry_name": "shared" })).await;
    let done = wait_until_done(&app, api.deploy(&name, None).await).await;
    assert_eq!(done.status, "live", "{:?}", done.error);
    assert!(done.image_digest.is_some_and(|d| d.starts_with("sha256:")), "a digest was recorded");
    let tags: serde_json::Value = reqwest::Client::new()
        .get(format!("http://{}/v2/shared/{name}/tags/list", registry.address))
        .basic_auth(&registry.username, Some(&registry.password))
        .send()
        .await
        .expect("registry")
        .json()
        .await
        .expect("JSON");
    assert_eq!(tags["tags"], json!([done.commit_sha.expect("sha")]));

    // In use: it stays until no app pushes to it; an unknown name is a field error.
    let (status, body) = api.send(reqwest::Method::DELETE, "/api/v1/registries/shared", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("registry_in_use")), "{body}");
    let (status, body) = api
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/apps/{name}"),
            Some(json!({ "repo_url": repo.http_url, "registry_name": "nope" })),
        )
        .await;
    assert_eq!((status, body["error"]["fields"]["registry_name"]["code"].as_str()), (422, Some("unknown_registry")));
    let (status, _) = api
        .send(reqwest::Method::PUT, &format!("/api/v1/apps/{name}"), Some(json!({ "repo_url": repo.http_url })))
        .await;
    assert_eq!(status, 200);
    let (status, _) = api.send(reqwest::Method::DELETE, "/api/v1/registries/shared", None).await;
    assert_eq!(status, 204);
}

/// `(id, data)` of the `line` events of an SSE body, and whether it ended with `end`.
fn parse_sse(body: &str) -> (Vec<(i64, String)>, bool) {
    let mut lines = Vec::new();
    let mut ended = false;
    for event in body.split("\n\n") {
        let field = |name: &str| {
            event.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.strip_prefix(' ').unwrap_or(v).to_owned())
        };
        match field("event:").as_deref() {
            Some("line") => lines.push((
                field("id:").and_then(|id| id.parse().ok()).expect("a line event has an id"),
                field("data:").unwrap_or_default(),
            )),
            Some("end") => ended = true,
            _ => {}
        }
    }
    (lines, ended)
}

#[tokio::test]
async fn the_log_stream_resumes_after_the_last_line_seen() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let repo = fixture_repo("streamed\n");
    let name = api.create_app(&repo.file_url, json!({})).await;
    let id = api.deploy(&name, None).await;
    let url = format!("{}/api/v1/deployments/{id}/logs", app.url);
    let sse = |last_seen: Option<i64>| {
        let mut request = api.client.get(&url).bearer_auth(&api.token).header("Accept", "text/event-stream");
        if let Some(last) = last_seen {
            request = request.header("Last-Event-ID", last.to_string());
        }
        async move { request.send().await.expect("SSE").text().await.expect("SSE body") }
    };
    // Followed live from the start: the stream ends by itself when the deployment does.
    let (all, ended) = parse_sse(&sse(None).await);
    assert!(ended, "the stream ends with an `end` event");
    assert_eq!(wait_until_done(&app, id).await.status, "live");
    let text = api.log(id).await;
    assert_eq!(all.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>());

    // A reconnect with Last-Event-ID gets exactly the lines after it.
    let (rest, ended) = parse_sse(&sse(Some(all[2].0)).await);
    assert!(ended);
    assert_eq!(rest, all[3..].to_vec());
    let (status, after) = api.get(&format!("/api/v1/deployments/{id}/logs?after={}", all[2].0)).await;
    assert_eq!(status, 200);
    assert_eq!(after.as_str().map(|t| t.lines().count()), Some(all.len() - 3));
}
