//! The local target: an app's replicas as containers on the Docker engine,
//! published on 127.0.0.1 (an ephemeral port each) for the edge proxy and the
//! health checks.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, HostConfig, NetworkCreateRequest, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use futures::StreamExt;
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sqlx::SqlitePool;
use tokio_util::sync::CancellationToken;

use crate::deploy::Failure;
use crate::deploy::image::{MANAGED_LABEL, engine_message};
use crate::time_fmt::now;

pub const APP_LABEL: &str = "io.slipway.app";
pub const DEPLOYMENT_LABEL: &str = "io.slipway.deployment";
pub const INSTALLATION_LABEL: &str = "io.slipway.installation";

/// How to run one release.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// This installation's id (several can share an engine).
    pub installation: String,
    pub app: String,
    pub app_id: i64,
    pub deployment_id: i64,
    pub image: String,
    pub port: u16,
    pub replicas: u32,
    pub env: Vec<(String, String)>,
    pub cpus: Option<f64>,
    pub memory_mb: Option<u32>,
    pub network: String,
}

/// A running container and where it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    pub container: String,
    pub addr: SocketAddr,
}

pub fn container_name(plan: &RunPlan, index: u32) -> String {
    format!("slipway-{}-{}-{}-{}", plan.installation, plan.app, plan.deployment_id, index + 1)
}

/// The engine's create request for replica `index` (pure; unit-tested).
pub fn container_config(plan: &RunPlan) -> ContainerCreateBody {
    let port_key = format!("{}/tcp", plan.port);
    ContainerCreateBody {
        image: Some(plan.image.clone()),
        env: Some(plan.env.iter().map(|(name, value)| format!("{name}={value}")).collect()),
        labels: Some(HashMap::from([
            (MANAGED_LABEL.to_owned(), "true".to_owned()),
            (INSTALLATION_LABEL.to_owned(), plan.installation.clone()),
            (APP_LABEL.to_owned(), plan.app.clone()),
            (DEPLOYMENT_LABEL.to_owned(), plan.deployment_id.to_string()),
        ])),
        exposed_ports: Some(vec![port_key.clone()]),
        host_config: Some(HostConfig {
            // Loopback only, an ephemeral port per replica: the edge proxy is the way in.
            port_bindings: Some(HashMap::from([(
                port_key,
                Some(vec![PortBinding { host_ip: Some("127.0.0.1".into()), host_port: Some(String::new()) }]),
            )])),
            network_mode: Some(plan.network.clone()),
            restart_policy: Some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                maximum_retry_count: None,
            }),
            memory: plan.memory_mb.map(|mb| i64::from(mb) * 1024 * 1024),
            nano_cpus: plan.cpus.map(|cpus| (cpus * 1e9) as i64),
            // An init process forwards signals (many app servers ignore SIGTERM as PID 1) and reaps zombies.
            init: Some(true),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    }
}

pub async fn ensure_network(docker: &Docker, name: &str) -> Result<(), Failure> {
    if docker.inspect_network(name, None).await.is_ok() {
        return Ok(());
    }
    let request = NetworkCreateRequest {
        name: name.to_owned(),
        driver: Some("bridge".into()),
        labels: Some(HashMap::from([(MANAGED_LABEL.to_owned(), "true".to_owned())])),
        ..NetworkCreateRequest::default()
    };
    match docker.create_network(request).await {
        Ok(_) => Ok(()),
        // Created meanwhile by another deployment.
        Err(_) if docker.inspect_network(name, None).await.is_ok() => Ok(()),
        Err(e) => Err(Failure::new(format!("Creating the Docker network \"{name}\" failed: {}", engine_message(&e)))),
    }
}

