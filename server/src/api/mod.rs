//! The REST API under `/api/v1`: thin JSON handlers over the domain modules.
//! Every route needs a signed-in user (bearer token or session + CSRF header).

mod apps;
mod audit;
mod deployments;
mod json;
mod notifications;
mod openapi;
mod targets;
mod tokens;

use axum::Router;
use axum::routing::{any, delete, get, post};

use crate::state::AppState;

pub use deployments::log_events;
pub use json::{ApiJson, optional_json};
pub use openapi::spec as openapi_spec;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/me", get(tokens::me))
        .route("/api/v1/apps", get(apps::list).post(apps::create))
        .route("/api/v1/apps/{app}", get(apps::show).put(apps::update).delete(apps::remove))
        .route("/api/v1/apps/{app}/deployments", get(deployments::list_for_app).post(deployments::create))
        .route("/api/v1/apps/{app}/rollback", post(deployments::rollback))
        .route(
            "/api/v1/apps/{app}/webhook",
            get(apps::webhook).post(apps::rotate_webhook).delete(apps::disable_webhook),
        )
        .route("/api/v1/apps/{app}/plan", get(targets::app_plan))
        .route("/api/v1/apps/{app}/drift", get(targets::app_drift))
        .route("/api/v1/apps/{app}/teardown", post(targets::app_teardown))
        .route("/api/v1/targets", get(targets::list).post(targets::create))
        .route("/api/v1/targets/{target}", get(targets::show).put(targets::update).delete(targets::remove))
        .route("/api/v1/targets/{target}/test", post(targets::test))
        .route("/api/v1/targets/{target}/plan", get(targets::plan))
        .route("/api/v1/targets/{target}/provision", post(targets::provision))
        .route("/api/v1/targets/{target}/teardown", post(targets::teardown))
        .route("/api/v1/deployments", get(deployments::list))
        .route("/api/v1/deployments/{id}", get(deployments::show))
        .route("/api/v1/deployments/{id}/logs", get(deployments::logs))
        .route("/api/v1/deployments/{id}/cancel", post(deployments::cancel))
        .route("/api/v1/deployments/{id}/redeploy", post(deployments::redeploy))
        .route("/api/v1/audit", get(audit::list))
        .route("/api/v1/apps/{app}/notifications", get(notifications::for_app).post(notifications::add_for_app))
        .route("/api/v1/notifications", get(notifications::global).post(notifications::add_global))
        .route("/api/v1/notifications/{id}", delete(notifications::remove))
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route("/api/v1/tokens/{id}", delete(tokens::revoke))
        // Unknown API paths: authenticated first like every API route, then a JSON 404.
        .route("/api/{*rest}", any(not_found))
}

async fn not_found(_user: crate::auth::CurrentUser) -> crate::Error {
    crate::Error::NotFound("API route".into())
}
