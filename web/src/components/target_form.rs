//! The AWS target form, shared by "New target" and "Edit target".

use leptos::prelude::*;

use super::csrf_input::CsrfInput;
use super::error_panel::FormAlert;
use super::text_field::TextField;
use crate::error::UiError;
use crate::model::TargetView;
use crate::server_fns::targets::SaveTarget;

/// `target` is `None` for a new one. After a failed submission the fields show
/// what was submitted (never the secret key).
#[component]
pub fn TargetForm(target: Option<TargetView>) -> impl IntoView {
    let save = ServerAction::<SaveTarget>::new();
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let editing = target.is_some();
    let original = target.as_ref().map(|t| t.name.clone()).unwrap_or_default();
    let has_secret = target.as_ref().is_some_and(|t| t.has_secret_access_key);
    let target = StoredValue::new(target);
    let stored = move |field: &str| -> String {
        target.with_value(|t| {
            let Some(t) = t else {
                return match field {
                    "public_ip" => "on".into(),
                    "credentials" => "default".into(),
                    _ => String::new(),
                };
            };
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            match field {
                "name" => t.name.clone(),
                "region" => t.region.clone(),
                "credentials" => t.credentials.clone(),
                "access_key_id" => text(&t.access_key_id),
                "role_arn" => text(&t.role_arn),
                "cluster" => t.cluster.clone(),
                "vpc_id" => text(&t.vpc_id),
                "subnets" => t.subnets.join(", "),
                "public_ip" => {
                    if t.public_ip {
                        "on".into()
                    } else {
                        String::new()
                    }
                }
                "load_balancer" => t.load_balancer.clone(),
                "certificate_arn" => text(&t.certificate_arn),
                "base_domain" => t.base_domain.clone(),
                "execution_role_arn" => text(&t.execution_role_arn),
                "log_retention_days" => t.log_retention_days.to_string(),
                "keep_images" => t.keep_images.to_string(),
                "rollout_timeout_secs" => t.rollout_timeout_secs.to_string(),
                "endpoint_url" => text(&t.endpoint_url),
                "registry_override" => text(&t.registry_override),
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
    let credentials = value("credentials");
    let secret_hint = if has_secret {
        "A secret key is saved; leave blank to keep it."
    } else {
        "Stored encrypted; never shown again."
    };
    let cancel = if editing { format!("/targets/{original}") } else { "/targets".to_owned() };
    view! {
        <ActionForm action=save attr:class="form" attr:novalidate=true>
            <CsrfInput/>
            <input type="hidden" name="original" value=original/>
            <FormAlert error=error/>
            <fieldset>
                <legend>"Account"</legend>
                <div class="field-row">
                    <TextField label="Name" name="name" value=value("name") error=field_error("name") required=true readonly=editing
                        placeholder="prod" hint="Names the cluster, load balancer and role Slipway creates."/>
                    <TextField label="Region" name="region" value=value("region") error=field_error("region") required=true placeholder="us-east-1"/>
                </div>
                <div class="field" class:has-error=move || field_error("credentials").get().is_some()>
                    <label for="field-credentials">"Credentials"</label>
                    <select id="field-credentials" name="credentials">
                        <option value="default" selected=move || credentials.get() == "default">"Default chain (environment, profile, instance or task role)"</option>
                        <option value="access_key" selected=move || credentials.get() == "access_key">"Access key"</option>
                        <option value="assume_role" selected=move || credentials.get() == "assume_role">"Assume a role"</option>
                    </select>
                    <p class="field-error">{move || field_error("credentials").get()}</p>
                </div>
                <div class="field-row">
                    <TextField label="Access key id" name="access_key_id" value=value("access_key_id") error=field_error("access_key_id") autocomplete="off"/>
                    <TextField label="Secret access key" name="secret_access_key" value=Signal::derive(String::new) error=field_error("secret_access_key")
                        input_type="password" autocomplete="new-password" hint=secret_hint/>
                </div>
                <TextField label="Role to assume" name="role_arn" value=value("role_arn") error=field_error("role_arn")
                    placeholder="arn:aws:iam::123456789012:role/slipway-deployer" hint="Assumed on top of the default chain or the access key."/>
            </fieldset>
            <fieldset>
                <legend>"Network and load balancer"</legend>
                <div class="field-row">
                    <TextField label="ECS cluster" name="cluster" value=value("cluster") error=field_error("cluster") placeholder="slipway-<name>" hint="Created if absent."/>
                    <TextField label="Load balancer" name="load_balancer" value=value("load_balancer") error=field_error("load_balancer") placeholder="slipway-<name>" hint="A shared ALB, created if absent."/>
                </div>
                <div class="field-row">
                    <TextField label="VPC" name="vpc_id" value=value("vpc_id") error=field_error("vpc_id") placeholder="default VPC"/>
                    <TextField label="Subnets" name="subnets" value=value("subnets") error=field_error("subnets") placeholder="the VPC's subnets" hint="Comma-separated, in at least two zones."/>
                </div>
                <div class="field checkbox">
                    <label><input type="checkbox" name="public_ip" checked=move || value("public_ip").get() == "on"/>" Give tasks a public IP (needed in public subnets without a NAT gateway)"</label>
                </div>
                <div class="field-row">
                    <TextField label="Base domain" name="base_domain" value=value("base_domain") error=field_error("base_domain") required=true
                        placeholder="apps.example.com" hint="Each app answers at <app>.<base domain>; point a wildcard DNS record at the load balancer."/>
                    <TextField label="Certificate (ACM ARN)" name="certificate_arn" value=value("certificate_arn") error=field_error("certificate_arn")
                        placeholder="none: HTTP only" hint="Adds HTTPS on 443 and redirects HTTP to it."/>
                </div>
            </fieldset>
            <fieldset>
                <legend>"Defaults"</legend>
                <div class="field-row">
                    <TextField label="Task execution role" name="execution_role_arn" value=value("execution_role_arn") error=field_error("execution_role_arn") placeholder="created by Slipway"/>
                    <TextField label="Log retention (days)" name="log_retention_days" value=value("log_retention_days") error=field_error("log_retention_days") placeholder="30"/>
                </div>
                <div class="field-row">
                    <TextField label="Images kept per app" name="keep_images" value=value("keep_images") error=field_error("keep_images") placeholder="20"/>
                    <TextField label="Rollout deadline (s)" name="rollout_timeout_secs" value=value("rollout_timeout_secs") error=field_error("rollout_timeout_secs") placeholder="900"/>
                </div>
                <div class="field-row">
                    <TextField label="AWS endpoint override" name="endpoint_url" value=value("endpoint_url") error=field_error("endpoint_url")
                        placeholder="none" hint="Only for private API endpoints or an emulator."/>
                    <TextField label="Registry override" name="registry_override" value=value("registry_override") error=field_error("registry_override")
                        placeholder="none: the account's ECR" hint="Push here instead of the ECR endpoint (tests, pull-through mirrors)."/>
                </div>
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="button button-primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else if editing { "Save changes" } else { "Add target" }}
                </button>
                <a class="button button-ghost" href=cancel>"Cancel"</a>
            </div>
        </ActionForm>
    }
}
