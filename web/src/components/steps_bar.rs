use leptos::prelude::*;

use crate::model::StepView;

const STEPS: [&str; 6] = ["clone", "build", "push", "deploy", "verify", "retire"];

/// The pipeline as six segments: done, running, skipped, failed, or not reached.
#[component]
pub fn StepsBar(steps: Vec<StepView>) -> impl IntoView {
    let segments = STEPS.map(|name| {
        let step = steps.iter().find(|s| s.step == name);
        let outcome = step.map_or("pending", |s| s.outcome.as_str()).to_owned();
        let title = match step.and_then(|s| s.duration_ms) {
            Some(ms) => format!("{name}: {outcome} ({:.1} s)", ms as f64 / 1000.0),
            None => format!("{name}: {outcome}"),
        };
        view! { <li class=format!("step step-{outcome}") title=title data-step=name>{name}</li> }
    });
    view! { <ol class="steps" aria-label="Pipeline steps">{segments.into_iter().collect_view()}</ol> }
}
