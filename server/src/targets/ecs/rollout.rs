//! Following an ECS rollout: DescribeServices until our deployment is
//! COMPLETED, FAILED (the circuit breaker may roll back), replaced, or the
//! deadline passes — with the service's new events and task counts streamed
//! into the deployment log. `describe` is passed in, so tests script the
//! answers (moto never moves a rollout along).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{DeploymentRolloutState, Service};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    InProgress { running: i32, desired: i32 },
    Completed,
    Failed { reason: String, rolled_back_to: Option<String> },
}

/// Where the rollout of `task_definition` stands in one DescribeServices answer.
pub fn assess(service: &Service, task_definition: &str) -> Rollout {
    let deployments = service.deployments();
    let primary = deployments.iter().find(|d| d.status() == Some("PRIMARY"));
    let ours = deployments.iter().find(|d| d.task_definition() == Some(task_definition));
    let other_primary =
        primary.and_then(|p| p.task_definition()).filter(|td| *td != task_definition).map(str::to_owned);
    match ours {
        // The service runs our revision but lists no deployment for it (an API
        // that doesn't track deployments, such as an emulator): judge by counts.
        None if service.task_definition() == Some(task_definition) => {
            let (running, desired) = (service.running_count(), service.desired_count());
            if desired > 0 && running >= desired && service.pending_count() == 0 {
                Rollout::Completed
            } else {
                Rollout::InProgress { running, desired }
            }
        }
        None => Rollout::Failed {
            reason: "ECS no longer runs this deployment (it was rolled back or replaced)".into(),
            rolled_back_to: other_primary,
        },
        Some(d) => match d.rollout_state() {
            Some(DeploymentRolloutState::Completed) if d.status() == Some("PRIMARY") => Rollout::Completed,
            Some(DeploymentRolloutState::Failed) => Rollout::Failed {
                reason: d.rollout_state_reason().unwrap_or("ECS marked the rollout FAILED").to_owned(),
                rolled_back_to: other_primary,
            },
            // Without the rollout state (older accounts): done when ours is the only deployment and fully running.
            None if deployments.len() == 1
                && d.status() == Some("PRIMARY")
                && d.desired_count() > 0
                && d.running_count() == d.desired_count()
                && d.pending_count() == 0 =>
            {
                Rollout::Completed
            }
            _ => Rollout::InProgress { running: d.running_count(), desired: d.desired_count() },
        },
    }
}

