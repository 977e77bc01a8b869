use leptos::prelude::*;

/// A deployment's (or an app's latest) status as a coloured badge.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    let (label, class) = match status.as_str() {
        "live" => ("Live", "badge badge-live"),
        "queued" => ("Queued", "badge badge-busy"),
        "cloning" => ("Cloning", "badge badge-busy"),
        "building" => ("Building", "badge badge-busy"),
        "pushing" => ("Pushing", "badge badge-busy"),
        "deploying" => ("Deploying", "badge badge-busy"),
        "verifying" => ("Verifying", "badge badge-busy"),
        "failed" => ("Failed", "badge badge-failed"),
        "cancelled" => ("Cancelled", "badge"),
        "superseded" => ("Superseded", "badge"),
        _ => ("Not deployed", "badge"),
    };
    view! { <span class=class data-status=status>{label}</span> }
}
