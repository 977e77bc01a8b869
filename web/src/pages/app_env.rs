//! An app's variables and secrets on their own page: what a deployer may change
//! (the other settings need an admin).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::csrf_input::CsrfInput;
use crate::components::env_text::boxes;
use crate::components::error_panel::{ErrorPanel, FormAlert};
use crate::model::AppView;
use crate::server_fns::apps::{SaveEnv, get_app};

#[component]
pub fn AppEnvPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let app = Resource::new(name, get_app);
    view! {
        <Title text=move || format!("Variables of {} · Slipway", name())/>
        <nav class="crumbs"><a href="/">"Apps"</a>" / "<a href=move || format!("/apps/{}", name())>{name}</a>" / variables"</nav>
        <h1>"Variables of " {name}</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match app.await {
                    Ok(app) => view! { <EnvForm app/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EnvForm(app: AppView) -> impl IntoView {
    let save = ServerAction::<SaveEnv>::new();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let stored = StoredValue::new(boxes(&app.env));
    let value = move |field: &'static str, index: usize| {
        Signal::derive(move || {
            error
                .get()
                .and_then(|e| e.input.get(field).cloned())
                .unwrap_or_else(|| stored.with_value(|b| b[index].clone()))
        })
    };
    let field_error = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_error(field)));
    let back = format!("/apps/{}", app.name);
    view! {
        <p class="muted">"Changes apply from the next deployment."</p>
        <ActionForm action=save attr:class="form" attr:novalidate=true>
            <CsrfInput/>
            <FormAlert error=error/>
            <input type="hidden" name="app" value=app.name.clone()/>
            <div class="field" class:has-error=move || field_error("env").get().is_some()>
                <label for="field-env">"Variables"</label>
                <textarea id="field-env" name="env" rows="5" spellcheck="false" placeholder="LOG_LEVEL=info">{move || value("env", 0).get()}</textarea>
                <p class="hint">"One NAME=value per line."</p>
                <p class="field-error">{move || field_error("env").get()}</p>
            </div>
            <div class="field" class:has-error=move || field_error("build_args").get().is_some()>
                <label for="field-build_args">"Build-time variables"</label>
                <textarea id="field-build_args" name="build_args" rows="2" spellcheck="false" placeholder="NODE_ENV=production">{move || value("build_args", 1).get()}</textarea>
                <p class="field-error">{move || field_error("build_args").get()}</p>
            </div>
            <div class="field" class:has-error=move || field_error("secrets").get().is_some()>
                <label for="field-secrets">"Secrets"</label>
                <textarea id="field-secrets" name="secrets" rows="3" spellcheck="false" placeholder="DATABASE_URL=postgres://…">{move || value("secrets", 2).get()}</textarea>
                <p class="hint">"Encrypted at rest and never shown again. A NAME alone keeps its saved value; remove the line to delete it."</p>
                <p class="field-error">{move || field_error("secrets").get()}</p>
            </div>
            <div class="form-actions">
                <button type="submit" class="button button-primary" disabled=move || save.pending().get()>"Save variables"</button>
                <a class="button button-ghost" href=back>"Cancel"</a>
            </div>
        </ActionForm>
    }
}
