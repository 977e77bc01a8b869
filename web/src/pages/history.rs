//! The team-wide deployment history, filtered by app, status, who and date.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::deployment_table::DeploymentTable;
use crate::components::error_panel::ErrorPanel;
use crate::components::session::{allowed, use_session};
use crate::server_fns::deployments::{HistoryQuery, PAGE, list_deployments};

const STATUSES: [&str; 10] =
    ["queued", "cloning", "building", "pushing", "deploying", "verifying", "live", "failed", "cancelled", "superseded"];

#[component]
pub fn HistoryPage() -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        query.with(|q| HistoryQuery {
            app: q.get("app").unwrap_or_default(),
            status: q.get("status").unwrap_or_default(),
            who: q.get("who").unwrap_or_default(),
            since: q.get("since").unwrap_or_default(),
            until: q.get("until").unwrap_or_default(),
            before: q.get("before").and_then(|b| b.parse().ok()),
        })
    };
    let deployments = Resource::new(filters, list_deployments);
    let session = use_session();
    view! {
        <Title text="Deployments · Slipway"/>
        <div class="page-head"><h1>"Deployments"</h1></div>
        {move || {
            let f = filters();
            view! {
                <form method="get" action="/deployments" class="filters">
                    <label>"App"<input name="app" value=f.app.clone() placeholder="any"/></label>
                    <label>"Status"
                        <select name="status">
                            <option value="" selected=f.status.is_empty()>"any"</option>
                            {STATUSES.map(|s| view! { <option value=s selected=f.status == s>{s}</option> }).into_iter().collect_view()}
                        </select>
                    </label>
                    <label>"Who"<input name="who" value=f.who.clone() placeholder="email"/></label>
                    <label>"From"<input name="since" type="date" value=f.since.clone()/></label>
                    <label>"To"<input name="until" type="date" value=f.until.clone()/></label>
                    <button type="submit" class="button">"Filter"</button>
                    <a class="button button-ghost" href="/deployments">"Clear"</a>
                </form>
            }
        }}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_deploy = allowed(session, "deployer").await;
                match deployments.await {
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty empty-small"><p>"No deployments match."</p></div>
                    }.into_any(),
                    Ok(list) => {
                        let older = (list.len() as i64 == PAGE).then(|| {
                            let f = filters();
                            let last = list.last().map(|d| d.id).unwrap_or_default();
                            format!("/deployments?app={}&status={}&who={}&since={}&until={}&before={last}", f.app, f.status, f.who, f.since, f.until)
                        });
                        view! {
                            <section class="panel">
                                <DeploymentTable deployments=list show_app=true can_deploy/>
                                {older.map(|href| view! { <p><a href=href>"Older deployments →"</a></p> })}
                            </section>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
