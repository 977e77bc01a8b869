use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · Slipway"/>
        <main class="auth">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p class="lead">"There is nothing at this address."</p>
                <a class="button button-primary" href="/">"Back to your apps"</a>
            </div>
        </main>
    }
}
