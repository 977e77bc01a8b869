//! `moto_server`: the AWS APIs (ECR, ECS, ELBv2, EC2, IAM, CloudWatch Logs) on loopback.
//! It checks calls and stores state; it runs no containers.

use std::sync::OnceLock;
use std::time::Duration;

use crate::service::{self, Service};
use crate::workspace_root;

pub struct Moto {
    /// `http://127.0.0.1:PORT`: the endpoint override for every AWS client.
    pub endpoint: String,
    _service: Service,
}

/// The account moto answers for, and the password inside the ECR token it hands out
/// (the test registry accepts it, standing in for the ECR endpoint).
pub const ACCOUNT: &str = "123456789012";
pub const ECR_PASSWORD: &str = "123456789012-auth-token";

pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(start)
}

fn start() -> Moto {
    let venv = workspace_root().join(".tools/venv/bin/moto_server");
    let program = service::find_program("moto_server", &[&venv.display().to_string()])
        .expect("moto_server is not installed; run `scripts/setup.sh test`");
    let dir = service::scratch_dir("slipway-moto-");
    let port = service::free_port();
    let log = dir.join("moto.log");
    // Services report their tasks running, so rollouts complete (moto runs no containers).
    // AWS managed IAM policies exist (AmazonECSTaskExecutionRolePolicy), as in a real account.
    let envs = [("MOTO_ECS_SERVICE_RUNNING", "20"), ("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")];
    let service = service::start("moto", &program, &["-H", "127.0.0.1", "-p", &port.to_string()], &envs, &log);
    service::wait_for_port("moto", port, Duration::from_secs(60), &log);
    Moto { endpoint: format!("http://127.0.0.1:{port}"), _service: service }
}
