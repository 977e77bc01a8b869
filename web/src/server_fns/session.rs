//! First-run set-up, sign-in and sign-out.

use leptos::prelude::*;

use crate::error::UiError;
use crate::model::SessionInfo;
#[cfg(feature = "ssr")]
use crate::model::TeamChoice;

#[cfg(feature = "ssr")]
use super::context;

/// Who is signed in, and the CSRF token forms must carry.
#[server(prefix = "/_app", endpoint = "session", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_session() -> Result<SessionInfo, UiError> {
    use slipway_server::auth::user_from_session;
    use slipway_server::teams;
    let state = context::state()?;
    let session = context::session().await?;
    let csrf = slipway_server::csrf::ensure_token(&session).await?;
    let Some(user) = user_from_session(&state, &session).await? else {
        return Ok(SessionInfo { user: None, csrf, team: None, teams: Vec::new() });
    };
    let teams: Vec<TeamChoice> = teams::teams_of(&state.db, user.id).await?.into_iter().map(Into::into).collect();
    let chosen: Option<i64> =
        session.get(teams::SESSION_TEAM_KEY).await.map_err(|e| UiError::new("internal", e.to_string()))?;
    let team = match teams::membership_for(&state.db, user.clone(), chosen).await {
        Ok(member) => teams.iter().find(|t| t.slug == member.team.slug).cloned(),
        Err(_) => None,
    };
    Ok(SessionInfo { user: Some((&user).into()), csrf, team, teams })
}

/// Creates the owner account on an empty installation and signs them in.
#[server(prefix = "/_app", endpoint = "setup")]
pub async fn setup(email: String, password: String, password_confirm: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf; // verified by slipway_server::csrf::protect before we run
    use slipway_server::auth::create_owner;
    let state = context::state()?;
    let echo = |e: UiError| e.with_input([("email", email.as_str())]);
    let (parsed_email, parsed_password) = context::new_account(&email, &password, &password_confirm)?;
    let user = create_owner(&state.db, &parsed_email, &parsed_password).await.map_err(|e| echo(e.into()))?;
    context::start_session(&user).await?;
    tracing::info!(email = %user.email, "owner account created");
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/_app", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>, csrf: String) -> Result<(), UiError> {
    let _ = csrf; // verified by slipway_server::csrf::protect before we run
    use axum::extract::ConnectInfo;
    use slipway_server::auth::sign_in;
    let state = context::state()?;
    let client_ip = leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>()
        .await
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_default();
    let origin = Some(client_ip.clone()).filter(|ip| !ip.is_empty());
    let user = match sign_in(&state.db, &email, &password, &client_ip).await {
        Ok(user) => user,
        Err(e) => {
            tracing::warn!(email = %email, ip = %client_ip, reason = e.code(), "sign-in refused");
            let actor = slipway_server::audit::Actor::new(email.trim(), origin);
            slipway_server::audit::record(
                &state.db,
                &actor,
                "auth.login_failed",
                email.trim(),
                Some(e.code().to_owned()),
            )
            .await;
            return Err(UiError::from(e).with_input([("email", email.as_str())]));
        }
    };
    let actor = slipway_server::audit::Actor::new(&user.email, origin);
    slipway_server::audit::record(&state.db, &actor, "auth.login", &user.email, None).await;
    context::start_session(&user).await?;
    tracing::info!(email = %user.email, ip = %client_ip, "signed in");
    // Only same-site paths: never redirect to another host.
    let target = next.filter(|n| n.starts_with('/') && !n.starts_with("//")).unwrap_or_else(|| "/".into());
    leptos_axum::redirect(&target);
    Ok(())
}

#[server(prefix = "/_app", endpoint = "logout")]
pub async fn logout(csrf: String) -> Result<(), UiError> {
    let _ = csrf; // verified by slipway_server::csrf::protect before we run
    let session = context::session().await?;
    session.flush().await.map_err(|e| UiError::new("internal", e.to_string()))?;
    leptos_axum::redirect("/login");
    Ok(())
}
