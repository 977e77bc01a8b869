//! What an invite link opens: the team and role it offers, then either "Join"
//! (signed in) or a form that creates the account and joins in one step.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::csrf_input::CsrfInput;
use crate::components::error_panel::{ErrorPanel, FormAlert};
use crate::components::layout::AuthFrame;
use crate::components::text_field::TextField;
use crate::model::InviteLanding;
use crate::server_fns::teams::{AcceptInvite, Join, get_invite};

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let landing = Resource::new(token, get_invite);
    view! {
        <Title text="Invitation · Slipway"/>
        <AuthFrame title="You are invited">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match landing.await {
                        Ok(invite) => view! { <Offer invite token=token()/> }.into_any(),
                        Err(error) => view! { <ErrorPanel error/><p><a href="/login">"Sign in"</a></p> }.into_any(),
                    }
                })}
            </Suspense>
        </AuthFrame>
    }
}

#[component]
fn Offer(invite: InviteLanding, token: String) -> impl IntoView {
    let accept = ServerAction::<AcceptInvite>::new();
    let join = ServerAction::<Join>::new();
    let accept_error = Signal::derive(move || accept.value().get().and_then(Result::err));
    let error = Signal::derive(move || join.value().get().and_then(Result::err));
    let field = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_error(name)));
    let preset = invite.email.clone().unwrap_or_default();
    let login_href = format!("/login?next=/invite/{token}");
    let email = Signal::derive(move || {
        error.get().and_then(|e| e.input.get("email").cloned()).unwrap_or_else(|| preset.clone())
    });
    view! {
        <p id="invite-offer">
            "Join team "<strong>{invite.team.clone()}</strong>" as "<strong>{invite.role.clone()}</strong>"."
        </p>
        {invite.email.clone().map(|e| view! { <p class="muted">"This invite is for "{e}"."</p> })}
        <p class="muted">"The link works until "{invite.expires_at.clone()}"."</p>
        {match invite.signed_in_as.clone() {
            Some(me) => view! {
                <ActionForm action=accept attr:class="form">
                    <CsrfInput/>
                    <FormAlert error=accept_error/>
                    <input type="hidden" name="token" value=token.clone()/>
                    <p>"You are signed in as "{me}"."</p>
                    <button type="submit" class="button button-primary">"Join the team"</button>
                </ActionForm>
            }.into_any(),
            None => view! {
                <ActionForm action=join attr:class="form" attr:novalidate=true>
                    <CsrfInput/>
                    <FormAlert error=error/>
                    <input type="hidden" name="token" value=token.clone()/>
                    <TextField label="Email" name="email" value=email error=field("email") input_type="email" autocomplete="email"/>
                    <TextField label="Password" name="password" value=Signal::derive(String::new) error=field("password") input_type="password" autocomplete="new-password" hint="At least 10 characters."/>
                    <TextField label="Password again" name="password_confirm" value=Signal::derive(String::new) error=field("password_confirm") input_type="password" autocomplete="new-password"/>
                    <button type="submit" class="button button-primary">"Create account and join"</button>
                </ActionForm>
                <p class="muted">"Already have an account? "<a href=login_href>"Sign in"</a>" first, then open the link again."</p>
            }.into_any(),
        }}
    }
}
