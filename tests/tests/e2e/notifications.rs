//! Notifications end to end: Slack, Discord and signed JSON webhooks received
//! by a local HTTP sink on deploy started / live / failed / rolled back;
//! retries with backoff; failed deliveries visible over the API.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use slipway_tests::deploys::{Api, fixture_repo, wait_until_done};
use slipway_tests::webhooks::hmac_hex;
use slipway_tests::{spawn_app_with, wait_until};

#[derive(Clone, Default)]
struct Sink {
    received: Arc<Mutex<Vec<(String, HeaderMap, Value)>>>,
    flaky_failures: Arc<Mutex<u32>>,
}

async fn receive(State(sink): State<Sink>, Path(channel): Path<String>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if channel == "flaky" {
        let mut failures = sink.flaky_failures.lock().expect("lock");
        if *failures < 2 {
            *failures += 1;
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    sink.received.lock().expect("lock").push((channel, headers, value));
    StatusCode::OK
}

async fn start_sink() -> (Sink, String) {
    let sink = Sink::default();
    let router = axum::Router::new().route("/{channel}", axum::routing::post(receive)).with_state(sink.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the sink");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (sink, url)
}

impl Sink {
    fn texts(&self, channel: &str) -> Vec<Value> {
        self.received.lock().expect("lock").iter().filter(|(c, ..)| c == channel).map(|(_, _, v)| v.clone()).collect()
    }

    async fn wait_for(&self, channel: &str, count: usize) -> Vec<Value> {
        wait_until(&format!("{count} messages on {channel}"), Duration::from_secs(60), || async {
            let got = self.texts(channel);
            (got.len() >= count).then_some(got)
        })
        .await
    }
}

#[tokio::test]
async fn deploy_events_reach_slack_discord_and_signed_webhooks() {
    let app = spawn_app_with(|config| config.notify_retry_base_ms = 50).await;
    let api = Api::new(&app).await;
    let (sink, base) = start_sink().await;
    let repo = fixture_repo("notified\n");
    let name = api.create_app(&repo.http_url, json!({})).await;
    let channel = |body: Value| {
        let api = &api;
        let name = name.clone();
        async move {
            let (status, created) = api.post(&format!("/api/v1/apps/{name}/notifications"), body).await;
            assert_eq!(status, 201, "{created}");
            created
        }
    };
    channel(json!({ "kind": "slack", "url": format!("{base}/slack") })).await;
    channel(json!({ "kind": "discord", "url": format!("{base}/discord"), "events": ["live", "failed"] })).await;
    let hook = channel(json!({ "kind": "webhook", "url": format!("{base}/hook"), "secret": "s3cret" })).await;
    assert_eq!(hook["signed"], json!(true));
    assert_eq!(hook["host"], json!("127.0.0.1"));
    channel(json!({ "kind": "webhook", "url": "http://127.0.0.1:9/nothing-listens", "events": ["started"] })).await;
    let (status, global) = api
        .post("/api/v1/notifications", json!({ "kind": "slack", "url": format!("{base}/flaky"), "events": ["live"] }))
        .await;
    assert_eq!(status, 201, "{global}");
    let (status, refused) =
        api.post(&format!("/api/v1/apps/{name}/notifications"), json!({ "kind": "pager", "url": "nope" })).await;
    assert_eq!(status, 422);
    assert!(
        refused["error"]["fields"]["kind"].is_object() && refused["error"]["fields"]["url"].is_object(),
        "{refused}"
    );

    // A deployment that goes live.
    let first = api.deploy(&name, None).await;
    assert_eq!(wait_until_done(&app, first).await.status, "live");
    let slack = sink.wait_for("slack", 2).await;
    assert!(slack[0]["text"].as_str().unwrap_or_default().starts_with(&format!("🚀 Deploying {name}")), "{slack:?}");
    assert!(slack[1]["text"].as_str().unwrap_or_default().contains("is live at http://"), "{slack:?}");
    let discord = sink.wait_for("discord", 1).await;
    assert!(discord[0]["content"].as_str().unwrap_or_default().starts_with("✅"), "{discord:?}");
    let hooks = sink.wait_for("hook", 2).await;
    assert_eq!(hooks[1]["event"], json!("live"));
    assert_eq!(hooks[1]["deployment"]["deployment_id"], json!(first));
    let (_, headers, body) =
        sink.received.lock().expect("lock").iter().find(|(c, ..)| c == "hook").cloned().expect("a hook request");
    let signature = headers.get("x-slipway-signature").and_then(|v| v.to_str().ok()).expect("signed").to_owned();
    let raw = serde_json::to_vec(&body).expect("JSON");
    assert_eq!(signature, format!("sha256={}", hmac_hex("s3cret", &raw)), "the signature covers the body");
    // The flaky channel answered 500 twice: delivered on the third attempt.
    let flaky = sink.wait_for("flaky", 1).await;
    assert!(flaky[0]["text"].as_str().unwrap_or_default().contains("is live"));

    // A deployment that fails, then a rollback.
    let bad = api.deploy(&name, Some("0123456789abcdef0123456789abcdef01234567")).await;
    assert_eq!(wait_until_done(&app, bad).await.status, "failed");
    let slack = sink.wait_for("slack", 4).await;
    assert!(
        slack[3]["text"].as_str().unwrap_or_default().starts_with(&format!("❌ Deployment #{bad} of {name}")),
        "{slack:?}"
    );
    let discord = sink.wait_for("discord", 2).await;
    assert!(discord[1]["content"].as_str().unwrap_or_default().contains("failed"), "{discord:?}");
    repo.push(&[("www/index.html", b"v2\n")], "second");
    let second = api.deploy(&name, None).await;
    assert_eq!(wait_until_done(&app, second).await.status, "live");
    let (status, queued) = api.post(&format!("/api/v1/apps/{name}/rollback"), json!({ "deployment_id": first })).await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(wait_until_done(&app, queued["id"].as_i64().expect("id")).await.status, "live");
    let slack = wait_until("a rolled-back message", Duration::from_secs(60), || async {
        let texts = sink.texts("slack");
        texts.iter().any(|t| t["text"].as_str().unwrap_or_default().starts_with("↩️")).then_some(texts)
    })
    .await;
    assert!(slack.iter().any(|t| t["text"].as_str().unwrap_or_default().contains(&format!("{name} was rolled back"))));

    // Deliveries over the API: the flaky one took 3 attempts; the unreachable one failed with its reason.
    let deliveries = wait_until("the unreachable channel to give up", Duration::from_secs(60), || async {
        let (_, answer) = api.get(&format!("/api/v1/apps/{name}/notifications")).await;
        let deliveries = answer["deliveries"].as_array()?.clone();
        deliveries.iter().any(|d| d["status"] == json!("failed")).then_some(deliveries)
    })
    .await;
    let failed = deliveries.iter().find(|d| d["status"] == json!("failed")).expect("a failed delivery");
    assert_eq!(failed["attempts"], json!(6));
    assert!(failed["last_error"].as_str().unwrap_or_default().contains("could not reach the channel"), "{failed}");
    assert!(
        deliveries
            .iter()
            .any(|d| d["host"] == json!("127.0.0.1") && d["attempts"] == json!(3) && d["status"] == json!("sent")),
        "{deliveries:?}"
    );
}
