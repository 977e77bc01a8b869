//! The app page's notifications: channels, a form to add one, and the latest
//! deliveries (failed ones with their last error).

use leptos::prelude::*;

use super::csrf_input::CsrfInput;
use super::error_panel::{ErrorPanel, FormAlert};
use super::session::{IfAllowed, allowed, use_session};
use super::short_time;
use crate::model::NotificationsView;
use crate::server_fns::notifications::{AddChannel, RemoveChannel};

pub type NotificationsResource = Resource<Result<NotificationsView, crate::error::UiError>>;

#[component]
pub fn NotificationsPanel(name: String, notifications: NotificationsResource) -> impl IntoView {
    let session = use_session();
    let name = StoredValue::new(name);
    let add = ServerAction::<AddChannel>::new();
    let remove = ServerAction::<RemoveChannel>::new();
    let error = Signal::derive(move || add.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if add.version().get() > 0 || remove.version().get() > 0 {
            notifications.refetch();
        }
    });
    view! {
        <section class="panel" id="notifications">
            <h2>"Notifications"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let admin = allowed(session, "admin").await;
                    match notifications.await {
                        Ok(n) => view! {
                            {if n.channels.is_empty() {
                                view! { <p class="muted">"No channels: add Slack, Discord or a signed JSON webhook."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table channels">
                                        <tbody>
                                            {n.channels.into_iter().map(|c| view! {
                                                <tr>
                                                    <td>{c.kind.clone()}{c.signed.then_some(" (signed)")}</td>
                                                    <td class="mono">{c.host}</td>
                                                    <td class="small">{c.events.join(", ")}</td>
                                                    <td class="small muted">{if c.for_every_app { "every app" } else { "this app" }}</td>
                                                    <td>
                                                        {admin.then(|| view! {
                                                            <ActionForm action=remove attr:class="form-inline">
                                                                <CsrfInput/>
                                                                <input type="hidden" name="id" value=c.id/>
                                                                <button type="submit" class="button button-small button-ghost">"Remove"</button>
                                                            </ActionForm>
                                                        })}
                                                    </td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            {(!n.deliveries.is_empty()).then(|| view! {
                                <h3>"Latest deliveries"</h3>
                                <table class="table notification-deliveries">
                                    <tbody>
                                        {n.deliveries.into_iter().map(|d| {
                                            let status = d.status.clone();
                                            let failed = d.status == "failed";
                                            view! {
                                                <tr data-status=status class:check-failed=failed>
                                                    <td class="small">{short_time(&d.created_at)}</td>
                                                    <td>{format!("{} · {}", d.kind, d.host)}</td>
                                                    <td><a href=format!("/deployments/{}", d.deployment_id)>{format!("#{} {}", d.deployment_id, d.event)}</a></td>
                                                    <td><strong>{d.status}</strong>{format!(" after {} attempt(s)", d.attempts)}<br/><span class="small">{d.last_error}</span></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            })}
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Transition>
            <IfAllowed role="admin">
            <ActionForm action=add attr:class="form form-inline channel-form">
                <CsrfInput/>
                <FormAlert error=error/>
                <input type="hidden" name="app" value=name.get_value()/>
                <select name="kind" aria-label="Kind">
                    <option value="slack">"Slack"</option>
                    <option value="discord">"Discord"</option>
                    <option value="webhook">"JSON webhook"</option>
                </select>
                <input name="url" placeholder="incoming webhook URL" aria-label="URL" autocomplete="off"/>
                <input name="secret" placeholder="HMAC secret (JSON webhook)" aria-label="Secret" autocomplete="off"/>
                <input name="events" placeholder="events: started, live, failed, rolled_back (blank: all)" aria-label="Events"/>
                <label><input type="checkbox" name="scope" value="all"/>" every app"</label>
                <button type="submit" class="button" data-action="add-channel" disabled=move || add.pending().get()>"Add channel"</button>
            </ActionForm>
            </IfAllowed>
        </section>
    }
}
