use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::csrf_input::CsrfInput;
use crate::components::deployment_table::DeploymentTable;
use crate::components::error_panel::{ErrorPanel, FormAlert};
use crate::components::notifications_panel::NotificationsPanel;
use crate::components::plan_table::{CostLine, PlanTable};
use crate::components::session::{IfAllowed, allowed, use_session};
use crate::components::short_time;
use crate::components::status_badge::StatusBadge;
use crate::components::webhook_panel::WebhookPanel;
use crate::model::AppView;
use crate::server_fns::apps::{DeleteApp, get_app};
use crate::server_fns::deployments::{Deploy, HistoryQuery, list_deployments, runtime_logs};
use crate::server_fns::notifications::get_notifications;
use crate::server_fns::targets::{PlanApp, TeardownApp, app_aws};
use crate::server_fns::webhooks::get_webhook;

#[component]
pub fn AppPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    // Every resource is created here, at the top: resources created inside a
    // Suspense's async block can be numbered differently on the server and in
    // the browser, which breaks hydration.
    let app = Resource::new(name, get_app);
    let tick = RwSignal::new(0_u32);
    let busy = RwSignal::new(false);
    let deployments = Resource::new(
        move || (name(), tick.get()),
        |(app, _)| list_deployments(HistoryQuery { app, ..HistoryQuery::default() }),
    );
    let logs = Resource::new(move || (name(), tick.get()), |(app, _)| runtime_logs(app));
    // Where the app runs on AWS, and its drift (None on the local engine).
    let aws = Resource::new(name, app_aws);
    let webhook = Resource::new(name, get_webhook);
    let notifications = Resource::new(name, get_notifications);
    let session = use_session();
    // While a deployment is queued or running, refresh every 2 s.
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                if busy.get_untracked() {
                    tick.update(|t| *t += 1);
                }
            },
            std::time::Duration::from_secs(2),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    }
    // The live panels are siblings of the settings, not nested in their Suspense.
    view! {
        <Title text=move || format!("{} · Slipway", name())/>
        <nav class="crumbs"><a href="/">"Apps"</a>" / "{name}</nav>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (can_deploy, can_admin) = (allowed(session, "deployer").await, allowed(session, "admin").await);
                match app.await {
                    Ok(app) => view! { <AppDetail app can_deploy can_admin/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
        <AwsPanel aws/>
        <DeployPanel name=name() deployments busy aws/>
        <RuntimeLogs logs/>
        <WebhookPanel name=name() webhook/>
        <NotificationsPanel name=name() notifications/>
        <IfAllowed role="admin">
            <AwsTeardown name=name() aws/>
            <DangerZone name=name()/>
        </IfAllowed>
    }
}

type DeploymentsResource = Resource<Result<Vec<crate::model::DeploymentView>, crate::error::UiError>>;
type LogsResource = Resource<Result<Vec<(String, Vec<String>)>, crate::error::UiError>>;
type AwsResource = Resource<Result<Option<crate::model::AwsAppView>, crate::error::UiError>>;

/// An app on AWS: its target, and any change made outside Slipway.
#[component]
fn AwsPanel(aws: AwsResource) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match aws.await {
                    Ok(None) => ().into_any(),
                    Ok(Some(on)) => view! {
                        <section class="panel" id="aws">
                            <h2>"AWS"</h2>
                            <p>"Runs on ECS Fargate, target "<a href=format!("/targets/{}", on.target)>{on.target.clone()}</a>
                                {format!(" (cluster {} in {}).", on.cluster, on.region)}</p>
                            {match (on.drift_error, on.drift.is_empty(), on.drift_checked) {
                                (Some(error), _, _) => view! { <p class="alert alert-warning drift">"Drift check failed: "{error}</p> }.into_any(),
                                (None, false, _) => view! {
                                    <div class="alert alert-warning drift" data-drift="true">
                                        <p><strong>"Changed outside Slipway:"</strong></p>
                                        <ul>{on.drift.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
                                        <p class="small">"The next deploy (or a rollback) puts Slipway's settings back."</p>
                                    </div>
                                }.into_any(),
                                (None, true, true) => view! { <p class="muted drift" data-drift="false">"No drift: the service and its task definition are as Slipway left them."</p> }.into_any(),
                                (None, true, false) => view! { <p class="muted drift">"Not deployed on AWS yet."</p> }.into_any(),
                            }}
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// AWS apps: review the plan and its cost, then deploy.
#[component]
fn PlanThenDeploy(name: String) -> impl IntoView {
    let plan = ServerAction::<PlanApp>::new();
    let deploy = ServerAction::<Deploy>::new();
    let plan_error = Signal::derive(move || plan.value().get().and_then(Result::err));
    let deploy_error = Signal::derive(move || deploy.value().get().and_then(Result::err));
    let deploy_name = StoredValue::new(name.clone());
    view! {
        <ActionForm action=plan attr:class="form form-inline">
            <CsrfInput/>
            <FormAlert error=plan_error/>
            <input type="hidden" name="app" value=name/>
            <button type="submit" class="button" data-action="review-plan" disabled=move || plan.pending().get()>
                {move || if plan.pending().get() { "Planning…" } else { "Review plan" }}
            </button>
            <span class="muted small">" What the deploy creates or changes in AWS, and what it costs."</span>
        </ActionForm>
        {move || plan.value().get().and_then(Result::ok).map(|planned| view! {
            <div class="plan" id="plan">
                <CostLine cost=planned.cost size=planned.size/>
                <PlanTable items=planned.items/>
                <ActionForm action=deploy attr:class="form form-inline deploy-form">
                    <CsrfInput/>
                    <FormAlert error=deploy_error/>
                    <input type="hidden" name="app" value=deploy_name.get_value()/>
                    <input name="commit" placeholder="commit SHA (optional; default: branch head)" aria-label="Commit" autocomplete="off"/>
                    <p class="field-error">{move || deploy_error.get().and_then(|e| e.field_error("commit"))}</p>
                    <button type="submit" class="button button-primary" data-action="deploy" disabled=move || deploy.pending().get()>"Deploy these changes"</button>
                </ActionForm>
            </div>
        })}
    }
}

/// AWS apps: remove the service, rule, target group and log group (and images).
#[component]
fn AwsTeardown(name: String, aws: AwsResource) -> impl IntoView {
    let teardown = ServerAction::<TeardownApp>::new();
    let error = Signal::derive(move || teardown.value().get().and_then(Result::err));
    let name = StoredValue::new(name);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match aws.await {
                    Ok(Some(_)) => view! {
                        <section class="panel panel-danger" id="aws-teardown">
                            <h2>"Tear down on AWS"</h2>
                            <p>"Deletes the app's ECS service, listener rule, target group, log group, task definitions and stored secrets. The app stays in Slipway; deploy again to recreate them."</p>
                            <ActionForm action=teardown attr:class="form form-inline">
                                <CsrfInput/>
                                <FormAlert error=error/>
                                <input type="hidden" name="app" value=name.get_value()/>
                                <label><input type="checkbox" name="delete_images"/>" Also delete its ECR images"</label>
                                <label for="confirm-teardown">"Type "<strong class="mono">{name.get_value()}</strong>" to confirm"</label>
                                <input id="confirm-teardown" name="confirm" autocomplete="off"/>
                                <p class="field-error">{move || error.get().and_then(|e| e.field_error("confirm"))}</p>
                                <button type="submit" class="button button-danger" data-action="teardown-app" disabled=move || teardown.pending().get()>
                                    {move || if teardown.pending().get() { "Tearing down…" } else { "Tear down" }}
                                </button>
                            </ActionForm>
                            {move || teardown.value().get().and_then(Result::ok).map(|done| view! {
                                <ul class="done-list">{done.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                            })}
                        </section>
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AppDetail(app: AppView, can_deploy: bool, can_admin: bool) -> impl IntoView {
    let edit_href = format!("/apps/{}/edit", app.name);
    let env_href = format!("/apps/{}/env", app.name);
    let env = app.env.clone();
    view! {
        <div class="page-head">
            <h1>{app.name.clone()} " " <StatusBadge status=app.status.clone()/></h1>
            <div class="actions-row">
                {can_deploy.then(|| view! { <a class="button" href=env_href>"Edit variables"</a> })}
                {can_admin.then(|| view! { <a class="button" href=edit_href>"Edit settings"</a> })}
            </div>
        </div>
        <div class="single">
            <section class="panel">
                <h2>"Settings"</h2>
                <dl class="settings">
                    <dt>"Runs on"</dt><dd>{if app.on_aws() { format!("AWS ECS Fargate (target {})", app.target) } else { "this machine's Docker engine".to_owned() }}</dd>
                    <dt>"Repository"</dt><dd class="mono">{app.repo_url.clone()}</dd>
                    <dt>"Branch"</dt><dd class="mono">{app.branch.clone()}</dd>
                    <dt>"Dockerfile"</dt><dd class="mono">{app.dockerfile.clone()}</dd>
                    <dt>"Build context"</dt><dd class="mono">{app.build_context.clone()}</dd>
                    <dt>"Container port"</dt><dd>{app.port}</dd>
                    <dt>"Health check"</dt><dd class="mono">"GET "{app.health_path.clone()}</dd>
                    <dt>"Replicas"</dt><dd>{app.replicas}</dd>
                    <dt>"Limits"</dt>
                    <dd>{format!("{} CPU · {} memory · healthy within {} s",
                        app.cpus.map_or_else(|| "no".to_owned(), |c| c.to_string()),
                        app.memory_mb.map_or_else(|| "no".to_owned(), |m| format!("{m} MB")),
                        app.health_timeout_secs)}</dd>
                    <dt>"Registry"</dt><dd class="mono">{match (&app.registry_name, &app.registry) {
                        (Some(shared), _) => format!("team registry {shared}"),
                        (None, Some(address)) => address.clone(),
                        (None, None) => "none (image stays on this engine)".into(),
                    }}</dd>
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
                                        <td class="muted small">{var.build_time.then_some("build-time")}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
        </div>
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

/// Deploy button, the app's URL once live, and its latest deployments.
#[component]
fn DeployPanel(
    name: String,
    deployments: DeploymentsResource,
    busy: RwSignal<bool>,
    aws: AwsResource,
) -> impl IntoView {
    let deploy = ServerAction::<Deploy>::new();
    let error = Signal::derive(move || deploy.value().get().and_then(Result::err));
    let history = format!("/deployments?app={name}");
    let session = use_session();
    let stored_name = StoredValue::new(name.clone());
    view! {
        <section class="panel" id="deployments">
            <div class="panel-head">
                <h2>"Deployments"</h2>
                <a href=history>"Full history"</a>
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    if !allowed(session, "deployer").await {
                        return ().into_any();
                    }
                    if let Ok(Some(_)) = aws.await {
                        return view! { <PlanThenDeploy name=stored_name.get_value()/> }.into_any();
                    }
                    view! {
                        <ActionForm action=deploy attr:class="form form-inline deploy-form">
                            <CsrfInput/>
                            <FormAlert error=error/>
                            <input type="hidden" name="app" value=stored_name.get_value()/>
                            <input name="commit" placeholder="commit SHA (optional; default: branch head)" aria-label="Commit" autocomplete="off"/>
                            <p class="field-error">{move || error.get().and_then(|e| e.field_error("commit"))}</p>
                            <button type="submit" class="button button-primary" data-action="deploy" disabled=move || deploy.pending().get()>"Deploy"</button>
                        </ActionForm>
                    }.into_any()
                })}
            </Transition>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let can_deploy = allowed(session, "deployer").await;
                    match deployments.await {
                        Ok(list) => {
                            busy.set(list.iter().any(|d| d.is_active()));
                            let url = list.iter().find(|d| d.current).and_then(|d| d.url.clone());
                            let shown: Vec<_> = list.into_iter().take(10).collect();
                            view! {
                                {url.map(|url| view! {
                                    <p class="live-url">"Live at " <a class="app-url" href=url.clone() target="_blank">{url.clone()}</a></p>
                                })}
                                {if shown.is_empty() {
                                    view! { <div class="empty empty-small"><p>"No deployments yet."</p><p class="muted">"Click Deploy to build the branch head and put it live."</p></div> }.into_any()
                                } else {
                                    view! { <DeploymentTable deployments=shown can_deploy/> }.into_any()
                                }}
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What the running replicas printed last (nothing shown before the first Live deployment).
#[component]
fn RuntimeLogs(logs: LogsResource) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match logs.await {
                    Ok(containers) if containers.is_empty() => ().into_any(),
                    Ok(containers) => view! {
                        <section class="panel" id="runtime-logs">
                            <h2>"Runtime logs"</h2>
                            {containers.into_iter().map(|(container, lines)| view! {
                                <h3 class="mono">{container}</h3>
                                <pre class="log">{if lines.is_empty() { "(no output yet)".to_owned() } else { lines.join("\n") }}</pre>
                            }).collect_view()}
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}
