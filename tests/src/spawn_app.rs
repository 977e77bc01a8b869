//! `spawn_app()`: Slipway in-process on a free port, with its own data directory
//! (SQLite file, secret key) — one per test.

use std::net::SocketAddr;

use reqwest::header::{ACCEPT, REFERER};
use reqwest::redirect::Policy;
use slipway_server::AppState;
use slipway_server::auth::{self, Email, Password, User};
use slipway_server::config::Config;
use slipway_server::teams::Role;
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
    /// The app's edge proxy (its own task, like its own process in production:
    /// it keeps serving across `restart` and `crash`).
    pub edge: TestEdge,
    shutdown: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

pub struct TestEdge {
    installation: String,
    pub address: SocketAddr,
    pub admin: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestEdge {
    /// Stops the edge, and removes the containers this test's Slipway started
    /// (found by its installation label): the edge lives as long as the test's app.
    fn drop(&mut self) {
        self.task.abort();
        let label = format!("label=io.slipway.installation={}", self.installation);
        let _ = std::process::Command::new("sh")
            .args([
                "-c",
                &format!("ids=$(docker ps -aq --filter {label}); [ -z \"$ids\" ] || docker rm -f $ids >/dev/null 2>&1"),
            ])
            .status();
    }
}

async fn start_edge(data_dir: &std::path::Path, installation: String) -> TestEdge {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding the edge");
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding the edge status endpoint");
    let (address, admin_address) = (listener.local_addr().expect("address"), admin.local_addr().expect("address"));
    let db =
        slipway_server::db::connect(&data_dir.join("slipway.db")).await.expect("opening the database for the edge");
    let task = tokio::spawn(slipway_server::edge::run_on(db, "localhost", listener, admin, std::future::pending()));
    TestEdge { installation, address, admin: admin_address, task }
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
    // Migrate before the edge opens the same database.
    let created =
        AppState::open(Config::with_data_dir(data_dir.path().to_path_buf())).await.expect("creating the database");
    let installation = created.installation.to_string();
    created.db.close().await;
    let edge = start_edge(data_dir.path(), installation).await;
    start(data_dir, client, edge, adjust).await
}

async fn start(
    data_dir: TempDir,
    client: reqwest::Client,
    edge: TestEdge,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = Config::with_data_dir(data_dir.path().to_path_buf());
    config.site_root = site_root();
    config.edge_listen = edge.address;
    config.edge_admin = edge.admin;
    config.docker_network = "slipway-test".into();
    config.drain_timeout_secs = 10;
    adjust(&mut config);
    let app = Application::build(config).await.expect("building the application");
    let address = app.local_addr();
    let state = app.state().clone();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp { url: format!("http://{address}"), address, state, client, data_dir, edge, shutdown, server }
}

impl TestApp {
    /// Stops the server gracefully and starts a new one on the same data
    /// directory (a new port), keeping the client and its cookies.
    pub async fn restart(self) -> TestApp {
        let _ = self.shutdown.send(());
        self.server.await.expect("server task").expect("server stopped cleanly");
        start(self.data_dir, self.client, self.edge, |_| {}).await
    }

    /// Kills the dashboard without any clean-up (its workers die mid-step, like
    /// on a crash or `kill -9`) and starts it again on the same data directory.
    /// The edge proxy keeps running, as its own process would.
    pub async fn crash_and_restart(self) -> TestApp {
        self.server.abort();
        let _ = self.server.await;
        start(self.data_dir, self.client, self.edge, |_| {}).await
    }

    /// GET `path` of app `app` through the edge proxy (Host: `<app>.localhost`).
    pub async fn edge_get(&self, app: &str, path: &str) -> Result<(u16, String), String> {
        let response = reqwest::Client::new()
            .get(format!("http://{}{path}", self.edge.address))
            .header(reqwest::header::HOST, format!("{app}.localhost"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        Ok((status, response.text().await.map_err(|e| e.to_string())?))
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Creates a user directly in the database. The first one is the owner of the
    /// first team; the others join it as admins (so a test that is not about roles
    /// may do anything but delete the team).
    pub async fn create_user(&self, email: &str, password: &str) -> User {
        let first = auth::count_users(&self.state.db).await.expect("counting users") == 0;
        let (email, password) =
            (Email::parse(email).expect("a valid email"), Password::parse(password).expect("a valid password"));
        if first {
            return auth::create_owner(&self.state.db, &email, &password).await.expect("creating the owner");
        }
        let user = auth::create_user(&self.state.db, &email, &password, false).await.expect("creating a user");
        self.join(&user, 1, Role::Admin).await;
        user
    }

    /// Creates a user who is in no team yet.
    pub async fn create_teamless_user(&self, email: &str, password: &str) -> User {
        auth::create_user(
            &self.state.db,
            &Email::parse(email).expect("a valid email"),
            &Password::parse(password).expect("a valid password"),
            false,
        )
        .await
        .expect("creating a user")
    }

    /// Puts `user` in team `team_id` with `role` (replacing a role they had).
    pub async fn join(&self, user: &User, team_id: i64, role: Role) {
        sqlx::query(
            "INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?, ?, ?, CAST(strftime('%s', 'now') AS INTEGER))
             ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(team_id)
        .bind(user.id)
        .bind(role.as_str())
        .execute(&self.state.db)
        .await
        .expect("adding a team member");
    }

    /// A user with an API token in the first team; returns the token.
    pub async fn api_token(&self) -> String {
        let user = self.create_user(&format!("{}@example.com", crate::unique("api")), "correct horse battery").await;
        auth::create_token(&self.state.db, &user, 1, "tests").await.expect("creating a token").secret
    }

    /// A new user with `role` in the first team and a token acting there.
    pub async fn member_token(&self, role: Role) -> (User, String) {
        let email = format!("{}@example.com", crate::unique(role.as_str()));
        let user = self.create_teamless_user(&email, "correct horse battery").await;
        self.join(&user, 1, role).await;
        let token = auth::create_token(&self.state.db, &user, 1, "tests").await.expect("creating a token").secret;
        (user, token)
    }

    /// A new cookie-jar client signed in as `email` through the sign-in form.
    pub async fn signed_in_client(&self, email: &str, password: &str) -> reqwest::Client {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("an HTTP client");
        let page = client.get(self.at("/login")).send().await.expect("GET /login").text().await.expect("body");
        let csrf = crate::csrf_field(&page);
        let response = client
            .post(self.at("/_app/login"))
            .header(ACCEPT, "text/html")
            .header(REFERER, self.at("/login"))
            .form(&[("email", email), ("password", password), ("csrf", csrf.as_str())])
            .send()
            .await
            .expect("POST /_app/login");
        assert!(response.status().is_redirection(), "sign-in of {email} should redirect: {}", response.status());
        client
    }

    /// GETs a page and returns its CSRF token (from the hidden form field).
    pub async fn csrf_token(&self, path: &str) -> String {
        let page = self.client.get(self.at(path)).send().await.expect("GET page").text().await.expect("page body");
        crate::csrf_field(&page)
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
