//! A deployment log that keeps growing while the deployment runs: the server
//! renders the lines so far; in the browser an EventSource on
//! `/api/v1/deployments/{id}/logs` appends new ones (resuming after the last
//! line seen, also after a reconnect) and reports status changes.

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function follow_log(url, on_line, on_status, on_end) {
  const source = new EventSource(url);
  source.addEventListener('line', (e) => on_line(Number(e.lastEventId), e.data));
  source.addEventListener('status', (e) => on_status(e.data));
  source.addEventListener('end', (e) => { source.close(); on_end(e.data); });
}
"#)]
extern "C" {
    fn follow_log(
        url: &str,
        on_line: &wasm_bindgen::closure::Closure<dyn FnMut(f64, String)>,
        on_status: &wasm_bindgen::closure::Closure<dyn FnMut(String)>,
        on_end: &wasm_bindgen::closure::Closure<dyn FnMut(String)>,
    );
}

/// `on_status` is told each status the stream reports (to refresh the page's summary).
#[component]
pub fn LogView(id: i64, lines: Vec<(i64, String)>, follow: bool, on_status: Callback<String>) -> impl IntoView {
    let lines = RwSignal::new(lines);
    let live = RwSignal::new(follow);
    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<()>| {
        use wasm_bindgen::closure::Closure;
        if started.is_some() || !follow {
            return;
        }
        let after = lines.with_untracked(|l| l.last().map_or(0, |(id, _)| *id));
        let on_line = Closure::<dyn FnMut(f64, String)>::new(move |line_id: f64, text: String| {
            let line_id = line_id as i64;
            lines.update(|l| {
                if l.last().is_none_or(|(last, _)| line_id > *last) {
                    l.push((line_id, text));
                }
            });
        });
        let on_status_js = Closure::<dyn FnMut(String)>::new(move |status: String| on_status.run(status));
        let on_end = Closure::<dyn FnMut(String)>::new(move |status: String| {
            live.set(false);
            on_status.run(status);
        });
        follow_log(&format!("/api/v1/deployments/{id}/logs?after={after}"), &on_line, &on_status_js, &on_end);
        // The page owns the stream for its lifetime.
        on_line.forget();
        on_status_js.forget();
        on_end.forget();
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, on_status);
    view! {
        <div class="log" data-live=move || live.get().to_string()>
            <For each=move || lines.get() key=|(line_id, _)| *line_id let((_, text))>
                <div class="log-line">{text}</div>
            </For>
            {move || live.get().then(|| view! { <div class="log-line muted log-waiting">"… waiting for more output"</div> })}
        </div>
    }
}
