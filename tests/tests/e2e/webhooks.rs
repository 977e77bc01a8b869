//! Git webhooks end to end: deliveries shaped like each host's push events,
//! signed like each host signs them, against the real pipeline.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use slipway_tests::deploys::{Api, fixture_repo, wait_until_done};
use slipway_tests::webhooks::{bitbucket_push, gitea_push, github_push, gitlab_push, hmac_hex};
use slipway_tests::{TestApp, spawn_app, unique, wait_until};

struct Hook {
    url: String,
    secret: String,
    client: reqwest::Client,
}

impl Hook {
    async fn enable(app: &TestApp, api: &Api, name: &str, branches: Option<&str>) -> Self {
        let body = branches.map_or_else(|| json!({}), |b| json!({ "branches": b }));
        let (status, answer) = api.post(&format!("/api/v1/apps/{name}/webhook"), body).await;
        assert_eq!(status, 200, "{answer}");
        assert!(answer["url"].as_str().unwrap_or_default().ends_with(&format!("/hooks/{name}")), "{answer}");
        Hook {
            url: app.at(&format!("/hooks/{name}")),
            secret: answer["secret"].as_str().expect("secret").to_owned(),
            client: reqwest::Client::new(),
        }
    }

    async fn send(&self, headers: &[(&str, String)], body: &[u8]) -> (u16, Value) {
        let mut request = self.client.post(&self.url).header("Content-Type", "application/json").body(body.to_vec());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("delivery");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A GitHub delivery, signed with `secret`.
    async fn github(&self, event: &str, delivery: &str, payload: &Value, secret: &str) -> (u16, Value) {
        let body = serde_json::to_vec(payload).expect("JSON");
        let signature = format!("sha256={}", hmac_hex(secret, &body));
        self.send(
            &[
                ("X-GitHub-Event", event.to_owned()),
                ("X-GitHub-Delivery", delivery.to_owned()),
                ("X-Hub-Signature-256", signature),
            ],
            &body,
        )
        .await
    }
}

#[tokio::test]
async fn a_github_push_deploys_and_bad_deliveries_are_refused_or_ignored() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let repo = fixture_repo("pushed\n");
    let name = api.create_app(&repo.http_url, json!({})).await;
    let commit = repo.push(&[("www/index.html", b"pushed v2\n")], "ship the new page");
    let hook = Hook::enable(&app, &api, &name, None).await;

    let (status, pong) = hook
        .github("ping", &unique("d"), &json!({ "zen": "Keep it logically awesome.", "hook_id": 1 }), &hook.secret)
        .await;
    assert_eq!((status, pong["outcome"].as_str()), (200, Some("ping")), "{pong}");

    // A push to main: 202 once the deployment is queued; it goes live with the pusher and message.
    let delivery = unique("delivery");
    let push = github_push("refs/heads/main", &commit, "ship the new page", false);
    let started = Instant::now();
    let (status, queued) = hook.github("push", &delivery, &push, &hook.secret).await;
    let took = started.elapsed();
    assert_eq!(status, 202, "{queued}");
    eprintln!("webhook: 202 after {took:?}");
    let id = queued["deployment_id"].as_i64().expect("deployment id");
    let done = wait_until_done(&app, id).await;
    assert_eq!(done.status, "live", "{:?}", done.error);
    assert_eq!(done.trigger, "webhook");
    assert_eq!(done.requested_by, "octocat (push via GitHub)");
    assert_eq!(done.commit_sha.as_deref(), Some(commit.as_str()));
    assert_eq!(done.commit_message.as_deref(), Some("ship the new page"));

    // The audit log says who pushed.
    let (_, audit) = api.get("/api/v1/audit?action=deployment.webhook").await;
    assert_eq!(audit[0]["actor"], json!("octocat via GitHub"), "{audit}");
    assert_eq!(audit[0]["subject"], json!(name));

    // The same delivery again: recorded, nothing deployed twice.
    let (status, again) = hook.github("push", &delivery, &push, &hook.secret).await;
    assert_eq!((status, again["outcome"].as_str()), (200, Some("duplicate")), "{again}");

