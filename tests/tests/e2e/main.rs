//! End-to-end tests: one binary, so each real component starts once per run.

mod accounts;
mod api;
mod audit;
mod aws;
mod browser;
mod browser_aws;
mod browser_deploy;
mod browser_team;
mod deploy;
mod deploy_queue;
mod forms;
mod notifications;
mod teams;
mod testbed;
mod webhooks;
