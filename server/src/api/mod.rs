//! The REST API under `/api/v1`: thin JSON handlers over the domain modules.
//! Every route needs a signed-in user (bearer token or session + CSRF header).

mod apps;
mod json;
mod openapi;
mod tokens;

use axum::Router;
use axum::routing::{any, delete, get};

use crate::state::AppState;

pub use json::ApiJson;
pub use openapi::spec as openapi_spec;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/me", get(tokens::me))
        .route("/api/v1/apps", get(apps::list).post(apps::create))
        .route("/api/v1/apps/{app}", get(apps::show).put(apps::update).delete(apps::remove))
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route("/api/v1/tokens/{id}", delete(tokens::revoke))
        // Unknown API paths: authenticated first like every API route, then a JSON 404.
        .route("/api/{*rest}", any(not_found))
}

async fn not_found(_user: crate::auth::CurrentUser) -> crate::Error {
    crate::Error::NotFound("API route".into())
}
