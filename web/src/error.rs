//! `UiError`: what a server function reports to a page — a code, a sentence,
//! per-field messages, and the submitted values so a failed form loses nothing
//! (also when it was posted without JavaScript and came back through a redirect).

use std::collections::BTreeMap;
use std::fmt;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UiError {
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    #[serde(default)]
    pub input: BTreeMap<String, String>,
}

impl UiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), ..Self::default() }
    }

    pub fn field(mut self, field: &str, message: impl Into<String>) -> Self {
        self.fields.insert(field.into(), message.into());
        self
    }

    /// Echo the submitted values (never passwords or secrets) back to the form.
    pub fn with_input<'a>(mut self, input: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.input.extend(input.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
        self
    }

    pub fn field_error(&self, field: &str) -> Option<String> {
        self.fields.get(field).cloned()
    }

    pub fn is_unauthorized(&self) -> bool {
        self.code == "unauthorized"
    }
}

impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let message = match &value {
            ServerFnErrorErr::Request(_) => {
                "Slipway could not be reached; check your connection and try again.".to_owned()
            }
            ServerFnErrorErr::Args(e) | ServerFnErrorErr::Deserialization(e) => {
                format!("The form could not be read: {e}")
            }
            other => format!("Something went wrong: {other}"),
        };
        Self::new("request_failed", message)
    }
}

#[cfg(feature = "ssr")]
impl From<slipway_server::Error> for UiError {
    fn from(error: slipway_server::Error) -> Self {
        let mut ui = UiError::new(error.code(), error.public_message());
        if let Some(fields) = error.fields() {
            ui.fields = fields.0.iter().map(|(name, e)| (name.clone(), e.message.clone())).collect();
            ui.message = "Some fields need attention.".into();
        }
        ui
    }
}
