//! A private registry: Debian's `docker-registry` on loopback with htpasswd auth.
//! Loopback registries are "insecure" to the engine by default, so plain HTTP works.

use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::service::{self, Service};

pub struct TestRegistry {
    /// `127.0.0.1:PORT`, the prefix of image names pushed here.
    pub address: String,
    pub username: String,
    pub password: String,
    _service: Service,
}

/// The registry of this test run (started on first use).
pub fn registry() -> &'static TestRegistry {
    static REGISTRY: OnceLock<TestRegistry> = OnceLock::new();
    REGISTRY.get_or_init(start)
}

fn start() -> TestRegistry {
    let program = service::find_program("docker-registry", &["/usr/bin/docker-registry"])
        .expect("docker-registry is not installed; run `scripts/setup.sh test`");
    let dir = service::scratch_dir("slipway-registry-");
    let (username, password) = ("slipway".to_owned(), "registry-secret".to_owned());
    let htpasswd = dir.join("htpasswd");
    let status = Command::new("htpasswd")
        .args(["-Bbc", &htpasswd.display().to_string(), &username, &password])
        .output()
        .expect("running htpasswd (apache2-utils)");
    assert!(status.status.success(), "htpasswd failed: {}", String::from_utf8_lossy(&status.stderr));
    // moto's ECR token (user AWS): the registry stands in for the ECR endpoint.
    let ecr = Command::new("htpasswd")
        .args(["-Bb", &htpasswd.display().to_string(), "AWS", crate::moto::ECR_PASSWORD])
        .output()
        .expect("running htpasswd (apache2-utils)");
    assert!(ecr.status.success(), "htpasswd failed: {}", String::from_utf8_lossy(&ecr.stderr));
    let port = service::free_port();
    let config = format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n\
         http:\n  addr: 127.0.0.1:{port}\n  secret: slipway-test\nauth:\n  htpasswd:\n    realm: slipway-test\n    path: {htpasswd}\n",
        storage = dir.join("storage").display(),
        htpasswd = htpasswd.display(),
    );
    let config_path = dir.join("config.yml");
    std::fs::write(&config_path, config).expect("writing registry config");
    let log = dir.join("registry.log");
    let service = service::start("registry", &program, &["serve", &config_path.display().to_string()], &[], &log);
    service::wait_for_port("registry", port, Duration::from_secs(30), &log);
    TestRegistry { address: format!("127.0.0.1:{port}"), username, password, _service: service }
}
