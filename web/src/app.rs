//! The root component, its routes, and the HTML shell rendered on the server.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::SsrMode;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::Layout;
use crate::components::session::SessionScope;
use crate::pages::account::AccountPage;
use crate::pages::app_detail::AppPage;
use crate::pages::app_edit::EditAppPage;
use crate::pages::app_env::AppEnvPage;
use crate::pages::app_new::NewAppPage;
use crate::pages::apps_list::AppsPage;
use crate::pages::audit::AuditPage;
use crate::pages::deployment::DeploymentPage;
use crate::pages::history::HistoryPage;
use crate::pages::invite::InvitePage;
use crate::pages::login::LoginPage;
use crate::pages::not_found::NotFound;
use crate::pages::setup::SetupPage;
use crate::pages::targets::{EditTargetPage, NewTargetPage, TargetPage, TargetsPage};
use crate::pages::team::TeamPage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Every page renders completely on the server (`SsrMode::Async`), so the dashboard
/// and its forms work before — or without — the wasm bundle.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="slipway" href="/pkg/slipway.css"/>
        <Title text="Slipway"/>
        <Router>
            <SessionScope>
                <Routes fallback=NotFound>
                    <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async/>
                    <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                        <Route path=path!("") view=AppsPage ssr=SsrMode::Async/>
                        <Route path=path!("apps/new") view=NewAppPage ssr=SsrMode::Async/>
                        <Route path=path!("apps/:name") view=AppPage ssr=SsrMode::Async/>
                        <Route path=path!("apps/:name/edit") view=EditAppPage ssr=SsrMode::Async/>
                        <Route path=path!("apps/:name/env") view=AppEnvPage ssr=SsrMode::Async/>
                        <Route path=path!("team") view=TeamPage ssr=SsrMode::Async/>
                        <Route path=path!("deployments") view=HistoryPage ssr=SsrMode::Async/>
                        <Route path=path!("audit") view=AuditPage ssr=SsrMode::Async/>
                        <Route path=path!("targets") view=TargetsPage ssr=SsrMode::Async/>
                        <Route path=path!("targets/new") view=NewTargetPage ssr=SsrMode::Async/>
                        <Route path=path!("targets/:name") view=TargetPage ssr=SsrMode::Async/>
                        <Route path=path!("targets/:name/edit") view=EditTargetPage ssr=SsrMode::Async/>
                        <Route path=path!("deployments/:id") view=DeploymentPage ssr=SsrMode::Async/>
                        <Route path=path!("account") view=AccountPage ssr=SsrMode::Async/>
                    </ParentRoute>
                </Routes>
            </SessionScope>
        </Router>
    }
}
