//! One deployment, start to end. `run` reads like a runbook: one line per
//! step, each step recorded (start, end, outcome) and logged.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bollard::Docker;
use sqlx::SqlitePool;
use tokio_util::sync::CancellationToken;

use super::ecs::{self, Ecs};
use super::image::{self, BuildPlan};
use super::queue::QueuedDeployment;
use super::source::{self, Checkout, SourceRequest};
use super::{DeployHub, DeployLog, Failure, context};
use crate::apps::{self, App, AppCredentials, RepoPath};
use crate::config::Config;
use crate::edge;
use crate::state::AppState;
use crate::targets::ecs::Aws;
use crate::targets::ecs::target;
use crate::targets::local::{self, Replica, RunPlan};
use crate::time_fmt::{now, now_ms};

/// Steps in order, with the deployment status each one shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Clone,
    Build,
    Push,
    Deploy,
    Verify,
    Retire,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Clone => "clone",
            Step::Build => "build",
            Step::Push => "push",
            Step::Deploy => "deploy",
            Step::Verify => "verify",
            Step::Retire => "retire",
        }
    }

    /// The deployment's status while the step runs (retire runs once Live).
    fn status(self) -> Option<&'static str> {
        match self {
            Step::Clone => Some("cloning"),
            Step::Build => Some("building"),
            Step::Push => Some("pushing"),
            Step::Deploy => Some("deploying"),
            Step::Verify => Some("verifying"),
            Step::Retire => None,
        }
    }
}

/// The deployment's runbook on this machine's Docker engine.
async fn run(run: &Run, app: &App) -> Result<(), Failure> {
    let image = match run.deployment.rollback_of {
        Some(target) => run.reuse_image_of(target).await?,
        None => {
            let source = run.step(Step::Clone, checkout(run, app)).await?;
            let image = run.step(Step::Build, build(run, app, &source)).await?;
            run.step(Step::Push, push(run, app, &image, &source)).await?;
            image
        }
    };
    let release = run.step(Step::Deploy, start(run, app, &image)).await?;
    if let Err(failure) = run.step(Step::Verify, verify(run, app, &release)).await {
        run.discard(&release).await;
        return Err(failure);
    }
    run.go_live(app, &release).await?;
    run.step(Step::Retire, retire(run, app)).await
}

/// The deployment's runbook on an AWS target: the same clone and build; the
/// image goes to ECR, a new task definition revision to the ECS service, and
/// ECS replaces the tasks behind the load balancer.
async fn run_on_ecs(run: &Run, ecs: &Ecs, app: &App) -> Result<(), Failure> {
    let release = match run.deployment.rollback_of {
        Some(target) => ecs::Release::Revision(run.reuse_revision_of(target, ecs).await?),
        None => {
            let source = run.step(Step::Clone, checkout(run, app)).await?;
            let image = run.step(Step::Build, build(run, app, &source)).await?;
            ecs::Release::Image(run.step(Step::Push, ecs::push(run, ecs, app, &image, &source)).await?)
        }
    };
    let task_definition = run.step(Step::Deploy, ecs::deploy(run, ecs, app, release)).await?;
    run.step(Step::Verify, ecs::verify(run, ecs, app, &task_definition)).await?;
    run.mark_live(app, &ecs.target.app_url(&app.name)).await?;
    run.log.line(format!("Live: {} is served by the new tasks.", ecs.target.app_url(&app.name))).await;
    run.step(Step::Retire, ecs::retire(run, ecs, app)).await
}

/// Everything a running deployment needs.
pub struct Run {
    pub deployment: QueuedDeployment,
    pub(super) db: SqlitePool,
    config: std::sync::Arc<Config>,
    pub(super) hub: std::sync::Arc<DeployHub>,
    pub(super) log: DeployLog,
    pub(super) cancel: CancellationToken,
    pub(super) docker: Docker,
    installation: String,
    credentials: AppCredentials,
    /// The app's variables (secrets decrypted), read once per deployment.
    pub(super) env: Vec<apps::DeployVar>,
    skip_reason: Mutex<Option<String>>,
}

