//! The AWS ECS Fargate target (issue: AWS target). So far only its pure
//! pieces: valid Fargate task sizes and the monthly cost estimate. The SDK
//! calls (provisioning, deploy, rollout tracking) come next; `requests` builds
//! the AWS requests they will send.

pub mod pricing;
pub mod requests;
pub mod sizing;

pub use pricing::{CostEstimate, PriceTable};
pub use sizing::TaskSize;
