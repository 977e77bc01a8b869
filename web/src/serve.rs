//! The HTTP server: config → state → router → serve.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use slipway_server::auth::{SqliteSessionStore, count_users, user_from_session};
use slipway_server::config::Config;
use slipway_server::{AppState, csrf};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use crate::app::{App, shell};

/// Router state: the backend's state plus Leptos' options.
#[derive(Clone, FromRef)]
pub struct WebState {
    pub app: AppState,
    pub leptos: LeptosOptions,
}

/// A built server, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let listener =
            TcpListener::bind(config.listen).await.with_context(|| format!("listening on {}", config.listen))?;
        let state = AppState::open(config).await?;
        let router = router(state.clone(), listener.local_addr()?);
        Ok(Self { listener, router, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let store = SqliteSessionStore::new(self.state.db.clone());
        let sweeper = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(3600));
            loop {
                every.tick().await;
                if let Err(error) = store.delete_expired().await {
                    tracing::warn!(%error, "could not delete expired sessions");
                }
            }
        });
        // The deployment workers live as long as this future: dropping it stops them.
        let workers = slipway_server::deploy::worker::start(&self.state).await;
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await;
        drop(workers);
        sweeper.abort();
        self.state.db.close().await;
        served.context("serving HTTP")
    }
}

pub fn router(state: AppState, addr: SocketAddr) -> Router {
    let site_root = state.config.site_root.clone();
    let leptos = LeptosOptions::builder()
        .output_name("slipway")
        .site_root(site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let web = WebState { app: state.clone(), leptos };
    let routes = generate_route_list(App);

    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let sessions = SessionManagerLayer::new(SqliteSessionStore::new(state.db.clone()))
        .with_name(csrf::SESSION_COOKIE)
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));

    Router::new()
        .route("/healthz", get(healthz))
        .route("/_app/{*fn_name}", any(server_fn_handler))
        .merge(slipway_server::api::router().with_state(state.clone()))
        .merge(slipway_server::webhooks::router().with_state(state.clone()))
        .nest_service("/pkg", ServeDir::new(site_root.join("pkg")))
        .leptos_routes_with_context(&web, routes, context.clone(), {
            let leptos = web.leptos.clone();
            move || shell(leptos.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<WebState, _>(context, shell))
        .layer(middleware::from_fn_with_state(state.clone(), page_gate))
        .layer(middleware::from_fn(csrf::protect))
        .layer(sessions)
        .layer(RequestBodyLimitLayer::new(2 * 1024 * 1024))
        .layer(TraceLayer::new_for_http())
        .with_state(web)
}

async fn server_fn_handler(State(state): State<WebState>, request: Request<Body>) -> impl IntoResponse {
    let app = state.app.clone();
    handle_server_fns_with_context(move || provide_context(app.clone()), request).await
}

async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(&state.db).await {
        Ok(_) => (StatusCode::OK, axum::Json(serde_json::json!({ "status": "ok" }))).into_response(),
        Err(error) => {
            tracing::error!(%error, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "database unavailable" })))
                .into_response()
        }
    }
}

/// Sends people where they belong before a page renders: to first-run set-up on
/// an empty installation, to sign-in when signed out, and away from those pages
/// once they are done. Also makes sure the session has a CSRF token for the forms.
async fn page_gate(State(state): State<AppState>, session: Session, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let is_page = request.method() == Method::GET
        && !["/api/", "/_app/", "/pkg/", "/healthz", "/favicon"].iter().any(|p| path.starts_with(p));
    if !is_page {
        return next.run(request).await;
    }
    let target = request.uri().path_and_query().map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
    let decision = async {
        if count_users(&state.db).await? == 0 {
            return Ok::<_, slipway_server::Error>((path != "/setup").then(|| "/setup".to_owned()));
        }
        let signed_in = user_from_session(&state, &session).await?.is_some();
        Ok(match (signed_in, path.as_str()) {
            (_, "/setup") => Some("/login".to_owned()),
            (true, "/login") => Some("/".to_owned()),
            (false, "/login") => None,
            // An invite link works signed out: it can create the account.
            (_, p) if p.starts_with("/invite/") => None,
            (false, _) => Some(format!("/login?next={}", url_encode(&target))),
            (true, _) => None,
        })
    };
    match decision.await {
        Ok(Some(to)) => Redirect::to(&to).into_response(),
        Ok(None) => {
            if let Err(error) = csrf::ensure_token(&session).await {
                return error.into_response();
            }
            let mut response = next.run(request).await;
            response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

fn url_encode(raw: &str) -> String {
    serde_urlencoded::to_string([("", raw)]).map(|s| s.trim_start_matches('=').to_owned()).unwrap_or_default()
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
