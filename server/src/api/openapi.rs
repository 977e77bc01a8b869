//! The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`.
//! A test checks that every route in `api::router` appears here.

use serde_json::{Value, json};

use super::ApiJson;
use crate::auth::CurrentUser;

pub async fn document(_user: CurrentUser) -> ApiJson<Value> {
    ApiJson(spec())
}

fn error_responses(codes: &[&str]) -> Value {
    let mut responses = serde_json::Map::new();
    for code in codes {
        responses.insert((*code).to_owned(), json!({ "$ref": format!("#/components/responses/E{code}") }));
    }
    Value::Object(responses)
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a_map), Value::Object(b_map)) = (a.as_object_mut(), b) {
        a_map.extend(b_map);
    }
    a
}

pub fn spec() -> Value {
    let app_ref = json!({ "$ref": "#/components/schemas/App" });
    let app_param = json!({ "name": "app", "in": "path", "required": true, "schema": { "type": "string" } });
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } });
    let channel_input = json!({ "type": "object", "required": ["kind", "url"], "properties": {
        "kind": { "type": "string", "enum": ["slack", "discord", "webhook"] },
        "url": { "type": "string", "writeOnly": true, "description": "The incoming-webhook URL (stored encrypted)" },
        "secret": { "type": "string", "writeOnly": true, "description": "webhook: HMAC-SHA256 key; requests carry X-Slipway-Signature: sha256=<hex>" },
        "events": { "type": "array", "items": { "type": "string", "enum": ["started", "live", "failed", "rolled_back"] }, "description": "Empty: all" } } });
    let target_param = json!({ "name": "target", "in": "path", "required": true, "schema": { "type": "string" } });
    let plan_item = json!({ "type": "object", "properties": {
        "resource": { "type": "string" }, "name": { "type": "string" },
        "action": { "type": "string", "enum": ["create", "update", "unchanged"] },
        "changes": { "type": "array", "items": { "type": "string" } } } });
    let items = json!({ "description": "Resources", "content": { "application/json": { "schema": { "type": "object", "properties": { "items": { "type": "array", "items": plan_item.clone() } } } } } });
    let done = json!({ "description": "What was removed", "content": { "application/json": { "schema": { "type": "object", "properties": { "done": { "type": "array", "items": { "type": "string" } } } } } } });
    let text = json!({ "type": "string" });
    let target_input = json!({ "type": "object", "required": ["name", "region", "base_domain"], "properties": {
        "name": text, "region": text, "credentials": { "type": "string", "enum": ["default", "access_key", "assume_role"] },
        "access_key_id": text, "secret_access_key": { "type": "string", "writeOnly": true }, "role_arn": text,
        "cluster": text, "vpc_id": text, "subnets": { "type": "string", "description": "comma-separated subnet ids" },
        "public_ip": { "type": "boolean" }, "load_balancer": text, "certificate_arn": text, "base_domain": text,
        "execution_role_arn": text, "log_retention_days": text, "keep_images": text, "rollout_timeout_secs": text,
        "endpoint_url": text, "registry_override": text } });
    let target_schema = json!({ "type": "object", "properties": {
        "id": { "type": "integer" }, "name": text, "region": text, "credentials": text, "access_key_id": { "type": ["string", "null"] },
        "has_secret_access_key": { "type": "boolean" }, "role_arn": { "type": ["string", "null"] }, "cluster": text,
        "vpc_id": { "type": ["string", "null"] }, "subnets": { "type": "array", "items": text }, "public_ip": { "type": "boolean" },
        "load_balancer": text, "certificate_arn": { "type": ["string", "null"] }, "base_domain": text,
        "execution_role_arn": { "type": ["string", "null"] }, "log_retention_days": { "type": "integer" }, "keep_images": { "type": "integer" },
        "rollout_timeout_secs": { "type": "integer" }, "endpoint_url": { "type": ["string", "null"] }, "registry_override": { "type": ["string", "null"] },
        "apps": { "type": "array", "items": text }, "created_at": text, "updated_at": text } });
    let deployment_ref = json!({ "$ref": "#/components/schemas/Deployment" });
    let queued = json!({ "description": "Queued", "content": { "application/json": { "schema": { "type": "object", "properties": {
        "id": { "type": "integer" }, "status": { "type": "string" }, "deployment_url": { "type": "string" }, "logs_url": { "type": "string" } } } } } });
    let query = |name: &str, schema: Value, description: &str| json!({ "name": name, "in": "query", "schema": schema, "description": description });
    let list_params = vec![
        query("status", json!({ "type": "string", "enum": crate::deploy::history::STATUSES }), "Only this status"),
        query("who", json!({ "type": "string" }), "Requested by (substring of the email)"),
        query("since", json!({ "type": "string" }), "From this day (YYYY-MM-DD) or time (RFC 3339)"),
        query("until", json!({ "type": "string" }), "Up to this day or time"),
        query("before", json!({ "type": "integer" }), "Next page: deployments with a smaller id"),
        query("limit", json!({ "type": "integer", "minimum": 1, "maximum": 200, "default": 50 }), "Page size"),
    ];
    let mut list_params_with_app = list_params.clone();
    list_params_with_app.push(query("app", json!({ "type": "string" }), "Only this app"));
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Slipway API",
            "version": "1",
            "description": "Deploy dashboard API. Authenticate with `Authorization: Bearer <token>` (create tokens on the account page or with `slipway token create`). Browser sessions must also send `X-CSRF-Token`. Errors are `{\"error\": {\"code\", \"message\", \"fields\"?}}` with stable codes. A request acts in one team (the token's, or the session's choice); each operation's `x-slipway-role` is the least role it needs there (viewer < deployer < admin < owner), and a lower role gets 403 `forbidden`."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/openapi.json": { "get": {
                "summary": "This document", "operationId": "openapi",
                "responses": merge(json!({ "200": { "description": "OpenAPI document" } }), error_responses(&["401"]))
            }},
            "/api/v1/me": { "get": {
                "summary": "The authenticated user", "operationId": "me",
                "responses": merge(json!({ "200": { "description": "User", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } } }), error_responses(&["401"]))
            }},
            "/api/v1/apps": {
                "get": {
                    "summary": "List apps", "operationId": "listApps",
                    "responses": merge(json!({ "200": { "description": "Apps", "content": { "application/json": { "schema": { "type": "array", "items": app_ref } } } } }), error_responses(&["401"]))
                },
                "post": {
                    "summary": "Create an app", "operationId": "createApp",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AppRequest" } } } },
                    "responses": merge(json!({ "201": { "description": "Created", "content": { "application/json": { "schema": app_ref } } } }), error_responses(&["400", "401", "403", "422"]))
                }
            },
            "/api/v1/apps/{app}": {
                "parameters": [app_param],
                "get": {
                    "summary": "Show an app", "operationId": "getApp",
                    "responses": merge(json!({ "200": { "description": "App", "content": { "application/json": { "schema": app_ref } } } }), error_responses(&["401", "404"]))
                },
                "put": {
                    "summary": "Replace an app's settings (the name stays). A secret sent without `value` keeps its stored value; a variable left out is removed.",
                    "operationId": "updateApp",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AppRequest" } } } },
                    "responses": merge(json!({ "200": { "description": "Updated", "content": { "application/json": { "schema": app_ref } } } }), error_responses(&["400", "401", "403", "404", "422"]))
                },
                "delete": {
                    "summary": "Delete an app", "operationId": "deleteApp",
                    "responses": merge(json!({ "204": { "description": "Deleted" } }), error_responses(&["401", "403", "404"]))
                }
            },
            "/api/v1/tokens": {
                "get": {
                    "summary": "List your API tokens", "operationId": "listTokens",
                    "responses": merge(json!({ "200": { "description": "Tokens", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Token" } } } } } }), error_responses(&["401"]))
                },
                "post": {
                    "summary": "Create an API token; the secret is in the answer only", "operationId": "createToken",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string", "maxLength": 64 } } } } } },
                    "responses": merge(json!({ "201": { "description": "Created", "content": { "application/json": { "schema": { "type": "object", "properties": { "token": { "$ref": "#/components/schemas/Token" }, "secret": { "type": "string" } } } } } } }), error_responses(&["400", "401", "403", "422"]))
                }
            },
            "/api/v1/apps/{app}/deployments": {
                "parameters": [app_param.clone()],
                "get": {
                    "summary": "The app's deployments, newest first", "operationId": "listAppDeployments",
                    "parameters": list_params.clone(),
                    "responses": merge(json!({ "200": { "description": "Deployments", "content": { "application/json": { "schema": { "type": "array", "items": deployment_ref } } } } }), error_responses(&["401", "404", "422"]))
                },
                "post": {
                    "summary": "Queue a deployment of the branch head, or of `commit`", "operationId": "deploy",
                    "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "properties": { "commit": { "type": "string", "pattern": "^[0-9a-fA-F]{7,40}$" } } } } } },
                    "responses": merge(json!({ "202": queued.clone() }), error_responses(&["400", "401", "403", "404", "422"]))
                }
            },
            "/api/v1/apps/{app}/rollback": {
                "parameters": [app_param.clone()],
                "post": {
                    "summary": "Roll back to an earlier Live deployment (its image runs again; no rebuild)", "operationId": "rollback",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["deployment_id"], "additionalProperties": false, "properties": { "deployment_id": { "type": "integer" } } } } } },
                    "responses": merge(json!({ "202": queued.clone() }), error_responses(&["400", "401", "403", "404", "409"]))
                }
            },
            "/api/v1/apps/{app}/webhook": {
                "parameters": [app_param.clone()],
                "get": {
                    "summary": "The app's webhook: URL (POST /hooks/{app}), branch patterns, latest deliveries with their outcome", "operationId": "getWebhook",
                    "responses": merge(json!({ "200": { "description": "Webhook", "content": { "application/json": { "schema": { "type": "object", "properties": {
                        "enabled": { "type": "boolean" }, "url": { "type": "string" }, "branches": { "type": "string" },
                        "deliveries": { "type": "array", "items": { "type": "object", "properties": {
                            "id": { "type": "integer" }, "provider": { "type": "string" }, "event": { "type": "string" }, "delivery_id": { "type": ["string", "null"] },
                            "outcome": { "type": "string", "enum": ["queued", "joined", "ignored", "ping", "duplicate", "refused", "invalid"] },
                            "detail": { "type": ["string", "null"] }, "deployment_id": { "type": ["integer", "null"] },
                            "commit_sha": { "type": ["string", "null"] }, "pusher": { "type": ["string", "null"] }, "received_at": { "type": "string" } } } } } } } } } }), error_responses(&["401", "404"]))
                },
                "post": {
                    "summary": "Turn the webhook on, or rotate its secret (shown in this answer only)", "operationId": "rotateWebhook",
                    "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "properties": { "branches": { "type": "string", "description": "Glob patterns, comma-separated (default: the app's branch)" } } } } } },
                    "responses": merge(json!({ "200": { "description": "The secret, once", "content": { "application/json": { "schema": { "type": "object", "properties": { "url": { "type": "string" }, "secret": { "type": "string" }, "branches": { "type": "string" } } } } } } }), error_responses(&["400", "401", "403", "404", "422"]))
                },
                "delete": {
                    "summary": "Turn the webhook off", "operationId": "disableWebhook",
                    "responses": merge(json!({ "204": { "description": "Off" } }), error_responses(&["401", "403", "404"]))
                }
            },
            "/api/v1/apps/{app}/notifications": {
                "parameters": [app_param.clone()],
                "get": {
                    "summary": "Channels notifying about the app (its own and every app's) and the latest deliveries (pending, sent, failed with the last error)", "operationId": "appNotifications",
                    "responses": merge(json!({ "200": { "description": "Channels and deliveries" } }), error_responses(&["401", "404"]))
                },
                "post": {
                    "summary": "Add a channel for the app", "operationId": "addAppNotification",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": channel_input.clone() } } },
                    "responses": merge(json!({ "201": { "description": "Channel" } }), error_responses(&["400", "401", "403", "404", "422"]))
                }
            },
            "/api/v1/notifications": {
                "get": {
                    "summary": "Channels for every app", "operationId": "globalNotifications",
                    "responses": merge(json!({ "200": { "description": "Channels" } }), error_responses(&["401"]))
                },
                "post": {
                    "summary": "Add a channel for every app", "operationId": "addGlobalNotification",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": channel_input.clone() } } },
                    "responses": merge(json!({ "201": { "description": "Channel" } }), error_responses(&["400", "401", "403", "422"]))
                }
            },
            "/api/v1/notifications/{id}": {
                "parameters": [id_param.clone()],
                "delete": {
                    "summary": "Remove a channel", "operationId": "removeNotification",
                    "responses": merge(json!({ "204": { "description": "Removed" } }), error_responses(&["401", "403", "404"]))
                }
            },
            "/api/v1/audit": {
                "get": {
                    "summary": "The audit log, newest first: who did what, when, from where", "operationId": "auditLog",
                    "parameters": [
                        { "name": "actor", "in": "query", "schema": { "type": "string" }, "description": "Contains" },
                        { "name": "action", "in": "query", "schema": { "type": "string" }, "description": "Prefix, e.g. app. or deployment.rollback" },
                        { "name": "subject", "in": "query", "schema": { "type": "string" } },
                        { "name": "since", "in": "query", "schema": { "type": "string" } },
                        { "name": "until", "in": "query", "schema": { "type": "string" } },
                        { "name": "before", "in": "query", "schema": { "type": "integer" } },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "maximum": 500 } }
                    ],
                    "responses": merge(json!({ "200": { "description": "Entries", "content": { "application/json": { "schema": { "type": "array", "items": { "type": "object", "properties": {
                        "id": { "type": "integer" }, "at": { "type": "string" }, "actor": { "type": "string" }, "origin": { "type": ["string", "null"] },
                        "action": { "type": "string" }, "subject": { "type": "string" }, "detail": { "type": ["string", "null"] } } } } } } } }), error_responses(&["401", "422"]))
                }
            },
            "/api/v1/apps/{app}/plan": {
                "parameters": [app_param.clone()],
                "get": {
                    "summary": "AWS apps: the next deploy's plan (each resource create/update/unchanged, with the changed fields) and monthly cost", "operationId": "planApp",
                    "responses": merge(json!({ "200": { "description": "Plan", "content": { "application/json": { "schema": { "type": "object", "properties": {
                        "app": { "type": "string" }, "target": { "type": "string" }, "region": { "type": "string" }, "url": { "type": "string" }, "size": { "type": "string" },
                        "items": { "type": "array", "items": plan_item.clone() },
                        "cost": { "type": "object", "properties": { "compute_month": { "type": "number" }, "load_balancer_share_month": { "type": "number" }, "total_month": { "type": "number" }, "prices_as_of": { "type": "string" }, "region": { "type": "string" } } } } } } } } }), error_responses(&["401", "404", "409", "502"]))
                }
            },
            "/api/v1/apps/{app}/drift": {
                "parameters": [app_param.clone()],
                "get": {
                    "summary": "AWS apps: changes to the ECS service or its task definition made outside Slipway", "operationId": "appDrift",
                    "responses": merge(json!({ "200": { "description": "Drift", "content": { "application/json": { "schema": { "type": "object", "properties": { "checked": { "type": "boolean" }, "findings": { "type": "array", "items": { "type": "string" } } } } } } } }), error_responses(&["401", "404", "409", "502"]))
                }
            },
            "/api/v1/apps/{app}/teardown": {
                "parameters": [app_param.clone()],
                "post": {
                    "summary": "AWS apps: remove the service, rule, target group, log group, task definitions and secrets (and the ECR repository with delete_images)", "operationId": "teardownApp",
                    "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "properties": { "delete_images": { "type": "boolean" } } } } } },
                    "responses": merge(json!({ "200": done.clone() }), error_responses(&["400", "401", "403", "404", "409", "502"]))
                }
            },
            "/api/v1/targets": {
                "get": {
                    "summary": "AWS targets", "operationId": "listTargets",
                    "responses": merge(json!({ "200": { "description": "Targets", "content": { "application/json": { "schema": { "type": "array", "items": target_schema.clone() } } } } }), error_responses(&["401"]))
                },
                "post": {
                    "summary": "Add an AWS target", "operationId": "createTarget",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": target_input.clone() } } },
                    "responses": merge(json!({ "201": { "description": "Created", "content": { "application/json": { "schema": target_schema.clone() } } } }), error_responses(&["400", "401", "403", "422"]))
                }
            },
            "/api/v1/targets/{target}": {
                "parameters": [target_param.clone()],
                "get": {
                    "summary": "One AWS target (never its secret key)", "operationId": "getTarget",
                    "responses": merge(json!({ "200": { "description": "Target", "content": { "application/json": { "schema": target_schema.clone() } } } }), error_responses(&["401", "404"]))
                },
                "put": {
                    "summary": "Replace a target's settings (an omitted secret_access_key keeps the stored one)", "operationId": "updateTarget",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": target_input.clone() } } },
                    "responses": merge(json!({ "200": { "description": "Updated", "content": { "application/json": { "schema": target_schema.clone() } } } }), error_responses(&["400", "401", "403", "404", "422"]))
                },
                "delete": {
                    "summary": "Forget a target (refused while apps deploy to it)", "operationId": "deleteTarget",
                    "responses": merge(json!({ "204": { "description": "Deleted" } }), error_responses(&["401", "403", "404", "409"]))
                }
            },
            "/api/v1/targets/{target}/test": {
                "parameters": [target_param.clone()],
                "post": {
                    "summary": "Test connection: the caller's identity and the read permissions Slipway needs", "operationId": "testTarget",
                    "responses": merge(json!({ "200": { "description": "Report", "content": { "application/json": { "schema": { "type": "object", "properties": { "ok": { "type": "boolean" }, "account": { "type": ["string", "null"] }, "identity": { "type": ["string", "null"] }, "checks": { "type": "array", "items": { "type": "object", "properties": { "permission": { "type": "string" }, "ok": { "type": "boolean" }, "detail": { "type": "string" } } } } } } } } } }), error_responses(&["401", "403", "404"]))
                }
            },
            "/api/v1/targets/{target}/plan": {
                "parameters": [target_param.clone()],
                "get": {
                    "summary": "The target's shared resources as create/update/unchanged", "operationId": "planTarget",
                    "responses": merge(json!({ "200": items.clone() }), error_responses(&["401", "404", "502"]))
                }
            },
            "/api/v1/targets/{target}/provision": {
                "parameters": [target_param.clone()],
                "post": {
                    "summary": "Create or update the target's shared resources (idempotent)", "operationId": "provisionTarget",
                    "responses": merge(json!({ "200": items.clone() }), error_responses(&["401", "403", "404", "502"]))
                }
            },
            "/api/v1/targets/{target}/teardown": {
                "parameters": [target_param.clone()],
                "post": {
                    "summary": "Remove every app's AWS resources on the target, then everything shared tagged as Slipway's", "operationId": "teardownTarget",
                    "responses": merge(json!({ "200": done.clone() }), error_responses(&["401", "403", "404", "409", "502"]))
                }
            },
            "/api/v1/deployments": {
                "get": {
                    "summary": "Team-wide deployment history, newest first", "operationId": "listDeployments",
                    "parameters": list_params_with_app,
                    "responses": merge(json!({ "200": { "description": "Deployments", "content": { "application/json": { "schema": { "type": "array", "items": deployment_ref } } } } }), error_responses(&["401", "422"]))
                }
            },
            "/api/v1/deployments/{id}": {
                "parameters": [id_param.clone()],
                "get": {
                    "summary": "One deployment with its steps", "operationId": "getDeployment",
                    "responses": merge(json!({ "200": { "description": "Deployment", "content": { "application/json": { "schema": deployment_ref } } } }), error_responses(&["401", "404"]))
                }
            },
            "/api/v1/deployments/{id}/logs": {
                "parameters": [id_param.clone(), { "name": "after", "in": "query", "schema": { "type": "integer" }, "description": "Only lines after this line id" }],
                "get": {
                    "summary": "The deployment log: plain text, or a live stream with `Accept: text/event-stream`", "operationId": "deploymentLogs",
                    "description": "The stream sends `line` events (the event id is the line id; reconnecting with `Last-Event-ID` resumes after it), `status` events when the status changes, and an `end` event when the deployment is over.",
                    "responses": merge(json!({ "200": { "description": "Log", "content": { "text/plain": { "schema": { "type": "string" } }, "text/event-stream": { "schema": { "type": "string" } } } } }), error_responses(&["401", "404"]))
                }
            },
            "/api/v1/deployments/{id}/cancel": {
                "parameters": [id_param.clone()],
                "post": {
                    "summary": "Cancel a queued or running deployment (the previous release keeps serving)", "operationId": "cancelDeployment",
                    "responses": merge(json!({ "200": { "description": "The deployment", "content": { "application/json": { "schema": deployment_ref } } } }), error_responses(&["401", "403", "404", "409"]))
                }
            },
            "/api/v1/deployments/{id}/redeploy": {
                "parameters": [id_param],
                "post": {
                    "summary": "Queue the same commit again (the build is skipped when nothing changed)", "operationId": "redeploy",
                    "responses": merge(json!({ "202": queued }), error_responses(&["401", "403", "404"]))
                }
            },
            "/api/v1/tokens/{id}": {
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "delete": {
                    "summary": "Revoke an API token", "operationId": "revokeToken",
                    "responses": merge(json!({ "204": { "description": "Revoked" } }), error_responses(&["401", "403", "404"]))
                }
            }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "responses": {
                "E400": { "description": "Malformed request (`bad_request`)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "E401": { "description": "Not authenticated (`unauthorized`, `invalid_token`)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "E403": { "description": "Refused (`csrf_failed`, `forbidden`)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "E409": { "description": "Not possible in the current state (`not_cancellable`, `not_rollbackable`)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "E404": { "description": "No such resource (`not_found`)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "E422": { "description": "Invalid fields (`validation_failed`; each field has its own code)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
                    "code": { "type": "string", "enum": ["validation_failed", "bad_request", "unauthorized", "invalid_token", "wrong_credentials", "csrf_failed", "forbidden", "not_found", "not_cancellable", "not_rollbackable", "already_set_up", "rate_limited", "internal"] },
                    "message": { "type": "string" },
                    "fields": { "type": "object", "additionalProperties": { "type": "object", "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } }
                } } } },
                "User": { "type": "object", "properties": { "id": { "type": "integer" }, "email": { "type": "string" }, "is_owner": { "type": "boolean" }, "created_at": { "type": "integer" } } },
                "Token": { "type": "object", "properties": { "id": { "type": "integer" }, "name": { "type": "string" }, "prefix": { "type": "string" }, "created_at": { "type": "integer" }, "last_used_at": { "type": ["integer", "null"] } } },
                "EnvVar": { "type": "object", "required": ["name", "secret"], "properties": {
                    "name": { "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" },
                    "value": { "type": ["string", "null"], "description": "Always null for secrets in answers; omit on update to keep a secret's value" },
                    "secret": { "type": "boolean" },
                    "build_time": { "type": "boolean", "description": "Also passed to the build as a build arg" }
                } },
                "AppRequest": { "type": "object", "required": ["repo_url"], "additionalProperties": false, "properties": {
                    "name": { "type": "string", "description": "DNS label; required on create", "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$" },
                    "repo_url": { "type": "string", "description": "https://, http://, ssh://, file:// URL, scp-style git@host:path, or an absolute path" },
                    "branch": { "type": "string", "default": "main" },
                    "dockerfile": { "type": "string", "default": "Dockerfile" },
                    "build_context": { "type": "string", "default": "." },
                    "port": { "type": "integer", "minimum": 1, "maximum": 65535, "default": 8080 },
                    "health_path": { "type": "string", "default": "/" },
                    "replicas": { "type": "integer", "minimum": 1, "maximum": 20, "default": 1 },
                    "health_timeout_secs": { "type": "integer", "minimum": 1, "maximum": 3600, "default": 60 },
                    "cpus": { "type": ["number", "null"], "description": "CPU limit per replica (cores)" },
                    "memory_mb": { "type": ["integer", "null"], "description": "Memory limit per replica" },
                    "env": { "type": "array", "items": { "$ref": "#/components/schemas/EnvVar" } },
                    "git_username": { "type": "string", "description": "User for an HTTPS token (default x-access-token)" },
                    "git_token": { "type": "string", "writeOnly": true, "description": "HTTPS token; omit to keep, \"\" to remove" },
                    "git_ssh_key": { "type": "string", "writeOnly": true, "description": "SSH deploy key (private); omit to keep, \"\" to remove" },
                    "registry": { "type": "string", "description": "Push images to host[:port][/namespace]; empty for no push" },
                    "registry_username": { "type": "string" },
                    "registry_password": { "type": "string", "writeOnly": true, "description": "Omit to keep, \"\" to remove" },
                    "registry_name": { "type": "string", "description": "Push to this team registry instead (see /api/v1/registries); empty for none" },
                    "target": { "type": "string", "default": "local", "description": "\"local\" (this machine's Docker engine) or an AWS target's name" },
                    "health_interval_secs": { "type": "integer", "minimum": 5, "maximum": 300, "default": 10, "description": "AWS: target group health-check interval" },
                    "healthy_threshold": { "type": "integer", "minimum": 2, "maximum": 10, "default": 2 },
                    "deregistration_delay_secs": { "type": "integer", "minimum": 0, "maximum": 3600, "default": 30 },
                    "container_health_check": { "type": "boolean", "default": false, "description": "AWS: also check GET <health path> inside the container (the image needs wget or curl)" }
                } },
                "Deployment": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "app": { "type": "string" },
                    "status": { "type": "string", "enum": crate::deploy::history::STATUSES },
                    "trigger": { "type": "string", "enum": ["ui", "api", "webhook", "rollback"] },
                    "requested_by": { "type": "string" }, "requested_commit": { "type": ["string", "null"] },
                    "commit_sha": { "type": ["string", "null"] }, "commit_message": { "type": ["string", "null"] }, "commit_author": { "type": ["string", "null"] },
                    "image": { "type": ["string", "null"] }, "image_digest": { "type": ["string", "null"] }, "url": { "type": ["string", "null"] },
                    "target": { "type": "string", "description": "\"local\" or the AWS target" }, "task_definition_arn": { "type": ["string", "null"] },
                    "rollback_of": { "type": ["integer", "null"] }, "error": { "type": ["string", "null"] },
                    "current": { "type": "boolean", "description": "Serving the app now" },
                    "created_at": { "type": "string", "format": "date-time" }, "started_at": { "type": ["string", "null"] }, "finished_at": { "type": ["string", "null"] },
                    "duration_secs": { "type": ["integer", "null"] },
                    "steps": { "type": "array", "items": { "type": "object", "properties": {
                        "step": { "type": "string", "enum": crate::deploy::history::STEPS },
                        "outcome": { "type": "string", "enum": ["running", "done", "skipped", "failed", "cancelled"] },
                        "detail": { "type": ["string", "null"] }, "duration_ms": { "type": ["integer", "null"] } } } }
                } },
                "App": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "name": { "type": "string" }, "repo_url": { "type": "string" }, "branch": { "type": "string" },
                    "dockerfile": { "type": "string" }, "build_context": { "type": "string" }, "port": { "type": "integer" },
                    "health_path": { "type": "string" }, "replicas": { "type": "integer" },
                    "env": { "type": "array", "items": { "$ref": "#/components/schemas/EnvVar" } },
                    "health_timeout_secs": { "type": "integer" }, "cpus": { "type": ["number", "null"] }, "memory_mb": { "type": ["integer", "null"] },
                    "git_username": { "type": ["string", "null"] }, "has_git_token": { "type": "boolean" }, "has_git_ssh_key": { "type": "boolean" },
                    "registry": { "type": ["string", "null"] }, "registry_username": { "type": ["string", "null"] }, "has_registry_password": { "type": "boolean" }, "registry_name": { "type": ["string", "null"] },
                    "live_deployment_id": { "type": ["integer", "null"] },
                    "target": { "type": "string" }, "health_interval_secs": { "type": "integer" }, "healthy_threshold": { "type": "integer" }, "deregistration_delay_secs": { "type": "integer" }, "container_health_check": { "type": "boolean" },
                    "status": { "type": "string", "description": "The latest deployment's status, or not_deployed" }, "created_at": { "type": "string", "format": "date-time" }, "updated_at": { "type": "string", "format": "date-time" }
                } }
            }
        }
    });
    if let Some(paths) = doc["paths"].as_object_mut()
        && let Value::Object(more) = team_paths()
    {
        paths.extend(more);
    }
    publish_roles(&mut doc);
    doc
}

