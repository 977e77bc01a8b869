//! The Team page and invites: members and roles, invite links, creating,
//! switching, leaving and deleting teams; accepting an invite (signed in, or
//! with a new account).

use leptos::prelude::*;

use crate::error::UiError;
use crate::model::{InviteLanding, TeamView};

#[cfg(feature = "ssr")]
use super::context;
#[cfg(feature = "ssr")]
use slipway_server::teams::{self, Role, SESSION_TEAM_KEY};

#[cfg(feature = "ssr")]
const NEW_INVITE_FLASH: &str = "new_invite";

#[cfg(feature = "ssr")]
fn internal(e: impl std::fmt::Display) -> UiError {
    UiError::new("internal", e.to_string())
}

/// The acting team: its members, and for admins the pending invites.
#[server(prefix = "/_app", endpoint = "team", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_team() -> Result<TeamView, UiError> {
    let (state, member) = context::require_member(Role::Viewer).await?;
    let members = teams::members(&state.db, member.team.id).await?;
    let (invites, new_invite) = if member.role >= Role::Admin {
        let session = context::session().await?;
        let flash: Option<String> = session.remove(NEW_INVITE_FLASH).await.map_err(internal)?;
        (teams::list_invites(&state.db, member.team.id).await?, flash)
    } else {
        (Vec::new(), None)
    };
    Ok(TeamView {
        team: teams::TeamOfUser { team: member.team.clone(), role: member.role }.into(),
        members: members.into_iter().map(Into::into).collect(),
        invites: invites.into_iter().map(Into::into).collect(),
        new_invite,
        me: member.user.id,
        registries: slipway_server::registries::list(&state.db, member.team.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    })
}

/// Creates a team owned by the caller and switches to it.
#[server(prefix = "/_app", endpoint = "create_team")]
pub async fn create_team(name: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, user) = context::require_user().await?;
    let echo = |e: UiError| e.with_input([("name", name.as_str())]);
    let parsed = teams::TeamName::parse(&name).map_err(|f| echo(slipway_server::Error::Validation(f).into()))?;
    let team = teams::create_team(&state.db, user.id, &parsed).await.map_err(|e| echo(e.into()))?;
    let session = context::session().await?;
    session.insert(SESSION_TEAM_KEY, team.id).await.map_err(internal)?;
    let actor = slipway_server::audit::Actor::new(&user.email, context::origin().await).in_team(team.id);
    slipway_server::audit::record(&state.db, &actor, "team.create", &team.name, None).await;
    leptos_axum::redirect("/team");
    Ok(())
}

/// Acts in another of the caller's teams from now on.
#[server(prefix = "/_app", endpoint = "switch_team")]
pub async fn switch_team(slug: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, user) = context::require_user().await?;
    let mine = teams::teams_of(&state.db, user.id).await?;
    let team = mine
        .into_iter()
        .find(|t| t.team.slug == slug)
        .ok_or_else(|| UiError::new("not_found", format!("You are not a member of team \"{slug}\".")))?;
    context::session().await?.insert(SESSION_TEAM_KEY, team.team.id).await.map_err(internal)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/_app", endpoint = "set_member_role")]
pub async fn set_member_role(user_id: i64, role: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    let role = Role::parse(&role).map_err(slipway_server::Error::Validation)?;
    let (email, before) = teams::set_role(&state.db, &member, user_id, role).await?;
    context::audit(&state, &member, "member.role", &email, Some(format!("{before} → {role}"))).await;
    leptos_axum::redirect("/team");
    Ok(())
}

#[server(prefix = "/_app", endpoint = "remove_member")]
pub async fn remove_member(user_id: i64, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    let email = teams::remove_member(&state.db, &member, user_id).await?;
    context::audit(&state, &member, "member.remove", &email, None).await;
    leptos_axum::redirect("/team");
    Ok(())
}

