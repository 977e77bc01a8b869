//! Teams and roles: the RBAC matrix (every role × every API route, read from the
//! OpenAPI document's `x-slipway-role`; the server functions likewise), owner
//! rules, invites, team isolation, and the audit entries of member changes.

use reqwest::StatusCode;
use serde_json::{Value, json};
use slipway_server::teams::Role;
use slipway_tests::{TestApp, spawn_app};

const PASSWORD: &str = "correct horse battery";

/// Whether `role` is enough for an operation that declares `needs`.
fn enough(role: Role, needs: &str) -> bool {
    needs == "any signed-in user" || Role::parse(needs).is_ok_and(|needed| role >= needed)
}

/// Every operation of the OpenAPI document with the role it declares.
fn operations() -> Vec<(reqwest::Method, String, String)> {
    let spec = slipway_server::api::openapi_spec();
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete"] {
            if let Some(op) = item.get(method) {
                let role = op["x-slipway-role"].as_str().expect("every operation declares its role").to_owned();
                ops.push((method.to_uppercase().parse().expect("method"), path.clone(), role));
            }
        }
    }
    ops
}

/// GET `path` with `token`: the JSON answer.
async fn get_json(app: &TestApp, token: &str, path: &str) -> Value {
    let response = reqwest::Client::new().get(app.at(path)).bearer_auth(token).send().await.expect("GET");
    response.json().await.expect("JSON")
}

/// Creates an app in the token's team.
async fn create_app(app: &TestApp, token: &str, name: &str) {
    let created = reqwest::Client::new()
        .post(app.at("/api/v1/apps"))
        .bearer_auth(token)
        .json(&json!({ "name": name, "repo_url": format!("https://example.com/{name}.git") }))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), StatusCode::CREATED, "creating {name}");
}

/// Path parameters filled with things that don't exist: an allowed request then
/// ends in 404/409/422, never by destroying the fixtures the matrix relies on.
fn concrete(path: &str) -> String {
    path.replace("{app}", "no-such-app")
        .replace("{id}", "999999")
        .replace("{target}", "no-such-target")
        .replace("{team}", "no-such-team")
        .replace("{token}", "no-such-token")
        .replace("{registry}", "no-such-registry")
}

