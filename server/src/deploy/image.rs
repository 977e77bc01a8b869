//! Images on the local engine: build (streamed into the deployment log,
//! skipped when an identical build exists) and push to a registry.

use std::collections::HashMap;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{
    BuildImageOptions, BuildImageOptionsBuilder, PushImageOptionsBuilder, TagImageOptionsBuilder,
};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

use super::Failure;
use super::logs::DeployLog;
use crate::apps::RegistryAddress;

/// Label on every container and network Slipway makes.
pub const MANAGED_LABEL: &str = "io.slipway.managed";

/// What a build needs, gathered by the pipeline.
#[derive(Debug, Clone)]
pub struct BuildPlan {
    pub app: String,
    pub commit: String,
    pub dockerfile: String,
    pub context: String,
    pub build_args: Vec<(String, String)>,
    pub memory_mb: u64,
}

impl BuildPlan {
    /// `slipway/<app>:<commit>` — the commit makes a rollback a re-run, no rebuild.
    pub fn tag(&self) -> String {
        format!("slipway/{}:{}", self.app, self.commit)
    }

    /// Identical inputs give an identical key: the build can be skipped.
    pub fn build_key(&self) -> String {
        let mut hash = Sha256::new();
        for part in [&self.commit, &self.dockerfile, &self.context] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        let mut args = self.build_args.clone();
        args.sort();
        for (name, value) in args {
            hash.update(name.as_bytes());
            hash.update([b'=']);
            hash.update(value.as_bytes());
            hash.update([0]);
        }
        hex::encode(&hash.finalize()[..16])
    }
}

/// The engine's build request (pure; unit-tested). No labels: with the classic
/// builder each label is one more build step (~60 ms); the build key is kept in
/// SQLite instead (`builds`).
pub fn build_options(plan: &BuildPlan, dockerfile_in_context: &str) -> BuildImageOptions {
    let memory = i32::try_from(plan.memory_mb.saturating_mul(1024 * 1024)).unwrap_or(i32::MAX);
    let build_args: HashMap<String, String> = plan.build_args.iter().cloned().collect();
    BuildImageOptionsBuilder::new()
        .dockerfile(dockerfile_in_context)
        .t(&plan.tag())
        .rm(true)
        // A failed build leaves no container behind.
        .forcerm(true)
        .memory(memory)
        .memswap(memory)
        .buildargs(&build_args)
        .build()
}

/// Whether the engine still has the image this exact build made.
pub async fn existing_build(docker: &Docker, db: &SqlitePool, plan: &BuildPlan) -> bool {
    let recorded: Option<(String, String)> = sqlx::query_as("SELECT build_key, image_id FROM builds WHERE tag = ?")
        .bind(plan.tag())
        .fetch_optional(db)
        .await
        .ok()
        .flatten();
    let Some((key, image_id)) = recorded else { return false };
    key == plan.build_key()
        && docker.inspect_image(&plan.tag()).await.ok().and_then(|i| i.id).is_some_and(|id| id == image_id)
}

/// Records a finished build (see `existing_build`).
pub async fn record_build(docker: &Docker, db: &SqlitePool, plan: &BuildPlan) -> Result<(), Failure> {
    let image_id = docker
        .inspect_image(&plan.tag())
        .await
        .ok()
        .and_then(|i| i.id)
        .ok_or_else(|| Failure::new("The build ended without producing an image; see the log above."))?;
    sqlx::query("INSERT OR REPLACE INTO builds (tag, build_key, image_id, created_at) VALUES (?, ?, ?, ?)")
        .bind(plan.tag())
        .bind(plan.build_key())
        .bind(image_id)
        .bind(crate::time_fmt::now())
        .execute(db)
        .await
        .map_err(crate::Error::from)?;
    Ok(())
}

/// Builds `tar` as the plan's tag, streaming the builder's output into `log`.
pub async fn build(
    docker: &Docker,
    plan: &BuildPlan,
    dockerfile_in_context: &str,
    tar: Vec<u8>,
    log: &DeployLog,
) -> Result<(), Failure> {
    let options = build_options(plan, dockerfile_in_context);
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(tar.into())));
    let mut partial = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(text) = info.stream {
                    partial.push_str(&text);
                    // Write whole lines as they complete; keep the rest for the next chunk.
                    if let Some(end) = partial.rfind('\n') {
                        let complete: String = partial.drain(..=end).collect();
                        log.line(complete).await;
                    }
                }
                if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                    log.line(&detail).await;
                    return Err(Failure::new(format!("The build failed: {detail}")));
                }
            }
            Err(error) => {
                log.line(&partial).await;
                let message = engine_message(&error);
                log.line(&message).await;
                return Err(Failure::new(format!("The build failed: {message}")));
            }
        }
    }
    log.line(&partial).await;
    Ok(())
}

