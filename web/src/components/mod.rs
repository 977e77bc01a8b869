//! Small reusable pieces of the dashboard.

pub mod app_form;
pub mod csrf_input;
pub mod deployment_actions;
pub mod deployment_table;
pub mod env_text;
pub mod error_panel;
pub mod layout;
pub mod log_view;
pub mod notifications_panel;
pub mod plan_table;
pub mod session;
pub mod status_badge;
pub mod steps_bar;
pub mod target_form;
pub mod text_field;
pub mod webhook_panel;

/// "2026-11-22T03:40:12Z" → "2026-11-22 03:40 UTC".
pub fn short_time(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(head) => format!("{} UTC", head.replace('T', " ")),
        None => rfc3339.to_owned(),
    }
}
