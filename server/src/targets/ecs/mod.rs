//! The AWS ECS Fargate target (issue: AWS target). So far its pure pieces,
//! each unit-tested: valid Fargate task sizes (`sizing`), the monthly cost
//! estimate (`pricing`), the AWS requests of a deploy (`requests`) and the
//! rollout tracker over DescribeServices answers (`rollout`). The SDK calls
//! (provisioning, push to ECR, deploy, teardown) come next.

pub mod pricing;
pub mod requests;
pub mod rollout;
pub mod sizing;

pub use pricing::{CostEstimate, PriceTable};
pub use sizing::TaskSize;
