//! Apps: what Slipway deploys. `fields` parses raw input into domain values once;
//! `store` keeps apps and their environment in SQLite (secrets encrypted).

mod fields;
mod store;

pub use fields::{AppName, Branch, EnvName, RegistryAddress, RepoPath, RepoUrl};
pub use store::{
    App, AppCredentials, AppDraft, AppSpec, CredentialInput, DeployVar, EnvDraft, EnvSpec, EnvVar, LOCAL_TARGET,
    create_app, credentials, delete_app, fargate_size, get_app, list_apps, parse_env_drafts, runtime_env, update_app,
    update_env,
};
