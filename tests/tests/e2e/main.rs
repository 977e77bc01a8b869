//! End-to-end tests: one binary, so each real component starts once per run.

mod accounts;
mod api;
mod browser;
mod deploy;
mod forms;
mod testbed;
