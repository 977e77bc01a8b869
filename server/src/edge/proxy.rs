//! The proxy itself: hyper server → host-based route → round-robin backend,
//! with in-flight counting per backend and a retry on the next backend when a
//! connection can't be made (the request was never sent, so it is safe).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery};
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

/// Requests in flight to one backend: one cache-line-padded slot per proxy
/// thread, so counting never contends; the status endpoint sums the slots.
/// Kept across reloads while a backend drains.
pub struct Counter(Box<[Slot]>);

#[repr(align(64))]
struct Slot(AtomicUsize);

impl Counter {
    fn new(slots: usize) -> Self {
        Self((0..slots.max(1)).map(|_| Slot(AtomicUsize::new(0))).collect())
    }

    fn total(&self) -> usize {
        self.0.iter().map(|slot| slot.0.load(Ordering::Acquire)).sum()
    }
}

/// One thread's handle on a backend's counter (its own slot; its own refcount).
struct SlotRef {
    counter: Arc<Counter>,
    slot: usize,
}

/// One backend of a route, as the shared table holds it.
#[derive(Clone)]
struct Backend {
    addr: SocketAddr,
    authority: Authority,
    counter: Arc<Counter>,
}

#[derive(Default)]
struct Table {
    apps: HashMap<String, Vec<Backend>>,
}

/// A proxy thread's copy of the table: reference counts touched per request
/// stay on that thread.
#[derive(Default)]
struct LocalTable {
    apps: HashMap<String, Vec<LocalBackend>>,
}

struct LocalBackend {
    addr: SocketAddr,
    authority: Authority,
    inflight: Arc<SlotRef>,
}

/// What every proxy thread shares: the routing table, in-flight counters, the base domain.
pub struct Edge {
    table: RwLock<Arc<Table>>,
    /// The table's version, readable without the lock (proxies refresh their copy when it moves).
    version: AtomicI64,
    counters: Mutex<HashMap<SocketAddr, Arc<Counter>>>,
    /// Proxy threads (one counter slot each).
    threads: usize,
    base_domain: String,
    /// Wakes `follow` at once (the dashboard asks after changing a route).
    pub reload: tokio::sync::Notify,
}

/// One proxy thread's side: its own backend connection pool and a cached copy
/// of the table, so the hot path takes no lock and touches no shared counter
/// but the in-flight one.
pub struct Proxy {
    edge: Arc<Edge>,
    /// This thread's counter slot.
    slot: usize,
    client: Client<HttpConnector, OutBody>,
    cached: Mutex<(i64, Arc<LocalTable>)>,
    next: AtomicUsize,
}

impl Proxy {
    /// The proxy of thread `slot` (0 ≤ slot < the edge's thread count).
    pub fn new(edge: Arc<Edge>, slot: usize) -> Arc<Self> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(3)));
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(connector);
        let slot = slot.min(edge.threads - 1);
        let cached = Mutex::new((-1, Arc::new(LocalTable::default())));
        Arc::new(Self { edge, slot, client, cached, next: AtomicUsize::new(0) })
    }

    /// The current table: this thread's copy, remade when the version moved.
    fn table(&self) -> Arc<LocalTable> {
        let version = self.edge.version.load(Ordering::Acquire);
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if cached.0 != version {
            let shared = self.edge.current();
            let apps = shared
                .apps
                .iter()
                .map(|(app, backends)| {
                    let local = backends
                        .iter()
                        .map(|b| LocalBackend {
                            addr: b.addr,
                            authority: b.authority.clone(),
                            inflight: Arc::new(SlotRef { counter: b.counter.clone(), slot: self.slot }),
                        })
                        .collect();
                    (app.clone(), local)
                })
                .collect();
            *cached = (version, Arc::new(LocalTable { apps }));
        }
        cached.1.clone()
    }
}

impl Edge {
    /// The shared side of an edge with `threads` proxy threads.
    pub fn new(base_domain: &str, threads: usize) -> Arc<Self> {
        Arc::new(Self {
            table: RwLock::new(Arc::new(Table::default())),
            version: AtomicI64::new(0),
            counters: Mutex::new(HashMap::new()),
            threads: threads.max(1),
            base_domain: base_domain.trim_start_matches('.').to_lowercase(),
            reload: tokio::sync::Notify::new(),
        })
    }

    /// The table version being served.
    pub fn version(&self) -> i64 {
        self.version.load(Ordering::Acquire)
    }

