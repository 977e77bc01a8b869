//! Child processes that live exactly as long as the test binary.
//!
//! Each is started under a small `sh` guard whose standard input is a pipe we
//! keep open forever: when the test binary exits (however it exits) the pipe
//! closes and the guard kills the service. No stray processes, no fixed sleeps.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

const GUARD: &str = r#""$@" & child=$!
read -r _ || true
kill "$child" 2>/dev/null
wait "$child" 2>/dev/null"#;

pub struct Service {
    pub name: String,
    _child: Child,
    _lifeline: ChildStdin,
}

/// Starts `program args…` with its output in `log`.
pub fn start(name: &str, program: &str, args: &[&str], envs: &[(&str, &str)], log: &Path) -> Service {
    let log_file = std::fs::File::create(log).unwrap_or_else(|e| panic!("creating {}: {e}", log.display()));
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(GUARD)
        .arg("sh")
        .arg(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(log_file.try_clone().expect("cloning a file handle"))
        .stderr(log_file);
    for (key, value) in envs {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap_or_else(|e| panic!("starting {name} ({program}): {e}"));
    let lifeline = child.stdin.take().expect("stdin is piped");
    Service { name: name.to_owned(), _child: child, _lifeline: lifeline }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("binding an ephemeral port")
}

/// Blocks until something accepts TCP connections on `port`, or panics after `timeout`.
pub fn wait_for_port(name: &str, port: u16, timeout: Duration, log: &Path) {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("{name} did not open port {port} within {timeout:?}; its log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Finds a program in PATH or in the given candidates.
pub fn find_program(name: &str, candidates: &[&str]) -> Option<String> {
    candidates.iter().map(|c| (*c).to_owned()).find(|c| Path::new(c).is_file()).or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
                .map(|p| p.display().to_string())
        })
    })
}

/// A directory that lives as long as the test binary.
pub fn scratch_dir(prefix: &str) -> std::path::PathBuf {
    let dir = tempfile::Builder::new().prefix(prefix).tempdir().expect("creating a temp dir");
    dir.keep()
}
