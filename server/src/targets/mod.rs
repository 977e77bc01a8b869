//! Where apps run. `local` is the embedded default: the Docker engine on this
//! machine, behind Slipway's edge proxy.

pub mod ecs;
pub mod local;
