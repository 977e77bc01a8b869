//! The app page's webhook panel: the URL to give the git host, the secret
//! (shown once when created or rotated), branch patterns, the latest deliveries.

use leptos::prelude::*;

use super::csrf_input::CsrfInput;
use super::error_panel::{ErrorPanel, FormAlert};
use super::session::IfAllowed;
use super::short_time;
use crate::model::WebhookView;
use crate::server_fns::webhooks::{DisableWebhook, RotateWebhook};

pub type WebhookResource = Resource<Result<WebhookView, crate::error::UiError>>;

#[component]
pub fn WebhookPanel(name: String, webhook: WebhookResource) -> impl IntoView {
    let rotate = ServerAction::<RotateWebhook>::new();
    let disable = ServerAction::<DisableWebhook>::new();
    let error = Signal::derive(move || rotate.value().get().and_then(Result::err));
    let name = StoredValue::new(name);
    Effect::new(move |_| {
        if rotate.version().get() > 0 || disable.version().get() > 0 {
            webhook.refetch();
        }
    });
    view! {
        <section class="panel" id="webhook">
            <h2>"Webhook"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match webhook.await {
                        Ok(hook) => view! {
                            <p>{if hook.enabled {
                                "Pushes to matching branches deploy by themselves. Give the git host this URL and the secret (content type application/json; push events)."
                            } else {
                                "Off. Turn it on to deploy on every push from GitHub, GitLab, Gitea/Forgejo or Bitbucket."
                            }}</p>
                            <dl class="settings">
                                <dt>"Payload URL"</dt><dd class="mono webhook-url">{hook.url.clone()}</dd>
                                <dt>"Branches"</dt><dd class="mono">{hook.branches.clone()}</dd>
                            </dl>
                            <Deliveries hook/>
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Transition>
            {move || rotate.value().get().and_then(Result::ok).map(|new| view! {
                <div class="alert alert-success new-secret">
                    <p><strong>"Secret (shown once): "</strong><code class="webhook-secret">{new.secret}</code></p>
                    <p class="small">"Paste it into the webhook's secret field on the git host. The previous secret no longer works."</p>
                </div>
            })}
            <IfAllowed role="admin">
            <ActionForm action=rotate attr:class="form form-inline">
                <CsrfInput/>
                <FormAlert error=error/>
                <input type="hidden" name="app" value=name.get_value()/>
                <input name="branches" placeholder="branches (blank: keep; e.g. main, release/*)" aria-label="Branches" autocomplete="off"/>
                <button type="submit" class="button" data-action="rotate-webhook" disabled=move || rotate.pending().get()>"Turn on / rotate secret"</button>
            </ActionForm>
            <ActionForm action=disable attr:class="form form-inline">
                <CsrfInput/>
                <input type="hidden" name="app" value=name.get_value()/>
                <button type="submit" class="button button-ghost" data-action="disable-webhook">"Turn off"</button>
            </ActionForm>
            </IfAllowed>
        </section>
    }
}

#[component]
fn Deliveries(hook: WebhookView) -> impl IntoView {
    if hook.deliveries.is_empty() {
        return view! { <p class="muted small">"No deliveries yet."</p> }.into_any();
    }
    view! {
        <table class="table deliveries">
            <thead><tr><th>"Received"</th><th>"From"</th><th>"Event"</th><th>"Outcome"</th><th>"Deployment"</th><th>"Delivery"</th></tr></thead>
            <tbody>
                {hook.deliveries.into_iter().map(|d| {
                    let outcome = d.outcome.clone();
                    view! {
                    <tr data-outcome=outcome>
                        <td class="small">{short_time(&d.received_at)}</td>
                        <td>{d.provider}{d.pusher.map(|p| format!(" · {p}"))}</td>
                        <td class="mono small">{d.event}</td>
                        <td><strong>{d.outcome}</strong><br/><span class="small muted">{d.detail}</span></td>
                        <td>{d.deployment_id.map(|id| view! { <a href=format!("/deployments/{id}")>{format!("#{id}")}</a> })}</td>
                        <td class="mono small">{d.delivery_id}</td>
                    </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
