//! The REST API under `/api/v1`: thin JSON handlers over the domain modules.
//! Every route needs a signed-in user (bearer token or session + CSRF header).

mod apps;
mod audit;
mod deployments;
mod json;
mod notifications;
mod openapi;
mod registries;
mod targets;
mod teams;
mod tokens;

use axum::Router;
use axum::routing::{any, delete, get, post, put};

use crate::teams::Role;

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
        .route("/api/v1/apps/{app}/env", put(apps::update_env))
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
        .route("/api/v1/registries", get(registries::list).post(registries::create))
        .route("/api/v1/registries/{registry}", delete(registries::remove))
        .route("/api/v1/teams", get(teams::mine).post(teams::create))
        .route("/api/v1/teams/{team}/switch", post(teams::switch))
        .route("/api/v1/team", get(teams::show).delete(teams::remove))
        .route("/api/v1/team/members/{id}", put(teams::set_role).delete(teams::remove_member))
        .route("/api/v1/team/leave", post(teams::leave))
        .route("/api/v1/team/invites", get(teams::invites).post(teams::invite))
        .route("/api/v1/team/invites/{id}", delete(teams::revoke_invite))
        .route("/api/v1/invites/{token}/accept", post(teams::accept))
        // Unknown API paths: authenticated first like every API route, then a JSON 404.
        .route("/api/{*rest}", any(not_found))
}

/// The least role each documented operation needs in the acting team (`None`:
/// any signed-in user, for routes about the caller rather than a team). The
/// handlers enforce it with `Member<R>`; the OpenAPI document publishes it as
/// `x-slipway-role`, and the end-to-end RBAC matrix checks the two agree.
pub const ROUTE_ROLES: &[(&str, &str, Option<Role>)] = {
    use Role::{Admin as A, Deployer as D, Owner as O, Viewer as V};
    &[
        ("get", "/api/v1/openapi.json", None),
        ("get", "/api/v1/me", None),
        ("get", "/api/v1/apps", Some(V)),
        ("post", "/api/v1/apps", Some(A)),
        ("get", "/api/v1/apps/{app}", Some(V)),
        ("put", "/api/v1/apps/{app}", Some(A)),
        ("delete", "/api/v1/apps/{app}", Some(A)),
        ("put", "/api/v1/apps/{app}/env", Some(D)),
        ("get", "/api/v1/apps/{app}/deployments", Some(V)),
        ("post", "/api/v1/apps/{app}/deployments", Some(D)),
        ("post", "/api/v1/apps/{app}/rollback", Some(D)),
        ("get", "/api/v1/apps/{app}/webhook", Some(V)),
        ("post", "/api/v1/apps/{app}/webhook", Some(A)),
        ("delete", "/api/v1/apps/{app}/webhook", Some(A)),
        ("get", "/api/v1/apps/{app}/plan", Some(V)),
        ("get", "/api/v1/apps/{app}/drift", Some(V)),
        ("post", "/api/v1/apps/{app}/teardown", Some(A)),
        ("get", "/api/v1/apps/{app}/notifications", Some(V)),
        ("post", "/api/v1/apps/{app}/notifications", Some(A)),
        ("get", "/api/v1/targets", Some(V)),
        ("post", "/api/v1/targets", Some(A)),
        ("get", "/api/v1/targets/{target}", Some(V)),
        ("put", "/api/v1/targets/{target}", Some(A)),
        ("delete", "/api/v1/targets/{target}", Some(A)),
        ("post", "/api/v1/targets/{target}/test", Some(A)),
        ("get", "/api/v1/targets/{target}/plan", Some(V)),
        ("post", "/api/v1/targets/{target}/provision", Some(A)),
        ("post", "/api/v1/targets/{target}/teardown", Some(A)),
        ("get", "/api/v1/deployments", Some(V)),
        ("get", "/api/v1/deployments/{id}", Some(V)),
        ("get", "/api/v1/deployments/{id}/logs", Some(V)),
        ("post", "/api/v1/deployments/{id}/cancel", Some(D)),
        ("post", "/api/v1/deployments/{id}/redeploy", Some(D)),
        ("get", "/api/v1/audit", Some(A)),
        ("get", "/api/v1/notifications", Some(V)),
        ("post", "/api/v1/notifications", Some(A)),
        ("delete", "/api/v1/notifications/{id}", Some(A)),
        ("get", "/api/v1/tokens", Some(V)),
        ("post", "/api/v1/tokens", Some(V)),
        ("delete", "/api/v1/tokens/{id}", Some(V)),
        ("get", "/api/v1/registries", Some(V)),
        ("post", "/api/v1/registries", Some(A)),
        ("delete", "/api/v1/registries/{registry}", Some(A)),
        ("get", "/api/v1/teams", None),
        ("post", "/api/v1/teams", None),
        ("post", "/api/v1/teams/{team}/switch", None),
        ("get", "/api/v1/team", Some(V)),
        ("delete", "/api/v1/team", Some(O)),
        ("put", "/api/v1/team/members/{id}", Some(A)),
        ("delete", "/api/v1/team/members/{id}", Some(A)),
        ("post", "/api/v1/team/leave", Some(V)),
        ("get", "/api/v1/team/invites", Some(A)),
        ("post", "/api/v1/team/invites", Some(A)),
        ("delete", "/api/v1/team/invites/{id}", Some(A)),
        ("post", "/api/v1/invites/{token}/accept", None),
    ]
};

async fn not_found(_user: crate::auth::CurrentUser) -> crate::Error {
    crate::Error::NotFound("API route".into())
}
