//! The edge's status endpoint (loopback only) and the dashboard's client for it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::Edge;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EdgeStatus {
    pub version: i64,
    /// Requests in flight per backend address.
    pub inflight: HashMap<String, usize>,
}

pub async fn serve(
    edge: Arc<Edge>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let app = axum::Router::new().route("/status", get(status)).route("/reload", post(reload)).with_state(edge);
    if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        tracing::error!(%error, "the edge status endpoint stopped");
    }
}

async fn status(State(edge): State<Arc<Edge>>) -> Json<EdgeStatus> {
    Json(EdgeStatus {
        version: edge.version(),
        inflight: edge.inflight().into_iter().map(|(addr, n)| (addr.to_string(), n)).collect(),
    })
}

async fn reload(State(edge): State<Arc<Edge>>) -> axum::http::StatusCode {
    edge.reload.notify_one();
    axum::http::StatusCode::ACCEPTED
}

/// Asks the edge at `admin` to re-read its routes now (best effort: it also
/// polls). Returns whether it answered.
pub async fn request_reload(admin: SocketAddr) -> bool {
    exchange(admin, "POST /reload HTTP/1.1\r\nHost: edge\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .await
        .is_some()
}

/// Asks the edge at `admin` for its status; `None` when it doesn't answer.
pub async fn fetch(admin: SocketAddr) -> Option<EdgeStatus> {
    let body = exchange(admin, "GET /status HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n").await?;
    serde_json::from_str(&body).ok()
}

/// One request to the status endpoint; the answer's body.
async fn exchange(admin: SocketAddr, request: &str) -> Option<String> {
    let exchange = async {
        let mut stream = TcpStream::connect(admin).await.ok()?;
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.ok()?;
        let text = String::from_utf8(answer).ok()?;
        let (_, body) = text.split_once("\r\n\r\n")?;
        Some(body.to_owned())
    };
    tokio::time::timeout(Duration::from_secs(2), exchange).await.ok().flatten()
}

/// Waits until the edge serves table `version` or later. `false` when it isn't
/// running or hasn't caught up by the deadline.
pub async fn wait_applied(admin: SocketAddr, version: i64, deadline: Instant) -> bool {
    loop {
        match fetch(admin).await {
            Some(status) if status.version >= version => return true,
            Some(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            _ => return false,
        }
    }
}

/// Waits until no request is in flight to any of `backends`; `false` at the deadline.
pub async fn wait_drained(admin: SocketAddr, backends: &[SocketAddr], deadline: Instant) -> bool {
    loop {
        let busy = match fetch(admin).await {
            Some(status) => {
                backends.iter().map(|b| status.inflight.get(&b.to_string()).copied().unwrap_or(0)).sum::<usize>()
            }
            None => return true,
        };
        if busy == 0 {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
