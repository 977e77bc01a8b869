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

pub use proxy::{Edge, Proxy, serve};
pub use routes::{remove_route, set_route};

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;

/// Runs the edge proxy (`slipway edge`) until `shutdown` resolves. Like nginx:
/// one single-threaded event loop per core, each with its own backend
/// connection pool, so a request never crosses threads. One task accepts and
/// hands each connection to the loop with the fewest open connections (an even
/// spread, unlike `SO_REUSEPORT` hashing); route reloads and the status
/// endpoint run beside them.
pub async fn run(config: &Config, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let db = crate::db::connect(&config.database_path()).await?;
    let listener =
        TcpListener::bind(config.edge_listen).await.with_context(|| format!("listening on {}", config.edge_listen))?;
    let admin =
        TcpListener::bind(config.edge_admin).await.with_context(|| format!("listening on {}", config.edge_admin))?;
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).clamp(1, 16);
    let edge = Edge::new(&config.base_domain, threads);
    let mut loops = Vec::with_capacity(threads);
    let mut handoff = Vec::with_capacity(threads);
    for index in 0..threads {
        let (sender, streams) = tokio::sync::mpsc::unbounded_channel();
        let open = Arc::new(AtomicUsize::new(0));
        handoff.push((sender, open.clone()));
        let edge = edge.clone();
        let thread =
            std::thread::Builder::new().name(format!("edge-{index}")).spawn(move || -> anyhow::Result<()> {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                runtime.block_on(proxy::serve_handed_over(Proxy::new(edge, index), streams, open));
                Ok(())
            })?;
        loops.push(thread);
    }
    tracing::info!(listen = %config.edge_listen, status = %config.edge_admin, base_domain = %config.base_domain, threads, "edge proxy started");
    let follower = tokio::spawn(edge.clone().follow(db));
    let (stop_status, status_stopped) = tokio::sync::oneshot::channel::<()>();
    let status = tokio::spawn(status::serve(edge, admin, async move {
        let _ = status_stopped.await;
    }));
    proxy::accept_until(&listener, shutdown, |stream, client| {
        let Ok(stream) = stream.into_std() else { return };
        let Some((sender, open)) = handoff.iter().min_by_key(|(_, open)| open.load(Ordering::Relaxed)) else { return };
        open.fetch_add(1, Ordering::Relaxed);
        if sender.send((stream, client)).is_err() {
            open.fetch_sub(1, Ordering::Relaxed);
        }
    })
    .await;
    // Dropping the senders ends the loops once they have taken every handed-over connection.
    drop(handoff);
    let _ = stop_status.send(());
    let _ = status.await;
    follower.abort();
    for thread in loops {
        match thread.join() {
            Ok(Err(error)) => tracing::error!(%error, "an edge thread failed"),
            Err(_) => tracing::error!("an edge thread panicked"),
            Ok(Ok(())) => {}
        }
    }
    Ok(())
}

/// The edge on listeners the caller bound (tests bind port 0), on the caller's runtime.
pub async fn run_on(
    db: sqlx::SqlitePool,
    base_domain: &str,
    listener: TcpListener,
    admin: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let edge = Edge::new(base_domain, 1);
    let follower = tokio::spawn(edge.clone().follow(db));
    let (stop_status, status_stopped) = tokio::sync::oneshot::channel::<()>();
    let status = tokio::spawn(status::serve(edge.clone(), admin, async move {
        let _ = status_stopped.await;
    }));
    proxy::serve(Proxy::new(edge, 0), listener, shutdown).await;
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
    std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    // Absolute, so the edge doesn't depend on the directory it was started from.
    let data_dir = config.data_dir.canonicalize().unwrap_or_else(|_| config.data_dir.clone());
    let log_path = data_dir.join("edge.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    let mut command = std::process::Command::new(exe);
    command
        .arg("edge")
        .arg("--data-dir")
        .arg(&data_dir)
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
