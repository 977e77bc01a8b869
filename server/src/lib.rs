//! Slipway's backend: everything that is not UI.
//!
//! The `slipway` binary and the Leptos dashboard live in `slipway-web`, which
//! calls into this library; see ARCHITECTURE in the README for the map.

#![recursion_limit = "256"]

pub mod api;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod config;
pub mod csrf;
pub mod db;
pub mod deploy;
pub mod edge;
pub mod error;
pub mod notify;
pub mod registries;
pub mod secrets;
pub mod state;
pub mod targets;
pub mod teams;
pub mod time_fmt;
pub mod webhooks;

pub use error::{Error, FieldErrors};
pub use state::AppState;
