use leptos::prelude::*;

/// A labelled input with its hint and its validation message.
#[component]
pub fn TextField(
    #[prop(into)] label: String,
    #[prop(into)] name: String,
    #[prop(into)] value: Signal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] readonly: bool,
    #[prop(optional, into)] placeholder: Option<String>,
    #[prop(optional, into)] autocomplete: Option<String>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=input_type
                value=move || value.get()
                required=required
                readonly=readonly
                placeholder=placeholder
                autocomplete=autocomplete
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described
            />
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}