    /// Requests in flight per backend (including backends no longer routed).
    pub fn inflight(&self) -> HashMap<SocketAddr, usize> {
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        counters.iter().map(|(addr, count)| (*addr, count.total())).collect()
    }

    fn current(&self) -> Arc<Table> {
        self.table.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Swaps in a new table atomically: a request sees the old or the new one, whole.
    pub fn apply(&self, version: i64, routes: HashMap<String, Vec<SocketAddr>>) {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let threads = self.threads;
        let apps = routes
            .into_iter()
            .map(|(app, addrs)| {
                let backends: Vec<Backend> = addrs
                    .into_iter()
                    .filter_map(|addr| {
                        let authority = Authority::try_from(addr.to_string()).ok()?;
                        let counter = counters.entry(addr).or_insert_with(|| Arc::new(Counter::new(threads))).clone();
                        Some(Backend { addr, authority, counter })
                    })
                    .collect();
                (app, backends)
            })
            .collect::<HashMap<_, _>>();
        let routed: std::collections::HashSet<SocketAddr> =
            apps.values().flat_map(|backends| backends.iter().map(|b| b.addr)).collect();
        // Forget drained backends that are no longer routed.
        counters.retain(|addr, count| routed.contains(addr) || count.total() > 0);
        *self.table.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Table { apps });
        self.version.store(version, Ordering::Release);
    }

    /// Reloads from SQLite whenever the version changes (checked every 100 ms,
    /// or at once when asked through the status endpoint), until the process ends.
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
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
                () = self.reload.notified() => {}
            }
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
}

impl Proxy {
    /// Proxies one request. `client_ip` is the connection's peer, ready as a header value.
    pub async fn handle(&self, request: Request<Incoming>, client_ip: &HeaderValue) -> Response<EdgeBody> {
        let host_header = request.headers().get(header::HOST).cloned();
        let uri_host = if host_header.is_none() { request.uri().host().map(str::to_owned) } else { None };
        let raw_host = host_header.as_ref().and_then(|h| h.to_str().ok()).or(uri_host.as_deref()).unwrap_or_default();
        let host: std::borrow::Cow<'_, str> = if raw_host.bytes().any(|b| b.is_ascii_uppercase()) {
            raw_host.to_ascii_lowercase().into()
        } else {
            raw_host.into()
        };
        let Some(app) = self.edge.app_for(&host) else {
            return plain(StatusCode::NOT_FOUND, format!("Slipway: no app is served at \"{host}\".\n"));
        };
        let table = self.table();
        let Some(backends) = table.apps.get(app) else {
            return plain(StatusCode::NOT_FOUND, format!("Slipway: the app \"{app}\" is not deployed.\n"));
        };
        if backends.is_empty() {
            return plain(StatusCode::SERVICE_UNAVAILABLE, format!("Slipway: \"{app}\" has no healthy replica.\n"));
        }

