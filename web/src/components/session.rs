//! The session (who is signed in, the CSRF token) as a resource shared by every
//! page; refetched on each navigation so sign-in and sign-out show at once.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::error::UiError;
use crate::model::SessionInfo;
use crate::server_fns::session::get_session;

#[derive(Clone, Copy)]
pub struct SessionResource(pub Resource<Result<SessionInfo, UiError>>);

pub fn use_session() -> Resource<Result<SessionInfo, UiError>> {
    expect_context::<SessionResource>().0
}

#[component]
pub fn SessionScope(children: Children) -> impl IntoView {
    let location = use_location();
    let resource = Resource::new(move || location.pathname.get(), |_| get_session());
    provide_context(SessionResource(resource));
    children()
}