#[server(prefix = "/_app", endpoint = "leave_team")]
pub async fn leave_team(csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Viewer).await?;
    teams::leave_team(&state.db, &member).await?;
    context::audit(&state, &member, "member.leave", &member.user.email, None).await;
    context::session().await?.remove_value(SESSION_TEAM_KEY).await.map_err(internal)?;
    leptos_axum::redirect("/team");
    Ok(())
}

/// An invite link for `role` (optionally only for `email`), valid `hours` (blank: 7 days).
#[server(prefix = "/_app", endpoint = "create_invite")]
pub async fn create_invite(
    role: String,
    #[server(default)] email: String,
    #[server(default)] hours: String,
    csrf: String,
) -> Result<String, UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    let echo = [("role", role.as_str()), ("email", email.as_str()), ("hours", hours.as_str())];
    let parsed_role =
        Role::parse(&role).map_err(|f| UiError::from(slipway_server::Error::Validation(f)).with_input(echo))?;
    let hours = match hours.trim() {
        "" => None,
        raw => Some(raw.parse::<i64>().map_err(|_| {
            UiError::new("validation_failed", "Some fields need attention.")
                .field("expires_in_hours", "Enter a whole number of hours, e.g. 48.")
                .with_input(echo)
        })?),
    };
    let created = teams::create_invite(&state.db, &state.config.public_url, &member, parsed_role, Some(&email), hours)
        .await
        .map_err(|e| UiError::from(e).with_input(echo))?;
    let detail = Some(format!(
        "{parsed_role}{}, until {}",
        created.invite.email.as_deref().map(|e| format!(" for {e}")).unwrap_or_default(),
        created.invite.expires_at
    ));
    context::audit(&state, &member, "member.invite", &format!("invite #{}", created.invite.id), detail).await;
    // For the page without JavaScript: shown once after the redirect.
    context::session().await?.insert(NEW_INVITE_FLASH, &created.url).await.map_err(internal)?;
    Ok(created.url)
}

#[server(prefix = "/_app", endpoint = "revoke_invite")]
pub async fn revoke_invite(id: i64, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    let role = teams::revoke_invite(&state.db, member.team.id, id).await?;
    context::audit(&state, &member, "member.invite_revoke", &format!("invite #{id}"), Some(role.to_string())).await;
    Ok(())
}

/// Adds a registry the team's apps can push to.
#[server(prefix = "/_app", endpoint = "add_registry")]
pub async fn add_registry(
    name: String,
    address: String,
    #[server(default)] username: String,
    #[server(default)] password: String,
    csrf: String,
) -> Result<(), UiError> {
    let _ = csrf;
    use slipway_server::registries::{self, RegistryDraft, RegistrySpec};
    let (state, member) = context::require_member(Role::Admin).await?;
    let echo = [("name", name.as_str()), ("address", address.as_str()), ("username", username.as_str())];
    let draft = RegistryDraft {
        name: name.clone(),
        address: address.clone(),
        username: Some(username.clone()),
        password: Some(password),
    };
    let spec = RegistrySpec::parse(&draft)
        .map_err(|f| UiError::from(slipway_server::Error::Validation(f)).with_input(echo))?;
    let registry = registries::create(&state.db, &state.secrets, member.team.id, &spec)
        .await
        .map_err(|e| UiError::from(e).with_input(echo))?;
    context::audit(&state, &member, "registry.create", &registry.name, Some(registry.address.clone())).await;
    Ok(())
}

#[server(prefix = "/_app", endpoint = "remove_registry")]
pub async fn remove_registry(name: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Admin).await?;
    slipway_server::registries::delete(&state.db, member.team.id, &name).await?;
    context::audit(&state, &member, "registry.delete", &name, None).await;
    Ok(())
}

