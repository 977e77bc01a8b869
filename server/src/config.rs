//! Configuration from flags and environment (clap).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use url::Url;

/// Settings for `slipway serve`.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Where Slipway keeps its SQLite database and generated keys.
    #[arg(long, global = true, env = "SLIPWAY_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Address the dashboard and API listen on.
    #[arg(long, global = true, env = "SLIPWAY_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// The URL people use to reach the dashboard; cookies are `Secure` when it is https.
    #[arg(long, global = true, env = "SLIPWAY_PUBLIC_URL", default_value = "http://localhost:3000")]
    pub public_url: Url,

    /// Directory holding the built site (`pkg/` with the wasm bundle and CSS).
    #[arg(long, global = true, env = "SLIPWAY_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// 32-byte key (base64) that encrypts secrets at rest. Generated into the data dir when unset.
    #[arg(long, global = true, env = "SLIPWAY_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Log format.
    #[arg(long, global = true, env = "SLIPWAY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// A configuration for tests and embedding: everything default but the data dir.
    pub fn with_data_dir(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: Url::parse("http://localhost:3000").expect("static URL parses"),
            site_root: PathBuf::from("target/site"),
            secret_key: None,
            log_format: LogFormat::Text,
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("slipway.db")
    }
}
