//! `spawn_app()`: Slipway in-process on a free port, with its own data directory
//! (SQLite file, secret key) — one per test.

use std::net::SocketAddr;

use reqwest::header::{ACCEPT, REFERER};
use reqwest::redirect::Policy;
use slipway_server::AppState;
use slipway_server::auth::{self, Email, Password, User};
use slipway_server::config::Config;
use slipway_web::serve::Application;
use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::workspace_root;

pub struct TestApp {
    pub address: SocketAddr,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub state: AppState,
    /// A client with a cookie jar that does not follow redirects.
    pub client: reqwest::Client,
    pub data_dir: TempDir,
    shutdown: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// The site built by `make site-test` (scripts/build-site.sh debug target/site-test).
pub fn site_root() -> std::path::PathBuf {
    std::env::var_os("SLIPWAY_TEST_SITE_ROOT")
        .map(Into::into)
        .unwrap_or_else(|| workspace_root().join("target/site-test"))
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `spawn_app` with the configuration adjusted first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = tempfile::Builder::new().prefix("slipway-app-").tempdir().expect("creating a data dir");
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("an HTTP client");
    start(data_dir, client, adjust).await
}

async fn start(data_dir: TempDir, client: reqwest::Client, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config::with_data_dir(data_dir.path().to_path_buf());
    config.site_root = site_root();
    adjust(&mut config);
    let app = Application::build(config).await.expect("building the application");
    let address = app.local_addr();
    let state = app.state().clone();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp { url: format!("http://{address}"), address, state, client, data_dir, shutdown, server }
}

impl TestApp {
    /// Stops the server gracefully and starts a new one on the same data
    /// directory (a new port), keeping the client and its cookies.
    pub async fn restart(self) -> TestApp {
        let _ = self.shutdown.send(());
        self.server.await.expect("server task").expect("server stopped cleanly");
        start(self.data_dir, self.client, |_| {}).await
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Creates a user directly in the database (the first one is the owner).
    pub async fn create_user(&self, email: &str, password: &str) -> User {
        let first = auth::count_users(&self.state.db).await.expect("counting users") == 0;
        auth::create_user(
            &self.state.db,
            &Email::parse(email).expect("a valid email"),
            &Password::parse(password).expect("a valid password"),
            first,
        )
        .await
        .expect("creating a user")
    }

    /// A user with an API token; returns the token.
    pub async fn api_token(&self) -> String {
        let user = self.create_user(&format!("{}@example.com", crate::unique("api")), "correct horse battery").await;
        auth::create_token(&self.state.db, &user, "tests").await.expect("creating a token").secret
    }

    /// GETs a page and returns its CSRF token (from the hidden form field).
    pub async fn csrf_token(&self, path: &str) -> String {
        let page = self.client.get(self.at(path)).send().await.expect("GET page").text().await.expect("page body");
        let marker = "name=\"csrf\" value=\"";
        let start = page.find(marker).unwrap_or_else(|| panic!("no CSRF field on {path}:\n{page}")) + marker.len();
        page[start..].split('"').next().expect("closing quote").to_owned()
    }

    /// Posts a form the way a browser without JavaScript does.
    pub async fn post_form(&self, path: &str, referer: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.at(path))
            .header(ACCEPT, "text/html")
            .header(REFERER, self.at(referer))
            .form(fields)
            .send()
            .await
            .expect("POST form")
    }

    /// First-run set-up through the form; leaves the client signed in.
    pub async fn set_up_owner(&self, email: &str, password: &str) {
        let csrf = self.csrf_token("/setup").await;
        let response = self
            .post_form(
                "/_app/setup",
                "/setup",
                &[("email", email), ("password", password), ("password_confirm", password), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(
            response.headers().get("location").and_then(|v| v.to_str().ok()),
            Some("/"),
            "set-up should redirect home"
        );
    }
}
