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
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Slipway API",
            "version": "1",
            "description": "Deploy dashboard API. Authenticate with `Authorization: Bearer <token>` (create tokens on the account page or with `slipway token create`). Browser sessions must also send `X-CSRF-Token`. Errors are `{\"error\": {\"code\", \"message\", \"fields\"?}}` with stable codes."
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
                "E404": { "description": "No such resource (`not_found`)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "E422": { "description": "Invalid fields (`validation_failed`; each field has its own code)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
                    "code": { "type": "string", "enum": ["validation_failed", "bad_request", "unauthorized", "invalid_token", "wrong_credentials", "csrf_failed", "forbidden", "not_found", "already_set_up", "rate_limited", "internal"] },
                    "message": { "type": "string" },
                    "fields": { "type": "object", "additionalProperties": { "type": "object", "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } }
                } } } },
                "User": { "type": "object", "properties": { "id": { "type": "integer" }, "email": { "type": "string" }, "is_owner": { "type": "boolean" }, "created_at": { "type": "integer" } } },
                "Token": { "type": "object", "properties": { "id": { "type": "integer" }, "name": { "type": "string" }, "prefix": { "type": "string" }, "created_at": { "type": "integer" }, "last_used_at": { "type": ["integer", "null"] } } },
                "EnvVar": { "type": "object", "required": ["name", "secret"], "properties": {
                    "name": { "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" },
                    "value": { "type": ["string", "null"], "description": "Always null for secrets in answers; omit on update to keep a secret's value" },
                    "secret": { "type": "boolean" }
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
                    "env": { "type": "array", "items": { "$ref": "#/components/schemas/EnvVar" } }
                } },
                "App": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "name": { "type": "string" }, "repo_url": { "type": "string" }, "branch": { "type": "string" },
                    "dockerfile": { "type": "string" }, "build_context": { "type": "string" }, "port": { "type": "integer" },
                    "health_path": { "type": "string" }, "replicas": { "type": "integer" },
                    "env": { "type": "array", "items": { "$ref": "#/components/schemas/EnvVar" } },
                    "status": { "type": "string" }, "created_at": { "type": "string", "format": "date-time" }, "updated_at": { "type": "string", "format": "date-time" }
                } }
            }
        }
    })
}
