//! Server functions: the UI's data layer. Reads are GET (no CSRF needed); every
//! mutation takes the session's `csrf` token as a form field, checked by the
//! server's CSRF middleware before the function runs.

pub mod account;
pub mod apps;
pub mod audit;
pub mod deployments;
pub mod notifications;
pub mod session;
pub mod targets;
pub mod teams;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub(crate) mod context {
    use leptos::prelude::*;
    use slipway_server::AppState;
    use slipway_server::auth::{User, user_from_session};
    use slipway_server::teams::{Membership, Role, SESSION_TEAM_KEY, membership_for};
    use tower_sessions::Session;

    use crate::error::UiError;

    pub fn state() -> Result<AppState, UiError> {
        use_context::<AppState>()
            .ok_or_else(|| UiError::new("internal", "Slipway's state is missing from the request."))
    }

    pub async fn session() -> Result<Session, UiError> {
        leptos_axum::extract::<Session>().await.map_err(|_| UiError::new("internal", "The session is unavailable."))
    }

    /// The signed-in user, or an `unauthorized` error the pages turn into a sign-in link.
    pub async fn require_user() -> Result<(AppState, User), UiError> {
        let state = state()?;
        let session = session().await?;
        match user_from_session(&state, &session).await? {
            Some(user) => Ok((state, user)),
            None => Err(UiError::new("unauthorized", "Your session has ended. Sign in again.")),
        }
    }

    /// The signed-in user acting in the session's team with at least `role`, or a
    /// `forbidden` error that says which role is needed. Checked on the server for
    /// every server function; the UI only hides what a role can't do.
    pub async fn require_member(role: Role) -> Result<(AppState, Membership), UiError> {
        let (state, user) = require_user().await?;
        let session = session().await?;
        let chosen: Option<i64> =
            session.get(SESSION_TEAM_KEY).await.map_err(|e| UiError::new("internal", e.to_string()))?;
        let member = membership_for(&state.db, user, chosen).await?;
        member.require(role)?;
        Ok((state, member))
    }

    /// A new account's email and password as typed in a form (password twice);
    /// errors echo the email back.
    pub fn new_account(
        email: &str,
        password: &str,
        password_confirm: &str,
    ) -> Result<(slipway_server::auth::Email, slipway_server::auth::Password), UiError> {
        use slipway_server::auth::{Email, Password};
        let echo = |e: UiError| e.with_input([("email", email)]);
        let parsed_email = Email::parse(email).map_err(|f| echo(slipway_server::Error::Validation(f).into()))?;
        let parsed_password =
            Password::parse(password).map_err(|f| echo(slipway_server::Error::Validation(f).into()))?;
        if password != password_confirm {
            return Err(echo(
                UiError::new("validation_failed", "Some fields need attention.")
                    .field("password_confirm", "The two passwords differ."),
            ));
        }
        Ok((parsed_email, parsed_password))
    }

    /// Signs `user` in to this session (with a fresh session id).
    pub async fn start_session(user: &User) -> Result<(), UiError> {
        let session = session().await?;
        session.cycle_id().await.map_err(|e| UiError::new("internal", e.to_string()))?;
        session
            .insert(slipway_server::auth::SESSION_USER_KEY, user.id)
            .await
            .map_err(|e| UiError::new("internal", e.to_string()))
    }

    /// The request's client address (the TCP peer).
    pub async fn origin() -> Option<String> {
        use axum::extract::ConnectInfo;
        leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>()
            .await
            .ok()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
    }

    /// Records `action` on `subject` by `member` (in their team) in the audit log.
    pub async fn audit(state: &AppState, member: &Membership, action: &str, subject: &str, detail: Option<String>) {
        slipway_server::audit::record(&state.db, &member.actor(origin().await), action, subject, detail).await;
    }
}
