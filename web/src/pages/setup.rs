use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::csrf_input::CsrfInput;
use crate::components::error_panel::FormAlert;
use crate::components::layout::AuthFrame;
use crate::components::text_field::TextField;
use crate::server_fns::session::Setup;

/// First run: create the owner account.
#[component]
pub fn SetupPage() -> impl IntoView {
    let setup = ServerAction::<Setup>::new();
    let error = Signal::derive(move || setup.value().get().and_then(Result::err));
    let field = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_error(name)));
    let email = Signal::derive(move || error.get().and_then(|e| e.input.get("email").cloned()).unwrap_or_default());
    view! {
        <Title text="Set up Slipway"/>
        <AuthFrame title="Welcome to Slipway">
            <p class="lead">"Create the owner account. You can invite your team afterwards."</p>
            <ActionForm action=setup attr:class="form" attr:novalidate=true>
                <CsrfInput/>
                <FormAlert error=error/>
                <TextField label="Email" name="email" input_type="email" value=email error=field("email") required=true autocomplete="email"/>
                <TextField label="Password" name="password" input_type="password" value=Signal::derive(String::new) error=field("password")
                    required=true autocomplete="new-password" hint="At least 10 characters."/>
                <TextField label="Repeat password" name="password_confirm" input_type="password" value=Signal::derive(String::new)
                    error=field("password_confirm") required=true autocomplete="new-password"/>
                <button type="submit" class="button button-primary button-wide" disabled=move || setup.pending().get()>"Create owner account"</button>
            </ActionForm>
        </AuthFrame>
    }
}
