//! The proxy itself: hyper server → host-based route → round-robin backend,
//! with in-flight counting per backend and a retry on the next backend when a
//! connection can't be made (the request was never sent, so it is safe).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{Either, Empty, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use sqlx::SqlitePool;
use tokio::net::TcpListener;

use super::routes;

type OutBody = Either<Incoming, Empty<Bytes>>;
pub type EdgeBody = Either<Tracked, Full<Bytes>>;

/// One backend of a route and its in-flight counter (shared across reloads).
#[derive(Clone)]
struct Backend {
    addr: SocketAddr,
    inflight: Arc<AtomicUsize>,
}

struct Route {
    backends: Vec<Backend>,
    next: AtomicUsize,
}

#[derive(Default)]
struct Table {
    version: i64,
    apps: HashMap<String, Route>,
}

/// The running edge: routing table, counters and the backend client.
pub struct Edge {
    table: RwLock<Arc<Table>>,
    counters: Mutex<HashMap<SocketAddr, Arc<AtomicUsize>>>,
    client: Client<HttpConnector, OutBody>,
    base_domain: String,
}

impl Edge {
    pub fn new(base_domain: &str) -> Arc<Self> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(3)));
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(connector);
        Arc::new(Self {
            table: RwLock::new(Arc::new(Table::default())),
            counters: Mutex::new(HashMap::new()),
            client,
            base_domain: base_domain.trim_start_matches('.').to_lowercase(),
        })
    }

    /// The table version being served.
    pub fn version(&self) -> i64 {
        self.current().version
    }

    /// Requests in flight per backend (including backends no longer routed).
    pub fn inflight(&self) -> HashMap<SocketAddr, usize> {
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        counters.iter().map(|(addr, count)| (*addr, count.load(Ordering::SeqCst))).collect()
    }

    fn current(&self) -> Arc<Table> {
        self.table.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Swaps in a new table atomically: a request sees the old or the new one, whole.
    pub fn apply(&self, version: i64, routes: HashMap<String, Vec<SocketAddr>>) {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let apps = routes
            .into_iter()
            .map(|(app, addrs)| {
                let backends = addrs
                    .into_iter()
                    .map(|addr| Backend { addr, inflight: counters.entry(addr).or_default().clone() })
                    .collect();
                (app, Route { backends, next: AtomicUsize::new(0) })
            })
            .collect::<HashMap<_, _>>();
        let routed: std::collections::HashSet<SocketAddr> =
            apps.values().flat_map(|r| r.backends.iter().map(|b| b.addr)).collect();
        // Forget drained backends that are no longer routed.
        counters.retain(|addr, count| routed.contains(addr) || count.load(Ordering::SeqCst) > 0);
        *self.table.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Table { version, apps });
    }

    /// Reloads from SQLite whenever the version changes, until the process ends.
    pub async fn follow(self: Arc<Self>, db: SqlitePool) {
        let mut seen = -1;
        loop {
            match routes::current_version(&db).await {
                Ok(version) if version != seen => match routes::load(&db).await {
                    Ok((version, table)) => {
                        tracing::info!(version, apps = table.len(), "edge routes loaded");
                        self.apply(version, table);
                        seen = version;
                    }
                    Err(error) => tracing::error!(%error, "loading edge routes failed"),
                },
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "reading the edge route version failed"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The app a Host header names: `<app>.<base domain>[:port]`.
    fn app_for<'h>(&self, host: &'h str) -> Option<&'h str> {
        let host = host
            .rsplit_once(':')
            .map_or(host, |(name, port)| if port.bytes().all(|b| b.is_ascii_digit()) { name } else { host });
        let app = host.strip_suffix(self.base_domain.as_str())?.strip_suffix('.')?;
        (!app.is_empty() && !app.contains('.')).then_some(app)
    }

    pub async fn handle(&self, request: Request<Incoming>, client: SocketAddr) -> Response<EdgeBody> {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().host())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(app) = self.app_for(&host) else {
            return plain(StatusCode::NOT_FOUND, format!("Slipway: no app is served at \"{host}\".\n"));
        };
        let table = self.current();
        let Some(route) = table.apps.get(app) else {
            return plain(StatusCode::NOT_FOUND, format!("Slipway: the app \"{app}\" is not deployed.\n"));
        };
        if route.backends.is_empty() {
            return plain(StatusCode::SERVICE_UNAVAILABLE, format!("Slipway: \"{app}\" has no healthy replica.\n"));
        }

        let (mut parts, body) = request.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        add_forwarded(&mut parts.headers, client, &host);
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        // A request without a body can be re-sent to another backend if the first can't be reached.
        let retryable = body.is_end_stream();
        let mut body = Some(body);
        let first = route.next.fetch_add(1, Ordering::Relaxed);
        let attempts = if retryable { route.backends.len() } else { 1 };
        let mut last_error = String::new();
        for attempt in 0..attempts {
            let backend = &route.backends[(first + attempt) % route.backends.len()];
            let guard = Inflight::enter(&backend.inflight);
            let Ok(uri) = Uri::try_from(format!("http://{}{}", backend.addr, path)) else {
                return plain(StatusCode::BAD_REQUEST, "Slipway: bad request path.\n".into());
            };
            let out_body = match body.take() {
                Some(incoming) if !retryable => Either::Left(incoming),
                _ => Either::Right(Empty::new()),
            };
            let mut out = Request::from_parts(parts.clone(), out_body);
            *out.uri_mut() = uri;
            match self.client.request(out).await {
                Ok(response) => {
                    let (mut head, incoming) = response.into_parts();
                    strip_hop_by_hop(&mut head.headers);
                    return Response::from_parts(head, Either::Left(Tracked { inner: incoming, _guard: guard }));
                }
                Err(error) if error.is_connect() => {
                    last_error = format!("{} refused the connection", backend.addr);
                }
                Err(error) => {
                    last_error = error.to_string();
                    break;
                }
            }
        }
        plain(StatusCode::BAD_GATEWAY, format!("Slipway: \"{app}\" did not answer ({last_error}).\n"))
    }
}

