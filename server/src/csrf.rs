//! CSRF protection for requests that ride on the session cookie.
//!
//! Every session carries a random token. A state-changing request (anything but
//! GET/HEAD/OPTIONS) that sends the session cookie must echo it, either as the
//! `X-CSRF-Token` header or as the `csrf` field of a url-encoded form. Requests
//! with an `Authorization` header are exempt: bearer tokens are not ambient.
//! A cross-origin `Origin` header is refused outright, which also covers sign-in
//! forms posted before a session exists.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use crate::error::Error;

pub const SESSION_COOKIE: &str = "slipway_session";
pub const HEADER: &str = "x-csrf-token";
pub const FORM_FIELD: &str = "csrf";
const SESSION_KEY: &str = "csrf";
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The session's CSRF token, created on first use.
pub async fn ensure_token(session: &Session) -> Result<String, Error> {
    if let Some(token) = session.get::<String>(SESSION_KEY).await.map_err(|e| Error::Internal(e.into()))? {
        return Ok(token);
    }
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    session.insert(SESSION_KEY, &token).await.map_err(|e| Error::Internal(e.into()))?;
    Ok(token)
}

/// Middleware; must run inside the session layer.
pub async fn protect(request: Request, next: Next) -> Response {
    match check(request).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

async fn check(request: Request) -> Result<Request, Error> {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(request);
    }
    if request.headers().contains_key(header::AUTHORIZATION) {
        return Ok(request);
    }
    if !same_origin(&request) {
        return Err(Error::Csrf);
    }
    if !has_session_cookie(&request) {
        return Ok(request);
    }
    let session = request.extensions().get::<Session>().cloned().ok_or(Error::Csrf)?;
    let expected: Option<String> = session.get(SESSION_KEY).await.map_err(|e| Error::Internal(e.into()))?;
    let expected = expected.ok_or(Error::Csrf)?;

    if let Some(sent) = request.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return if tokens_match(sent, &expected) { Ok(request) } else { Err(Error::Csrf) };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(Error::Csrf);
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| Error::BadRequest("the form is too large".into()))?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let sent = fields.iter().find(|(name, _)| name == FORM_FIELD).map(|(_, value)| value.as_str());
    match sent {
        Some(sent) if tokens_match(sent, &expected) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(Error::Csrf),
    }
}

fn tokens_match(sent: &str, expected: &str) -> bool {
    sent.as_bytes().ct_eq(expected.as_bytes()).into()
}

fn has_session_cookie(request: &Request) -> bool {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| pair.trim_start().starts_with(&format!("{SESSION_COOKIE}=")))
}

/// No `Origin` (non-browser clients, old browsers) passes; one that names another host fails.
fn same_origin(request: &Request) -> bool {
    let Some(origin) = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = request.headers().get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    url::Url::parse(origin)
        .ok()
        .and_then(|url| {
            url.host_str().map(|h| match url.port() {
                Some(port) => format!("{h}:{port}"),
                None => h.to_owned(),
            })
        })
        .is_some_and(|origin_host| origin_host.eq_ignore_ascii_case(host))
}
