//! Helpers for deployment tests: fixture repositories, apps over the API, and
//! waiting for a deployment to end.

use std::time::Duration;

use serde_json::{Value, json};
use slipway_server::deploy::{Deployment, history};

use crate::docker::busybox_app_files;
use crate::git_server::{TestRepo, git_server};
use crate::{TestApp, wait_until};

/// A repository whose app serves `body` at `/` and `ok` at `/healthz` (busybox httpd, port 8080).
pub fn fixture_repo(body: &str) -> TestRepo {
    let files = busybox_app_files(body);
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (p.as_str(), c.as_slice())).collect();
    git_server().create_repo(&borrowed)
}

/// A Dockerfile like the fixture's, with `extra` lines before CMD.
pub fn dockerfile_with(extra: &str) -> String {
    format!(
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
         COPY www /www\n{extra}\nEXPOSE 8080\nCMD [\"/bin/httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n"
    )
}

/// An API client for `app` with a bearer token.
pub struct Api {
    pub base: String,
    pub token: String,
    pub client: reqwest::Client,
}

impl Api {
    pub async fn new(app: &TestApp) -> Self {
        Self { base: app.url.clone(), token: app.api_token().await, client: reqwest::Client::new() }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("API request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("API body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// Creates an app from `repo` (health path `/healthz`, `extra` settings merged in); returns its name.
    pub async fn create_app(&self, repo_url: &str, extra: Value) -> String {
        let name = crate::unique("app").replace('_', "-");
        let mut body =
            json!({ "name": name, "repo_url": repo_url, "health_path": "/healthz", "health_timeout_secs": 20 });
        if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
            body.extend(extra);
        }
        let (status, answer) = self.post("/api/v1/apps", body).await;
        assert_eq!(status, 201, "creating an app: {answer}");
        name
    }

    /// Queues a deployment; returns its id.
    pub async fn deploy(&self, app: &str, commit: Option<&str>) -> i64 {
        let body = commit.map_or_else(|| json!({}), |c| json!({ "commit": c }));
        let (status, answer) = self.post(&format!("/api/v1/apps/{app}/deployments"), body).await;
        assert_eq!(status, 202, "queuing a deployment: {answer}");
        answer["id"].as_i64().expect("a deployment id")
    }

    pub async fn log(&self, id: i64) -> String {
        let response = self
            .client
            .get(format!("{}/api/v1/deployments/{id}/logs", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET logs");
        response.text().await.expect("log text")
    }
}

/// Waits until deployment `id` reaches one of `statuses`.
pub async fn wait_for_status(app: &TestApp, id: i64, statuses: &[&str], timeout: Duration) -> Deployment {
    let db = app.state.db.clone();
    wait_until(&format!("deployment #{id} to be one of {statuses:?}"), timeout, || {
        let db = db.clone();
        async move {
            history::get(&db, id)
                .await
                .ok()
                // A live deployment is done once its old release is retired.
                .filter(|d| statuses.contains(&d.status.as_str()) && (d.status != "live" || d.finished_at.is_some()))
        }
    })
    .await
}

/// Waits until deployment `id` is over (live, failed, cancelled or superseded).
pub async fn wait_until_done(app: &TestApp, id: i64) -> Deployment {
    wait_for_status(app, id, &["live", "failed", "cancelled", "superseded"], Duration::from_secs(120)).await
}
