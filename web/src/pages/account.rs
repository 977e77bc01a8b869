use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::csrf_input::CsrfInput;
use crate::components::error_panel::{ErrorPanel, FormAlert};
use crate::components::short_time;
use crate::components::text_field::TextField;
use crate::model::AccountView;
use crate::server_fns::account::{CreateToken, RevokeToken, account};

#[component]
pub fn AccountPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let data = Resource::new(move || (create.version().get(), revoke.version().get()), |_| account());
    view! {
        <Title text="Account · Slipway"/>
        <h1>"Account"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Tokens view create revoke/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Tokens(view: AccountView, create: ServerAction<CreateToken>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(Result::err));
    let name_value = Signal::derive(move || error.get().and_then(|e| e.input.get("name").cloned()).unwrap_or_default());
    let name_error = Signal::derive(move || error.get().and_then(|e| e.field_error("name")));
    let role = format!("{} in team {}", view.role, view.team);
    view! {
        <section class="panel">
            <h2>"Profile"</h2>
            <dl class="settings">
                <dt>"Email"</dt><dd>{view.user.email.clone()}</dd>
                <dt>"Role"</dt><dd>{role}</dd>
            </dl>
        </section>
        <section class="panel" id="tokens">
            <h2>"API tokens"</h2>
            <p class="muted">"Tokens act as you, in team "{view.team.clone()}" with your role there, on the REST API: send "<code>"Authorization: Bearer <token>"</code>"."</p>
            {view.new_token.map(|token| view! {
                <div class="alert alert-success" role="status">
                    <p>"Your new token — copy it now, it will not be shown again:"</p>
                    <code class="token-secret" id="new-token">{token}</code>
                </div>
            })}
            <FormAlert error=revoke_error/>
            {if view.tokens.is_empty() {
                view! { <p class="muted">"No tokens yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Name"</th><th>"Token"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                        <tbody>
                            {view.tokens.into_iter().map(|token| view! {
                                <tr data-token=token.name.clone()>
                                    <td>{token.name.clone()}</td>
                                    <td class="mono">{token.prefix}"…"</td>
                                    <td>{short_time(&token.created_at)}</td>
                                    <td>{token.last_used_at.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</td>
                                    <td>
                                        <ActionForm action=revoke attr:class="inline-form">
                                            <CsrfInput/>
                                            <input type="hidden" name="id" value=token.id/>
                                            <button type="submit" class="button button-small button-danger">"Revoke"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <h3>"New token"</h3>
            <ActionForm action=create attr:class="form form-inline" attr:novalidate=true>
                <CsrfInput/>
                <FormAlert error=error/>
                <TextField label="Token name" name="name" value=name_value error=name_error placeholder="CI"/>
                <button type="submit" class="button button-primary" disabled=move || create.pending().get()>"Create token"</button>
            </ActionForm>
        </section>
    }
}
