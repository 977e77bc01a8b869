//! The session (who is signed in, the CSRF token) as a resource shared by every
//! page; refetched on each navigation so sign-in and sign-out show at once.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::error::UiError;
use crate::model::{SessionInfo, role_rank};
use crate::server_fns::session::get_session;

#[derive(Clone, Copy)]
pub struct SessionResource(pub Resource<Result<SessionInfo, UiError>>);

pub fn use_session() -> Resource<Result<SessionInfo, UiError>> {
    expect_context::<SessionResource>().0
}

/// Whether the signed-in user's role in the acting team is at least `role`
/// ("viewer", "deployer", "admin", "owner"). Await it inside a Suspense's async
/// block, so the server renders once the session is known and the browser
/// hydrates the same markup. It only hides controls: the server checks every call.
pub async fn allowed(session: Resource<Result<SessionInfo, UiError>>, role: &str) -> bool {
    session.await.ok().and_then(|s| s.team).is_some_and(|t| role_rank(&t.role) >= role_rank(role))
}

/// Renders `children` only for members whose role is at least `role`. Use it
/// where no Suspense is around yet (at a component's top level, never inside a
/// Suspense's async block: a boundary created there races the page's resources).
#[component]
pub fn IfAllowed(role: &'static str, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move { allowed(session, role).await.then(|| children()) })
            }}
        </Suspense>
    }
}

#[component]
pub fn SessionScope(children: Children) -> impl IntoView {
    let location = use_location();
    let resource = Resource::new(move || location.pathname.get(), |_| get_session());
    provide_context(SessionResource(resource));
    children()
}