/// Runs a claimed deployment to its end and records how it ended.
pub async fn execute(state: &AppState, deployment: QueuedDeployment) {
    let id = deployment.id;
    let log = DeployLog::new(state.db.clone(), state.hub.logs.clone(), id);
    let cancel = state.hub.start(id);
    crate::notify::emit(state, id, crate::notify::Event::Started).await;
    let rollback = deployment.rollback_of.is_some();
    let outcome = prepare_and_run(state, deployment, log.clone(), cancel).await;
    state.hub.finish(id);
    if outcome.is_ok() {
        // Finished once the old release is retired (it went Live before that).
        let event = if rollback { crate::notify::Event::RolledBack } else { crate::notify::Event::Live };
        crate::notify::emit(state, id, event).await;
        if let Err(error) = sqlx::query("UPDATE deployments SET finished_at = ? WHERE id = ?")
            .bind(now())
            .bind(id)
            .execute(&state.db)
            .await
        {
            tracing::error!(deployment = id, %error, "recording the end of a deployment failed");
        }
    }
    if let Err(failure) = outcome {
        let status = if failure.cancelled { "cancelled" } else { "failed" };
        log.line(format!("✗ {}", failure.message)).await;
        let recorded = sqlx::query("UPDATE deployments SET status = ?, error = ?, finished_at = ? WHERE id = ?")
            .bind(status)
            .bind(&failure.message)
            .bind(now())
            .bind(id)
            .execute(&state.db)
            .await;
        if let Err(error) = recorded {
            tracing::error!(deployment = id, %error, "recording a failed deployment failed");
        }
        if !failure.cancelled {
            crate::notify::emit(state, id, crate::notify::Event::Failed).await;
        }
        tracing::info!(deployment = id, status, reason = %failure.message, "deployment ended");
    }
    state.hub.logs.notify(id);
}

async fn prepare_and_run(
    state: &AppState,
    deployment: QueuedDeployment,
    log: DeployLog,
    cancel: CancellationToken,
) -> Result<(), Failure> {
    let name: String = sqlx::query_scalar("SELECT name FROM apps WHERE id = ?")
        .bind(deployment.app_id)
        .fetch_one(&state.db)
        .await
        .map_err(crate::Error::from)?;
    let app = apps::get_app(&state.db, &name).await?;
    let ecs = match target::of_app(&state.db, app.id).await? {
        None => None,
        Some(target_name) => {
            let access = target::access(&state.db, &state.secrets, &target_name).await?;
            let aws = Aws::connect(&access).await?;
            Some(Ecs { aws, target: access.target })
        }
    };
    let place = match &ecs {
        None => "on this machine's Docker engine".to_owned(),
        Some(ecs) => {
            format!("on AWS target {} (ECS cluster {} in {})", ecs.target.name, ecs.target.cluster, ecs.target.region)
        }
    };
    sqlx::query("UPDATE deployments SET target = ? WHERE id = ?")
        .bind(ecs.as_ref().map_or(apps::LOCAL_TARGET, |e| e.target.name.as_str()))
        .bind(deployment.id)
        .execute(&state.db)
        .await
        .map_err(crate::Error::from)?;
    log.line(format!(
        "Deployment #{} of {} ({} by {}), {place}",
        deployment.id, app.name, deployment.trigger, deployment.requested_by
    ))
    .await;
    let docker = state.hub.docker().await?;
    let credentials = apps::credentials(&state.db, &state.secrets, app.id).await?;
    let env = apps::runtime_env(&state.db, &state.secrets, app.id).await?;
    let run_ctx = Run {
        deployment,
        db: state.db.clone(),
        config: state.config.clone(),
        hub: state.hub.clone(),
        log,
        cancel,
        docker,
        installation: state.installation.to_string(),
        credentials,
        env,
        skip_reason: Mutex::new(None),
    };
    match &ecs {
        None => run(&run_ctx, &app).await,
        Some(ecs) => run_on_ecs(&run_ctx, ecs, &app).await,
    }
}

