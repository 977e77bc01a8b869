//! One deployment: summary, steps, error, and its log — live while it runs.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::deployment_actions::DeploymentActions;
use crate::components::error_panel::ErrorPanel;
use crate::components::log_view::LogView;
use crate::components::session::{allowed, use_session};
use crate::components::short_time;
use crate::components::status_badge::StatusBadge;
use crate::components::steps_bar::StepsBar;
use crate::server_fns::deployments::{DeploymentPage as PageData, get_deployment};

#[component]
pub fn DeploymentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let page = Resource::new(id, get_deployment);
    let session = use_session();
    view! {
        <Title text=move || format!("Deployment #{} · Slipway", id())/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_deploy = allowed(session, "deployer").await;
                match page.await {
                    Ok(page) => view! { <DeploymentDetail page can_deploy/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DeploymentDetail(page: PageData, can_deploy: bool) -> impl IntoView {
    let id = page.deployment.id;
    let follow = page.deployment.is_active();
    let deployment = RwSignal::new(page.deployment);
    // The log stream reports status changes; then the summary is read again.
    let on_status = Callback::new(move |_status: String| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = get_deployment(id).await {
                deployment.set(fresh.deployment);
            }
        });
    });
    let app = deployment.with_untracked(|d| d.app.clone());
    view! {
        <nav class="crumbs">
            <a href="/">"Apps"</a>" / "<a href=format!("/apps/{app}")>{app.clone()}</a>" / "
            <a href=format!("/deployments?app={app}")>"Deployments"</a>
        </nav>
        {move || {
            let d = deployment.get();
            view! {
                <div class="page-head">
                    <h1>"Deployment #"{d.id}" " <StatusBadge status=d.status.clone()/></h1>
                    <DeploymentActions deployment=d.clone() allowed=can_deploy/>
                </div>
                <section class="panel">
                    <StepsBar steps=d.steps.clone()/>
                    <dl class="settings">
                        <dt>"App"</dt><dd><a href=format!("/apps/{}", d.app)>{d.app.clone()}</a></dd>
                        <dt>"Commit"</dt>
                        <dd>
                            <span class="mono">{d.commit_sha.clone().or(d.requested_commit.clone()).unwrap_or_else(|| "branch head (not fetched yet)".into())}</span>
                            {d.commit_message.clone().map(|m| view! { <div>{m}</div> })}
                            {d.commit_author.clone().map(|a| view! { <div class="muted small">{a}</div> })}
                        </dd>
                        <dt>"Trigger"</dt>
                        <dd>{d.trigger.clone()}" by "{d.requested_by.clone()}{d.rollback_of.map(|r| view! { " · rollback to " <a href=format!("/deployments/{r}")>"#"{r}</a> })}</dd>
                        <dt>"Queued"</dt><dd>{short_time(&d.created_at)}</dd>
                        <dt>"Took"</dt><dd>{d.duration_secs.map_or_else(|| "—".to_owned(), |s| format!("{s} s"))}</dd>
                        <dt>"Target"</dt><dd>{if d.target == "local" { "this machine's Docker engine".to_owned() } else { format!("AWS target {}", d.target) }}</dd>
                        {d.task_definition_arn.clone().map(|arn| view! { <dt>"Task definition"</dt><dd class="mono">{arn}</dd> })}
                        <dt>"Image"</dt><dd class="mono">{d.image.clone().unwrap_or_else(|| "—".into())}{d.image_digest.clone().map(|g| format!(" @ {g}"))}</dd>
                        {d.url.clone().filter(|_| d.status == "live").map(|url| view! {
                            <dt>"URL"</dt><dd><a class="app-url" href=url.clone() target="_blank">{url.clone()}</a></dd>
                        })}
                    </dl>
                    {d.error.clone().filter(|_| d.status != "superseded").map(|error| view! {
                        <div class="alert alert-error deployment-error" role="alert"><pre>{error}</pre></div>
                    })}
                </section>
            }
        }}
        <section class="panel">
            <h2>"Log"</h2>
            <LogView id lines=page.lines follow on_status/>
        </section>
    }
}
