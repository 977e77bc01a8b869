use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::error_panel::ErrorPanel;
use crate::components::status_badge::StatusBadge;
use crate::server_fns::apps::list_apps;

#[component]
pub fn AppsPage() -> impl IntoView {
    let apps = Resource::new(|| (), |_| list_apps());
    view! {
        <Title text="Apps · Slipway"/>
        <div class="page-head">
            <h1>"Apps"</h1>
            <crate::components::session::IfAllowed role="admin">
                <a class="button button-primary" href="/apps/new">"New app"</a>
            </crate::components::session::IfAllowed>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading apps…"</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(apps) if apps.is_empty() => view! {
                        <div class="empty">
                            <h2>"No apps yet"</h2>
                            <p>"Connect a git repository with a Dockerfile and Slipway builds and deploys it."</p>
                            <a class="button button-primary" href="/apps/new">"Create your first app"</a>
                        </div>
                    }.into_any(),
                    Ok(apps) => view! {
                        <ul class="app-list">
                            {apps.into_iter().map(|app| {
                                let href = format!("/apps/{}", app.name);
                                view! {
                                    <li class="app-card" data-app=app.name.clone()>
                                        <div>
                                            <a class="app-name" href=href>{app.name.clone()}</a>
                                            <p class="muted mono">{app.repo_url.clone()}" · "{app.branch.clone()}</p>
                                        </div>
                                        <StatusBadge status=app.status.clone()/>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