/// Follows the rollout until it ends. Events already listed at the start are
/// not repeated; newer ones go to `on_line`, oldest first, as do task counts.
pub async fn follow<F, Fut>(
    mut describe: F,
    task_definition: &str,
    deadline: Instant,
    interval: Duration,
    mut on_line: impl FnMut(String),
) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Service, String>>,
{
    let mut seen: Option<HashSet<String>> = None;
    let mut last_counts = None;
    loop {
        let service = describe().await?;
        let ids = service.events().iter().filter_map(|e| e.id().map(str::to_owned));
        match &mut seen {
            None => seen = Some(ids.collect()),
            Some(seen) => {
                for event in service.events().iter().rev() {
                    if let Some(id) = event.id()
                        && seen.insert(id.to_owned())
                    {
                        on_line(format!("ECS: {}", event.message().unwrap_or_default()));
                    }
                }
            }
        }
        match assess(&service, task_definition) {
            Rollout::Completed => {
                on_line("ECS: the rollout is COMPLETED.".into());
                return Ok(());
            }
            Rollout::Failed { reason, rolled_back_to } => {
                let back =
                    rolled_back_to.map(|td| format!(" ECS rolled the service back to {td}.")).unwrap_or_default();
                return Err(format!("The rollout failed: {reason}.{back}"));
            }
            Rollout::InProgress { running, desired } => {
                if last_counts != Some((running, desired)) {
                    on_line(format!("{running} of {desired} tasks running"));
                    last_counts = Some((running, desired));
                }
            }
        }
        if Instant::now() >= deadline {
            return Err(
                "The rollout did not finish before the deadline; ECS keeps the previous tasks serving until the new ones are healthy."
                    .into(),
            );
        }
        tokio::time::sleep(interval).await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use aws_sdk_ecs::types::{Deployment, ServiceEvent};

    use super::*;

    const NEW: &str = "arn:aws:ecs:us-east-1:123:task-definition/slipway-shop:2";
    const OLD: &str = "arn:aws:ecs:us-east-1:123:task-definition/slipway-shop:1";

    fn deployment(td: &str, status: &str, state: Option<DeploymentRolloutState>, running: i32) -> Deployment {
        Deployment::builder()
            .task_definition(td)
            .status(status)
            .set_rollout_state(state)
            .desired_count(2)
            .running_count(running)
            .build()
    }

    fn service(deployments: Vec<Deployment>, events: &[(&str, &str)]) -> Service {
        let mut builder = Service::builder().service_name("shop").set_deployments(Some(deployments));
        for (id, message) in events {
            builder = builder.events(ServiceEvent::builder().id(*id).message(*message).build());
        }
        builder.build()
    }

    async fn run(script: Vec<Service>, deadline: Instant) -> (Result<(), String>, Vec<String>) {
        let mut answers: VecDeque<Service> = script.into();
        let mut lines = Vec::new();
        let result = follow(
            || {
                let next = answers.pop_front().ok_or_else(|| "script ended".to_owned());
                async move { next }
            },
            NEW,
            deadline,
            Duration::ZERO,
            |line| lines.push(line),
        )
        .await;
        (result, lines)
    }

    fn in_progress(running: i32) -> Service {
        service(
            vec![
                deployment(NEW, "PRIMARY", Some(DeploymentRolloutState::InProgress), running),
                deployment(OLD, "ACTIVE", Some(DeploymentRolloutState::Completed), 2),
            ],
            &[("e1", "old event")],
        )
    }

    #[tokio::test]
    async fn a_rollout_that_completes() {
        let done = service(
            vec![deployment(NEW, "PRIMARY", Some(DeploymentRolloutState::Completed), 2)],
            &[("e2", "(service shop) has reached a steady state."), ("e1", "old event")],
        );
        let (result, lines) =
            run(vec![in_progress(0), in_progress(1), done], Instant::now() + Duration::from_secs(60)).await;
        assert_eq!(result, Ok(()));
        assert_eq!(
            lines,
            [
                "0 of 2 tasks running",
                "1 of 2 tasks running",
                "ECS: (service shop) has reached a steady state.",
                "ECS: the rollout is COMPLETED."
            ],
            "events listed before the deploy are not repeated"
        );
    }

    #[tokio::test]
    async fn a_failed_rollout_rolled_back_by_the_circuit_breaker() {
        let failed = service(
            vec![
                deployment(OLD, "PRIMARY", Some(DeploymentRolloutState::InProgress), 1),
                Deployment::builder()
                    .task_definition(NEW)
                    .status("ACTIVE")
                    .rollout_state(DeploymentRolloutState::Failed)
                    .rollout_state_reason("ECS deployment circuit breaker: tasks failed to start.")
                    .build(),
            ],
            &[("e3", "(service shop) rolling back to deployment ecs-svc/1."), ("e1", "old event")],
        );
        let (result, lines) = run(vec![in_progress(0), failed], Instant::now() + Duration::from_secs(60)).await;
        let error = result.unwrap_err();
        assert!(error.contains("circuit breaker: tasks failed to start"), "{error}");
        assert!(error.contains(&format!("rolled the service back to {OLD}")), "{error}");
        assert!(lines.iter().any(|l| l.contains("rolling back")), "{lines:?}");
    }

    #[tokio::test]
    async fn a_rollout_past_its_deadline() {
        let (result, _) = run(vec![in_progress(0), in_progress(0)], Instant::now()).await;
        assert!(result.unwrap_err().contains("did not finish before the deadline"));
    }

    #[test]
    fn completed_without_rollout_state_when_alone_and_fully_running() {
        let alone = service(vec![deployment(NEW, "PRIMARY", None, 2)], &[]);
        assert_eq!(assess(&alone, NEW), Rollout::Completed);
        let untracked = Service::builder()
            .task_definition(NEW)
            .desired_count(2)
            .running_count(2)
            .set_deployments(Some(vec![deployment(OLD, "PRIMARY", None, 2)]))
            .build();
        assert_eq!(assess(&untracked, NEW), Rollout::Completed, "the service runs our revision with every task");
        let replaced = service(vec![deployment(OLD, "PRIMARY", None, 2)], &[]);
        assert!(matches!(assess(&replaced, NEW), Rollout::Failed { rolled_back_to: Some(td), .. } if td == OLD));
    }
}
