//! AWS targets: the list, new/edit, and one target with its actions (test
//! connection, plan, provision, tear down, delete).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::csrf_input::CsrfInput;
use crate::components::error_panel::{ErrorPanel, FormAlert};
use crate::components::plan_table::PlanTable;
use crate::components::session::{IfAllowed, allowed, use_session};
use crate::components::target_form::TargetForm;
use crate::model::TargetView;
use crate::server_fns::targets::{DeleteTarget, ProvisionTarget, TeardownTarget, TestTarget, get_target, list_targets};

#[component]
pub fn TargetsPage() -> impl IntoView {
    let targets = Resource::new(|| (), |()| list_targets());
    view! {
        <Title text="Targets · Slipway"/>
        <div class="page-head">
            <h1>"Targets"</h1>
            <IfAllowed role="admin">
                <a class="button button-primary" href="/targets/new">"Add AWS target"</a>
            </IfAllowed>
        </div>
        <p class="muted">"Apps run on this machine's Docker engine unless their settings pick an AWS target: ECS Fargate behind a shared Application Load Balancer, images in ECR."</p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match targets.await {
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty"><p>"No AWS targets yet."</p><p class="muted">"Add one with a region and credentials; Slipway creates the cluster, load balancer and the rest on the first deploy."</p></div>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="table targets-table">
                            <thead><tr><th>"Target"</th><th>"Region"</th><th>"Cluster"</th><th>"Load balancer"</th><th>"Domain"</th><th>"Apps"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| view! {
                                    <tr>
                                        <td><a href=format!("/targets/{}", t.name)>{t.name.clone()}</a></td>
                                        <td>{t.region}</td>
                                        <td class="mono">{t.cluster}</td>
                                        <td class="mono">{t.load_balancer}</td>
                                        <td class="mono">{t.base_domain}</td>
                                        <td>{if t.apps.is_empty() { "—".to_owned() } else { t.apps.join(", ") }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn NewTargetPage() -> impl IntoView {
    view! {
        <Title text="New AWS target · Slipway"/>
        <nav class="crumbs"><a href="/targets">"Targets"</a>" / new"</nav>
        <h1>"New AWS target"</h1>
        <TargetForm target=None/>
    }
}

#[component]
pub fn EditTargetPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let target = Resource::new(name, get_target);
    view! {
        <Title text=move || format!("Edit {} · Slipway", name())/>
        <nav class="crumbs"><a href="/targets">"Targets"</a>" / "<a href=move || format!("/targets/{}", name())>{name}</a>" / settings"</nav>
        <h1>"Edit " {name}</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match target.await {
                    Ok(target) => view! { <TargetForm target=Some(target)/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn TargetPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let target = Resource::new(name, get_target);
    view! {
        <Title text=move || format!("{} · Slipway", name())/>
        <nav class="crumbs"><a href="/targets">"Targets"</a>" / "{name}</nav>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_admin = allowed(session, "admin").await;
                match target.await {
                    Ok(target) => view! { <TargetDetail target can_admin/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
        <IfAllowed role="admin">
            <TargetActions name=name()/>
            <TargetDangerZone name=name()/>
        </IfAllowed>
    }
}

#[component]
fn TargetDetail(target: TargetView, can_admin: bool) -> impl IntoView {
    let name = target.name.clone();
    let text = |v: &Option<String>, none: &str| v.clone().unwrap_or_else(|| none.to_owned());
    view! {
        <div class="page-head">
            <h1>{target.name.clone()}</h1>
            {can_admin.then(|| view! { <a class="button" href=format!("/targets/{name}/edit")>"Edit settings"</a> })}
        </div>
        <section class="panel">
            <h2>"Settings"</h2>
            <dl class="settings">
                <dt>"Region"</dt><dd>{target.region.clone()}</dd>
                <dt>"Credentials"</dt><dd>{match target.credentials.as_str() {
                    "access_key" => format!("access key {}", text(&target.access_key_id, "")),
                    "assume_role" => format!("assume {}", text(&target.role_arn, "")),
                    _ => "the default chain".to_owned(),
                }}</dd>
                <dt>"Cluster"</dt><dd class="mono">{target.cluster.clone()}</dd>
                <dt>"Network"</dt><dd class="mono">{format!("{} · {}{}",
                    text(&target.vpc_id, "default VPC"),
                    if target.subnets.is_empty() { "its subnets".to_owned() } else { target.subnets.join(", ") },
                    if target.public_ip { " · public IPs" } else { "" })}</dd>
                <dt>"Load balancer"</dt><dd class="mono">{target.load_balancer.clone()}</dd>
                <dt>"Apps answer at"</dt><dd class="mono">{format!("{}://<app>.{}",
                    if target.certificate_arn.is_some() { "https" } else { "http" }, target.base_domain)}</dd>
                <dt>"Execution role"</dt><dd class="mono">{text(&target.execution_role_arn, "created by Slipway")}</dd>
                <dt>"Logs, images"</dt><dd>{format!("logs kept {} days · newest {} images kept · rollout deadline {} s",
                    target.log_retention_days, target.keep_images, target.rollout_timeout_secs)}</dd>
                <dt>"Apps"</dt><dd>{if target.apps.is_empty() { "none yet".to_owned() } else { target.apps.join(", ") }}</dd>
                {target.endpoint_url.clone().map(|e| view! { <dt>"Endpoint override"</dt><dd class="mono">{e}</dd> })}
            </dl>
        </section>
    }
}

/// Test connection, plan and provision the shared resources.
#[component]
fn TargetActions(name: String) -> impl IntoView {
    let test = ServerAction::<TestTarget>::new();
    let provision = ServerAction::<ProvisionTarget>::new();
    let test_error = Signal::derive(move || test.value().get().and_then(Result::err));
    let provision_error = Signal::derive(move || provision.value().get().and_then(Result::err));
    let (test_name, plan_name, apply_name) = (name.clone(), name.clone(), name);
    view! {
        <section class="panel" id="target-actions">
            <h2>"Connection and shared resources"</h2>
            <div class="actions-row">
                <ActionForm action=test attr:class="form-inline">
                    <CsrfInput/>
                    <input type="hidden" name="name" value=test_name/>
                    <button type="submit" class="button" data-action="test-connection" disabled=move || test.pending().get()>
                        {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
                    </button>
                </ActionForm>
                <ActionForm action=provision attr:class="form-inline">
                    <CsrfInput/>
                    <input type="hidden" name="name" value=plan_name/>
                    <input type="hidden" name="apply" value="false"/>
                    <button type="submit" class="button" data-action="plan-target" disabled=move || provision.pending().get()>"Plan"</button>
                </ActionForm>
                <ActionForm action=provision attr:class="form-inline">
                    <CsrfInput/>
                    <input type="hidden" name="name" value=apply_name/>
                    <input type="hidden" name="apply" value="true"/>
                    <button type="submit" class="button button-primary" data-action="provision-target" disabled=move || provision.pending().get()>
                        {move || if provision.pending().get() { "Working…" } else { "Provision now" }}
                    </button>
                </ActionForm>
            </div>
            <FormAlert error=test_error/>
            <FormAlert error=provision_error/>
            {move || test.value().get().and_then(Result::ok).map(|report| view! {
                <div class="connection" data-ok=report.ok.to_string()>
                    <p><strong>{if report.ok { "Connected." } else { "Some calls were refused." }}</strong>
                        {report.identity.clone().map(|who| format!(" As {who} (account {}).", report.account.clone().unwrap_or_default()))}</p>
                    <table class="table">
                        <tbody>
                            {report.checks.into_iter().map(|c| view! {
                                <tr class:check-failed=!c.ok>
                                    <td class="mono">{c.permission}</td>
                                    <td>{if c.ok { "✓ " } else { "✗ " }}{c.detail}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            {move || provision.value().get().and_then(Result::ok).map(|items| view! { <PlanTable items/> })}
        </section>
    }
}

#[component]
fn TargetDangerZone(name: String) -> impl IntoView {
    let teardown = ServerAction::<TeardownTarget>::new();
    let delete = ServerAction::<DeleteTarget>::new();
    let error = Signal::derive(move || teardown.value().get().and_then(Result::err));
    let delete_error = Signal::derive(move || delete.value().get().and_then(Result::err));
    let (teardown_name, shown_name, delete_name) = (name.clone(), name.clone(), name);
    view! {
        <section class="panel panel-danger">
            <h2>"Tear down"</h2>
            <p>"Removes every app's service, rule, target group, log group and images on this target, then the load balancer, security groups, cluster and role Slipway created. The apps stay in Slipway; deploy again to recreate."</p>
            <ActionForm action=teardown attr:class="form form-inline">
                <CsrfInput/>
                <FormAlert error=error/>
                <input type="hidden" name="name" value=teardown_name/>
                <label for="confirm-teardown">"Type "<strong class="mono">{shown_name}</strong>" to confirm"</label>
                <input id="confirm-teardown" name="confirm" autocomplete="off"/>
                <p class="field-error">{move || error.get().and_then(|e| e.field_error("confirm"))}</p>
                <button type="submit" class="button button-danger" data-action="teardown-target" disabled=move || teardown.pending().get()>
                    {move || if teardown.pending().get() { "Tearing down…" } else { "Tear down" }}
                </button>
            </ActionForm>
            {move || teardown.value().get().and_then(Result::ok).map(|done| view! {
                <ul class="done-list">
                    {if done.is_empty() { view! { <li>"Nothing left to remove."</li> }.into_any() } else {
                        done.into_iter().map(|line| view! { <li>{line}</li> }).collect_view().into_any()
                    }}
                </ul>
            })}
            <h3>"Forget this target"</h3>
            <ActionForm action=delete attr:class="form form-inline">
                <CsrfInput/>
                <FormAlert error=delete_error/>
                <input type="hidden" name="name" value=delete_name/>
                <button type="submit" class="button button-danger" disabled=move || delete.pending().get()>"Delete target"</button>
            </ActionForm>
        </section>
    }
}
