use leptos::prelude::*;

use crate::error::UiError;

/// A page-level error; an ended session gets a sign-in link.
#[component]
pub fn ErrorPanel(error: UiError) -> impl IntoView {
    let sign_in = error.is_unauthorized();
    view! {
        <div class="alert alert-error" role="alert">
            <p>{error.message}</p>
            <Show when=move || sign_in>
                <p><a href="/login">"Sign in"</a></p>
            </Show>
        </div>
    }
}

/// The summary line above a form that came back with errors.
#[component]
pub fn FormAlert(#[prop(into)] error: Signal<Option<UiError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! { <div class="alert alert-error" role="alert">{e.message}</div> }
        })
    }
}
