//! What the UI shows: plain serde types shared by the server and the wasm bundle
//! (the backend's own types stay native-only).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: Option<UserView>,
    pub csrf: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub email: String,
    pub is_owner: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppView {
    pub name: String,
    pub repo_url: String,
    pub branch: String,
    pub dockerfile: String,
    pub build_context: String,
    pub port: u16,
    pub health_path: String,
    pub replicas: u32,
    pub env: Vec<EnvVarView>,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvVarView {
    pub name: String,
    pub value: Option<String>,
    pub secret: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub user: UserView,
    pub tokens: Vec<TokenView>,
    /// A token created just now, shown once.
    pub new_token: Option<String>,
}

#[cfg(feature = "ssr")]
mod from_backend {
    use super::*;
    use slipway_server::apps::App;
    use slipway_server::auth::{ApiToken, User};
    use slipway_server::time_fmt::rfc3339;

    impl From<App> for AppView {
        fn from(app: App) -> Self {
            Self {
                name: app.name,
                repo_url: app.repo_url,
                branch: app.branch,
                dockerfile: app.dockerfile,
                build_context: app.build_context,
                port: app.port,
                health_path: app.health_path,
                replicas: app.replicas,
                env: app
                    .env
                    .into_iter()
                    .map(|v| EnvVarView { name: v.name, value: v.value, secret: v.secret })
                    .collect(),
                status: app.status,
                created_at: app.created_at,
                updated_at: app.updated_at,
            }
        }
    }

    impl From<&User> for UserView {
        fn from(user: &User) -> Self {
            Self { email: user.email.clone(), is_owner: user.is_owner }
        }
    }

    impl From<ApiToken> for TokenView {
        fn from(token: ApiToken) -> Self {
            Self {
                id: token.id,
                name: token.name,
                prefix: token.prefix,
                created_at: rfc3339(token.created_at),
                last_used_at: token.last_used_at.map(rfc3339),
            }
        }
    }
}