        let (mut parts, body) = request.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        add_forwarded(&mut parts.headers, client_ip, host_header.clone());
        let path = parts.uri.path_and_query().cloned().unwrap_or_else(|| PathAndQuery::from_static("/"));
        // A request without a body can be re-sent to another backend if the first can't be reached.
        let retryable = body.is_end_stream();
        let mut body = Some(body);
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        let attempts = if retryable { backends.len() } else { 1 };
        let mut last_error = String::new();
        let mut parts = Some(parts);
        for attempt in 0..attempts {
            let backend = &backends[(first + attempt) % backends.len()];
            let guard = Inflight::enter(&backend.inflight);
            let mut uri = http::uri::Parts::default();
            uri.scheme = Some(http::uri::Scheme::HTTP);
            uri.authority = Some(backend.authority.clone());
            uri.path_and_query = Some(path.clone());
            let Ok(uri) = Uri::from_parts(uri) else {
                return plain(StatusCode::BAD_REQUEST, "Slipway: bad request path.\n".into());
            };
            let out_body = match body.take() {
                Some(incoming) if !retryable => Either::Left(incoming),
                _ => Either::Right(Empty::new()),
            };
            // Keep a copy of the head only when another attempt may need it.
            let head = if attempt + 1 < attempts { parts.clone() } else { parts.take() };
            let Some(head) = head else { break };
            let mut out = Request::from_parts(head, out_body);
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

fn add_forwarded(headers: &mut HeaderMap, client_ip: &HeaderValue, host: Option<HeaderValue>) {
    let earlier = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).map(str::to_owned);
    match earlier {
        Some(earlier) => {
            if let Ok(value) = HeaderValue::try_from(format!("{earlier}, {}", client_ip.to_str().unwrap_or_default())) {
                headers.insert("x-forwarded-for", value);
            }
        }
        None => {
            headers.insert("x-forwarded-for", client_ip.clone());
        }
    }
    if let Some(host) = host {
        headers.insert("x-forwarded-host", host);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
}

/// Counts a request as in flight until its response body is finished or dropped.
pub struct Inflight(Arc<SlotRef>);

impl Inflight {
    fn enter(slot: &Arc<SlotRef>) -> Self {
        slot.counter.0[slot.slot].0.fetch_add(1, Ordering::AcqRel);
        Self(slot.clone())
    }
}

impl Drop for Inflight {
    fn drop(&mut self) {
        self.0.counter.0[self.0.slot].0.fetch_sub(1, Ordering::AcqRel);
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

/// Serves `proxy` on `listener` until `shutdown` resolves.
pub async fn serve(proxy: Arc<Proxy>, listener: TcpListener, shutdown: impl std::future::Future<Output = ()>) {
    accept_until(&listener, shutdown, |stream, client| {
        tokio::spawn(connection(proxy.clone(), stream, client));
    })
    .await;
}

/// Accepts connections on `listener` and hands each to `accepted`, until `shutdown` resolves.
pub async fn accept_until(
    listener: &TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
    mut accepted: impl FnMut(tokio::net::TcpStream, SocketAddr),
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            result = listener.accept() => match result {
                Ok((stream, client)) => accepted(stream, client),
                Err(error) => tracing::warn!(%error, "accepting a connection failed"),
            },
        }
    }
}

/// Serves connections handed over by an accepting thread (see `edge::run`)
/// until the sender is dropped. `open` counts this thread's connections.
pub async fn serve_handed_over(
    proxy: Arc<Proxy>,
    mut streams: tokio::sync::mpsc::UnboundedReceiver<(std::net::TcpStream, SocketAddr)>,
    open: Arc<AtomicUsize>,
) {
    while let Some((stream, client)) = streams.recv().await {
        match tokio::net::TcpStream::from_std(stream) {
            Ok(stream) => {
                let (proxy, open) = (proxy.clone(), open.clone());
                tokio::spawn(async move {
                    connection(proxy, stream, client).await;
                    open.fetch_sub(1, Ordering::Relaxed);
                });
            }
            Err(error) => {
                open.fetch_sub(1, Ordering::Relaxed);
                tracing::warn!(%error, "taking over a connection failed");
            }
        }
    }
}

/// One client connection: HTTP/1.1 with keep-alive, every request through `proxy`.
async fn connection(proxy: Arc<Proxy>, stream: tokio::net::TcpStream, client: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let client_ip =
        HeaderValue::try_from(client.ip().to_string()).unwrap_or_else(|_| HeaderValue::from_static("unknown"));
    let service = service_fn(move |request| {
        let proxy = proxy.clone();
        let client_ip = client_ip.clone();
        async move { Ok::<_, Infallible>(proxy.handle(request, &client_ip).await) }
    });
    if let Err(error) = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%error, "edge connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_map_to_apps() {
        let edge = Edge::new("localhost", 1);
        assert_eq!(edge.app_for("shop.localhost:8000"), Some("shop"));
        assert_eq!(edge.app_for("shop.localhost"), Some("shop"));
        assert_eq!(edge.app_for("localhost"), None);
        assert_eq!(edge.app_for("a.b.localhost"), None);
        assert_eq!(edge.app_for("shop.example.com"), None);
    }

    #[test]
    fn a_switch_keeps_counters_of_draining_backends() {
        let edge = Edge::new("localhost", 2);
        let proxy = Proxy::new(edge.clone(), 1);
        let old: SocketAddr = "127.0.0.1:1001".parse().unwrap();
        let new: SocketAddr = "127.0.0.1:1002".parse().unwrap();
        edge.apply(1, HashMap::from([("shop".to_owned(), vec![old])]));
        let guard = Inflight::enter(&proxy.table().apps["shop"][0].inflight);
        edge.apply(2, HashMap::from([("shop".to_owned(), vec![new])]));
        assert_eq!(edge.version(), 2);
        assert_eq!(proxy.table().apps["shop"][0].addr, new, "the proxy picks up the new table");
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