/// Each operation's least role (from `api::ROUTE_ROLES`) as `x-slipway-role`, and its 403.
fn publish_roles(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        for method in ["get", "post", "put", "delete"] {
            let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) else { continue };
            let role =
                super::ROUTE_ROLES.iter().find(|(m, p, _)| *m == method && p == path).and_then(|(_, _, role)| *role);
            match role {
                Some(role) => {
                    operation.insert("x-slipway-role".into(), json!(role.as_str()));
                    if let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) {
                        responses.insert("403".into(), json!({ "$ref": "#/components/responses/E403" }));
                    }
                }
                None => {
                    operation.insert("x-slipway-role".into(), json!("any signed-in user"));
                }
            }
        }
    }
}

fn team_paths() -> Value {
    let ok = |description: &str| json!({ "description": description, "content": { "application/json": {} } });
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } });
    let body = |schema: Value| json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    let role = json!({ "type": "string", "enum": ["owner", "admin", "deployer", "viewer"] });
    json!({
        "/api/v1/apps/{app}/env": {
            "parameters": [{ "name": "app", "in": "path", "required": true, "schema": { "type": "string" } }],
            "put": {
                "summary": "Replace only the app's variables and secrets (deployers may do this; other settings need an admin)",
                "operationId": "updateAppEnv",
                "requestBody": body(json!({ "type": "object", "required": ["env"], "properties": { "env": { "type": "array", "items": { "$ref": "#/components/schemas/EnvVar" } } } })),
                "responses": merge(json!({ "200": ok("The app") }), error_responses(&["400", "401", "404", "422"]))
            }
        },
        "/api/v1/registries": {
            "get": { "summary": "The team's shared registries (never their passwords)", "operationId": "listRegistries",
                "responses": merge(json!({ "200": ok("Registries") }), error_responses(&["401"])) },
            "post": { "summary": "Add a registry the team's apps can push to (pick it by name as the app's `registry_name`)", "operationId": "createRegistry",
                "requestBody": body(json!({ "type": "object", "required": ["name", "address"], "properties": {
                    "name": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$" },
                    "address": { "type": "string", "description": "host[:port][/namespace]" },
                    "username": { "type": "string" }, "password": { "type": "string", "writeOnly": true } } })),
                "responses": merge(json!({ "201": ok("Registry") }), error_responses(&["400", "401", "422"])) }
        },
        "/api/v1/registries/{registry}": {
            "parameters": [{ "name": "registry", "in": "path", "required": true, "schema": { "type": "string" } }],
            "delete": { "summary": "Remove a registry no app pushes to", "operationId": "deleteRegistry",
                "responses": merge(json!({ "204": { "description": "Removed" } }), error_responses(&["401", "404", "409"])) }
        },
        "/api/v1/teams": {
            "get": { "summary": "The caller's teams and their role in each", "operationId": "myTeams",
                "responses": merge(json!({ "200": ok("Teams") }), error_responses(&["401"])) },
            "post": { "summary": "Create a team; the caller becomes its owner", "operationId": "createTeam",
                "requestBody": body(json!({ "type": "object", "required": ["name"], "properties": { "name": { "type": "string" } } })),
                "responses": merge(json!({ "201": ok("Team") }), error_responses(&["400", "401", "422"])) }
        },
        "/api/v1/teams/{team}/switch": {
            "parameters": [{ "name": "team", "in": "path", "required": true, "schema": { "type": "string" }, "description": "The team's slug" }],
            "post": { "summary": "Act in this team for the rest of the browser session (tokens stay in their own team)", "operationId": "switchTeam",
                "responses": merge(json!({ "200": ok("Team and role") }), error_responses(&["400", "401", "404"])) }
        },
        "/api/v1/team": {
            "get": { "summary": "The acting team (the token's, or the session's choice), the caller's role and the members", "operationId": "currentTeam",
                "responses": merge(json!({ "200": ok("Team") }), error_responses(&["401"])) },
            "delete": { "summary": "Delete the acting team (it must have no apps or targets left)", "operationId": "deleteTeam",
                "responses": merge(json!({ "204": { "description": "Deleted" } }), error_responses(&["401", "409"])) }
        },
        "/api/v1/team/members/{id}": {
            "parameters": [id_param.clone()],
            "put": { "summary": "Change a member's role (only owners grant or take away owner; the last owner stays)", "operationId": "setRole",
                "requestBody": body(json!({ "type": "object", "required": ["role"], "properties": { "role": role.clone() } })),
                "responses": merge(json!({ "200": ok("Members") }), error_responses(&["400", "401", "404", "409", "422"])) },
            "delete": { "summary": "Remove a member (their tokens for this team are revoked)", "operationId": "removeMember",
                "responses": merge(json!({ "204": { "description": "Removed" } }), error_responses(&["401", "404", "409"])) }
        },
        "/api/v1/team/leave": {
            "post": { "summary": "Leave the acting team", "operationId": "leaveTeam",
                "responses": merge(json!({ "204": { "description": "Left" } }), error_responses(&["401", "409"])) }
        },
        "/api/v1/team/invites": {
            "get": { "summary": "Invites that can still be accepted", "operationId": "listInvites",
                "responses": merge(json!({ "200": ok("Invites") }), error_responses(&["401"])) },
            "post": { "summary": "Create an invite link (shown in this answer only)", "operationId": "createInvite",
                "requestBody": body(json!({ "type": "object", "required": ["role"], "properties": { "role": role,
                    "email": { "type": "string", "description": "Only this address may accept" },
                    "expires_in_hours": { "type": "integer", "minimum": 1, "maximum": 720, "default": 168 } } })),
                "responses": merge(json!({ "201": ok("Invite and its URL") }), error_responses(&["400", "401", "422"])) }
        },
        "/api/v1/team/invites/{id}": {
            "parameters": [id_param],
            "delete": { "summary": "Withdraw a pending invite", "operationId": "revokeInvite",
                "responses": merge(json!({ "204": { "description": "Withdrawn" } }), error_responses(&["401", "404"])) }
        },
        "/api/v1/invites/{token}/accept": {
            "parameters": [{ "name": "token", "in": "path", "required": true, "schema": { "type": "string" }, "description": "The last part of the invite link" }],
            "post": { "summary": "Join the invite's team with its role", "operationId": "acceptInvite",
                "responses": merge(json!({ "200": ok("Team and role") }), error_responses(&["401", "403", "409"])) }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented operation has a role entry, and every entry is documented.
    #[test]
    fn every_operation_declares_its_role() {
        let doc = spec();
        let mut documented = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in ["get", "post", "put", "delete"] {
                if let Some(operation) = item.get(method) {
                    assert!(operation["x-slipway-role"].is_string(), "{method} {path}");
                    documented.push((method.to_owned(), path.clone()));
                }
            }
        }
        for (method, path, _) in super::super::ROUTE_ROLES {
            assert!(
                documented.contains(&((*method).to_owned(), (*path).to_owned())),
                "{method} {path} is not documented"
            );
        }
        assert_eq!(documented.len(), super::super::ROUTE_ROLES.len());
    }
}