async fn call(app: &TestApp, token: &str, method: reqwest::Method, path: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .request(method, app.at(path))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn rbac_matrix_every_role_by_every_api_route() {
    let app = spawn_app().await;
    let (_owner, owner_token) = app.member_token(Role::Owner).await;
    // The team keeps an app, so an allowed DELETE /team is refused (409), not carried out.
    create_app(&app, &owner_token, "matrix-app").await;

    let ops = operations();
    assert!(ops.len() >= 50, "the matrix covers the whole API: {}", ops.len());
    let mut checked = 0;
    for role in [Role::Viewer, Role::Deployer, Role::Admin, Role::Owner] {
        let (_user, token) = app.member_token(role).await;
        // Leaving the team ends the token's membership: that route goes last.
        let (last, rest): (Vec<_>, Vec<_>) = ops.iter().cloned().partition(|(_, path, _)| path == "/api/v1/team/leave");
        for (method, path, needs) in rest.into_iter().chain(last) {
            let (status, body) = call(&app, &token, method.clone(), &concrete(&path)).await;
            let allowed = enough(role, &needs);
            if allowed {
                assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                    "{role} may {method} {path} (needs {needs}) but got {status}: {body}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} must not {method} {path} (needs {needs}): {body}");
                assert_eq!(body["error"]["code"], "forbidden", "{method} {path}: {body}");
                let message = body["error"]["message"].as_str().unwrap_or_default();
                assert!(message.contains(&format!("needs the {needs} role")), "{method} {path}: {message}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ops.len() * 4);
    // The fixture app survived every allowed call.
    let (status, _) = call(&app, &owner_token, reqwest::Method::GET, "/api/v1/apps/matrix-app").await;
    assert_eq!(status, StatusCode::OK);
}

/// A session client's server-function call: the error code it answered with, if any.
async fn server_fn(app: &TestApp, client: &reqwest::Client, endpoint: &str, fields: &[(&str, &str)]) -> Option<String> {
    let page = client.get(app.at("/account")).send().await.expect("GET").text().await.expect("body");
    let csrf = slipway_tests::csrf_field(&page);
    // The app form has many fields: the shared helper fills them (and the CSRF token).
    let form: Vec<(&str, &str)> = if endpoint == "save_app" {
        slipway_tests::app_form(&csrf, "", fields)
    } else {
        fields.iter().copied().chain([("csrf", csrf.as_str())]).collect()
    };
    let request = if endpoint == "audit" {
        client.get(app.at("/_app/audit")).query(&[
            ("filter[actor]", ""),
            ("filter[action]", ""),
            ("filter[subject]", ""),
            ("filter[since]", ""),
            ("filter[until]", ""),
        ])
    } else {
        client.post(app.at(&format!("/_app/{endpoint}"))).form(&form)
    };
    let response = request.send().await.expect("server function call");
    if response.status().is_success() || response.status().is_redirection() {
        return None;
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    Some(body["code"].as_str().unwrap_or("unreadable").to_owned())
}

/// A server function endpoint, the least role it needs, and the form it is sent.
type ServerFnCall = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

#[tokio::test]
async fn server_functions_check_the_role_on_the_server() {
    let app = spawn_app().await;
    let (_owner, owner_token) = app.member_token(Role::Owner).await;
    create_app(&app, &owner_token, "fn-app").await;

    // (endpoint, least role, fields): the mutating server functions, plus the audit log read.
    let calls: &[ServerFnCall] = &[
        ("deploy", "deployer", &[("app", "no-such-app"), ("commit", "")]),
        ("cancel_deployment", "deployer", &[("id", "999999")]),
        ("redeploy", "deployer", &[("id", "999999")]),
        ("rollback", "deployer", &[("app", "no-such-app"), ("id", "999999")]),
        ("save_env", "deployer", &[("app", "no-such-app"), ("env", ""), ("build_args", ""), ("secrets", "")]),
        ("delete_app", "admin", &[("name", "no-such-app"), ("confirm", "no-such-app")]),
        ("save_app", "admin", &[("name", "Bad Name")]),
        (
            "save_target",
            "admin",
            &[("original", ""), ("name", "Bad Name"), ("region", ""), ("credentials", ""), ("base_domain", "")],
        ),
        ("rotate_webhook", "admin", &[("app", "no-such-app"), ("branches", "")]),
        ("disable_webhook", "admin", &[("app", "no-such-app")]),
        ("add_channel", "admin", &[("app", "no-such-app"), ("kind", "slack"), ("url", "https://hooks.example.com/x")]),
        ("remove_channel", "admin", &[("id", "999999")]),
        ("delete_target", "admin", &[("name", "no-such-target")]),
        ("test_target", "admin", &[("name", "no-such-target")]),
        ("provision_target", "admin", &[("name", "no-such-target"), ("apply", "true")]),
        ("teardown_app", "admin", &[("app", "no-such-app"), ("confirm", "no-such-app")]),
        ("set_member_role", "admin", &[("user_id", "999999"), ("role", "viewer")]),
        ("remove_member", "admin", &[("user_id", "999999")]),
        ("create_invite", "admin", &[("role", "bogus"), ("email", ""), ("hours", "")]),
        ("revoke_invite", "admin", &[("id", "999999")]),
        ("add_registry", "admin", &[("name", "Bad Name"), ("address", "")]),
        ("remove_registry", "admin", &[("name", "no-such-registry")]),
        ("audit", "admin", &[]),
        ("delete_team", "owner", &[("confirm", "not the name")]),
    ];
    for role in [Role::Viewer, Role::Deployer, Role::Admin, Role::Owner] {
        let (user, _) = app.member_token(role).await;
        let client = app.signed_in_client(&user.email, PASSWORD).await;
        for (endpoint, needs, fields) in calls {
            let code = server_fn(&app, &client, endpoint, fields).await;
            if enough(role, needs) {
                assert_ne!(code.as_deref(), Some("forbidden"), "{role} may call {endpoint}");
                assert_ne!(code.as_deref(), Some("request_failed"), "{endpoint}: the form must be read");
            } else {
                assert_eq!(code.as_deref(), Some("forbidden"), "{role} must not call {endpoint} (needs {needs})");
            }
        }
    }
    // The app is still there.
    let (status, _) = call(&app, &owner_token, reqwest::Method::GET, "/api/v1/apps/fn-app").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_deployer_edits_variables_but_not_settings_and_a_viewer_only_reads() {
    let app = spawn_app().await;
    let (_, owner) = app.member_token(Role::Owner).await;
    let (_, deployer) = app.member_token(Role::Deployer).await;
    let (_, viewer) = app.member_token(Role::Viewer).await;
    let client = reqwest::Client::new();
    let created = client
        .post(app.at("/api/v1/apps"))
        .bearer_auth(&owner)
        .json(&json!({ "name": "env-app", "repo_url": "https://example.com/env.git",
                       "env": [{ "name": "TOKEN", "value": "s3cret-value", "secret": true }] }))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), StatusCode::CREATED);

    let env = json!({ "env": [{ "name": "LOG_LEVEL", "value": "debug" }, { "name": "TOKEN", "secret": true }] });
    let put = |token: &str, path: &str, body: &Value| {
        client.put(app.at(path)).bearer_auth(token.to_owned()).json(body).send()
    };
    let edited = put(&deployer, "/api/v1/apps/env-app/env", &env).await.expect("PUT env");
    assert_eq!(edited.status(), StatusCode::OK);
    let shown: Value = edited.json().await.expect("JSON");
    let vars: Vec<&str> = shown["env"].as_array().expect("env").iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(vars, ["LOG_LEVEL", "TOKEN"], "the secret kept its value without being sent: {shown}");
    assert_eq!(shown["env"][1]["value"], Value::Null, "secrets are never shown");

    let settings = json!({ "repo_url": "https://example.com/other.git" });
    let refused = put(&deployer, "/api/v1/apps/env-app", &settings).await.expect("PUT app");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = put(&viewer, "/api/v1/apps/env-app/env", &env).await.expect("PUT env");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.expect("JSON");
    assert_eq!(
        body["error"]["message"], "This needs the deployer role in team \"Default\"; you are a viewer there.",
        "{body}"
    );
    // A viewer reads apps and history.
    for path in ["/api/v1/apps", "/api/v1/apps/env-app", "/api/v1/deployments", "/api/v1/apps/env-app/deployments"] {
        let read = client.get(app.at(path)).bearer_auth(&viewer).send().await.expect("GET");
        assert_eq!(read.status(), StatusCode::OK, "{path}");
    }
    // The change is in the audit log by name only.
    let audit: Value = get_json(&app, &owner, "/api/v1/audit?action=app.env").await;
    assert_eq!(audit[0]["subject"], "env-app", "{audit}");
    let text = audit.to_string();
    assert!(text.contains("LOG_LEVEL") && !text.contains("s3cret-value"), "{text}");
}

#[tokio::test]
async fn owners_stay_and_only_owners_make_owners() {
    let app = spawn_app().await;
    let (owner, owner_token) = app.member_token(Role::Owner).await;
    let (admin, admin_token) = app.member_token(Role::Admin).await;
    let (viewer, _) = app.member_token(Role::Viewer).await;
    let client = reqwest::Client::new();
    let set_role = |token: &str, user_id: i64, role: &str| {
        client
            .put(app.at(&format!("/api/v1/team/members/{user_id}")))
            .bearer_auth(token.to_owned())
            .json(&json!({ "role": role }))
            .send()
    };
    // The first user made by spawn_app's helpers is not an owner here; this team has exactly one.
    let owners = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM team_members WHERE team_id = 1 AND role = 'owner'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(owners, 1);

    let last = set_role(&owner_token, owner.id, "admin").await.expect("demote");
    assert_eq!(last.status(), StatusCode::CONFLICT);
    let body: Value = last.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "last_owner", "{body}");
    let leave = client.post(app.at("/api/v1/team/leave")).bearer_auth(&owner_token).send().await.expect("leave");
    assert_eq!(leave.status(), StatusCode::CONFLICT, "the last owner can't leave");

    // Admins manage non-owners, but can't touch owners or make one.
    assert_eq!(set_role(&admin_token, viewer.id, "deployer").await.expect("PUT").status(), StatusCode::OK);
    assert_eq!(set_role(&admin_token, owner.id, "viewer").await.expect("PUT").status(), StatusCode::FORBIDDEN);
    assert_eq!(set_role(&admin_token, viewer.id, "owner").await.expect("PUT").status(), StatusCode::FORBIDDEN);
    let invite = client
        .post(app.at("/api/v1/team/invites"))
        .bearer_auth(&admin_token)
        .json(&json!({ "role": "owner" }))
        .send()
        .await
        .expect("invite");
    assert_eq!(invite.status(), StatusCode::FORBIDDEN);
    let bad = set_role(&admin_token, viewer.id, "root").await.expect("PUT");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // With a second owner, the first may step down.
    assert_eq!(set_role(&owner_token, admin.id, "owner").await.expect("PUT").status(), StatusCode::OK);
    assert_eq!(set_role(&owner_token, owner.id, "admin").await.expect("PUT").status(), StatusCode::OK);

    // A removed member's token stops working.
    let (_, removed_token) = {
        let (user, token) = app.member_token(Role::Deployer).await;
        let gone = client
            .delete(app.at(&format!("/api/v1/team/members/{}", user.id)))
            .bearer_auth(&admin_token)
            .send()
            .await
            .expect("remove");
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
        (user, token)
    };
    let after = client.get(app.at("/api/v1/apps")).bearer_auth(&removed_token).send().await.expect("GET");
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);

    // Each change is in the audit log.
    let audit: Value = get_json(&app, &admin_token, "/api/v1/audit?action=member.").await;
    let actions: Vec<(String, String)> = audit
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| (e["action"].as_str().unwrap_or("").to_owned(), e["detail"].as_str().unwrap_or("").to_owned()))
        .collect();
    for (action, detail) in [
        ("member.role", "viewer → deployer"),
        ("member.role", "admin → owner"),
        ("member.role", "owner → admin"),
        ("member.remove", ""),
    ] {
        assert!(actions.iter().any(|(a, d)| a == action && d == detail), "{action} {detail} in {actions:?}");
    }
}

#[tokio::test]
async fn invites_work_once_until_they_expire_and_only_for_their_address() {
    let app = spawn_app().await;
    let (_, admin) = app.member_token(Role::Admin).await;
    let client = reqwest::Client::new();
    let invite = |body: Value| client.post(app.at("/api/v1/team/invites")).bearer_auth(&admin).json(&body).send();
    let created = invite(json!({ "role": "deployer" })).await.expect("invite");
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("JSON");
    let url = created["url"].as_str().expect("url");
    let token = url.rsplit('/').next().expect("token");
    assert!(url.starts_with("http://localhost:3000/invite/"), "{url}");

    // A teamless user accepts with their own token… after joining, they act as deployer.
    let newcomer = app.create_teamless_user("newcomer@example.com", PASSWORD).await;
    let session = app.signed_in_client(&newcomer.email, PASSWORD).await;
    let page = session.get(app.at("/account")).send().await.expect("GET").text().await.expect("body");
    let csrf = slipway_tests::csrf_field(&page);
    let accept = |client: &reqwest::Client, token: &str| {
        client.post(app.at(&format!("/api/v1/invites/{token}/accept"))).header("X-CSRF-Token", csrf.clone()).send()
    };
    let joined = accept(&session, token).await.expect("accept");
    assert_eq!(joined.status(), StatusCode::OK);
    let joined: Value = joined.json().await.expect("JSON");
    assert_eq!((joined["slug"].as_str(), joined["role"].as_str()), (Some("default"), Some("deployer")));
    let team: Value = session.get(app.at("/api/v1/team")).send().await.expect("GET").json().await.expect("JSON");
    assert_eq!(team["role"], "deployer");

    // Used up.
    let again = accept(&session, token).await.expect("accept");
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let body: Value = again.json().await.expect("JSON");
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("already been used"), "{body}");

    // Expired.
    let late: Value =
        invite(json!({ "role": "viewer", "expires_in_hours": 1 })).await.expect("invite").json().await.expect("JSON");
    sqlx::query("UPDATE team_invites SET expires_at = 1 WHERE id = ?")
        .bind(late["invite"]["id"].as_i64())
        .execute(&app.state.db)
        .await
        .expect("expire");
    let token = late["url"].as_str().and_then(|u| u.rsplit('/').next()).expect("token");
    let expired = accept(&session, token).await.expect("accept");
    assert_eq!(expired.status(), StatusCode::CONFLICT);
    let body: Value = expired.json().await.expect("JSON");
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("expired"), "{body}");

    // Bound to another address.
    let other: Value = invite(json!({ "role": "viewer", "email": "someone@example.com" }))
        .await
        .expect("invite")
        .json()
        .await
        .expect("JSON");
    let token = other["url"].as_str().and_then(|u| u.rsplit('/').next()).expect("token");
    let stranger = app.create_teamless_user("stranger@example.com", PASSWORD).await;
    let stranger_session = app.signed_in_client(&stranger.email, PASSWORD).await;
    let page = stranger_session.get(app.at("/team")).send().await.expect("GET").text().await.expect("body");
    let csrf2 = slipway_tests::csrf_field(&page);
    let refused = stranger_session
        .post(app.at(&format!("/api/v1/invites/{token}/accept")))
        .header("X-CSRF-Token", csrf2)
        .send()
        .await
        .expect("accept");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Bad input is explained; nothing is created.
    let bad =
        invite(json!({ "role": "viewer", "email": "not-an-email", "expires_in_hours": 9999 })).await.expect("invite");
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Withdrawn invites disappear from the pending list.
    let pending: Value = get_json(&app, &admin, "/api/v1/team/invites").await;
    assert_eq!(pending.as_array().map(Vec::len), Some(1), "only the address-bound one is pending: {pending}");
    let id = pending[0]["id"].as_i64().expect("id");
    let withdrawn =
        client.delete(app.at(&format!("/api/v1/team/invites/{id}"))).bearer_auth(&admin).send().await.expect("DELETE");
    assert_eq!(withdrawn.status(), StatusCode::NO_CONTENT);

    let audit: Value = get_json(&app, &admin, "/api/v1/audit?action=member.").await;
    let actions: Vec<&str> = audit.as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["member.invite", "member.join", "member.invite_revoke"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn teams_see_only_their_own_apps_targets_and_audit() {
    let app = spawn_app().await;
    let (alice, alice_a) = app.member_token(Role::Owner).await;
    let client = reqwest::Client::new();
    create_app(&app, &alice_a, "team-a-app").await;

    // Alice makes a second team; a token made there acts there.
    let team: Value = client
        .post(app.at("/api/v1/teams"))
        .bearer_auth(&alice_a)
        .json(&json!({ "name": "Payments" }))
        .send()
        .await
        .expect("create team")
        .json()
        .await
        .expect("JSON");
    assert_eq!(team["slug"], "payments", "{team}");
    let team_b = team["id"].as_i64().expect("id");
    let alice_b =
        slipway_server::auth::create_token(&app.state.db, &alice, team_b, "b").await.expect("token in team B").secret;
    let mine: Value = get_json(&app, &alice_b, "/api/v1/teams").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(2), "{mine}");

    let apps: Value = get_json(&app, &alice_b, "/api/v1/apps").await;
    assert_eq!(apps, json!([]), "team B sees none of team A's apps");
    for (method, path) in [
        (reqwest::Method::GET, "/api/v1/apps/team-a-app"),
        (reqwest::Method::POST, "/api/v1/apps/team-a-app/deployments"),
        (reqwest::Method::DELETE, "/api/v1/apps/team-a-app"),
    ] {
        let (status, _) = call(&app, &alice_b, method.clone(), path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path} from team B");
    }
    // App names are one namespace (they are hostnames).
    let clash = client
        .post(app.at("/api/v1/apps"))
        .bearer_auth(&alice_b)
        .json(&json!({ "name": "team-a-app", "repo_url": "https://example.com/b.git" }))
        .send()
        .await
        .expect("create");
    assert_eq!(clash.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Team A's registry is not team B's to push to.
    let shared = client
        .post(app.at("/api/v1/registries"))
        .bearer_auth(&alice_a)
        .json(&json!({ "name": "team-a-registry", "address": "registry.example.com/a" }))
        .send()
        .await
        .expect("registry");
    assert_eq!(shared.status(), StatusCode::CREATED);
    let borrowed = client
        .post(app.at("/api/v1/apps"))
        .bearer_auth(&alice_b)
        .json(&json!({ "name": "team-b-app", "repo_url": "https://example.com/b.git", "registry_name": "team-a-registry" }))
        .send()
        .await
        .expect("create");
    assert_eq!(borrowed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let listed: Value = get_json(&app, &alice_b, "/api/v1/registries").await;
    assert_eq!(listed, json!([]));

    // Each team's audit log holds its own entries.
    let audit_b: Value = get_json(&app, &alice_b, "/api/v1/audit").await;
    let subjects: Vec<&str> =
        audit_b.as_array().expect("entries").iter().filter_map(|e| e["subject"].as_str()).collect();
    assert!(subjects.contains(&"Payments") && !subjects.contains(&"team-a-app"), "{subjects:?}");

    // A team with apps can't be deleted; an empty one can, by its owner.
    let (status, body) = call(&app, &alice_a, reqwest::Method::DELETE, "/api/v1/team").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "team_not_empty");
    let (status, _) = call(&app, &alice_b, reqwest::Method::DELETE, "/api/v1/team").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&app, &alice_b, reqwest::Method::GET, "/api/v1/apps").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the deleted team's tokens are revoked");
}
