//! The REST API: authentication, CSRF, validation codes, CRUD, secrets.

use reqwest::StatusCode;
use serde_json::{Value, json};
use slipway_tests::spawn_app;

fn documented_routes() -> Vec<(reqwest::Method, String)> {
    let spec = slipway_server::api::openapi_spec();
    let mut routes = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete"] {
            if item.get(method).is_some() {
                let concrete =
                    path.replace("{app}", "some-app").replace("{id}", "1").replace("{target}", "some-target");
                routes.push((method.to_uppercase().parse().expect("method"), concrete));
            }
        }
    }
    assert!(routes.len() >= 9, "the OpenAPI document lists the routes: {routes:?}");
    routes
}

#[tokio::test]
async fn every_api_route_refuses_anonymous_requests() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for (method, path) in
        documented_routes().into_iter().chain([(reqwest::Method::GET, "/api/v1/nothing-here".to_owned())])
    {
        let response = client.request(method.clone(), app.at(&path)).json(&json!({})).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        let body: Value = response.json().await.expect("error JSON");
        assert_eq!(body["error"]["code"], "unauthorized", "{method} {path}: {body}");
    }
}

#[tokio::test]
async fn a_wrong_or_revoked_token_is_refused() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let wrong = client.get(app.at("/api/v1/apps")).bearer_auth("slw_not-a-token").send().await.expect("request");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json::<Value>().await.expect("JSON")["error"]["code"], "invalid_token");

    let token = app.api_token().await;
    let ok = client.get(app.at("/api/v1/me")).bearer_auth(&token).send().await.expect("request");
    assert_eq!(ok.status(), StatusCode::OK);
    let tokens: Value = client
        .get(app.at("/api/v1/tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("JSON");
    let id = tokens[0]["id"].as_i64().expect("token id");
    let revoked =
        client.delete(app.at(&format!("/api/v1/tokens/{id}"))).bearer_auth(&token).send().await.expect("revoke");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let after = client.get(app.at("/api/v1/me")).bearer_auth(&token).send().await.expect("request");
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn session_requests_need_the_csrf_token() {
    let app = spawn_app().await;
    app.set_up_owner("owner@example.com", "correct horse battery").await;
    let body = json!({ "name": "csrf-app", "repo_url": "https://example.com/a.git" });

    // A JSON call riding on the session cookie without the header.
    let refused = app.client.post(app.at("/api/v1/apps")).json(&body).send().await.expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(refused.json::<Value>().await.expect("JSON")["error"]["code"], "csrf_failed");

    // A form post (as another site would send it) without the token.
    let form = app.post_form("/_app/delete_app", "/", &[("name", "csrf-app"), ("confirm", "csrf-app")]).await;
    assert_eq!(form.status(), StatusCode::FORBIDDEN);
    // A wrong token is no better.
    let wrong = app.post_form("/_app/logout", "/", &[("csrf", "0000")]).await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    // A cross-site Origin is refused even with the right token.
    let csrf = app.csrf_token("/").await;
    let cross = app
        .client
        .post(app.at("/api/v1/apps"))
        .header("Origin", "https://evil.example")
        .header("X-CSRF-Token", &csrf)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);

    let accepted = app
        .client
        .post(app.at("/api/v1/apps"))
        .header("X-CSRF-Token", &csrf)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(accepted.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn validation_errors_are_422_with_a_code_per_field() {
    let app = spawn_app().await;
    let token = app.api_token().await;
    let client = reqwest::Client::new();
    let response = client
        .post(app.at("/api/v1/apps"))
        .bearer_auth(&token)
        .json(&json!({
            "name": "Not A Label",
            "repo_url": "ftp://example.com/x",
            "dockerfile": "../Dockerfile",
            "build_context": "/etc",
            "port": 70000,
            "health_path": "healthz",
            "replicas": 0,
            "env": [{ "name": "9LIVES", "value": "x" }]
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "validation_failed");
    let fields = &body["error"]["fields"];
    for (field, code) in [
        ("name", "invalid_app_name"),
        ("repo_url", "unsupported_repo_scheme"),
        ("dockerfile", "path_outside_repo"),
        ("build_context", "path_outside_repo"),
        ("port", "invalid_port"),
        ("health_path", "invalid_health_path"),
        ("replicas", "invalid_replicas"),
        ("env", "invalid_env_name"),
    ] {
        assert_eq!(fields[field]["code"], code, "{field}: {body}");
        assert!(fields[field]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    let malformed = client
        .post(app.at("/api/v1/apps"))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json::<Value>().await.expect("JSON")["error"]["code"], "bad_request");
}

#[tokio::test]
async fn apps_crud_keeps_secrets_write_only() {
    let app = spawn_app().await;
    let token = app.api_token().await;
    let client = reqwest::Client::new();
    let api = |method: reqwest::Method, path: &str| client.request(method, app.at(path)).bearer_auth(&token);

    let created = api(reqwest::Method::POST, "/api/v1/apps")
        .json(&json!({
            "name": "shop",
            "repo_url": "git@github.com:acme/shop.git",
            "port": "3000",
            "env": [
                { "name": "LOG_LEVEL", "value": "debug" },
                { "name": "DATABASE_URL", "value": "postgres://user:hunter2@db/shop", "secret": true }
            ]
        }))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("JSON");
    assert_eq!(created["port"], 3000);
    assert_eq!(created["branch"], "main");
    assert_eq!(
        created["env"][1],
        json!({ "name": "DATABASE_URL", "value": null, "secret": true, "build_time": false })
    );
    assert!(!created.to_string().contains("hunter2"));

    // Stored encrypted, not in clear.
    let stored: String = sqlx::query_scalar("SELECT value FROM app_env WHERE name = 'DATABASE_URL'")
        .fetch_one(&app.state.db)
        .await
        .expect("stored secret");
    assert!(!stored.contains("hunter2") && stored.starts_with("v1:"));

    let duplicate = api(reqwest::Method::POST, "/api/v1/apps")
        .json(&json!({ "name": "shop", "repo_url": "https://example.com/x.git" }))
        .send()
        .await
        .expect("duplicate");
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(duplicate.json::<Value>().await.expect("JSON")["error"]["fields"]["name"]["code"], "app_name_taken");

    // Update: the secret sent without a value keeps its value; LOG_LEVEL removed.
    let updated: Value = api(reqwest::Method::PUT, "/api/v1/apps/shop")
        .json(&json!({
            "repo_url": "https://github.com/acme/shop.git",
            "branch": "release/2.0",
            "env": [{ "name": "DATABASE_URL", "secret": true }]
        }))
        .send()
        .await
        .expect("update")
        .json()
        .await
        .expect("JSON");
    assert_eq!(updated["branch"], "release/2.0");
    assert_eq!(updated["env"].as_array().expect("env").len(), 1);
    let app_id = updated["id"].as_i64().expect("id");
    let env = slipway_server::apps::runtime_env(&app.state.db, &app.state.secrets, app_id).await.expect("runtime env");
    let env: Vec<(String, String)> = env.into_iter().map(|v| (v.name, v.value)).collect();
    assert_eq!(env, vec![("DATABASE_URL".to_owned(), "postgres://user:hunter2@db/shop".to_owned())]);

    let listed: Value =
        api(reqwest::Method::GET, "/api/v1/apps").send().await.expect("list").json().await.expect("JSON");
    assert_eq!(listed.as_array().expect("array").len(), 1);

    let rename = api(reqwest::Method::PUT, "/api/v1/apps/shop")
        .json(&json!({ "name": "other", "repo_url": "https://github.com/acme/shop.git" }))
        .send()
        .await
        .expect("rename");
    assert_eq!(rename.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let deleted = api(reqwest::Method::DELETE, "/api/v1/apps/shop").send().await.expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = api(reqwest::Method::GET, "/api/v1/apps/shop").send().await.expect("get");
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(gone.json::<Value>().await.expect("JSON")["error"]["code"], "not_found");
}

#[tokio::test]
async fn openapi_document_is_served_to_signed_in_clients() {
    let app = spawn_app().await;
    let token = app.api_token().await;
    let doc: Value = reqwest::Client::new()
        .get(app.at("/api/v1/openapi.json"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/apps/{app}"]["put"].is_object());
}
