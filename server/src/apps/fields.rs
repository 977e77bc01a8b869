//! Domain newtypes. Each `parse` returns a `(code, message)` pair on refusal; the
//! message is written for the person filling in the form.

use std::fmt;
use std::path::{Component, Path};

pub type Refusal = (&'static str, String);

/// An app's name: a DNS label (it becomes `<name>.<base domain>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppName(String);

impl AppName {
    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        let name = raw.trim();
        let refuse = |why: &str| {
            Err((
                "invalid_app_name",
                format!("{why} Use 1–63 lowercase letters, digits and hyphens, e.g. \"billing-api\"."),
            ))
        };
        if name.is_empty() {
            return refuse("The name is empty.");
        }
        if name.len() > 63 {
            return refuse("The name is too long.");
        }
        if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return refuse("The name may only contain lowercase letters, digits and hyphens.");
        }
        if name.starts_with('-') || name.ends_with('-') {
            return refuse("The name cannot start or end with a hyphen.");
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the source lives: https/http/ssh/git URLs, scp-style `user@host:path`,
/// `file://` URLs and absolute local paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoUrl(String);

impl RepoUrl {
    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        let value = raw.trim();
        let hint = "Use an https://, http://, ssh:// or file:// URL, git@host:owner/repo, or an absolute path.";
        if value.is_empty() {
            return Err(("invalid_repo_url", format!("The repository URL is empty. {hint}")));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(("invalid_repo_url", format!("The repository URL contains spaces. {hint}")));
        }
        if value.contains('\\') {
            return Err(("invalid_repo_url", format!("The repository URL contains a backslash. {hint}")));
        }
        if value.starts_with('/') {
            return Ok(Self(value.to_owned()));
        }
        if let Some((scheme, _)) = value.split_once("://") {
            return match scheme {
                "https" | "http" | "ssh" | "git" | "file" => match url::Url::parse(value) {
                    Ok(url) if scheme == "file" || url.host_str().is_some_and(|h| !h.is_empty()) => {
                        Ok(Self(value.to_owned()))
                    }
                    _ => Err(("invalid_repo_url", format!("\"{value}\" is not a valid URL. {hint}"))),
                },
                other => {
                    Err(("unsupported_repo_scheme", format!("\"{other}://\" repositories are not supported. {hint}")))
                }
            };
        }
        // scp-like: [user@]host:path, where host has no slash before the colon.
        if let Some((host_part, path)) = value.split_once(':') {
            let host = host_part.rsplit('@').next().unwrap_or(host_part);
            if !host.is_empty() && !host.contains('/') && !path.is_empty() && !path.starts_with("//") {
                return Ok(Self(value.to_owned()));
            }
        }
        Err(("invalid_repo_url", format!("\"{value}\" is not a repository URL. {hint}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A branch name, checked against git's ref-name rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch(String);

impl Branch {
    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        let name = raw.trim();
        let bad = name.is_empty()
            || name.len() > 255
            || name.starts_with(['-', '/', '.'])
            || name.ends_with(['/', '.'])
            || name.ends_with(".lock")
            || name.contains("..")
            || name.contains("//")
            || name.contains("@{")
            || name == "@"
            || name.chars().any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c));
        if bad {
            return Err((
                "invalid_branch",
                format!("\"{name}\" is not a valid git branch name, e.g. \"main\" or \"release/2.0\"."),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A path inside the repository (Dockerfile, build context): relative, normalised,
/// never leaving the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoPath(String);

impl RepoPath {
    pub fn parse(raw: &str, what: &str) -> Result<Self, Refusal> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(("invalid_path", format!("The {what} is empty.")));
        }
        if value.contains('\0') || value.contains('\\') {
            return Err(("invalid_path", format!("The {what} contains characters that are not allowed.")));
        }
        let mut parts = Vec::new();
        for component in Path::new(value).components() {
            match component {
                Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
                Component::CurDir => {}
                Component::ParentDir => {
                    return Err((
                        "path_outside_repo",
                        format!("The {what} \"{value}\" points outside the repository; use a path inside it."),
                    ));
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err((
                        "path_outside_repo",
                        format!("The {what} must be relative to the repository root, not \"{value}\"."),
                    ));
                }
            }
        }
        Ok(Self(if parts.is_empty() { ".".into() } else { parts.join("/") }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An environment variable's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EnvName(String);

impl EnvName {
    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        let name = raw.trim();
        let valid = !name.is_empty()
            && name.len() <= 255
            && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid {
            Ok(Self(name.to_owned()))
        } else {
            Err((
                "invalid_env_name",
                format!(
                    "\"{name}\" is not a valid variable name; use letters, digits and underscores, not starting with a digit."
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names_are_dns_labels() {
        for good in ["a", "billing-api", "app2", &"x".repeat(63)] {
            assert!(AppName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "-a", "a-", "Billing", "a_b", "a.b", "ü", &"x".repeat(64)] {
            assert_eq!(AppName::parse(bad).unwrap_err().0, "invalid_app_name", "{bad}");
        }
    }

    #[test]
    fn repo_urls_in_every_supported_form() {
        for good in [
            "https://github.com/acme/shop.git",
            "http://127.0.0.1:8080/git/shop.git",
            "ssh://git@github.com/acme/shop.git",
            "git@github.com:acme/shop.git",
            "deploy@git.internal:shop",
            "file:///srv/git/shop.git",
            "/srv/git/shop",
        ] {
            assert!(RepoUrl::parse(good).is_ok(), "{good}");
        }
        assert_eq!(RepoUrl::parse("ftp://x/y").unwrap_err().0, "unsupported_repo_scheme");
        for bad in ["", "shop", "https://", "has space.git", "./relative", "C:\\x"] {
            assert!(RepoUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn branches_follow_git_rules() {
        for good in ["main", "release/2.0", "feat-x"] {
            assert!(Branch::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "-x", "a..b", "a b", "x.lock", "a:b", "/a", "a/", "a~1", "@"] {
            assert!(Branch::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn repo_paths_stay_inside_the_repository() {
        assert_eq!(RepoPath::parse("./docker/Dockerfile", "x").unwrap().as_str(), "docker/Dockerfile");
        assert_eq!(RepoPath::parse(".", "x").unwrap().as_str(), ".");
        assert_eq!(RepoPath::parse("../x", "x").unwrap_err().0, "path_outside_repo");
        assert_eq!(RepoPath::parse("a/../../x", "x").unwrap_err().0, "path_outside_repo");
        assert_eq!(RepoPath::parse("/etc/passwd", "x").unwrap_err().0, "path_outside_repo");
        assert!(RepoPath::parse("", "x").is_err());
    }

    #[test]
    fn env_names() {
        assert!(EnvName::parse("DATABASE_URL").is_ok());
        assert!(EnvName::parse("_x1").is_ok());
        for bad in ["", "1X", "A-B", "A B"] {
            assert!(EnvName::parse(bad).is_err(), "{bad}");
        }
    }
}

/// Where images are pushed: `host[:port][/namespace]`, e.g. `registry.example.com/team`.
/// A leading `https://` or `http://` is dropped (the engine picks the scheme).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryAddress(String);

impl RegistryAddress {
    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        let value = raw.trim().trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
        let refuse = |why: &str| {
            Err((
                "invalid_registry",
                format!("{why} Write host[:port][/namespace], e.g. \"registry.example.com/team\"."),
            ))
        };
        if value.is_empty() {
            return refuse("The registry address is empty.");
        }
        let (host, namespace) = value.split_once('/').unwrap_or((value, ""));
        let host_ok =
            host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)) && !host.starts_with(['-', '.']);
        let namespace_ok = namespace.split('/').all(|part| {
            namespace.is_empty()
                || (!part.is_empty()
                    && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b)))
        });
        if !host_ok || !namespace_ok || value.len() > 255 {
            return refuse(&format!("\"{value}\" is not a registry address."));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host part, as the engine's credentials want it (`serveraddress`).
    pub fn host(&self) -> &str {
        self.0.split_once('/').map_or(self.0.as_str(), |(host, _)| host)
    }
}

#[cfg(test)]
mod registry_tests {
    use super::RegistryAddress;

    #[test]
    fn registry_addresses() {
        let parsed = RegistryAddress::parse(" https://127.0.0.1:5000/team/ ").unwrap();
        assert_eq!(parsed.as_str(), "127.0.0.1:5000/team");
        assert_eq!(parsed.host(), "127.0.0.1:5000");
        assert!(RegistryAddress::parse("").is_err());
        assert!(RegistryAddress::parse("reg istry").is_err());
        assert!(RegistryAddress::parse("host/Team").is_err());
    }
}
