//! The AWS ECS Fargate target: an app's image goes to ECR and runs as an ECS
//! service behind a shared Application Load Balancer.
//!
//! - `target`: AWS targets as data (region, credentials, network, load balancer).
//! - `clients`: the SDK clients of a target, AWS errors in plain words.
//! - `provision`: idempotent look-up-then-create of every resource; the same
//!   code, not applying, makes the plan.
//! - `requests`: the request objects (task definition, target group, rule, service), pure.
//! - `release`: push to ECR, register, update the service, follow, roll back.
//! - `teardown`, `drift`, `connection`: removing, checking and testing.
//! - `sizing`, `pricing`, `rollout`: Fargate sizes, cost estimate, rollout tracking.

pub mod checks;
pub mod clients;
pub mod operations;
pub mod plan;
pub mod pricing;
pub mod provision;
pub mod release;
pub mod requests;
pub mod rollout;
pub mod sizing;
pub mod target;
pub mod teardown;

pub use clients::{Aws, AwsError};
pub use pricing::{CostEstimate, PriceTable};
pub use sizing::TaskSize;
pub use target::{AwsTarget, TargetAccess, TargetDraft, TargetSpec};
