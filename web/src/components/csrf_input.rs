use leptos::prelude::*;

use super::session::use_session;

/// The hidden `csrf` field every state-changing form carries.
#[component]
pub fn CsrfInput() -> impl IntoView {
    let session = use_session();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let token = session.await.map(|s| s.csrf).unwrap_or_default();
                view! { <input type="hidden" name="csrf" value=token/> }
            })}
        </Suspense>
    }
}