    // Tampered body, wrong secret, missing signature: 401 saying why.
    let body = serde_json::to_vec(&push).expect("JSON");
    let signature = format!("sha256={}", hmac_hex(&hook.secret, &body));
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let (status, refused) = hook
        .send(
            &[
                ("X-GitHub-Event", "push".into()),
                ("X-GitHub-Delivery", unique("d")),
                ("X-Hub-Signature-256", signature),
            ],
            &tampered,
        )
        .await;
    assert_eq!(status, 401);
    assert!(refused["detail"].as_str().unwrap_or_default().contains("does not match"), "{refused}");
    let (status, _) = hook.github("push", &unique("d"), &push, "not-the-secret").await;
    assert_eq!(status, 401);
    let (status, missing) =
        hook.send(&[("X-GitHub-Event", "push".into()), ("X-GitHub-Delivery", unique("d"))], &body).await;
    assert_eq!(status, 401);
    assert!(
        missing["detail"].as_str().unwrap_or_default().contains("X-Hub-Signature-256 header is missing"),
        "{missing}"
    );

    // Pushes that don't deploy: a tag, a deleted branch, another branch, [skip deploy].
    for (payload, why) in [
        (github_push("refs/tags/v1.0.0", &commit, "release", false), "tag push"),
        (github_push("refs/heads/main", &commit, "", true), "was deleted"),
        (github_push("refs/heads/feature/x", &commit, "wip", false), "doesn't match"),
        (github_push("refs/heads/main", &commit, "docs only [skip deploy]", false), "skip deploy"),
    ] {
        let (status, ignored) = hook.github("push", &unique("d"), &payload, &hook.secret).await;
        assert_eq!((status, ignored["outcome"].as_str()), (200, Some("ignored")), "{ignored}");
        assert!(ignored["detail"].as_str().unwrap_or_default().contains(why), "{why}: {ignored}");
    }

    // Not a git host, and a body over the limit.
    let (status, unknown) = hook.send(&[], b"{}").await;
    assert_eq!(status, 400);
    assert!(unknown["detail"].as_str().unwrap_or_default().contains("X-GitHub-Event"), "{unknown}");
    let huge = vec![b' '; 2 * 1024 * 1024 - 4096];
    let (status, _) = hook.send(&[("X-GitHub-Event", "push".into())], &huge).await;
    assert_eq!(status, 413);

    // Every delivery is listed, newest first, with its outcome.
    let (_, listed) = api.get(&format!("/api/v1/apps/{name}/webhook")).await;
    let outcomes: Vec<&str> =
        listed["deliveries"].as_array().expect("deliveries").iter().filter_map(|d| d["outcome"].as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "invalid",
            "ignored",
            "ignored",
            "ignored",
            "ignored",
            "refused",
            "refused",
            "refused",
            "duplicate",
            "queued",
            "ping"
        ],
        "{listed}"
    );
    assert_eq!(listed["deliveries"][9]["deployment_id"], json!(id));
    assert_eq!(listed["deliveries"][9]["pusher"], json!("octocat"));

    // Rotating the secret retires the old one at once.
    let old = hook.secret.clone();
    let rotated = Hook::enable(&app, &api, &name, Some("main, release/*")).await;
    assert_ne!(rotated.secret, old);
    let (status, _) = rotated.github("push", &unique("d"), &push, &old).await;
    assert_eq!(status, 401);
    let release = github_push("refs/heads/release/2.0", &commit, "release branch", false);
    let (status, answer) = rotated.github("push", &unique("d"), &release, &rotated.secret).await;
    assert_eq!(status, 202, "release/* matches now: {answer}");
}

