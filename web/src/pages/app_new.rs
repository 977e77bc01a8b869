use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::app_form::AppForm;
use crate::components::error_panel::ErrorPanel;
use crate::server_fns::targets::list_targets;

#[component]
pub fn NewAppPage() -> impl IntoView {
    let targets = Resource::new(|| (), |()| list_targets());
    view! {
        <Title text="New app · Slipway"/>
        <nav class="crumbs"><a href="/">"Apps"</a>" / new"</nav>
        <h1>"New app"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match targets.await {
                    Ok(targets) => {
                        let targets = targets.into_iter().map(|t| t.name).collect();
                        view! { <AppForm app=None targets/> }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