/// Creates and starts the release's replicas; records them in `replicas`.
pub async fn start_replicas(docker: &Docker, db: &SqlitePool, plan: &RunPlan) -> Result<Vec<Replica>, Failure> {
    ensure_network(docker, &plan.network).await?;
    let config = container_config(plan);
    let mut started = Vec::new();
    for index in 0..plan.replicas {
        let name = container_name(plan, index);
        let result = start_one(docker, &name, config.clone(), plan.port).await;
        match result {
            Ok(addr) => {
                sqlx::query(
                    "INSERT OR REPLACE INTO replicas (container, app_id, deployment_id, host_port, created_at) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&name)
                .bind(plan.app_id)
                .bind(plan.deployment_id)
                .bind(i64::from(addr.port()))
                .bind(now())
                .execute(db)
                .await
                .map_err(crate::Error::from)?;
                started.push(Replica { container: name, addr });
            }
            Err(failure) => {
                remove(docker, db, &started.iter().map(|r| r.container.clone()).chain([name]).collect::<Vec<_>>())
                    .await;
                return Err(failure);
            }
        }
    }
    Ok(started)
}

async fn start_one(docker: &Docker, name: &str, config: ContainerCreateBody, port: u16) -> Result<SocketAddr, Failure> {
    // A leftover with the same name (an interrupted attempt) is replaced.
    let _ = docker.remove_container(name, Some(RemoveContainerOptionsBuilder::new().force(true).build())).await;
    docker
        .create_container(Some(CreateContainerOptionsBuilder::new().name(name).build()), config)
        .await
        .map_err(|e| Failure::new(format!("Creating container {name} failed: {}", engine_message(&e))))?;
    docker
        .start_container(name, None)
        .await
        .map_err(|e| Failure::new(format!("Starting container {name} failed: {}", engine_message(&e))))?;
    let inspected = docker
        .inspect_container(name, None)
        .await
        .map_err(|e| Failure::new(format!("Inspecting container {name} failed: {}", engine_message(&e))))?;
    let host_port = inspected
        .network_settings
        .and_then(|n| n.ports)
        .and_then(|ports| ports.get(&format!("{port}/tcp")).cloned().flatten())
        .and_then(|bindings| bindings.into_iter().find_map(|b| b.host_port))
        .and_then(|p| p.parse::<u16>().ok())
        .ok_or_else(|| Failure::new(format!("Container {name} has no published port {port}; did it exit at once?")))?;
    Ok(SocketAddr::from(([127, 0, 0, 1], host_port)))
}

/// Polls every replica's health path until all answer 2xx/3xx, one exits, or the deadline passes.
pub async fn wait_healthy(
    docker: &Docker,
    replicas: &[Replica],
    health_path: &str,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<(), Failure> {
    let client: Client<_, Empty<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut healthy = vec![false; replicas.len()];
    let mut last_problem: HashMap<usize, String> = HashMap::new();
    loop {
        for (index, replica) in replicas.iter().enumerate() {
            if healthy[index] {
                continue;
            }
            let uri = format!("http://{}{}", replica.addr, health_path);
            let answer = tokio::time::timeout(
                Duration::from_secs(2),
                client.get(uri.parse().map_err(|_| Failure::new("bad health path"))?),
            )
            .await;
            match answer {
                Ok(Ok(response)) if response.status().is_success() || response.status().is_redirection() => {
                    healthy[index] = true
                }
                Ok(Ok(response)) => {
                    last_problem.insert(index, format!("{health_path} answered HTTP {}", response.status().as_u16()));
                }
                Ok(Err(error)) => {
                    last_problem.insert(index, format!("{health_path} did not answer ({error})"));
                }
                Err(_) => {
                    last_problem.insert(index, format!("{health_path} did not answer within 2 s"));
                }
            }
            if !healthy[index]
                && let Some(exit) = exited(docker, &replica.container).await
            {
                return Err(unhealthy(docker, replica, &format!("the container exited with code {exit}")).await);
            }
        }
        if healthy.iter().all(|h| *h) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let index = healthy.iter().position(|h| !h).unwrap_or(0);
            let why = last_problem.remove(&index).unwrap_or_else(|| "no answer".into());
            return Err(unhealthy(docker, &replicas[index], &format!("it never became healthy: {why}")).await);
        }
        tokio::select! {
            () = cancel.cancelled() => return Err(Failure::cancelled()),
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

async fn exited(docker: &Docker, container: &str) -> Option<i64> {
    let state = docker.inspect_container(container, None).await.ok()?.state?;
    match state.running {
        Some(false) => Some(state.exit_code.unwrap_or(-1)),
        _ => None,
    }
}

async fn unhealthy(docker: &Docker, replica: &Replica, why: &str) -> Failure {
    let tail = last_log_lines(docker, &replica.container, 20).await;
    let mut message =
        format!("The new release is not healthy: {} — {why}. The previous release keeps serving.", replica.container);
    if tail.is_empty() {
        message.push_str(" It wrote nothing to its log.");
    } else {
        message.push_str("\nIts last log lines:\n");
        message.push_str(&tail.join("\n"));
    }
    Failure::new(message)
}

/// The last `n` lines a container wrote (stdout and stderr).
pub async fn last_log_lines(docker: &Docker, container: &str, n: usize) -> Vec<String> {
    let options = LogsOptionsBuilder::new().stdout(true).stderr(true).tail(&n.to_string()).build();
    let mut stream = docker.logs(container, Some(options));
    let mut lines = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        lines.extend(String::from_utf8_lossy(&chunk.into_bytes()).lines().map(str::to_owned));
    }
    lines
}

/// Stops and removes containers (ignoring ones already gone) and forgets them.
pub async fn remove(docker: &Docker, db: &SqlitePool, containers: &[String]) {
    for name in containers {
        let _ = docker.stop_container(name, Some(StopContainerOptionsBuilder::new().t(10).build())).await;
        if let Err(error) =
            docker.remove_container(name, Some(RemoveContainerOptionsBuilder::new().force(true).build())).await
            && !matches!(error, bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })
        {
            tracing::warn!(container = %name, error = %engine_message(&error), "removing a container failed");
        }
        let _ = sqlx::query("DELETE FROM replicas WHERE container = ?").bind(name).execute(db).await;
    }
}

/// The app's recorded replicas, grouped by deployment.
pub async fn replicas_of(db: &SqlitePool, app_id: i64) -> crate::error::Result<Vec<(i64, Replica)>> {
    let rows: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT deployment_id, container, host_port FROM replicas WHERE app_id = ? ORDER BY container")
            .bind(app_id)
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(deployment, container, port)| {
            (
                deployment,
                Replica { container, addr: SocketAddr::from(([127, 0, 0, 1], u16::try_from(port).unwrap_or(0))) },
            )
        })
        .collect())
}

