//! One smoke test per test-bed component: each real thing answers as the rest
//! of the suite expects.

use std::time::Duration;

use bollard::auth::DockerCredentials;
use bollard::query_parameters::{PushImageOptionsBuilder, TagImageOptionsBuilder};
use futures::StreamExt;
use slipway_tests::docker::{self, docker, fixture_image, remove_container, run_published};
use slipway_tests::git_server::git_server;
use slipway_tests::moto::moto;
use slipway_tests::registry::registry;
use slipway_tests::{unique, wait_until};

#[tokio::test]
async fn engine_builds_and_runs_the_fixture_image() {
    let docker = docker().await;
    let image = fixture_image().await;
    let container = run_published(&docker, image).await;
    let url = format!("http://127.0.0.1:{}/", container.host_port);
    let body = wait_until("the fixture container to answer", Duration::from_secs(20), || async {
        reqwest::get(&url).await.ok().filter(|r| r.status().is_success())?.text().await.ok()
    })
    .await;
    remove_container(&docker, &container.name).await;
    assert_eq!(body, "fixture ok\n");
}

#[tokio::test]
async fn a_failed_build_reports_the_builders_message() {
    let docker = docker().await;
    let files = vec![("Dockerfile".to_owned(), b"FROM scratch\nRUN [\"/bin/does-not-exist\"]\n".to_vec())];
    let error =
        docker::build_image(&docker, &format!("slipway-test/broken:{}", unique("t")), &files).await.unwrap_err();
    assert!(error.contains("does-not-exist") || error.contains("no such file"), "unexpected error: {error}");
}

#[tokio::test]
async fn registry_accepts_pushes_with_credentials_only() {
    let docker = docker().await;
    let registry = registry();
    let repo = format!("{}/slipway-test/fixture", registry.address);
    let tag = unique("t");
    docker
        .tag_image(fixture_image().await, Some(TagImageOptionsBuilder::new().repo(&repo).tag(&tag).build()))
        .await
        .expect("tagging");
    let push = |credentials: Option<DockerCredentials>| {
        let docker = docker.clone();
        let (repo, tag) = (repo.clone(), tag.clone());
        async move {
            let mut stream =
                docker.push_image(&repo, Some(PushImageOptionsBuilder::new().tag(&tag).build()), credentials);
            while let Some(item) = stream.next().await {
                if let Err(e) = item {
                    return Err(e.to_string());
                }
                if let Some(detail) = item.ok().and_then(|i| i.error_detail) {
                    return Err(format!("{detail:?}"));
                }
            }
            Ok(())
        }
    };
    let anonymous = push(None).await;
    assert!(anonymous.is_err(), "an anonymous push must be refused");
    push(Some(DockerCredentials {
        username: Some(registry.username.clone()),
        password: Some(registry.password.clone()),
        serveraddress: Some(registry.address.clone()),
        ..DockerCredentials::default()
    }))
    .await
    .expect("an authenticated push");

    let tags: serde_json::Value = reqwest::Client::new()
        .get(format!("http://{}/v2/slipway-test/fixture/tags/list", registry.address))
        .basic_auth(&registry.username, Some(&registry.password))
        .send()
        .await
        .expect("listing tags")
        .json()
        .await
        .expect("tags JSON");
    assert!(tags["tags"].as_array().expect("tags").iter().any(|t| t == &serde_json::json!(tag)), "{tags}");
    let _ = docker
        .remove_image(&format!("{repo}:{tag}"), None::<bollard::query_parameters::RemoveImageOptions>, None)
        .await;
}

#[tokio::test]
async fn moto_answers_ecs_calls() {
    let client = reqwest::Client::new();
    let call = |target: &'static str, body: serde_json::Value| {
        client
            .post(&moto().endpoint)
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", format!("AmazonEC2ContainerServiceV20141113.{target}"))
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=0",
            )
            .body(body.to_string())
            .send()
    };
    let cluster = unique("cluster");
    let created: serde_json::Value = call("CreateCluster", serde_json::json!({ "clusterName": cluster }))
        .await
        .expect("CreateCluster")
        .json()
        .await
        .expect("JSON");
    assert_eq!(created["cluster"]["clusterName"], serde_json::json!(cluster));
    let listed: serde_json::Value =
        call("ListClusters", serde_json::json!({})).await.expect("ListClusters").json().await.expect("JSON");
    assert!(
        listed["clusterArns"]
            .as_array()
            .expect("ARNs")
            .iter()
            .any(|arn| arn.as_str().is_some_and(|a| a.ends_with(&cluster)))
    );
}

#[tokio::test]
async fn git_clones_over_http_and_file() {
    let server = git_server();
    let repo = server.create_repo(&[("README.md", b"hello\n")]);
    let sha = repo.push(&[("app.txt", b"v2\n")], "second commit");
    for url in [&repo.http_url, &repo.file_url] {
        let target = tempfile::tempdir().expect("temp dir");
        let url = url.clone();
        let path = target.path().to_path_buf();
        let cloned = tokio::task::spawn_blocking(move || git2::Repository::clone(&url, &path))
            .await
            .expect("clone task")
            .unwrap_or_else(|e| panic!("cloning {}: {e}", repo.http_url));
        let head = cloned.head().expect("HEAD").peel_to_commit().expect("commit").id().to_string();
        assert_eq!(head, sha);
        assert_eq!(std::fs::read_to_string(target.path().join("app.txt")).expect("file"), "v2\n");
    }
}
