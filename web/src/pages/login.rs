use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::csrf_input::CsrfInput;
use crate::components::error_panel::FormAlert;
use crate::components::layout::AuthFrame;
use crate::components::text_field::TextField;
use crate::server_fns::session::Login;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = Signal::derive(move || login.value().get().and_then(Result::err));
    let email = Signal::derive(move || error.get().and_then(|e| e.input.get("email").cloned()).unwrap_or_default());
    view! {
        <Title text="Sign in · Slipway"/>
        <AuthFrame title="Sign in">
            <ActionForm action=login attr:class="form" attr:novalidate=true>
                <CsrfInput/>
                <input type="hidden" name="next" value=next/>
                <FormAlert error=error/>
                <TextField label="Email" name="email" input_type="email" value=email error=Signal::derive(|| None::<String>) required=true autocomplete="username"/>
                <TextField label="Password" name="password" input_type="password" value=Signal::derive(String::new)
                    error=Signal::derive(|| None::<String>) required=true autocomplete="current-password"/>
                <button type="submit" class="button button-primary button-wide" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
        </AuthFrame>
    }
}