/// Removes containers no live release needs: left by a crash mid-deploy, or
/// by an app that was deleted. Runs at start-up.
pub async fn reconcile(docker: &Docker, db: &SqlitePool, installation: &str) -> crate::error::Result<usize> {
    let keep: Vec<(String,)> = sqlx::query_as(
        "SELECT r.container FROM replicas r JOIN apps a ON a.id = r.app_id AND a.live_deployment_id = r.deployment_id",
    )
    .fetch_all(db)
    .await?;
    let keep: std::collections::HashSet<String> = keep.into_iter().map(|(c,)| c).collect();
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&HashMap::from([("label", vec![format!("{INSTALLATION_LABEL}={installation}")])]))
        .build();
    let containers = docker.list_containers(Some(options)).await.map_err(|e| anyhow::anyhow!(engine_message(&e)))?;
    let stale: Vec<String> = containers
        .into_iter()
        .filter(|c| c.labels.as_ref().is_some_and(|l| l.contains_key(DEPLOYMENT_LABEL)))
        .filter_map(|c| c.names.and_then(|n| n.first().map(|n| n.trim_start_matches('/').to_owned())))
        .filter(|name| !keep.contains(name))
        .collect();
    remove(docker, db, &stale).await;
    sqlx::query(
        "DELETE FROM replicas WHERE NOT EXISTS (SELECT 1 FROM apps a WHERE a.id = replicas.app_id AND a.live_deployment_id = replicas.deployment_id)",
    )
    .execute(db)
    .await?;
    Ok(stale.len())
}

/// Recent output of the app's running replicas, for the app page.
pub async fn runtime_logs(
    docker: &Docker,
    db: &SqlitePool,
    app_id: i64,
    lines: usize,
) -> crate::error::Result<Vec<(String, Vec<String>)>> {
    let live: Option<i64> =
        sqlx::query_scalar("SELECT live_deployment_id FROM apps WHERE id = ?").bind(app_id).fetch_one(db).await?;
    let mut logs = Vec::new();
    for (deployment, replica) in replicas_of(db, app_id).await? {
        if Some(deployment) == live {
            let tail = last_log_lines(docker, &replica.container, lines).await;
            logs.push((replica.container, tail));
        }
    }
    Ok(logs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> RunPlan {
        RunPlan {
            installation: "ab12".into(),
            app: "shop".into(),
            app_id: 1,
            deployment_id: 7,
            image: "slipway/shop:abc".into(),
            port: 8080,
            replicas: 2,
            env: vec![("A".into(), "1".into())],
            cpus: Some(0.5),
            memory_mb: Some(256),
            network: "slipway".into(),
        }
    }

    #[test]
    fn container_request() {
        let body = container_config(&plan());
        assert_eq!(container_name(&plan(), 0), "slipway-ab12-shop-7-1");
        assert_eq!(body.env.unwrap(), vec!["A=1"]);
        let labels = body.labels.unwrap();
        assert_eq!(labels[APP_LABEL], "shop");
        assert_eq!(labels[DEPLOYMENT_LABEL], "7");
        let host = body.host_config.unwrap();
        let binding = &host.port_bindings.unwrap()["8080/tcp"].clone().unwrap()[0];
        assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"), "never published beyond loopback");
        assert_eq!(host.memory, Some(256 * 1024 * 1024));
        assert_eq!(host.nano_cpus, Some(500_000_000));
        assert_eq!(host.network_mode.as_deref(), Some("slipway"));
        assert_eq!(host.restart_policy.unwrap().name, Some(RestartPolicyNameEnum::UNLESS_STOPPED));
    }

    #[test]
    fn no_limits_when_unset() {
        let host = container_config(&RunPlan { cpus: None, memory_mb: None, ..plan() }).host_config.unwrap();
        assert_eq!((host.memory, host.nano_cpus), (None, None));
    }
}
