//! One error type for the whole backend. It turns into an HTTP response with a
//! stable machine-readable `code`; internal causes are logged, never sent.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Per-field validation problems: field name → (code, message).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub BTreeMap<String, FieldError>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub code: &'static str,
    pub message: String,
}

impl FieldErrors {
    pub fn add(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_insert_with(|| FieldError { code, message: message.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn single(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, code, message);
        errors
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("some fields are invalid")]
    Validation(FieldErrors),
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in, or send an API token as `Authorization: Bearer …`")]
    Unauthorized,
    #[error("the API token is invalid or revoked")]
    InvalidToken,
    #[error("wrong email or password")]
    WrongCredentials,
    #[error("the request's CSRF token is missing or wrong; reload the page and try again")]
    Csrf,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A service Slipway depends on (AWS) refused or failed; the message says why in plain words.
    #[error("{message}")]
    Upstream { code: &'static str, message: String },
    #[error("too many failed sign-in attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Error::Internal(error.into())
    }
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized | Error::InvalidToken | Error::WrongCredentials => StatusCode::UNAUTHORIZED,
            Error::Csrf | Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict { .. } => StatusCode::CONFLICT,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Upstream { .. } => StatusCode::BAD_GATEWAY,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => "validation_failed",
            Error::BadRequest(_) => "bad_request",
            Error::Unauthorized => "unauthorized",
            Error::InvalidToken => "invalid_token",
            Error::WrongCredentials => "wrong_credentials",
            Error::Csrf => "csrf_failed",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::Conflict { code, .. } | Error::Upstream { code, .. } => code,
            Error::RateLimited { .. } => "rate_limited",
            Error::Internal(_) => "internal",
        }
    }

    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            Error::Validation(fields) => Some(fields),
            _ => None,
        }
    }

    /// The message a person sees. Internal causes stay in the log.
    pub fn public_message(&self) -> String {
        if let Error::Internal(cause) = self {
            tracing::error!(error = ?cause, "internal error");
        }
        self.to_string()
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a FieldErrors>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code(), message: self.public_message(), fields: self.fields() },
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let Error::RateLimited { retry_after_secs } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if matches!(self, Error::Unauthorized | Error::InvalidToken) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"slipway\""));
        }
        response
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