impl Run {
    /// Runs one step: status, step row, log lines, cancel, outcome.
    pub(super) async fn step<T>(
        &self,
        step: Step,
        work: impl Future<Output = Result<T, Failure>>,
    ) -> Result<T, Failure> {
        if self.cancel.is_cancelled() {
            return Err(Failure::cancelled());
        }
        let started = now_ms();
        self.begin(step, started).await?;
        self.log.line(format!("── {} ──", step.name())).await;
        let result = tokio::select! {
            result = work => result,
            () = self.cancel.cancelled() => Err(Failure::cancelled()),
        };
        let elapsed = now_ms() - started;
        let skipped = self.skip_reason.lock().unwrap_or_else(|e| e.into_inner()).take();
        let (outcome, detail) = match (&result, skipped) {
            (Ok(_), Some(reason)) => ("skipped", Some(reason)),
            (Ok(_), None) => ("done", None),
            (Err(f), _) if f.cancelled => ("cancelled", None),
            (Err(f), _) => ("failed", Some(f.message.clone())),
        };
        self.end(step, outcome, detail.as_deref()).await?;
        if result.is_ok() {
            let seconds = elapsed as f64 / 1000.0;
            match &detail {
                Some(reason) => self.log.line(format!("   skipped: {reason}")).await,
                None => self.log.line(format!("   {} done in {seconds:.1} s", step.name())).await,
            }
        }
        result
    }

    async fn begin(&self, step: Step, started: i64) -> Result<(), Failure> {
        if let Some(status) = step.status() {
            sqlx::query("UPDATE deployments SET status = ? WHERE id = ?")
                .bind(status)
                .bind(self.deployment.id)
                .execute(&self.db)
                .await
                .map_err(crate::Error::from)?;
        }
        sqlx::query(
            "INSERT OR REPLACE INTO deployment_steps (deployment_id, step, outcome, started_at) VALUES (?, ?, 'running', ?)",
        )
        .bind(self.deployment.id)
        .bind(step.name())
        .bind(started)
        .execute(&self.db)
        .await
        .map_err(crate::Error::from)?;
        self.hub.logs.notify(self.deployment.id);
        Ok(())
    }

    async fn end(&self, step: Step, outcome: &str, detail: Option<&str>) -> Result<(), Failure> {
        sqlx::query(
            "UPDATE deployment_steps SET outcome = ?, detail = ?, finished_at = ? WHERE deployment_id = ? AND step = ?",
        )
        .bind(outcome)
        .bind(detail)
        .bind(now_ms())
        .bind(self.deployment.id)
        .bind(step.name())
        .execute(&self.db)
        .await
        .map_err(crate::Error::from)?;
        Ok(())
    }

