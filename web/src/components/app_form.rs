//! The app settings form, shared by "New app" and "Edit app".

use leptos::prelude::*;

use super::csrf_input::CsrfInput;
use super::error_panel::FormAlert;
use super::text_field::TextField;
use crate::error::UiError;
use crate::model::AppView;
use crate::server_fns::apps::SaveApp;

/// `app` is `None` for a new app. After a failed submission the fields show what
/// was submitted (from the error), so nothing typed is lost.
#[component]
pub fn AppForm(
    app: Option<AppView>,
    /// The AWS targets an app can pick (besides this machine's engine).
    targets: Vec<String>,
) -> impl IntoView {
    let save = ServerAction::<SaveApp>::new();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let editing = app.is_some();
    let original = app.as_ref().map(|a| a.name.clone()).unwrap_or_default();
    let app = StoredValue::new(app);

    let stored = move |field: &str| -> String {
        app.with_value(|app| {
            let Some(app) = app else { return String::new() };
            match field {
                "name" => app.name.clone(),
                "repo_url" => app.repo_url.clone(),
                "branch" => app.branch.clone(),
                "dockerfile" => app.dockerfile.clone(),
                "build_context" => app.build_context.clone(),
                "port" => app.port.to_string(),
                "health_path" => app.health_path.clone(),
                "replicas" => app.replicas.to_string(),
                "health_timeout" => app.health_timeout_secs.to_string(),
                "cpus" => app.cpus.map(|c| c.to_string()).unwrap_or_default(),
                "memory_mb" => app.memory_mb.map(|m| m.to_string()).unwrap_or_default(),
                "git_username" => app.git_username.clone().unwrap_or_default(),
                "registry" => app.registry.clone().unwrap_or_default(),
                "registry_username" => app.registry_username.clone().unwrap_or_default(),
                "registry_name" => app.registry_name.clone().unwrap_or_default(),
                "target" => app.target.clone(),
                "health_interval" => app.health_interval_secs.to_string(),
                "healthy_threshold" => app.healthy_threshold.to_string(),
                "deregistration_delay" => app.deregistration_delay_secs.to_string(),
                "container_health_check" => {
                    if app.container_health_check {
                        "on".into()
                    } else {
                        String::new()
                    }
                }
                "env" => crate::components::env_text::boxes(&app.env)[0].clone(),
                "build_args" => crate::components::env_text::boxes(&app.env)[1].clone(),
                "secrets" => crate::components::env_text::boxes(&app.env)[2].clone(),
                _ => String::new(),
            }
        })
    };
    let value = move |field: &'static str| {
        Signal::derive(move || {
            error.get().and_then(|e: UiError| e.input.get(field).cloned()).unwrap_or_else(|| stored(field))
        })
    };
    let field_error = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_error(field)));
    let submit_label = if editing { "Save changes" } else { "Create app" };
    let saved = move |has: fn(&AppView) -> bool| app.with_value(|a| a.as_ref().is_some_and(has));
    let keep_hint = move |has: fn(&AppView) -> bool, what: &'static str| {
        if saved(has) { format!("A {what} is saved; leave blank to keep it.") } else { format!("Optional {what}.") }
    };

    view! {
        <ActionForm action=save attr:class="form" attr:novalidate=true>
            <CsrfInput/>
            <input type="hidden" name="original" value=original/>
            <FormAlert error=error/>
            <fieldset>
                <legend>"Source"</legend>
                <TextField label="Name" name="name" value=value("name") error=field_error("name") required=true readonly=editing
                    hint="Lowercase letters, digits and hyphens; the app is served at <name>.<your domain>." placeholder="billing-api"/>
                <TextField label="Git repository" name="repo_url" value=value("repo_url") error=field_error("repo_url") required=true
                    hint="https://, ssh://, git@host:owner/repo, file:// or an absolute path." placeholder="https://github.com/acme/billing-api.git"/>
                <TextField label="Branch" name="branch" value=value("branch") error=field_error("branch") placeholder="main"/>
                <div class="field-row">
                    <TextField label="Git user" name="git_username" value=value("git_username") error=field_error("git_username") placeholder="x-access-token"
                        hint="For HTTPS tokens (GitHub: x-access-token, GitLab: oauth2)."/>
                    <TextField label="Git token" name="git_token" value=Signal::derive(String::new) error=field_error("git_token") input_type="password"
                        hint=keep_hint(|a| a.has_git_token, "token")/>
                </div>
                <div class="field" class:has-error=move || field_error("git_ssh_key").get().is_some()>
                    <label for="field-git_ssh_key">"SSH deploy key"</label>
                    <textarea id="field-git_ssh_key" name="git_ssh_key" rows="2" spellcheck="false" placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"></textarea>
                    <p class="hint">{keep_hint(|a| a.has_git_ssh_key, "private key, for ssh:// and git@ URLs")}</p>
                    <p class="field-error">{move || field_error("git_ssh_key").get()}</p>
                </div>
            </fieldset>
            <fieldset>
                <legend>"Build"</legend>
                <div class="field-row">
                    <TextField label="Dockerfile" name="dockerfile" value=value("dockerfile") error=field_error("dockerfile") placeholder="Dockerfile"
                        hint="Relative to the repository root."/>
                    <TextField label="Build context" name="build_context" value=value("build_context") error=field_error("build_context") placeholder="."
                        hint="Directory sent to the builder."/>
                </div>
                <div class="field" class:has-error=move || field_error("build_args").get().is_some()>
                    <label for="field-build_args">"Build-time variables"</label>
                    <textarea id="field-build_args" name="build_args" rows="2" spellcheck="false" placeholder="NODE_ENV=production">{move || value("build_args").get()}</textarea>
                    <p class="hint">"Passed to the build as build args (ARG), and to the running app. One NAME=value per line."</p>
                    <p class="field-error">{move || field_error("build_args").get()}</p>
                </div>
            </fieldset>
            <fieldset>
                <legend>"Registry"</legend>
                <TextField label="Team registry" name="registry_name" value=value("registry_name") error=field_error("registry_name") placeholder="ghcr"
                    hint="The name of a registry on the Team page; or leave it blank and enter an address below."/>
                <div class="field-row">
                    <TextField label="Push to registry" name="registry" value=value("registry") error=field_error("registry") placeholder="registry.example.com/team"
                        hint="Optional: push every image here. host[:port][/namespace]."/>
                    <TextField label="Registry user" name="registry_username" value=value("registry_username") error=field_error("registry_username")/>
                    <TextField label="Registry password" name="registry_password" value=Signal::derive(String::new) error=field_error("registry_password") input_type="password"
                        hint=keep_hint(|a| a.has_registry_password, "password")/>
                </div>
            </fieldset>
            <fieldset>
                <legend>"Run"</legend>
                <div class="field-row">
                    <TextField label="Container port" name="port" value=value("port") error=field_error("port") placeholder="8080" input_type="text"/>
                    <TextField label="Health-check path" name="health_path" value=value("health_path") error=field_error("health_path") placeholder="/"/>
                    <TextField label="Replicas" name="replicas" value=value("replicas") error=field_error("replicas") placeholder="1"/>
                </div>
                <div class="field-row">
                    <TextField label="Health deadline (s)" name="health_timeout" value=value("health_timeout") error=field_error("health_timeout") placeholder="60"
                        hint="A new release that isn't healthy by then is removed; the old one keeps serving."/>
                    <TextField label="CPUs" name="cpus" value=value("cpus") error=field_error("cpus") placeholder="no limit" hint="Per replica, e.g. 0.5."/>
                    <TextField label="Memory (MB)" name="memory_mb" value=value("memory_mb") error=field_error("memory_mb") placeholder="no limit" hint="Per replica."/>
                </div>
            </fieldset>
            <fieldset>
                <legend>"Where it runs"</legend>
                <div class="field" class:has-error=move || field_error("target").get().is_some()>
                    <label for="field-target">"Runs on"</label>
                    <select id="field-target" name="target">
                        <option value="local" selected=move || { let t = value("target").get(); t.is_empty() || t == "local" }>"This machine's Docker engine"</option>
                        {targets.into_iter().map(|t| {
                            let option = t.clone();
                            view! { <option value=t.clone() selected=move || value("target").get() == option>{format!("AWS ECS Fargate: {t}")}</option> }
                        }).collect_view()}
                    </select>
                    <p class="hint">"On AWS, CPUs and memory pick the Fargate size (0.25 vCPU and 512 MB unless set); replicas are the service's tasks."</p>
                    <p class="field-error">{move || field_error("target").get()}</p>
                </div>
                <div class="field-row">
                    <TextField label="LB health interval (s)" name="health_interval" value=value("health_interval") error=field_error("health_interval") placeholder="10"/>
                    <TextField label="Healthy after (checks)" name="healthy_threshold" value=value("healthy_threshold") error=field_error("healthy_threshold") placeholder="2"/>
                    <TextField label="Drain delay (s)" name="deregistration_delay" value=value("deregistration_delay") error=field_error("deregistration_delay") placeholder="30"
                        hint="AWS only: the load balancer's target group."/>
                </div>
                <div class="field checkbox">
                    <label><input type="checkbox" name="container_health_check" checked=move || value("container_health_check").get() == "on"/>
                        " AWS: also check the health path inside the container (the image needs wget or curl)"</label>
                </div>
            </fieldset>
            <fieldset>
                <legend>"Environment"</legend>
                <div class="field" class:has-error=move || field_error("env").get().is_some()>
                    <label for="field-env">"Variables"</label>
                    <textarea id="field-env" name="env" rows="4" spellcheck="false" placeholder="LOG_LEVEL=info">{move || value("env").get()}</textarea>
                    <p class="hint">"One NAME=value per line."</p>
                    <p class="field-error">{move || field_error("env").get()}</p>
                </div>
                <div class="field" class:has-error=move || field_error("secrets").get().is_some()>
                    <label for="field-secrets">"Secrets"</label>
                    <textarea id="field-secrets" name="secrets" rows="3" spellcheck="false" placeholder="DATABASE_URL=postgres://…">{move || value("secrets").get()}</textarea>
                    <p class="hint">"Encrypted at rest and never shown again. One NAME=value per line; a NAME alone keeps its saved value; remove the line to delete it."</p>
                    <p class="field-error">{move || field_error("secrets").get()}</p>
                </div>
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="button button-primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { submit_label }}
                </button>
                <a class="button button-ghost" href=if editing { format!("/apps/{}", app.with_value(|a| a.as_ref().map(|a| a.name.clone()).unwrap_or_default())) } else { "/".to_owned() }>"Cancel"</a>
            </div>
        </ActionForm>
    }
}
