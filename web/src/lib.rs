//! Slipway's dashboard: Leptos pages and components, the server functions that
//! are their data layer, and (under `ssr`) the HTTP server and CLI of the
//! `slipway` binary.
// Deep view types (the app page) need more than the default query depth.

#![recursion_limit = "256"]

pub mod app;
mod components;
pub mod error;
pub mod model;
mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod serve;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen(
    inline_js = "export function mark_hydrated() { document.documentElement.dataset.hydrated = 'true'; }"
)]
extern "C" {
    /// Sets `<html data-hydrated="true">`: browser tests wait for it before clicking.
    fn mark_hydrated();
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    mark_hydrated();
}
