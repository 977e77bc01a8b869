//! The Team page: who is in the acting team and with which role; invites,
//! role changes and removals for admins; switching, creating, leaving and
//! (owners) deleting teams.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::csrf_input::CsrfInput;
use crate::components::error_panel::{ErrorPanel, FormAlert};
use crate::components::session::use_session;
use crate::components::short_time;
use crate::components::text_field::TextField;
use crate::model::{SessionInfo, TeamView};
use crate::server_fns::teams::{
    AddRegistry, CreateInvite, CreateTeam, DeleteTeam, LeaveTeam, RemoveMember, RemoveRegistry, RevokeInvite,
    SetMemberRole, SwitchTeam, get_team,
};

const ROLES: [&str; 4] = ["viewer", "deployer", "admin", "owner"];

#[component]
pub fn TeamPage() -> impl IntoView {
    let session = use_session();
    let invite = ServerAction::<CreateInvite>::new();
    let set_role = ServerAction::<SetMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let revoke = ServerAction::<RevokeInvite>::new();
    let add_registry = ServerAction::<AddRegistry>::new();
    let remove_registry = ServerAction::<RemoveRegistry>::new();
    let team = Resource::new(
        move || {
            (
                invite.version().get(),
                set_role.version().get(),
                remove.version().get(),
                revoke.version().get(),
                add_registry.version().get(),
                remove_registry.version().get(),
            )
        },
        |_| get_team(),
    );
    view! {
        <Title text="Team · Slipway"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let info = session.await.ok();
                let page = match team.await {
                    Ok(view) => {
                        let (registries, admin) = (view.registries.clone(), crate::model::role_rank(&view.team.role) >= 3);
                        view! {
                            <Members view invite set_role remove revoke/>
                            <Registries registries admin add=add_registry remove=remove_registry/>
                        }.into_any()
                    }
                    Err(error) => view! { <h1>"Team"</h1><ErrorPanel error/> }.into_any(),
                };
                view! {
                    {page}
                    {info.map(|info| view! { <Teams info/> })}
                }
            })}
        </Suspense>
    }
}

