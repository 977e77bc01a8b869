//! A plan: each AWS resource with what a deploy (or provisioning) does to it.

use leptos::prelude::*;

use crate::model::{CostView, PlanItemView};

#[component]
pub fn PlanTable(items: Vec<PlanItemView>) -> impl IntoView {
    let changing = items.iter().filter(|i| i.action != "unchanged").count();
    view! {
        <p class="plan-summary">{format!("{changing} to change, {} unchanged", items.len() - changing)}</p>
        <table class="table plan-table">
            <thead><tr><th>"Action"</th><th>"Resource"</th><th>"Name"</th><th>"Changes"</th></tr></thead>
            <tbody>
                {items.into_iter().map(|item| {
                    let class = format!("plan-action plan-{}", item.action);
                    view! {
                        <tr data-action=item.action.clone()>
                            <td><span class=class>{item.action.clone()}</span></td>
                            <td>{item.resource}</td>
                            <td class="mono">{item.name}</td>
                            <td class="small">{item.changes.join("; ")}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn CostLine(cost: CostView, size: String) -> impl IntoView {
    view! {
        <p class="cost" data-total=format!("{:.2}", cost.total_month)>
            <strong>{format!("≈ ${:.2} / month", cost.total_month)}</strong>
            {format!(
                " — {size}: ${:.2} compute + ${:.2} share of the load balancer. {} prices as of {}.",
                cost.compute_month, cost.load_balancer_share_month, cost.region, cost.prices_as_of
            )}
        </p>
    }
}
