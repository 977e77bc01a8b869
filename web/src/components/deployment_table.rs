use leptos::prelude::*;

use super::deployment_actions::DeploymentActions;
use super::short_time;
use super::status_badge::StatusBadge;
use super::steps_bar::StepsBar;
use crate::model::DeploymentView;

/// Deployments as rows: status, progress, commit, trigger and who, when, how long,
/// and the actions when `can_deploy`.
#[component]
pub fn DeploymentTable(
    deployments: Vec<DeploymentView>,
    #[prop(optional)] show_app: bool,
    #[prop(optional)] can_deploy: bool,
) -> impl IntoView {
    view! {
        <table class="table deployments">
            <thead>
                <tr>
                    <th>"#"</th>
                    {show_app.then(|| view! { <th>"App"</th> })}
                    <th>"Status"</th>
                    <th>"Progress"</th>
                    <th>"Commit"</th>
                    <th>"Trigger"</th>
                    <th>"When"</th>
                    <th>"Took"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {deployments.into_iter().map(|d| {
                    let href = format!("/deployments/{}", d.id);
                    let message = d.commit_message.clone().unwrap_or_default();
                    let who = if d.trigger == "rollback" {
                        format!("rollback to #{} · {}", d.rollback_of.unwrap_or_default(), d.requested_by)
                    } else {
                        format!("{} · {}", d.trigger, d.requested_by)
                    };
                    view! {
                        <tr data-deployment=d.id data-status=d.status.clone()>
                            <td><a href=href.clone()>"#"{d.id}</a></td>
                            {show_app.then(|| view! { <td><a href=format!("/apps/{}", d.app)>{d.app.clone()}</a></td> })}
                            <td>
                                <StatusBadge status=d.status.clone()/>
                                {d.current.then(|| view! { <span class="badge badge-current">"serving"</span> })}
                            </td>
                            <td><StepsBar steps=d.steps.clone()/></td>
                            <td>
                                <a class="mono" href=href>{d.short_commit()}</a>
                                <div class="muted small ellipsis" title=message.clone()>{message.clone()}</div>
                            </td>
                            <td class="small">{who}</td>
                            <td class="small">{short_time(&d.created_at)}</td>
                            <td class="small">{d.duration_secs.map(|s| format!("{s} s"))}</td>
                            <td><DeploymentActions deployment=d.clone() allowed=can_deploy/></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
