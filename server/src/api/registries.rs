//! The team's registries over the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::ApiJson;
use crate::audit::{self, Origin};
use crate::error::{Error, Result};
use crate::registries::{self, Registry, RegistryDraft, RegistrySpec};
use crate::state::AppState;
use crate::teams::{Admin, Member, Viewer};

pub async fn list(State(state): State<AppState>, member: Member<Viewer>) -> Result<ApiJson<Vec<Registry>>> {
    Ok(ApiJson(registries::list(&state.db, member.team.id).await?))
}

pub async fn create(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    ApiJson(draft): ApiJson<RegistryDraft>,
) -> Result<(StatusCode, ApiJson<Registry>)> {
    let spec = RegistrySpec::parse(&draft).map_err(Error::Validation)?;
    let registry = registries::create(&state.db, &state.secrets, member.team.id, &spec).await?;
    audit::record(&state.db, &member.actor(origin), "registry.create", &registry.name, Some(registry.address.clone()))
        .await;
    Ok((StatusCode::CREATED, ApiJson(registry)))
}

pub async fn remove(
    State(state): State<AppState>,
    member: Member<Admin>,
    Origin(origin): Origin,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    registries::delete(&state.db, member.team.id, &name).await?;
    audit::record(&state.db, &member.actor(origin), "registry.delete", &name, None).await;
    Ok(StatusCode::NO_CONTENT)
}
