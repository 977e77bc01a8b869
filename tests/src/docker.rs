//! The local Docker engine (through bollard) and the fixture app image.
//!
//! No image can be pulled here, so the fixture is built `FROM scratch` with
//! Debian's static busybox: `httpd` serves `/www` on port 8080.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateContainerOptionsBuilder, InspectContainerOptions, RemoveContainerOptionsBuilder,
};
use futures::StreamExt;
use tokio::sync::OnceCell;

/// Label on everything the tests create, so a clean-up can find it.
pub const TEST_LABEL: &str = "io.slipway.test";
pub const FIXTURE_PORT: u16 = 8080;

/// A client for this test's runtime (clients are cheap; connections are per runtime).
pub async fn docker() -> Docker {
    let client = Docker::connect_with_local_defaults().expect("configuring the Docker client");
    client.negotiate_version().await.expect(
        "the Docker engine does not answer on /var/run/docker.sock; run `scripts/setup.sh test`, which starts dockerd",
    )
}

/// Files of a minimal web app: a Dockerfile building FROM scratch with busybox,
/// serving `index.html` (containing `body`) and `healthz` on port 8080.
pub fn busybox_app_files(body: &str) -> Vec<(String, Vec<u8>)> {
    let busybox = std::fs::read("/bin/busybox").expect("/bin/busybox (Debian's busybox-static) is missing");
    vec![
        (
            "Dockerfile".into(),
            b"FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
              COPY www /www\nEXPOSE 8080\nCMD [\"/bin/httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n"
                .to_vec(),
        ),
        ("busybox".into(), busybox),
        ("www/index.html".into(), body.as_bytes().to_vec()),
        ("www/healthz".into(), b"ok\n".to_vec()),
    ]
}

/// A tar archive of `files`, as the engine wants a build context.
pub fn tar_context(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut archive = tar::Builder::new(Vec::new());
    for (path, contents) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(if path == "busybox" { 0o755 } else { 0o644 });
        header.set_cksum();
        archive.append_data(&mut header, path, contents.as_slice()).expect("adding to the tar archive");
    }
    archive.into_inner().expect("finishing the tar archive")
}

/// Builds `files` as image `tag`; returns the build's output lines or its error.
pub async fn build_image(docker: &Docker, tag: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<String>, String> {
    let options = BuildImageOptionsBuilder::new()
        .t(tag)
        .rm(true)
        .forcerm(true)
        .labels(&HashMap::from([(TEST_LABEL, "1")]))
        .build();
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(tar_context(files).into())));
    let mut lines = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => lines.extend(info.stream),
            Err(error) => return Err(error.to_string()),
        }
    }
    Ok(lines)
}

/// The fixture image, built once per test binary.
pub async fn fixture_image() -> &'static str {
    static IMAGE: OnceCell<String> = OnceCell::const_new();
    IMAGE
        .get_or_init(|| async {
            let tag = "slipway-test/fixture:latest".to_owned();
            build_image(&docker().await, &tag, &busybox_app_files("fixture ok\n"))
                .await
                .unwrap_or_else(|e| panic!("building the fixture image failed: {e}"));
            tag
        })
        .await
}

/// A running container whose port 8080 is published on 127.0.0.1.
pub struct TestContainer {
    pub name: String,
    pub host_port: u16,
}

pub async fn run_published(docker: &Docker, image: &str) -> TestContainer {
    let name = crate::unique("slipway-test");
    let port_key = format!("{FIXTURE_PORT}/tcp");
    let body = ContainerCreateBody {
        image: Some(image.to_owned()),
        labels: Some(HashMap::from([(TEST_LABEL.to_owned(), "1".to_owned())])),
        exposed_ports: Some(vec![port_key.clone()]),
        host_config: Some(HostConfig {
            port_bindings: Some(HashMap::from([(
                port_key.clone(),
                Some(vec![PortBinding { host_ip: Some("127.0.0.1".into()), host_port: Some(String::new()) }]),
            )])),
            // busybox as PID 1 ignores SIGTERM; an init makes stops quick.
            init: Some(true),
            ..HostConfig::default()
        }),
        ..ContainerCreateBody::default()
    };
    docker
        .create_container(Some(CreateContainerOptionsBuilder::new().name(&name).build()), body)
        .await
        .expect("creating a container");
    docker.start_container(&name, None).await.expect("starting a container");
    let inspected =
        docker.inspect_container(&name, None::<InspectContainerOptions>).await.expect("inspecting a container");
    let host_port = inspected
        .network_settings
        .and_then(|n| n.ports)
        .and_then(|ports| ports.get(&port_key).cloned().flatten())
        .and_then(|bindings| bindings.into_iter().find_map(|b| b.host_port))
        .and_then(|p| p.parse().ok())
        .expect("the container's published port");
    TestContainer { name, host_port }
}

pub async fn remove_container(docker: &Docker, name: &str) {
    let _ = docker.remove_container(name, Some(RemoveContainerOptionsBuilder::new().force(true).build())).await;
}
