//! The queue under pressure: a crash mid-build, cancel, supersede, and inputs
//! that must fail in plain words.

use std::time::Duration;

use serde_json::json;
use slipway_tests::deploys::{Api, dockerfile_with, fixture_repo, wait_for_status, wait_until_done};
use slipway_tests::git_server::git_server;
use slipway_tests::spawn_app;

/// A commit whose build takes `seconds` (a RUN that sleeps).
fn slow_build(seconds: u32) -> String {
    // A unique echo defeats the engine's layer cache from earlier runs.
    let id = slipway_tests::unique("build");
    dockerfile_with(&format!(
        "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo slow build {id} starts; sleep {seconds}\"]"
    ))
}

#[tokio::test]
async fn a_crash_mid_build_fails_that_deployment_and_the_queue_resumes() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let repo = fixture_repo("before the crash\n");
    let name = api.create_app(&repo.http_url, json!({})).await;
    let first = wait_until_done(&app, api.deploy(&name, None).await).await;
    assert_eq!(first.status, "live", "{:?}", first.error);
    let fast_commit = first.commit_sha.clone().expect("sha");

    repo.push(&[("Dockerfile", slow_build(60).as_bytes())], "slow build");
    let slow = api.deploy(&name, None).await;
    wait_for_status(&app, slow, &["building"], Duration::from_secs(60)).await;
    // Queued behind it: the earlier (already built) commit.
    let queued = api.deploy(&name, Some(&fast_commit)).await;

    let app = app.crash_and_restart().await;
    let interrupted = wait_until_done(&app, slow).await;
    assert_eq!(interrupted.status, "failed");
    assert!(interrupted.error.as_deref().unwrap_or_default().starts_with("interrupted:"), "{:?}", interrupted.error);
    let log = slipway_server::deploy::logs::lines_after(&app.state.db, slow, 0, 100_000).await.expect("log");
    let last = log.last().map(|l| l.line.as_str()).unwrap_or_default();
    assert!(last.starts_with("✗ interrupted:"), "the log says so too: {last}");
    // The edge kept serving the live release through the crash.
    assert_eq!(app.edge_get(&name, "/").await, Ok((200, "before the crash\n".into())));
    let resumed = wait_until_done(&app, queued).await;
    assert_eq!(resumed.status, "live", "the queued deployment ran after the restart: {:?}", resumed.error);
    assert_eq!(app.edge_get(&name, "/").await, Ok((200, "before the crash\n".into())));
}

#[tokio::test]
async fn cancel_and_supersede() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let repo = fixture_repo("serving\n");
    let name = api.create_app(&repo.http_url, json!({})).await;
    assert_eq!(wait_until_done(&app, api.deploy(&name, None).await).await.status, "live");

    repo.push(&[("Dockerfile", slow_build(60).as_bytes())], "slow build");
    let running = api.deploy(&name, None).await;
    wait_for_status(&app, running, &["building"], Duration::from_secs(60)).await;

    // Two quick requests while it builds: the older queued one is superseded.
    let older = api.deploy(&name, None).await;
    let newer = api.deploy(&name, None).await;
    let superseded = wait_until_done(&app, older).await;
    assert_eq!(superseded.status, "superseded");
    assert!(superseded.error.unwrap_or_default().contains(&format!("#{newer}")));

    // Cancel stops the running build; the old release keeps serving.
    let (status, answer) = api.post(&format!("/api/v1/deployments/{running}/cancel"), json!({})).await;
    assert_eq!(status, 200, "{answer}");
    let cancelled = wait_until_done(&app, running).await;
    assert_eq!(cancelled.status, "cancelled");
    assert_eq!(cancelled.steps.iter().find(|s| s.step == "build").map(|s| s.outcome.as_str()), Some("cancelled"));
    assert_eq!(app.edge_get(&name, "/").await, Ok((200, "serving\n".into())));

    // The newer request now runs; cancel it while queued or running, too.
    let (status, _) = api.post(&format!("/api/v1/deployments/{newer}/cancel"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(wait_until_done(&app, newer).await.status, "cancelled");

    // Cancelling a finished deployment is refused.
    let (status, refused) = api.post(&format!("/api/v1/deployments/{running}/cancel"), json!({})).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("not_cancellable")), "{refused}");
}