/// The Docker engine's own words for an error.
pub fn engine_message(error: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    match error {
        E::DockerResponseServerError { message, .. } => message.clone(),
        E::DockerStreamError { error } => error.clone(),
        E::DockerContainerWaitError { error, .. } => error.clone(),
        other => other.to_string(),
    }
}

/// `<registry>/<app>:<commit>`.
pub fn registry_reference(registry: &RegistryAddress, app: &str, commit: &str) -> (String, String) {
    (format!("{}/{app}", registry.as_str()), commit.to_owned())
}

/// Tags the local image for the registry and pushes it; returns the pushed
/// reference and its digest when the registry reports one.
/// Where and as whom an image is pushed.
pub struct PushTarget<'a> {
    pub registry: &'a RegistryAddress,
    pub username: Option<&'a str>,
    pub password: Option<&'a str>,
}

pub async fn push(
    docker: &Docker,
    target: &PushTarget<'_>,
    local_tag: &str,
    app: &str,
    commit: &str,
    log: &DeployLog,
) -> Result<(String, Option<String>), Failure> {
    let PushTarget { registry, username, password } = *target;
    let (repository, tag) = registry_reference(registry, app, commit);
    docker
        .tag_image(local_tag, Some(TagImageOptionsBuilder::new().repo(&repository).tag(&tag).build()))
        .await
        .map_err(|e| Failure::new(format!("Tagging the image for {repository} failed: {}", engine_message(&e))))?;
    let credentials = DockerCredentials {
        username: username.map(str::to_owned),
        password: password.map(str::to_owned),
        serveraddress: Some(registry.host().to_owned()),
        ..DockerCredentials::default()
    };
    let mut stream =
        docker.push_image(&repository, Some(PushImageOptionsBuilder::new().tag(&tag).build()), Some(credentials));
    let mut digest = None;
    let reference = format!("{repository}:{tag}");
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| push_failure(&reference, &engine_message(&e)))?;
        if let Some(message) = info.error_detail.and_then(|d| d.message) {
            return Err(push_failure(&reference, &message));
        }
        if let Some(status) = info.status {
            if let Some(found) = status.split_whitespace().find(|w| w.starts_with("sha256:")) {
                digest = Some(found.to_owned());
            }
            // Layer progress lines are noise; keep the ones that say something.
            if info.progress_detail.is_none() || status.contains("digest") {
                log.line(&status).await;
            }
        }
    }
    Ok((reference, digest))
}

fn push_failure(reference: &str, message: &str) -> Failure {
    let lower = message.to_lowercase();
    let hint =
        if lower.contains("unauthorized") || lower.contains("authentication required") || lower.contains("denied") {
            " The registry refused the credentials; check the app's registry user and password."
        } else if lower.contains("connection refused") || lower.contains("no such host") || lower.contains("timeout") {
            " The registry could not be reached; check its address."
        } else {
            ""
        };
    Failure::new(format!("Pushing {reference} failed: {message}.{hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> BuildPlan {
        BuildPlan {
            app: "shop".into(),
            commit: "a".repeat(40),
            dockerfile: "Dockerfile".into(),
            context: ".".into(),
            build_args: vec![("B".into(), "2".into()), ("A".into(), "1".into())],
            memory_mb: 512,
        }
    }

    #[test]
    fn build_request() {
        let options = build_options(&plan(), "Dockerfile");
        assert_eq!(options.t.as_deref(), Some(format!("slipway/shop:{}", "a".repeat(40)).as_str()));
        assert_eq!(options.dockerfile, "Dockerfile");
        assert!(options.forcerm && options.rm);
        assert_eq!(options.memory, Some(512 * 1024 * 1024));
        assert_eq!(options.memswap, options.memory, "no swap beyond the cap");
        let args = options.buildargs.unwrap();
        assert_eq!(args["A"], "1");
        assert!(options.labels.is_none(), "labels would add build steps");
    }

    #[test]
    fn huge_memory_caps_saturate() {
        let options = build_options(&BuildPlan { memory_mb: 1 << 20, ..plan() }, "Dockerfile");
        assert_eq!(options.memory, Some(i32::MAX));
    }

    #[test]
    fn build_key_ignores_arg_order_but_not_values() {
        let mut reordered = plan();
        reordered.build_args.reverse();
        assert_eq!(plan().build_key(), reordered.build_key());
        let mut changed = plan();
        changed.build_args[0].1 = "3".into();
        assert_ne!(plan().build_key(), changed.build_key());
    }

    #[test]
    fn push_errors_say_what_to_do() {
        let failure = push_failure("r/x:1", "unauthorized: authentication required");
        assert!(failure.message.contains("refused the credentials"), "{}", failure.message);
    }
}
