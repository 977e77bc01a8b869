//! The `slipway` binary itself: `slipway serve` on a fresh data directory
//! starts, spawns the edge proxy as its own process, and the edge keeps
//! serving when the dashboard is killed; a restarted dashboard reuses it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// GET `path` with `host`; the status code, or `None` when nothing answers.
fn get(addr: SocketAddr, host: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.split_whitespace().nth(1)?.parse().ok()
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Slipway {
    child: Child,
}

impl Drop for Slipway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// PIDs of `slipway edge` processes serving `data_dir`.
fn edge_pids(data_dir: &std::path::Path) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if args.iter().any(|a| a == "edge") && args.iter().any(|a| a == &data_dir.display().to_string()) {
            pids.push(pid);
        }
    }
    pids
}

#[test]
fn the_edge_runs_as_its_own_process_and_outlives_the_dashboard() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A data directory that doesn't exist yet, as on a fresh machine.
    let data_dir = dir.path().join("fresh").join("data");
    let (dashboard, edge, admin) = (free_port(), free_port(), free_port());
    let serve = || Slipway {
        child: Command::new(env!("CARGO_BIN_EXE_slipway"))
            .args(["serve", "--data-dir", &data_dir.display().to_string()])
            .args(["--listen", &format!("127.0.0.1:{dashboard}")])
            .args(["--edge-listen", &format!("127.0.0.1:{edge}"), "--edge-admin", &format!("127.0.0.1:{admin}")])
            .env("SLIPWAY_SITE_ROOT", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting slipway serve"),
    };
    let dashboard_addr = SocketAddr::from(([127, 0, 0, 1], dashboard));
    let edge_addr = SocketAddr::from(([127, 0, 0, 1], edge));
    let admin_addr = SocketAddr::from(([127, 0, 0, 1], admin));

    let first = serve();
    wait_for("the dashboard", || get(dashboard_addr, "localhost", "/healthz") == Some(200));
    wait_for("the edge's status endpoint", || get(admin_addr, "edge", "/status") == Some(200));
    assert_eq!(get(edge_addr, "nothing.localhost", "/"), Some(404), "the edge answers for unknown apps");
    let edges = edge_pids(&data_dir);
    assert_eq!(edges.len(), 1, "one edge process: {edges:?}");

    // Kill the dashboard: the edge keeps serving.
    drop(first);
    assert_eq!(get(dashboard_addr, "localhost", "/healthz"), None, "the dashboard is gone");
    assert_eq!(get(edge_addr, "nothing.localhost", "/"), Some(404), "the edge still answers");

    // A new dashboard finds the running edge and starts no second one.
    let second = serve();
    wait_for("the dashboard again", || get(dashboard_addr, "localhost", "/healthz") == Some(200));
    assert_eq!(edge_pids(&data_dir), edges, "the same edge process serves");
    drop(second);

    for pid in edges {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
}