#[tokio::test]
async fn bad_input_fails_clearly() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;

    // Refused at once: a Dockerfile outside the repository.
    let (status, refused) = api
        .post(
            "/api/v1/apps",
            json!({ "name": "outside", "repo_url": "https://example.com/x.git", "dockerfile": "../x" }),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(refused["error"]["fields"]["dockerfile"]["code"], "path_outside_repo");

    // Nothing listens on port 1.
    let unreachable = api.create_app("http://127.0.0.1:1/nothing.git", json!({})).await;
    let done = wait_until_done(&app, api.deploy(&unreachable, None).await).await;
    assert_eq!(done.status, "failed");
    assert!(done.error.as_deref().unwrap_or_default().starts_with("Can't reach the git host"), "{:?}", done.error);

    // The git server answers, but there is no such repository.
    let missing = api.create_app(&format!("{}/no-such-repo.git", git_server().base_url), json!({})).await;
    let done = wait_until_done(&app, api.deploy(&missing, None).await).await;
    assert!(done.error.as_deref().unwrap_or_default().starts_with("No repository was found"), "{:?}", done.error);

    // A branch that doesn't exist, and a commit that doesn't exist.
    let repo = fixture_repo("x\n");
    let no_branch = api.create_app(&repo.http_url, json!({ "branch": "release" })).await;
    let done = wait_until_done(&app, api.deploy(&no_branch, None).await).await;
    assert!(
        done.error.as_deref().unwrap_or_default().starts_with("Branch \"release\" does not exist"),
        "{:?}",
        done.error
    );
    let good = api.create_app(&repo.file_url, json!({})).await;
    let done = wait_until_done(&app, api.deploy(&good, Some("deadbeefdeadbeef")).await).await;
    assert!(
        done.error.as_deref().unwrap_or_default().starts_with("Commit deadbeefdeadbeef was not found"),
        "{:?}",
        done.error
    );
    let (status, refused) = api.post(&format!("/api/v1/apps/{good}/deployments"), json!({ "commit": "main" })).await;
    assert_eq!((status, refused["error"]["fields"]["commit"]["code"].as_str()), (422, Some("invalid_commit")));

    // A symlink in the build context that points outside it.
    let escaping = fixture_repo("x\n");
    std::os::unix::fs::symlink("/etc/passwd", escaping.work_dir.join("www/passwd")).expect("symlink");
    escaping.push(&[], "link to /etc/passwd");
    let linked = api.create_app(&escaping.http_url, json!({})).await;
    let done = wait_until_done(&app, api.deploy(&linked, None).await).await;
    assert!(
        done.error
            .as_deref()
            .unwrap_or_default()
            .contains("The symlink \"www/passwd\" points outside the build context"),
        "{:?}",
        done.error
    );
    assert!(api.log(done.id).await.contains("points outside the build context"), "the log says it too");

    // Unknown deployment ids are 404s.
    let (status, _) = api.get("/api/v1/deployments/999999").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn private_repositories_need_the_apps_git_token() {
    use slipway_tests::git_server::{PRIVATE_TOKEN, PRIVATE_USER};
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let repo = fixture_repo("private\n");

    let anonymous = api.create_app(&repo.private_url(), json!({})).await;
    let done = wait_until_done(&app, api.deploy(&anonymous, None).await).await;
    assert!(done.error.as_deref().unwrap_or_default().starts_with("The git host refused access"), "{:?}", done.error);

    let wrong = api.create_app(&repo.private_url(), json!({ "git_token": "not-the-token" })).await;
    let done = wait_until_done(&app, api.deploy(&wrong, None).await).await;
    assert!(done.error.as_deref().unwrap_or_default().starts_with("The git host refused access"), "{:?}", done.error);

    let with_token =
        api.create_app(&repo.private_url(), json!({ "git_username": PRIVATE_USER, "git_token": PRIVATE_TOKEN })).await;
    let done = wait_until_done(&app, api.deploy(&with_token, None).await).await;
    assert_eq!(done.status, "live", "{:?}", done.error);
    let (status, shown) = api.get(&format!("/api/v1/apps/{with_token}")).await;
    assert_eq!((status, shown["has_git_token"].as_bool()), (200, Some(true)));
    assert!(!shown.to_string().contains(PRIVATE_TOKEN), "the token is never returned");
}
