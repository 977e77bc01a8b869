use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::csrf_input::CsrfInput;
use crate::components::error_panel::{ErrorPanel, FormAlert};
use crate::components::short_time;
use crate::components::status_badge::StatusBadge;
use crate::model::AppView;
use crate::server_fns::apps::{DeleteApp, get_app};

#[component]
pub fn AppPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let app = Resource::new(name, get_app);
    view! {
        <Title text=move || format!("{} · Slipway", name())/>
        <nav class="crumbs"><a href="/">"Apps"</a>" / "{name}</nav>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match app.await {
                    Ok(app) => view! { <AppDetail app/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AppDetail(app: AppView) -> impl IntoView {
    let edit_href = format!("/apps/{}/edit", app.name);
    let env = app.env.clone();
    view! {
        <div class="page-head">
            <h1>{app.name.clone()} " " <StatusBadge status=app.status.clone()/></h1>
            <a class="button" href=edit_href>"Edit settings"</a>
        </div>
        <div class="grid">
            <section class="panel">
                <h2>"Settings"</h2>
                <dl class="settings">
                    <dt>"Repository"</dt><dd class="mono">{app.repo_url.clone()}</dd>
                    <dt>"Branch"</dt><dd class="mono">{app.branch.clone()}</dd>
                    <dt>"Dockerfile"</dt><dd class="mono">{app.dockerfile.clone()}</dd>
                    <dt>"Build context"</dt><dd class="mono">{app.build_context.clone()}</dd>
                    <dt>"Container port"</dt><dd>{app.port}</dd>
                    <dt>"Health check"</dt><dd class="mono">"GET "{app.health_path.clone()}</dd>
                    <dt>"Replicas"</dt><dd>{app.replicas}</dd>
                    <dt>"Created"</dt><dd>{short_time(&app.created_at)}</dd>
                    <dt>"Updated"</dt><dd>{short_time(&app.updated_at)}</dd>
                </dl>
                <h3>"Environment"</h3>
                {if env.is_empty() {
                    view! { <p class="muted">"No variables."</p> }.into_any()
                } else {
                    view! {
                        <table class="table env-table">
                            <tbody>
                                {env.into_iter().map(|var| view! {
                                    <tr>
                                        <td class="mono">{var.name}</td>
                                        <td class="mono">{if var.secret { "•••••••• (secret)".to_owned() } else { var.value.unwrap_or_default() }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
            <section class="panel" id="deployments">
                <h2>"Deployments"</h2>
                <div class="empty empty-small">
                    <p>"No deployments yet."</p>
                    <p class="muted">"Deployments of this app and their logs will be listed here."</p>
                </div>
            </section>
        </div>
        <DangerZone name=app.name/>
    }
}

#[component]
fn DangerZone(name: String) -> impl IntoView {
    let delete = ServerAction::<DeleteApp>::new();
    let error = Signal::derive(move || delete.value().get().and_then(Result::err));
    view! {
        <section class="panel panel-danger">
            <h2>"Delete this app"</h2>
            <p>"Removes the app and its settings from Slipway. This cannot be undone."</p>
            <ActionForm action=delete attr:class="form form-inline">
                <CsrfInput/>
                <FormAlert error=error/>
                <input type="hidden" name="name" value=name.clone()/>
                <label for="confirm-delete">"Type "<strong class="mono">{name.clone()}</strong>" to confirm"</label>
                <input id="confirm-delete" name="confirm" autocomplete="off"/>
                <p class="field-error">{move || error.get().and_then(|e| e.field_error("confirm"))}</p>
                <button type="submit" class="button button-danger" disabled=move || delete.pending().get()>"Delete app"</button>
            </ActionForm>
        </section>
    }
}