#[tokio::test]
async fn gitlab_gitea_and_bitbucket_pushes_deploy() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let repo = fixture_repo("hosts\n");
    let commit = repo.push(&[("www/index.html", b"hosts v2\n")], "from another host");
    for provider in ["gitlab", "gitea", "bitbucket"] {
        let name = api.create_app(&repo.http_url, json!({})).await;
        let hook = Hook::enable(&app, &api, &name, None).await;
        let delivery = unique("d");
        let (payload, headers): (Value, Vec<(&str, String)>) = match provider {
            "gitlab" => (
                gitlab_push(&commit, "from another host"),
                vec![
                    ("X-Gitlab-Event", "Push Hook".into()),
                    ("X-Gitlab-Event-UUID", delivery.clone()),
                    ("X-Gitlab-Token", hook.secret.clone()),
                ],
            ),
            "gitea" => {
                let payload = gitea_push(&commit, "from another host");
                let signature = hmac_hex(&hook.secret, &serde_json::to_vec(&payload).expect("JSON"));
                (
                    payload,
                    vec![
                        ("X-GitHub-Event", "push".into()),
                        ("X-Gitea-Event", "push".into()),
                        ("X-Gitea-Delivery", delivery.clone()),
                        ("X-Gitea-Signature", signature),
                    ],
                )
            }
            _ => {
                let payload = bitbucket_push(&commit, "from another host");
                let signature =
                    format!("sha256={}", hmac_hex(&hook.secret, &serde_json::to_vec(&payload).expect("JSON")));
                (
                    payload,
                    vec![
                        ("X-Event-Key", "repo:push".into()),
                        ("X-Request-UUID", delivery.clone()),
                        ("X-Hub-Signature", signature),
                    ],
                )
            }
        };
        let body = serde_json::to_vec(&payload).expect("JSON");
        let (status, queued) = hook.send(&headers, &body).await;
        assert_eq!(status, 202, "{provider}: {queued}");
        let id = queued["deployment_id"].as_i64().expect("id");
        let done = wait_until_done(&app, id).await;
        assert_eq!(done.status, "live", "{provider}: {:?}", done.error);
        let who = match provider {
            "gitlab" => "jsmith (push via GitLab)",
            "gitea" => "gitea (push via Gitea)",
            _ => "emma (push via Bitbucket)",
        };
        assert_eq!(done.requested_by, who);
        // Replayed: a duplicate. Wrong secret: refused.
        let (status, again) = hook.send(&headers, &body).await;
        assert_eq!((status, again["outcome"].as_str()), (200, Some("duplicate")), "{provider}: {again}");
        let wrong: Vec<(&str, String)> =
            headers
                .iter()
                .map(|(k, v)| {
                    if k.contains("Token") || k.contains("Signature") { (*k, format!("{v}0")) } else { (*k, v.clone()) }
                })
                .collect();
        let (status, refused) = hook.send(&wrong, &body).await;
        assert_eq!(status, 401, "{provider}: {refused}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_deliveries_lose_nothing() {
    let app = spawn_app().await;
    let api = Api::new(&app).await;
    let repo = fixture_repo("burst\n");
    let name = api.create_app(&repo.http_url, json!({})).await;
    let commits: Vec<String> = (0..10)
        .map(|i| repo.push(&[("www/index.html", format!("burst {i}\n").as_bytes())], &format!("commit {i}")))
        .collect();
    let hook = std::sync::Arc::new(Hook::enable(&app, &api, &name, None).await);
    let started = Instant::now();
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let hook = hook.clone();
            let commit = commits[i % 10].clone();
            tokio::spawn(async move {
                let push = github_push("refs/heads/main", &commit, &format!("burst {i}"), false);
                let sent = Instant::now();
                let (status, answer) = hook.github("push", &format!("burst-{i}"), &push, &hook.secret).await;
                (status, answer, sent.elapsed(), commit)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        let (status, answer, took, _) = task.await.expect("delivery task");
        assert_eq!(status, 202, "{answer}");
        assert!(["queued", "joined"].contains(&answer["outcome"].as_str().unwrap_or_default()), "{answer}");
        latencies.push(took);
    }
    latencies.sort();
    eprintln!(
        "1000 concurrent deliveries in {:?}: 202 p50 {:?}, p99 {:?}",
        started.elapsed(),
        latencies[500],
        latencies[990]
    );

    // Every delivery recorded, each pointing at a deployment of its own commit.
    let db = &app.state.db;
    let (recorded, linked): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(w.deployment_id) FROM webhook_deliveries w JOIN apps a ON a.id = w.app_id
         JOIN deployments d ON d.id = w.deployment_id WHERE a.name = ? AND d.requested_commit = w.commit_sha",
    )
    .bind(&name)
    .fetch_one(db)
    .await
    .expect("count");
    assert_eq!((recorded, linked), (1000, 1000));

    // The supersede rule: once all is over, the newest deployment is live; every
    // older one was either superseded while queued or live before it.
    wait_until("the burst to settle", Duration::from_secs(180), || async {
        let active: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deployments WHERE status NOT IN ('live', 'failed', 'superseded', 'cancelled') OR (status = 'live' AND finished_at IS NULL)",
        )
        .fetch_one(db)
        .await
        .ok()?;
        (active == 0).then_some(())
    })
    .await;
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, status, requested_commit FROM deployments ORDER BY id")
            .fetch_all(db)
            .await
            .expect("rows");
    let (newest, newest_status, _) = rows.last().expect("deployments").clone();
    assert_eq!(newest_status, "live", "{rows:?}");
    assert!(rows.iter().all(|(_, status, _)| status == "live" || status == "superseded"), "{rows:?}");
    let ran = rows.iter().filter(|(_, s, _)| s == "live").count();
    eprintln!("{} deployments created for 1000 deliveries; {ran} ran, the rest were superseded or joined", rows.len());
    let current: i64 = sqlx::query_scalar("SELECT live_deployment_id FROM apps WHERE name = ?")
        .bind(&name)
        .fetch_one(db)
        .await
        .expect("live");
    assert_eq!(current, newest);
}

