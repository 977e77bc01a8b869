use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::app_form::AppForm;

#[component]
pub fn NewAppPage() -> impl IntoView {
    view! {
        <Title text="New app · Slipway"/>
        <nav class="crumbs"><a href="/">"Apps"</a>" / new"</nav>
        <h1>"New app"</h1>
        <AppForm app=None/>
    }
}
