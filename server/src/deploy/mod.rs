//! Deployments: the durable queue (a table, so a restart loses nothing).
//! The pipeline, worker and targets build on this.

pub mod queue;
