use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::app_form::AppForm;
use crate::components::error_panel::ErrorPanel;
use crate::server_fns::apps::get_app;
use crate::server_fns::targets::list_targets;

#[component]
pub fn EditAppPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let app = Resource::new(name, get_app);
    let targets = Resource::new(|| (), |()| list_targets());
    view! {
        <Title text=move || format!("Edit {} · Slipway", name())/>
        <nav class="crumbs"><a href="/">"Apps"</a>" / "<a href=move || format!("/apps/{}", name())>{name}</a>" / settings"</nav>
        <h1>"Edit " {name}</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (app.await, targets.await) {
                    (Ok(app), Ok(targets)) => {
                        let targets = targets.into_iter().map(|t| t.name).collect();
                        view! { <AppForm app=Some(app) targets/> }.into_any()
                    }
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
