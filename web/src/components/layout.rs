use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use super::csrf_input::CsrfInput;
use super::session::{IfAllowed, use_session};
use crate::server_fns::session::Logout;

/// The signed-in frame: top bar with navigation, the page below.
#[component]
pub fn Layout() -> impl IntoView {
    let session = use_session();
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="topbar">
            <div class="topbar-inner">
                <a class="brand" href="/">
                    <BrandMark/>
                    "Slipway"
                </a>
                <nav class="nav" aria-label="Main">
                    <A href="/" exact=true>"Apps"</A>
                    <A href="/deployments">"Deployments"</A>
                    <A href="/targets">"Targets"</A>
                    <A href="/team">"Team"</A>
                    <IfAllowed role="admin">
                        <A href="/audit">"Audit log"</A>
                    </IfAllowed>
                    <A href="/account">"Account"</A>
                </nav>
                // No Suspense is created inside this Suspense's async block: a
                // boundary created after an await takes a hydration id at a
                // moment that races with the page's resources on the server.
                <div class="who">
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            session.await.ok().and_then(|s| s.user.map(|user| (user, s.team))).map(|(user, team)| view! {
                                <a class="who-team" href="/team" title="Switch teams on the Team page">
                                    {team.map_or_else(|| "no team".to_owned(), |t| format!("{} · {}", t.name, t.role))}
                                </a>
                                <span class="who-email">{user.email}</span>
                            })
                        })}
                    </Suspense>
                    <ActionForm action=logout attr:class="inline-form">
                        <CsrfInput/>
                        <button type="submit" class="button button-ghost">"Sign out"</button>
                    </ActionForm>
                </div>
            </div>
        </header>
        <main class="container">
            <Outlet/>
        </main>
    }
}

/// The frame of the signed-out pages (set-up, sign-in).
#[component]
pub fn AuthFrame(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <main class="auth">
            <div class="auth-card">
                <div class="brand brand-large">
                    <BrandMark/>
                    "Slipway"
                </div>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}

/// Slipway's mark: a sail over a slipway.
#[component]
fn BrandMark() -> impl IntoView {
    view! {
        <svg class="brand-mark" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path d="M12 2 L12 17 L4 17 Z" fill="currentColor" opacity="0.85"/>
            <path d="M13.5 5 L13.5 17 L20 17 Z" fill="currentColor" opacity="0.55"/>
            <path d="M2 20 Q12 23 22 20" stroke="currentColor" stroke-width="2" fill="none" stroke-linecap="round"/>
        </svg>
    }
}
