//! Apps: what Slipway deploys. `fields` parses raw input into domain values once;
//! `store` keeps apps and their environment in SQLite (secrets encrypted).

mod fields;
mod store;

pub use fields::{AppName, Branch, EnvName, RepoPath, RepoUrl};
pub use store::{
    App, AppDraft, AppSpec, EnvDraft, EnvVar, create_app, delete_app, get_app, list_apps, runtime_env, update_app,
};
