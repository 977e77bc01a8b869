//! The edge proxy: Slipway's local load balancer.
//!
//! It runs as its own process (`slipway edge`, started by `slipway serve` when
//! absent), so deployed apps keep being served while the dashboard restarts.
//! The dashboard writes routes to SQLite (`routes`); the edge reloads them when
//! their version changes (`proxy`) and reports, on a loopback status endpoint,
//! which version it serves and how many requests each backend still has in
//! flight (`status`) — which is how a deployment knows the old replicas are
//! drained before it stops them.

pub mod proxy;
pub mod routes;
pub mod status;

pub use proxy::{Edge, serve};
pub use routes::{remove_route, set_route};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;

/// Runs the edge proxy (`slipway edge`) until `shutdown` resolves.
pub async fn run(config: &Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let db = crate::db::connect(&config.database_path()).await?;
    let listener =
        TcpListener::bind(config.edge_listen).await.with_context(|| format!("listening on {}", config.edge_listen))?;
    let admin =
        TcpListener::bind(config.edge_admin).await.with_context(|| format!("listening on {}", config.edge_admin))?;
    tracing::info!(listen = %config.edge_listen, status = %config.edge_admin, base_domain = %config.base_domain, "edge proxy started");
    run_on(db, &config.base_domain, listener, admin, shutdown).await;
    Ok(())
}

/// The edge on listeners the caller bound (tests bind port 0).
pub async fn run_on(
    db: sqlx::SqlitePool,
    base_domain: &str,
    listener: TcpListener,
    admin: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let edge = Edge::new(base_domain);
    let follower = tokio::spawn(edge.clone().follow(db));
    let (stop_status, status_stopped) = tokio::sync::oneshot::channel::<()>();
    let status = tokio::spawn(status::serve(edge.clone(), admin, async move {
        let _ = status_stopped.await;
    }));
    proxy::serve(Arc::clone(&edge), listener, shutdown).await;
    let _ = stop_status.send(());
    let _ = status.await;
    follower.abort();
}

/// Whether an edge answers on `admin`.
pub async fn is_running(admin: SocketAddr) -> bool {
    status::fetch(admin).await.is_some()
}

/// Starts `slipway edge` as a separate process (its own process group, so it
/// outlives the dashboard) unless one already answers. Output goes to
/// `<data dir>/edge.log`.
pub async fn ensure_running(config: &Config) -> anyhow::Result<()> {
    if is_running(config.edge_admin).await {
        tracing::info!(status = %config.edge_admin, "edge proxy already running");
        return Ok(());
    }
    let exe = std::env::current_exe().context("finding the slipway binary")?;
    let log_path = config.data_dir.join("edge.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    let mut command = std::process::Command::new(exe);
    command
        .arg("edge")
        .arg("--data-dir")
        .arg(&config.data_dir)
        .arg("--base-domain")
        .arg(&config.base_domain)
        .arg("--edge-listen")
        .arg(config.edge_listen.to_string())
        .arg("--edge-admin")
        .arg(config.edge_admin.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command.spawn().context("starting the edge proxy")?;
    tracing::info!(pid = child.id(), listen = %config.edge_listen, log = %log_path.display(), "edge proxy started as its own process");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if is_running(config.edge_admin).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the edge proxy did not start; see {}", log_path.display())
}
