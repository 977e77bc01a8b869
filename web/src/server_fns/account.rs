//! The account page: API tokens.

use leptos::prelude::*;

use crate::error::UiError;
use crate::model::AccountView;

#[cfg(feature = "ssr")]
use super::context;
#[cfg(feature = "ssr")]
use slipway_server::teams::Role;

#[cfg(feature = "ssr")]
const NEW_TOKEN_FLASH: &str = "new_token";

/// The account, its tokens, and a token created just now (shown once, then forgotten).
#[server(prefix = "/_app", endpoint = "account", input = leptos::server_fn::codec::GetUrl)]
pub async fn account() -> Result<AccountView, UiError> {
    let (state, member) = context::require_member(Role::Viewer).await?;
    let session = context::session().await?;
    let new_token: Option<String> =
        session.remove(NEW_TOKEN_FLASH).await.map_err(|e| UiError::new("internal", e.to_string()))?;
    let tokens = slipway_server::auth::list_tokens(&state.db, &member.user, member.team.id).await?;
    Ok(AccountView {
        user: (&member.user).into(),
        team: member.team.name.clone(),
        role: member.role.as_str().to_owned(),
        tokens: tokens.into_iter().map(Into::into).collect(),
        new_token,
    })
}

#[server(prefix = "/_app", endpoint = "create_token")]
pub async fn create_token(name: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf; // verified by slipway_server::csrf::protect before we run
    let (state, member) = context::require_member(Role::Viewer).await?;
    let created = slipway_server::auth::create_token(&state.db, &member.user, member.team.id, &name)
        .await
        .map_err(|e| UiError::from(e).with_input([("name", name.as_str())]))?;
    let session = context::session().await?;
    session.insert(NEW_TOKEN_FLASH, &created.secret).await.map_err(|e| UiError::new("internal", e.to_string()))?;
    tracing::info!(by = %member.user.email, token = %created.token.name, "API token created");
    context::audit(&state, &member, "token.create", &created.token.name, None).await;
    Ok(())
}

#[server(prefix = "/_app", endpoint = "revoke_token")]
pub async fn revoke_token(id: i64, csrf: String) -> Result<(), UiError> {
    let _ = csrf; // verified by slipway_server::csrf::protect before we run
    let (state, member) = context::require_member(Role::Viewer).await?;
    slipway_server::auth::revoke_token(&state.db, &member.user, id).await?;
    tracing::info!(by = %member.user.email, token = id, "API token revoked");
    context::audit(&state, &member, "token.revoke", &format!("token #{id}"), None).await;
    Ok(())
}
