use leptos::prelude::*;

/// An app's state as a coloured badge.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    let (label, class) = match status.as_str() {
        "live" => ("Live", "badge badge-live"),
        "deploying" => ("Deploying", "badge badge-busy"),
        "failed" => ("Failed", "badge badge-failed"),
        _ => ("Not deployed", "badge"),
    };
    view! { <span class=class data-status=status>{label}</span> }
}
