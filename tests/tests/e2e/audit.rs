//! The audit log: an entry for each audited action, with who, from where and
//! what (secrets by name only); filters over the API; the page.

use serde_json::{Value, json};
use slipway_tests::deploys::Api;
use slipway_tests::{spawn_app_with, unique};

#[tokio::test]
async fn every_audited_action_leaves_an_entry() {
    // No workers: deployments stay queued, so cancel and rollback are deterministic.
    let app = spawn_app_with(|config| config.workers = 0).await;
    let api = Api::new(&app).await;

    // Sign-ins, failed and not (through the form, as a browser does).
    app.create_user("ada@example.com", "correct horse battery").await;
    let csrf = app.csrf_token("/login").await;
    app.post_form(
        "/_app/login",
        "/login",
        &[("email", "ada@example.com"), ("password", "wrong password!"), ("csrf", &csrf)],
    )
    .await;
    app.post_form(
        "/_app/login",
        "/login",
        &[("email", "ada@example.com"), ("password", "correct horse battery"), ("csrf", &csrf)],
    )
    .await;

    let name = unique("audited").replace('_', "-");
    let (status, created) = api
        .post(
            "/api/v1/apps",
            json!({ "name": name, "repo_url": "https://example.com/shop.git",
                    "env": [{ "name": "LOG_LEVEL", "value": "info" }, { "name": "DB_PASSWORD", "value": "hunter2", "secret": true }] }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (status, _) = api
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/apps/{name}"),
            Some(json!({ "repo_url": "https://example.com/shop.git", "env": [{ "name": "DB_PASSWORD", "secret": true }] })),
        )
        .await;
    assert_eq!(status, 200);
    let first = api.deploy(&name, None).await;
    let (status, _) = api.post(&format!("/api/v1/deployments/{first}/cancel"), json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = api.post(&format!("/api/v1/deployments/{first}/redeploy"), json!({})).await;
    assert_eq!(status, 202);
    sqlx::query("UPDATE deployments SET status = 'live', image = 'slipway/x:1' WHERE id = ?")
        .bind(first)
        .execute(&app.state.db)
        .await
        .expect("live");
    let (status, _) = api.post(&format!("/api/v1/apps/{name}/rollback"), json!({ "deployment_id": first })).await;
    assert_eq!(status, 202);
    let (status, token) = api.post("/api/v1/tokens", json!({ "name": "ci" })).await;
    assert_eq!(status, 201, "{token}");
    let token_id = token["token"]["id"].as_i64().or(token["id"].as_i64()).expect("token id");
    let (status, _) = api.send(reqwest::Method::DELETE, &format!("/api/v1/tokens/{token_id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = api.post(&format!("/api/v1/apps/{name}/webhook"), json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = api.send(reqwest::Method::DELETE, &format!("/api/v1/apps/{name}/webhook"), None).await;
    assert_eq!(status, 204);
    let target = json!({ "name": "audited", "region": "eu-west-1", "base_domain": "apps.example.com" });
    assert_eq!(api.post("/api/v1/targets", target.clone()).await.0, 201);
    assert_eq!(api.send(reqwest::Method::PUT, "/api/v1/targets/audited", Some(target)).await.0, 200);
    assert_eq!(api.send(reqwest::Method::DELETE, "/api/v1/targets/audited", None).await.0, 204);
    assert_eq!(api.send(reqwest::Method::DELETE, &format!("/api/v1/apps/{name}"), None).await.0, 204);

    let (status, entries) = api.get("/api/v1/audit?limit=500").await;
    assert_eq!(status, 200, "{entries}");
    let entries = entries.as_array().expect("entries").clone();
    let actions: Vec<&str> = entries.iter().rev().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "auth.login_failed",
            "auth.login",
            "app.create",
            "app.update",
            "deployment.deploy",
            "deployment.cancel",
            "deployment.redeploy",
            "deployment.rollback",
            "token.create",
            "token.revoke",
            "webhook.rotate",
            "webhook.disable",
            "target.create",
            "target.update",
            "target.delete",
            "app.delete"
        ]
    );
    let by_action =
        |action: &str| entries.iter().find(|e| e["action"] == json!(action)).cloned().unwrap_or(Value::Null);
    assert_eq!(by_action("auth.login_failed")["detail"], json!("wrong_credentials"));
    assert_eq!(by_action("auth.login")["actor"], json!("ada@example.com"));
    let create = by_action("app.create");
    assert_eq!(create["subject"], json!(name));
    assert_eq!(create["origin"], json!("127.0.0.1"));
    assert!(create["actor"].as_str().unwrap_or_default().ends_with("@example.com"));
    assert_eq!(create["detail"], json!("variables: LOG_LEVEL; secrets: DB_PASSWORD (new values for: DB_PASSWORD)"));
    assert_eq!(by_action("app.update")["detail"], json!("secrets: DB_PASSWORD (new values for: none)"));
    assert_eq!(by_action("deployment.rollback")["detail"], json!(format!("#{} back to #{first}", first + 2)));
    assert!(!serde_json::to_string(&entries).expect("JSON").contains("hunter2"), "secret values never reach the log");

    // Filters: an action prefix, an actor.
    let (_, apps_only) = api.get("/api/v1/audit?action=app.").await;
    let apps_only: Vec<&str> =
        apps_only.as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(apps_only, ["app.delete", "app.update", "app.create"]);
    let (_, ada) = api.get("/api/v1/audit?actor=ada@").await;
    assert_eq!(ada.as_array().expect("entries").len(), 2);

    // The page lists them for a signed-in member.
    let page =
        app.client.get(app.at("/audit?action=deployment.")).send().await.expect("page").text().await.expect("html");
    assert!(page.contains("deployment.rollback") && page.contains("deployment.cancel"), "{page}");
    assert!(!page.contains("token.create"), "the filter applies");
}