    /// Marks the running step as skipped, with the reason.
    pub(super) fn skip(&self, reason: impl Into<String>) {
        *self.skip_reason.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason.into());
    }

    pub(super) async fn record(&self, column_sets: &str, values: &[Option<&str>]) -> Result<(), Failure> {
        let sql = format!("UPDATE deployments SET {column_sets} WHERE id = ?");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in values {
            query = query.bind(value.map(str::to_owned));
        }
        query.bind(self.deployment.id).execute(&self.db).await.map_err(crate::Error::from)?;
        Ok(())
    }

    /// A rollback runs the image of an earlier Live deployment: no clone, build or push.
    async fn reuse_image_of(&self, target: i64) -> Result<String, Failure> {
        let earlier = super::history::get(&self.db, target).await?;
        let image = earlier
            .image
            .clone()
            .ok_or_else(|| Failure::new(format!("Deployment #{target} has no image to roll back to.")))?;
        if self.docker.inspect_image(&image).await.is_err() {
            return Err(Failure::new(format!(
                "The image {image} of deployment #{target} is no longer on this engine; deploy its commit again instead."
            )));
        }
        self.record(
            "commit_sha = ?, commit_message = ?, commit_author = ?, image = ?, image_digest = ?",
            &[
                earlier.commit_sha.as_deref(),
                earlier.commit_message.as_deref(),
                earlier.commit_author.as_deref(),
                Some(&image),
                earlier.image_digest.as_deref(),
            ],
        )
        .await?;
        self.log
            .line(format!("Rolling back to deployment #{target}: running {image} again (no clone, no build)."))
            .await;
        self.skip_rebuild(target).await?;
        Ok(image)
    }

    /// A rollback records clone, build and push as skipped.
    async fn skip_rebuild(&self, target: i64) -> Result<(), Failure> {
        for step in [Step::Clone, Step::Build, Step::Push] {
            self.begin(step, now_ms()).await?;
            self.end(step, "skipped", Some(&format!("rollback to #{target}"))).await?;
        }
        Ok(())
    }

    /// Removes a release that will not serve (unhealthy, cancelled).
    async fn discard(&self, release: &[Replica]) {
        let containers: Vec<String> = release.iter().map(|r| r.container.clone()).collect();
        self.log.line(format!("Removing the new replicas: {}", containers.join(", "))).await;
        local::remove(&self.docker, &self.db, &containers).await;
    }

    /// Records the deployment Live at `url` and the app's live deployment, in one transaction.
    async fn mark_live(&self, app: &App, url: &str) -> Result<(), Failure> {
        let mut tx = self.db.begin().await.map_err(crate::Error::from)?;
        sqlx::query("UPDATE deployments SET status = 'live', url = ? WHERE id = ?")
            .bind(url)
            .bind(self.deployment.id)
            .execute(&mut *tx)
            .await
            .map_err(crate::Error::from)?;
        sqlx::query("UPDATE apps SET live_deployment_id = ? WHERE id = ?")
            .bind(self.deployment.id)
            .bind(app.id)
            .execute(&mut *tx)
            .await
            .map_err(crate::Error::from)?;
        tx.commit().await.map_err(crate::Error::from)?;
        // Cancelling ends here: the release is live.
        self.hub.finish(self.deployment.id);
        tracing::info!(deployment = self.deployment.id, app = %app.name, "deployment live");
        Ok(())
    }

    /// Switches the app's route to the new release in one step and records it Live.
    async fn go_live(&self, app: &App, release: &[Replica]) -> Result<(), Failure> {
        let addrs: Vec<_> = release.iter().map(|r| r.addr).collect();
        let version = edge::set_route(&self.db, &app.name, self.deployment.id, &addrs).await?;
        let url = self.config.app_url(&app.name);
        self.mark_live(app, &url).await?;
        edge::status::request_reload(self.config.edge_admin).await;
        let applied =
            edge::status::wait_applied(self.config.edge_admin, version, Instant::now() + Duration::from_secs(5)).await;
        if applied {
            self.log.line(format!("Live: the edge proxy now sends {url} to the new release.")).await;
        } else {
            self.log
                .line(format!(
                    "Live: route saved. The edge proxy at {} did not confirm it; it applies the route when it runs.",
                    self.config.edge_admin
                ))
                .await;
        }
        Ok(())
    }

    /// A rollback on ECS runs an earlier Live deployment's task definition
    /// again: no clone, build or push.
    async fn reuse_revision_of(&self, target: i64, ecs: &Ecs) -> Result<String, Failure> {
        type Row =
            (Option<String>, String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);
        let (revision, on, sha, message, author, image, digest): Row = sqlx::query_as(
            "SELECT task_definition_arn, target, commit_sha, commit_message, commit_author, image, image_digest
             FROM deployments WHERE id = ?",
        )
        .bind(target)
        .fetch_one(&self.db)
        .await
        .map_err(crate::Error::from)?;
        let revision = revision.filter(|_| on == ecs.target.name).ok_or_else(|| {
            Failure::new(format!(
                "Deployment #{target} did not run on the AWS target {}; deploy its commit again instead.",
                ecs.target.name
            ))
        })?;
        self.record(
            "commit_sha = ?, commit_message = ?, commit_author = ?, image = ?, image_digest = ?",
            &[sha.as_deref(), message.as_deref(), author.as_deref(), image.as_deref(), digest.as_deref()],
        )
        .await?;
        self.log
            .line(format!(
                "Rolling back to deployment #{target}: the service goes back to task definition {} (no clone, no build).",
                crate::targets::ecs::checks::short(&revision)
            ))
            .await;
        self.skip_rebuild(target).await?;
        Ok(revision)
    }
}

