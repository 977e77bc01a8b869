//! Slipway's test bed: real components, started at most once per test binary,
//! with isolated resources for every test.
//!
//! - [`spawn_app`]: Slipway itself on a free port with its own data directory.
//! - [`docker`]: the local Docker engine, and a fixture image built `FROM scratch` with busybox.
//! - [`registry`]: Debian's `docker-registry` with htpasswd auth on loopback.
//! - [`moto`]: `moto_server`, the local AWS API.
//! - [`git_server`]: lighttpd + `git http-backend` serving repositories tests create.
//! - [`browser`]: headless Chromium through chromedriver.
//!
//! Components run as child processes that exit with the test binary
//! (see [`service`]). Tests wait on conditions with deadlines ([`wait_until`]).

pub mod aws;
pub mod browser;
pub mod deploys;
pub mod docker;
pub mod git_server;
pub mod moto;
pub mod registry;
pub mod service;
mod spawn_app;
pub mod webhooks;

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use spawn_app::{TestApp, site_root, spawn_app, spawn_app_with};

/// The workspace root (where `Cargo.toml` and `target/` are).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// A directory under `target/` for artefacts people look at (screenshots).
pub fn artefacts_dir() -> PathBuf {
    let dir = workspace_root().join("target").join("test-artefacts");
    std::fs::create_dir_all(&dir).expect("creating target/test-artefacts");
    dir
}

/// Polls `check` until it returns `Some`, or panics with `what` after `timeout`.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The CSRF token in a page's hidden form field.
pub fn csrf_field(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).unwrap_or_else(|| panic!("no CSRF field on the page:\n{page}")) + marker.len();
    page[start..].split('"').next().expect("closing quote").to_owned()
}

/// The fields of the dashboard's app form (`/_app/save_app`), blank but for `fields`.
pub fn app_form<'a>(csrf: &'a str, original: &'a str, fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", csrf),
        ("original", original),
        ("name", ""),
        ("repo_url", ""),
        ("branch", ""),
        ("dockerfile", ""),
        ("build_context", ""),
        ("port", ""),
        ("health_path", ""),
        ("health_timeout", ""),
        ("replicas", ""),
        ("cpus", ""),
        ("memory_mb", ""),
        ("env", ""),
        ("build_args", ""),
        ("secrets", ""),
        ("git_username", ""),
        ("git_token", ""),
        ("git_ssh_key", ""),
        ("registry", ""),
        ("registry_username", ""),
        ("registry_password", ""),
    ];
    for (key, value) in fields {
        if let Some(slot) = form.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value;
        }
    }
    form
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{}-{:x}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), nanos)
}

/// The `Location` header of a redirect ("" when there is none).
pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}