/// Deletes the acting team; `confirm` must repeat its name.
#[server(prefix = "/_app", endpoint = "delete_team")]
pub async fn delete_team(confirm: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, member) = context::require_member(Role::Owner).await?;
    if confirm.trim() != member.team.name {
        return Err(UiError::new("confirmation_mismatch", "Type the team's name to confirm the deletion.")
            .field("confirm", format!("Type \"{}\" to confirm.", member.team.name)));
    }
    teams::delete_team(&state.db, &member.team).await?;
    context::audit(&state, &member, "team.delete", &member.team.name, None).await;
    context::session().await?.remove_value(SESSION_TEAM_KEY).await.map_err(internal)?;
    leptos_axum::redirect("/team");
    Ok(())
}

/// What an invite link offers (no sign-in needed to look).
#[server(prefix = "/_app", endpoint = "invite", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_invite(token: String) -> Result<InviteLanding, UiError> {
    let state = context::state()?;
    let info = teams::find_invite(&state.db, &token).await?;
    let session = context::session().await?;
    let signed_in = slipway_server::auth::user_from_session(&state, &session).await?;
    Ok(InviteLanding {
        team: info.team.name,
        role: info.role.as_str().to_owned(),
        email: info.email,
        expires_at: info.expires_at,
        signed_in_as: signed_in.map(|u| u.email),
    })
}

/// The signed-in user accepts the invite and starts working in its team.
#[server(prefix = "/_app", endpoint = "accept_invite")]
pub async fn accept_invite(token: String, csrf: String) -> Result<(), UiError> {
    let _ = csrf;
    let (state, user) = context::require_user().await?;
    let mut tx = state.db.begin().await.map_err(slipway_server::Error::from)?;
    let (team, role) = teams::accept_invite(&mut tx, &token, &user).await?;
    tx.commit().await.map_err(slipway_server::Error::from)?;
    joined(&state, &user, &team, role).await
}

/// Someone new creates their account from the invite and joins in one step.
#[server(prefix = "/_app", endpoint = "join")]
pub async fn join(
    token: String,
    email: String,
    password: String,
    password_confirm: String,
    csrf: String,
) -> Result<(), UiError> {
    let _ = csrf;
    let state = context::state()?;
    let echo = |e: UiError| e.with_input([("email", email.as_str())]);
    let (parsed_email, parsed_password) = context::new_account(&email, &password, &password_confirm)?;
    // Checked before the account exists, so a dead link creates nobody.
    teams::find_invite(&state.db, &token).await.map_err(|e| echo(e.into()))?;
    let user = slipway_server::auth::create_user(&state.db, &parsed_email, &parsed_password, false)
        .await
        .map_err(|e| echo(e.into()))?;
    let mut tx = state.db.begin().await.map_err(slipway_server::Error::from)?;
    let accepted = teams::accept_invite(&mut tx, &token, &user).await;
    let (team, role) = match accepted {
        Ok(accepted) => accepted,
        Err(error) => {
            drop(tx);
            // The link went (used, or for another address) between the check and now: undo the account.
            let _ = sqlx::query("DELETE FROM users WHERE id = ?").bind(user.id).execute(&state.db).await;
            return Err(echo(error.into()));
        }
    };
    tx.commit().await.map_err(slipway_server::Error::from)?;
    context::start_session(&user).await?;
    joined(&state, &user, &team, role).await
}

#[cfg(feature = "ssr")]
async fn joined(
    state: &slipway_server::AppState,
    user: &slipway_server::auth::User,
    team: &teams::Team,
    role: Role,
) -> Result<(), UiError> {
    context::session().await?.insert(SESSION_TEAM_KEY, team.id).await.map_err(internal)?;
    let actor = slipway_server::audit::Actor::new(&user.email, context::origin().await).in_team(team.id);
    slipway_server::audit::record(&state.db, &actor, "member.join", &user.email, Some(format!("as {role}"))).await;
    tracing::info!(email = %user.email, team = %team.slug, %role, "joined a team");
    leptos_axum::redirect("/");
    Ok(())
}