pub(super) async fn checkout(run: &Run, app: &App) -> Result<Checkout, Failure> {
    let request = SourceRequest {
        url: app.repo_url.clone(),
        branch: app.branch.clone(),
        commit: run.deployment.requested_commit.clone(),
    };
    run.log
        .line(match &request.commit {
            Some(sha) => format!("Fetching commit {sha} from {}", request.url),
            None => format!("Fetching branch {} from {}", request.branch, request.url),
        })
        .await;
    let dir = run.config.source_cache_dir().join(&app.name);
    let credentials = run.credentials.clone();
    let deadline = Instant::now() + Duration::from_secs(run.config.clone_timeout_secs);
    let cancel = run.cancel.clone();
    let url = request.url.clone();
    let fetch = tokio::task::spawn_blocking(move || source::checkout(&dir, &request, &credentials, deadline, &cancel));
    // libgit2 checks the deadline only while data flows; a host that never
    // answers is caught here (the blocked thread ends when its socket does).
    let limit = Duration::from_secs(run.config.clone_timeout_secs + 5);
    let source = match tokio::time::timeout(limit, fetch).await {
        Ok(joined) => joined.map_err(|e| Failure::new(format!("The checkout stopped unexpectedly: {e}")))??,
        Err(_) => {
            return Err(Failure::new(format!(
                "Fetching {url} took too long and was stopped; is the git host answering?"
            )));
        }
    };
    run.log.line(format!("Commit {} — {} ({})", &source.commit[..12], source.message, source.author)).await;
    run.record(
        "commit_sha = ?, commit_message = ?, commit_author = ?",
        &[Some(&source.commit), Some(&source.message), Some(&source.author)],
    )
    .await?;
    Ok(source)
}

pub(super) async fn build(run: &Run, app: &App, source: &Checkout) -> Result<String, Failure> {
    let plan = BuildPlan {
        app: app.name.clone(),
        commit: source.commit.clone(),
        dockerfile: app.dockerfile.clone(),
        context: app.build_context.clone(),
        build_args: run.env.iter().filter(|v| v.build_time).map(|v| (v.name.clone(), v.value.clone())).collect(),
        memory_mb: run.config.build_memory_mb,
    };
    let tag = plan.tag();
    run.record("image = ?", &[Some(&tag)]).await?;
    if image::existing_build(&run.docker, &run.db, &plan).await {
        run.skip(format!("{tag} was already built from this commit with these settings"));
        return Ok(tag);
    }
    let dir: PathBuf = source.dir.clone();
    let (build_context, dockerfile) = (parse_path(&app.build_context)?, parse_path(&app.dockerfile)?);
    let packed = tokio::task::spawn_blocking(move || context::pack(&dir, &build_context, &dockerfile))
        .await
        .map_err(|e| Failure::new(format!("Packing the build context stopped unexpectedly: {e}")))??;
    run.log
        .line(format!(
            "Building {tag} from {} ({} files, {} KB context, memory cap {} MB)",
            app.dockerfile,
            packed.files,
            packed.tar.len() / 1024,
            plan.memory_mb
        ))
        .await;
    let timeout = Duration::from_secs(run.config.build_timeout_secs);
    match tokio::time::timeout(timeout, image::build(&run.docker, &plan, &packed.dockerfile, packed.tar, &run.log))
        .await
    {
        Ok(result) => result?,
        Err(_) => {
            return Err(Failure::new(format!("The build took longer than {} s and was stopped.", timeout.as_secs())));
        }
    }
    image::record_build(&run.docker, &run.db, &plan).await?;
    Ok(tag)
}

