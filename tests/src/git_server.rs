//! A git server: lighttpd running `git http-backend` over the repositories tests
//! create; they are reachable over HTTP (shallow and by-SHA fetches allowed) and
//! as `file://` URLs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::service::{self, Service};

pub struct GitServer {
    /// `http://127.0.0.1:PORT/git`
    pub base_url: String,
    /// Where the bare repositories live.
    pub root: PathBuf,
    _service: Service,
}

/// A repository a test created.
pub struct TestRepo {
    pub name: String,
    pub http_url: String,
    pub file_url: String,
    pub bare_path: PathBuf,
    /// A working copy to commit more changes from.
    pub work_dir: PathBuf,
}

/// Every repository is also served under `/private/…`, behind basic auth with these credentials.
pub const PRIVATE_USER: &str = "x-access-token";
pub const PRIVATE_TOKEN: &str = "git-secret-token";

pub fn git_server() -> &'static GitServer {
    static SERVER: OnceLock<GitServer> = OnceLock::new();
    SERVER.get_or_init(start)
}

fn http_backend() -> String {
    if Path::new("/usr/lib/git-core/git-http-backend").is_file() {
        return "/usr/lib/git-core/git-http-backend".into();
    }
    let exec_path = Command::new("git").arg("--exec-path").output().expect("running git");
    format!("{}/git-http-backend", String::from_utf8_lossy(&exec_path.stdout).trim())
}

fn start() -> GitServer {
    let program = service::find_program("lighttpd", &["/usr/sbin/lighttpd"])
        .expect("lighttpd is not installed; run `scripts/setup.sh test`");
    let dir = service::scratch_dir("slipway-git-");
    let root = dir.join("repos");
    std::fs::create_dir_all(&root).expect("creating the repository root");
    let port = service::free_port();
    let config = format!(
        r#"server.modules = ("mod_alias", "mod_cgi", "mod_setenv", "mod_auth", "mod_authn_file")
server.document-root = "{root}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{dir}/lighttpd-error.log"
alias.url = ("/git" => "{backend}", "/private" => "{backend}")
auth.backend = "plain"
auth.backend.plain.userfile = "{dir}/git-users"
auth.require = ("/private" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
$HTTP["url"] =~ "^/(git|private)" {{
  cgi.assign = ("" => "")
  setenv.add-environment = ("GIT_PROJECT_ROOT" => "{root}", "GIT_HTTP_EXPORT_ALL" => "1")
}}
"#,
        root = root.display(),
        dir = dir.display(),
        backend = http_backend(),
    );
    std::fs::write(dir.join("git-users"), format!("{PRIVATE_USER}:{PRIVATE_TOKEN}\n")).expect("writing git-users");
    let config_path = dir.join("lighttpd.conf");
    std::fs::write(&config_path, config).expect("writing lighttpd.conf");
    let log = dir.join("lighttpd.log");
    let service = service::start("git server", &program, &["-D", "-f", &config_path.display().to_string()], &[], &log);
    service::wait_for_port("git server", port, Duration::from_secs(30), &log);
    GitServer { base_url: format!("http://127.0.0.1:{port}/git"), root, _service: service }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=Slipway Test",
            "-c",
            "user.email=test@slipway.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running git");
    assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

impl GitServer {
    /// Creates a repository with `files` (path, contents) committed on `main`.
    pub fn create_repo(&self, files: &[(&str, &[u8])]) -> TestRepo {
        let name = crate::unique("repo");
        let work_dir = service::scratch_dir("slipway-work-");
        git(&work_dir, &["init", "-q"]);
        let repo = TestRepo {
            http_url: format!("{}/{name}.git", self.base_url),
            bare_path: self.root.join(format!("{name}.git")),
            file_url: format!("file://{}", self.root.join(format!("{name}.git")).display()),
            name,
            work_dir,
        };
        repo.commit(files, "initial commit");
        git(
            &self.root,
            &["clone", "-q", "--bare", &repo.work_dir.display().to_string(), &repo.bare_path.display().to_string()],
        );
        git(&repo.bare_path, &["config", "uploadpack.allowReachableSHA1InWant", "true"]);
        git(&repo.bare_path, &["config", "http.receivepack", "true"]);
        git(&repo.work_dir, &["remote", "add", "origin", &repo.bare_path.display().to_string()]);
        repo
    }
}

impl TestRepo {
    /// The same repository over HTTP behind basic auth (`PRIVATE_USER` / `PRIVATE_TOKEN`).
    pub fn private_url(&self) -> String {
        self.http_url.replacen("/git/", "/private/", 1)
    }

    /// Writes `files`, commits them, and returns the commit SHA.
    pub fn commit(&self, files: &[(&str, &[u8])], message: &str) -> String {
        for (path, contents) in files {
            let path = self.work_dir.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("creating directories");
            }
            std::fs::write(&path, contents).expect("writing a file");
            if contents.starts_with(b"\x7fELF") {
                // Executables (the fixture's busybox) keep their exec bit in git.
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            }
        }
        git(&self.work_dir, &["add", "-A"]);
        git(&self.work_dir, &["commit", "-q", "--allow-empty", "-m", message]);
        git(&self.work_dir, &["rev-parse", "HEAD"])
    }

    /// Commits and pushes to the served repository.
    pub fn push(&self, files: &[(&str, &[u8])], message: &str) -> String {
        let sha = self.commit(files, message);
        git(&self.work_dir, &["push", "-q", "origin", "HEAD:main"]);
        sha
    }
}