mod in_the_browser {
    use fantoccini::Locator;
    use serde_json::json;
    use slipway_tests::browser::browser;
    use slipway_tests::deploys::{Api, fixture_repo};
    use slipway_tests::webhooks::{github_push, hmac_hex};
    use slipway_tests::{spawn_app, unique, wait_until};

    use super::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn turn_on_the_webhook_and_see_its_deliveries() {
        const WAIT: Duration = Duration::from_secs(60);
        let app = spawn_app().await;
        let api = Api::new(&app).await;
        let repo = fixture_repo("hooked\n");
        let name = api.create_app(&repo.http_url, json!({})).await;
        let commit = repo.push(&[("www/index.html", b"hooked v2\n")], "via the hook");
        app.create_user("dev@example.com", "correct horse battery").await;
        let browser = browser(true).await;
        let text = |css: &'static str, want: String| {
            let browser = browser.clone();
            async move {
                wait_until(&format!("{want} in {css}"), WAIT, || async {
                    browser
                        .find(Locator::Css(css))
                        .await
                        .ok()?
                        .text()
                        .await
                        .ok()
                        .filter(|t| t.contains(&want))
                        .map(drop)
                })
                .await
            }
        };
        slipway_tests::browser::sign_in(&browser, &app, "dev@example.com", "correct horse battery").await;
        browser.goto(&app.at(&format!("/apps/{name}"))).await.expect("app page");
        browser.wait().at_most(WAIT).for_element(Locator::Css("html[data-hydrated='true']")).await.expect("hydrated");
        text("#webhook", "Off.".into()).await;
        browser
            .find(Locator::Css("button[data-action='rotate-webhook']"))
            .await
            .expect("button")
            .click()
            .await
            .expect("click");
        text("#webhook", "shown once".into()).await;
        let secret = browser.find(Locator::Css(".webhook-secret")).await.expect("secret").text().await.expect("text");
        assert_eq!(secret.len(), 48, "{secret}");
        text("#webhook .webhook-url", format!("/hooks/{name}")).await;

        let body = serde_json::to_vec(&github_push("refs/heads/main", &commit, "via the hook", false)).expect("JSON");
        let response = reqwest::Client::new()
            .post(app.at(&format!("/hooks/{name}")))
            .header("X-GitHub-Event", "push")
            .header("X-GitHub-Delivery", unique("d"))
            .header("X-Hub-Signature-256", format!("sha256={}", hmac_hex(&secret, &body)))
            .body(body)
            .send()
            .await
            .expect("delivery");
        assert_eq!(response.status().as_u16(), 202);
        browser.refresh().await.expect("reload");
        browser.wait().at_most(WAIT).for_element(Locator::Css("html[data-hydrated='true']")).await.expect("hydrated");
        text("#webhook .deliveries", "queued".into()).await;
        text("#webhook .deliveries", "octocat".into()).await;
        let png = browser.screenshot().await.expect("screenshot");
        std::fs::write(slipway_tests::artefacts_dir().join("webhook-deliveries.png"), png).expect("save");

        // A notification channel, added in the same page.
        let url = browser.find(Locator::Css(".channel-form [name='url']")).await.expect("url field");
        url.send_keys("http://127.0.0.1:9/slack-hook").await.expect("type");
        browser
            .find(Locator::Css("button[data-action='add-channel']"))
            .await
            .expect("add")
            .click()
            .await
            .expect("click");
        text("#notifications .channels", "127.0.0.1".into()).await;
        text("#notifications .channels", "started, live, failed, rolled_back".into()).await;
        browser.close().await.expect("close");
    }
}