fn parse_path(raw: &str) -> Result<RepoPath, Failure> {
    RepoPath::parse(raw, "path").map_err(|(_, message)| Failure::new(message))
}

async fn push(run: &Run, app: &App, image: &str, source: &Checkout) -> Result<(), Failure> {
    let Some(registry) = &run.credentials.registry else {
        run.skip("no registry configured for this app");
        return Ok(());
    };
    run.log.line(format!("Pushing to {}", registry.as_str())).await;
    let target = image::PushTarget {
        registry,
        username: run.credentials.registry_username.as_deref(),
        password: run.credentials.registry_password.as_deref(),
    };
    let (reference, digest) = image::push(&run.docker, &target, image, &app.name, &source.commit, &run.log).await?;
    run.log.line(format!("Pushed {reference} {}", digest.as_deref().unwrap_or(""))).await;
    run.record("image_digest = ?", &[digest.as_deref()]).await
}

async fn start(run: &Run, app: &App, image: &str) -> Result<Vec<Replica>, Failure> {
    let plan = RunPlan {
        installation: run.installation.clone(),
        app: app.name.clone(),
        app_id: app.id,
        deployment_id: run.deployment.id,
        image: image.to_owned(),
        port: app.port,
        replicas: app.replicas,
        env: run.env.iter().map(|v| (v.name.clone(), v.value.clone())).collect(),
        cpus: app.cpus,
        memory_mb: app.memory_mb,
        network: run.config.docker_network.clone(),
    };
    let replicas = local::start_replicas(&run.docker, &run.db, &plan).await?;
    for replica in &replicas {
        run.log.line(format!("Started {} on {}", replica.container, replica.addr)).await;
    }
    Ok(replicas)
}

async fn verify(run: &Run, app: &App, release: &[Replica]) -> Result<(), Failure> {
    run.log
        .line(format!(
            "Waiting up to {} s for GET {} to answer 2xx/3xx on every replica",
            app.health_timeout_secs, app.health_path
        ))
        .await;
    let deadline = Instant::now() + Duration::from_secs(u64::from(app.health_timeout_secs));
    local::wait_healthy(&run.docker, release, &app.health_path, deadline, &run.cancel).await?;
    run.log.line(format!("All {} replicas are healthy.", release.len())).await;
    Ok(())
}

/// Drains and stops the replicas of earlier releases. The new release is
/// already live: a problem here is logged, never a failed deployment.
async fn retire(run: &Run, app: &App) -> Result<(), Failure> {
    let recorded = match local::replicas_of(&run.db, app.id).await {
        Ok(recorded) => recorded,
        Err(error) => {
            tracing::error!(%error, "listing the replicas to retire failed");
            run.log
                .line("Could not list the previous release's containers; they are removed at the next restart.")
                .await;
            return Ok(());
        }
    };
    let old: Vec<Replica> = recorded
        .into_iter()
        .filter(|(deployment, _)| *deployment != run.deployment.id)
        .map(|(_, replica)| replica)
        .collect();
    if old.is_empty() {
        run.skip("no earlier release to retire");
        return Ok(());
    }
    let addrs: Vec<_> = old.iter().map(|r| r.addr).collect();
    let deadline = Instant::now() + Duration::from_secs(run.config.drain_timeout_secs);
    if !edge::status::wait_drained(run.config.edge_admin, &addrs, deadline).await {
        run.log
            .line(format!(
                "Some requests to the old release were still running after {} s; stopping it anyway.",
                run.config.drain_timeout_secs
            ))
            .await;
    }
    let containers: Vec<String> = old.into_iter().map(|r| r.container).collect();
    local::remove(&run.docker, &run.db, &containers).await;
    run.log.line(format!("Stopped the previous release: {}", containers.join(", "))).await;
    Ok(())
}
