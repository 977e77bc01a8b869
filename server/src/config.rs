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

    /// Deployments run at once (across apps; one at a time per app).
    #[arg(long, global = true, env = "SLIPWAY_WORKERS", default_value_t = 2)]
    pub workers: usize,

    /// Apps are served at `<app>.<base domain>` by the edge proxy.
    #[arg(long, global = true, env = "SLIPWAY_BASE_DOMAIN", default_value = "localhost")]
    pub base_domain: String,

    /// Address the edge proxy (the local load balancer) listens on.
    #[arg(long, global = true, env = "SLIPWAY_EDGE_LISTEN", default_value = "127.0.0.1:8000")]
    pub edge_listen: SocketAddr,

    /// Loopback address of the edge proxy's status endpoint (route version, in-flight requests).
    #[arg(long, global = true, env = "SLIPWAY_EDGE_ADMIN", default_value = "127.0.0.1:8001")]
    pub edge_admin: SocketAddr,

    /// `spawn`: `slipway serve` starts the edge proxy as its own process when it isn't running;
    /// `external`: you run `slipway edge` yourself (e.g. a second container).
    #[arg(long, global = true, env = "SLIPWAY_EDGE", value_enum, default_value_t = EdgeMode::Spawn)]
    pub edge: EdgeMode,

    /// The Docker network Slipway's containers join.
    #[arg(long, global = true, env = "SLIPWAY_DOCKER_NETWORK", default_value = "slipway")]
    pub docker_network: String,

    /// Memory cap of one image build, in MB (protects the host).
    #[arg(long, global = true, env = "SLIPWAY_BUILD_MEMORY_MB", default_value_t = 2048)]
    pub build_memory_mb: u64,

    /// A build running longer than this fails.
    #[arg(long, global = true, env = "SLIPWAY_BUILD_TIMEOUT_SECS", default_value_t = 1800)]
    pub build_timeout_secs: u64,

    /// A clone or fetch running longer than this fails.
    #[arg(long, global = true, env = "SLIPWAY_CLONE_TIMEOUT_SECS", default_value_t = 300)]
    pub clone_timeout_secs: u64,

    /// How long old replicas may finish in-flight requests after a switch.
    #[arg(long, global = true, env = "SLIPWAY_DRAIN_TIMEOUT_SECS", default_value_t = 30)]
    pub drain_timeout_secs: u64,

    /// A JSON price table for AWS cost estimates (region, as_of, vcpu_hour,
    /// gb_hour, alb_hour, lcu_hour); defaults to us-east-1 prices of 2026-06.
    #[arg(long, global = true, env = "SLIPWAY_AWS_PRICES")]
    pub aws_prices: Option<PathBuf>,

    /// The first retry of a failed notification waits this long; each next one twice as long.
    #[arg(long, global = true, env = "SLIPWAY_NOTIFY_RETRY_BASE_MS", default_value_t = 1000)]
    pub notify_retry_base_ms: u64,

    /// Log format.
    #[arg(long, global = true, env = "SLIPWAY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EdgeMode {
    Spawn,
    External,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    /// The AWS price table: the configured file, or the built-in defaults.
    pub fn price_table(&self) -> anyhow::Result<crate::targets::ecs::PriceTable> {
        match &self.aws_prices {
            None => Ok(crate::targets::ecs::PriceTable::default()),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("reading the price table {}: {e}", path.display()))?;
                serde_json::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("the price table {} is not valid: {e}", path.display()))
            }
        }
    }

    /// A configuration for tests and embedding: everything default but the data dir.
    pub fn with_data_dir(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: Url::parse("http://localhost:3000").expect("static URL parses"),
            site_root: PathBuf::from("target/site"),
            secret_key: None,
            workers: 2,
            base_domain: "localhost".into(),
            edge_listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            edge_admin: SocketAddr::from(([127, 0, 0, 1], 8001)),
            edge: EdgeMode::External,
            docker_network: "slipway".into(),
            build_memory_mb: 2048,
            build_timeout_secs: 1800,
            clone_timeout_secs: 300,
            drain_timeout_secs: 30,
            aws_prices: None,
            notify_retry_base_ms: 1000,
            log_format: LogFormat::Text,
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The URL an app is served at through the edge proxy.
    pub fn app_url(&self, app: &str) -> String {
        match self.edge_listen.port() {
            80 => format!("http://{app}.{}", self.base_domain),
            port => format!("http://{app}.{}:{port}", self.base_domain),
        }
    }

    /// Per-app git checkouts, reused across deployments.
    pub fn source_cache_dir(&self) -> PathBuf {
        self.data_dir.join("sources")
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("slipway.db")
    }
}
