//! One file per page.

pub mod account;
pub mod app_detail;
pub mod app_edit;
pub mod app_env;
pub mod app_new;
pub mod apps_list;
pub mod audit;
pub mod deployment;
pub mod history;
pub mod invite;
pub mod login;
pub mod not_found;
pub mod setup;
pub mod targets;
pub mod team;
