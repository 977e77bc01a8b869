//! The audit log: who did what, when, from where — filtered by actor, action, subject and date.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::error_panel::ErrorPanel;
use crate::components::short_time;
use crate::server_fns::audit::{AUDIT_PAGE, AuditFilter, list_audit};

const ACTIONS: [&str; 8] =
    ["auth.", "app.", "deployment.", "token.", "webhook.", "target.", "auth.login_failed", "deployment.rollback"];

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        query.with(|q| AuditFilter {
            actor: q.get("actor").unwrap_or_default(),
            action: q.get("action").unwrap_or_default(),
            subject: q.get("subject").unwrap_or_default(),
            since: q.get("since").unwrap_or_default(),
            until: q.get("until").unwrap_or_default(),
            before: q.get("before").and_then(|b| b.parse().ok()),
        })
    };
    let entries = Resource::new(filters, list_audit);
    view! {
        <Title text="Audit log · Slipway"/>
        <div class="page-head"><h1>"Audit log"</h1></div>
        {move || {
            let f = filters();
            view! {
                <form method="get" action="/audit" class="filters">
                    <label>"Who"<input name="actor" value=f.actor.clone() placeholder="any"/></label>
                    <label>"Action"
                        <select name="action">
                            <option value="" selected=f.action.is_empty()>"any"</option>
                            {ACTIONS.map(|a| view! { <option value=a selected=f.action == a>{a}</option> }).into_iter().collect_view()}
                        </select>
                    </label>
                    <label>"On"<input name="subject" value=f.subject.clone() placeholder="app, target, token"/></label>
                    <label>"From"<input name="since" type="date" value=f.since.clone()/></label>
                    <label>"To"<input name="until" type="date" value=f.until.clone()/></label>
                    <button type="submit" class="button">"Filter"</button>
                    <a class="button button-ghost" href="/audit">"Clear"</a>
                </form>
            }
        }}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(list) if list.is_empty() => view! { <div class="empty empty-small"><p>"Nothing recorded matches."</p></div> }.into_any(),
                    Ok(list) => {
                        let older = (list.len() as i64 == AUDIT_PAGE).then(|| {
                            let f = filters();
                            let last = list.last().map(|e| e.id).unwrap_or_default();
                            format!("/audit?actor={}&action={}&subject={}&since={}&until={}&before={last}", f.actor, f.action, f.subject, f.since, f.until)
                        });
                        view! {
                            <table class="table audit">
                                <thead><tr><th>"When"</th><th>"Who"</th><th>"From"</th><th>"Action"</th><th>"On"</th><th>"Details"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| { let action = e.action.clone(); view! {
                                        <tr data-action=action>
                                            <td class="small">{short_time(&e.at)}</td>
                                            <td>{e.actor}</td>
                                            <td class="mono small">{e.origin.unwrap_or_default()}</td>
                                            <td class="mono">{e.action}</td>
                                            <td class="mono">{e.subject}</td>
                                            <td class="small">{e.detail.unwrap_or_default()}</td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                            {older.map(|href| view! { <p><a href=href>"Older entries"</a></p> })}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