fn plain(status: StatusCode, text: String) -> Response<EdgeBody> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::from(text))));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "upgrade",
    // hyper re-frames bodies on each side.
    "transfer-encoding",
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Headers named in `Connection` are hop-by-hop too.
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
        .filter_map(|name| HeaderName::try_from(name).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    headers.remove(header::TRAILER);
}

fn add_forwarded(headers: &mut HeaderMap, client: SocketAddr, host: &str) {
    let forwarded_for = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(earlier) => format!("{earlier}, {}", client.ip()),
        None => client.ip().to_string(),
    };
    if let Ok(value) = HeaderValue::try_from(forwarded_for) {
        headers.insert("x-forwarded-for", value);
    }
    if let Ok(value) = HeaderValue::try_from(host) {
        headers.insert("x-forwarded-host", value);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
}

/// Counts a request as in flight until its response body is finished or dropped.
pub struct Inflight(Arc<AtomicUsize>);

impl Inflight {
    fn enter(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter.clone())
    }
}

impl Drop for Inflight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A backend's response body, holding the in-flight guard while it streams.
pub struct Tracked {
    inner: Incoming,
    _guard: Inflight,
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves the proxy on `listener` until `shutdown` resolves.
pub async fn serve(edge: Arc<Edge>, listener: TcpListener, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let (stream, client) = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let edge = edge.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let edge = edge.clone();
                async move { Ok::<_, Infallible>(edge.handle(request, client).await) }
            });
            if let Err(error) = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "edge connection ended with an error");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_map_to_apps() {
        let edge = Edge::new("localhost");
        assert_eq!(edge.app_for("shop.localhost:8000"), Some("shop"));
        assert_eq!(edge.app_for("shop.localhost"), Some("shop"));
        assert_eq!(edge.app_for("localhost"), None);
        assert_eq!(edge.app_for("a.b.localhost"), None);
        assert_eq!(edge.app_for("shop.example.com"), None);
    }

    #[test]
    fn a_switch_keeps_counters_of_draining_backends() {
        let edge = Edge::new("localhost");
        let old: SocketAddr = "127.0.0.1:1001".parse().unwrap();
        let new: SocketAddr = "127.0.0.1:1002".parse().unwrap();
        edge.apply(1, HashMap::from([("shop".to_owned(), vec![old])]));
        let guard = Inflight::enter(&edge.current().apps["shop"].backends[0].inflight);
        edge.apply(2, HashMap::from([("shop".to_owned(), vec![new])]));
        assert_eq!(edge.version(), 2);
        assert_eq!(edge.inflight()[&old], 1, "the old backend is still draining");
        drop(guard);
        assert_eq!(edge.inflight()[&old], 0);
        edge.apply(3, HashMap::from([("shop".to_owned(), vec![new])]));
        assert!(!edge.inflight().contains_key(&old), "drained and unrouted backends are forgotten");
    }

    #[test]
    fn hop_by_hop_headers_are_dropped() {
        let mut headers = HeaderMap::new();
        headers.insert("connection", HeaderValue::from_static("close, x-private"));
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("x-app", HeaderValue::from_static("kept"));
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key("x-app"));
    }
}
