//! The buttons on a deployment: Cancel (while queued or running), Redeploy,
//! and Rollback (to an earlier Live deployment that isn't serving now).

use leptos::prelude::*;

use super::csrf_input::CsrfInput;
use super::error_panel::FormAlert;
use crate::model::DeploymentView;
use crate::server_fns::deployments::{CancelDeployment, Redeploy, Rollback};

#[component]
/// `allowed`: the member may deploy (deployer or above); otherwise nothing is shown.
#[allow(clippy::needless_pass_by_value)]
pub fn DeploymentActions(deployment: DeploymentView, allowed: bool) -> impl IntoView {
    let cancel = ServerAction::<CancelDeployment>::new();
    let redeploy = ServerAction::<Redeploy>::new();
    let rollback = ServerAction::<Rollback>::new();
    let error = Signal::derive(move || {
        cancel
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| redeploy.value().get().and_then(Result::err))
            .or_else(|| rollback.value().get().and_then(Result::err))
    });
    let id = deployment.id;
    let can_rollback = deployment.status == "live" && !deployment.current && deployment.image.is_some();
    if !allowed {
        return ().into_any();
    }
    view! {
        <div class="actions">
            <FormAlert error=error/>
            {deployment.is_active().then(|| view! {
                <ActionForm action=cancel attr:class="inline-form">
                    <CsrfInput/>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <button type="submit" class="button button-small button-danger-ghost" data-action="cancel">"Cancel"</button>
                </ActionForm>
            })}
            {(!deployment.is_active()).then(|| view! {
                <ActionForm action=redeploy attr:class="inline-form">
                    <CsrfInput/>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <button type="submit" class="button button-small" data-action="redeploy">"Redeploy"</button>
                </ActionForm>
            })}
            {can_rollback.then(|| view! {
                <ActionForm action=rollback attr:class="inline-form">
                    <CsrfInput/>
                    <input type="hidden" name="app" value=deployment.app.clone()/>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <button type="submit" class="button button-small" data-action="rollback">"Roll back to this"</button>
                </ActionForm>
            })}
        </div>
    }
    .into_any()
}