#[component]
fn Members(
    view: TeamView,
    invite: ServerAction<CreateInvite>,
    set_role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
    revoke: ServerAction<RevokeInvite>,
) -> impl IntoView {
    let my_rank = crate::model::role_rank(&view.team.role);
    let admin = my_rank >= crate::model::role_rank("admin");
    let owner = my_rank >= crate::model::role_rank("owner");
    let change_error = Signal::derive(move || {
        set_role.value().get().and_then(Result::err).or_else(|| remove.value().get().and_then(Result::err))
    });
    let me = view.me;
    let team_name = view.team.name.clone();
    view! {
        <h1>{format!("Team {}", view.team.name)}</h1>
        <p class="muted" id="my-role">{format!("You are {} here.", with_article(&view.team.role))}</p>
        <section class="panel" id="members">
            <h2>"Members"</h2>
            <FormAlert error=change_error/>
            <table class="table">
                <thead><tr><th>"Email"</th><th>"Role"</th><th>"Joined"</th><th></th></tr></thead>
                <tbody>
                    {view.members.into_iter().map(|m| {
                        // Admins manage everyone below owner; owners manage everyone.
                        let manageable = admin && (owner || m.role != "owner");
                        let current = m.role.clone();
                        view! {
                            <tr data-member=m.email.clone()>
                                <td>{m.email.clone()}{(m.user_id == me).then_some(" (you)")}</td>
                                <td class="member-role">{m.role.clone()}</td>
                                <td>{short_time(&m.joined_at)}</td>
                                <td>
                                    {manageable.then(|| view! {
                                        <ActionForm action=set_role attr:class="inline-form">
                                            <CsrfInput/>
                                            <input type="hidden" name="user_id" value=m.user_id/>
                                            <select name="role" aria-label="Role">
                                                {ROLES.iter().filter(|r| owner || **r != "owner").map(|r| view! {
                                                    <option value=*r selected=*r == current>{*r}</option>
                                                }).collect_view()}
                                            </select>
                                            <button type="submit" class="button button-small">"Change role"</button>
                                        </ActionForm>
                                        <ActionForm action=remove attr:class="inline-form">
                                            <CsrfInput/>
                                            <input type="hidden" name="user_id" value=m.user_id/>
                                            <button type="submit" class="button button-small button-danger">"Remove"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <LeaveForm/>
        </section>
        <Show when=move || admin>
            <Invites invites=view.invites.clone() new_invite=view.new_invite.clone() invite revoke owner/>
        </Show>
        <Show when=move || owner>
            <DeleteTeamForm name=team_name.clone()/>
        </Show>
    }
}

fn with_article(role: &str) -> String {
    let article = if matches!(role, "admin" | "owner") { "an" } else { "a" };
    format!("{article} {role}")
}

#[component]
fn Invites(
    invites: Vec<crate::model::InviteView>,
    new_invite: Option<String>,
    invite: ServerAction<CreateInvite>,
    revoke: ServerAction<RevokeInvite>,
    owner: bool,
) -> impl IntoView {
    let error = Signal::derive(move || invite.value().get().and_then(Result::err));
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(Result::err));
    let link = Signal::derive(move || invite.value().get().and_then(Result::ok).or_else(|| new_invite.clone()));
    let input = move |field: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.input.get(field).cloned()).unwrap_or_default())
    };
    let field_error = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_error(field)));
    view! {
        <section class="panel" id="invites">
            <h2>"Invite people"</h2>
            <p class="muted">"An invite link works once, until it expires. Whoever opens it signs in or creates an account and joins with the role you pick."</p>
            {move || link.get().map(|url| view! {
                <div class="alert alert-success" role="status">
                    <p>"Send this link — it is shown only now:"</p>
                    <code class="token-secret" id="invite-link">{url}</code>
                </div>
            })}
            <ActionForm action=invite attr:class="form form-inline" attr:novalidate=true>
                <CsrfInput/>
                <FormAlert error=error/>
                <div class="field" class:has-error=move || field_error("role").get().is_some()>
                    <label for="field-invite-role">"Role"</label>
                    <select id="field-invite-role" name="role">
                        {ROLES.iter().filter(|r| owner || **r != "owner").map(|r| view! {
                            <option value=*r selected=move || input("role").get() == *r || (input("role").get().is_empty() && *r == "deployer")>{*r}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error">{move || field_error("role").get()}</p>
                </div>
                <TextField label="Only for (email, optional)" name="email" value=input("email") error=field_error("email") placeholder="ada@example.com"/>
                <TextField label="Valid for (hours)" name="hours" value=input("hours") error=field_error("expires_in_hours") placeholder="168"/>
                <button type="submit" class="button button-primary" disabled=move || invite.pending().get()>"Create invite link"</button>
            </ActionForm>
            <FormAlert error=revoke_error/>
            {(!invites.is_empty()).then(|| view! {
                <h3>"Pending invites"</h3>
                <table class="table">
                    <thead><tr><th>"Role"</th><th>"For"</th><th>"By"</th><th>"Expires"</th><th></th></tr></thead>
                    <tbody>
                        {invites.into_iter().map(|i| view! {
                            <tr data-invite=i.id>
                                <td>{i.role}</td>
                                <td>{i.email.unwrap_or_else(|| "anyone with the link".into())}</td>
                                <td>{i.created_by.unwrap_or_default()}</td>
                                <td>{short_time(&i.expires_at)}</td>
                                <td>
                                    <ActionForm action=revoke attr:class="inline-form">
                                        <CsrfInput/>
                                        <input type="hidden" name="id" value=i.id/>
                                        <button type="submit" class="button button-small button-danger">"Withdraw"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

/// The registries the team's apps can push to; admins add and remove them.
#[component]
fn Registries(
    registries: Vec<crate::model::RegistryView>,
    admin: bool,
    add: ServerAction<AddRegistry>,
    remove: ServerAction<RemoveRegistry>,
) -> impl IntoView {
    let error = Signal::derive(move || add.value().get().and_then(Result::err));
    let remove_error = Signal::derive(move || remove.value().get().and_then(Result::err));
    let input = move |field: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.input.get(field).cloned()).unwrap_or_default())
    };
    let field_error = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_error(field)));
    view! {
        <section class="panel" id="registries">
            <h2>"Registries"</h2>
            <p class="muted">"Registries the team's apps push to: pick one by name in an app's settings. Passwords are encrypted and never shown. (Apps on AWS push to ECR by themselves.)"</p>
            <FormAlert error=remove_error/>
            {if registries.is_empty() {
                view! { <p class="muted">"No shared registries."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Name"</th><th>"Address"</th><th>"User"</th><th>"Used by"</th><th></th></tr></thead>
                        <tbody>
                            {registries.into_iter().map(|r| {
                                let name = r.name.clone();
                                view! {
                                <tr data-registry=r.name.clone()>
                                    <td>{r.name.clone()}</td>
                                    <td class="mono">{r.address}</td>
                                    <td>{r.username.unwrap_or_default()}{r.has_password.then_some(" (password set)")}</td>
                                    <td class="small">{if r.apps.is_empty() { "no app".to_owned() } else { r.apps.join(", ") }}</td>
                                    <td>
                                        {admin.then(|| view! {
                                            <ActionForm action=remove attr:class="inline-form">
                                                <CsrfInput/>
                                                <input type="hidden" name="name" value=name/>
                                                <button type="submit" class="button button-small button-danger">"Remove"</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }}).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {admin.then(|| view! {
                <h3>"Add a registry"</h3>
                <ActionForm action=add attr:class="form form-inline" attr:novalidate=true>
                    <CsrfInput/>
                    <FormAlert error=error/>
                    <TextField label="Name" name="name" value=input("name") error=field_error("name") placeholder="ghcr"/>
                    <TextField label="Address" name="address" value=input("address") error=field_error("address") placeholder="ghcr.io/acme"/>
                    <TextField label="User" name="username" value=input("username") error=field_error("username")/>
                    <TextField label="Password or token" name="password" value=Signal::derive(String::new) error=field_error("password") input_type="password"/>
                    <button type="submit" class="button button-primary">"Add registry"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn LeaveForm() -> impl IntoView {
    let leave = ServerAction::<LeaveTeam>::new();
    let error = Signal::derive(move || leave.value().get().and_then(Result::err));
    view! {
        <ActionForm action=leave attr:class="inline-form">
            <CsrfInput/>
            <FormAlert error=error/>
            <button type="submit" class="button button-ghost">"Leave this team"</button>
        </ActionForm>
    }
}

#[component]
fn DeleteTeamForm(name: String) -> impl IntoView {
    let delete = ServerAction::<DeleteTeam>::new();
    let error = Signal::derive(move || delete.value().get().and_then(Result::err));
    let confirm_error = Signal::derive(move || error.get().and_then(|e| e.field_error("confirm")));
    view! {
        <section class="panel panel-danger" id="delete-team">
            <h2>"Delete this team"</h2>
            <p class="muted">"Only a team without apps or AWS targets can be deleted. Its invites, tokens and team-wide notification channels go with it; the audit log keeps its entries."</p>
            <ActionForm action=delete attr:class="form form-inline" attr:novalidate=true>
                <CsrfInput/>
                <FormAlert error=error/>
                <TextField label=format!("Type \"{name}\" to confirm") name="confirm" value=Signal::derive(String::new) error=confirm_error/>
                <button type="submit" class="button button-danger">"Delete team"</button>
            </ActionForm>
        </section>
    }
}

/// The user's teams (switch to one) and a form to create a new one.
#[component]
fn Teams(info: SessionInfo) -> impl IntoView {
    let switch = ServerAction::<SwitchTeam>::new();
    let create = ServerAction::<CreateTeam>::new();
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let name_value = Signal::derive(move || error.get().and_then(|e| e.input.get("name").cloned()).unwrap_or_default());
    let name_error = Signal::derive(move || error.get().and_then(|e| e.field_error("name")));
    let acting = info.team.as_ref().map(|t| t.slug.clone()).unwrap_or_default();
    view! {
        <section class="panel" id="your-teams">
            <h2>"Your teams"</h2>
            <ul class="plain-list">
                {info.teams.into_iter().map(|t| {
                    let here = t.slug == acting;
                    let slug = t.slug.clone();
                    view! {
                        <li data-team=slug>
                            <strong>{t.name.clone()}</strong>" · "{t.role.clone()}
                            {if here {
                                view! { <span class="badge">"current"</span> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=switch attr:class="inline-form">
                                        <CsrfInput/>
                                        <input type="hidden" name="slug" value=t.slug.clone()/>
                                        <button type="submit" class="button button-small">"Switch to this team"</button>
                                    </ActionForm>
                                }.into_any()
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <h3>"New team"</h3>
            <ActionForm action=create attr:class="form form-inline" attr:novalidate=true>
                <CsrfInput/>
                <FormAlert error=error/>
                <TextField label="Team name" name="name" value=name_value error=name_error placeholder="Payments"/>
                <button type="submit" class="button button-primary">"Create team"</button>
            </ActionForm>
        </section>
    }
}
