//! Git hosts' webhook deliveries: which host sent one, whether its signature
//! is right, and what the push says. Pure functions over headers and bodies,
//! tested against payloads shaped like each host's documented push events.

use hmac::{Hmac, Mac};
use http::HeaderMap;
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    GitHub,
    GitLab,
    /// Gitea and Forgejo.
    Gitea,
    Bitbucket,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::GitHub => "github",
            Provider::GitLab => "gitlab",
            Provider::Gitea => "gitea",
            Provider::Bitbucket => "bitbucket",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::GitHub => "GitHub",
            Provider::GitLab => "GitLab",
            Provider::Gitea => "Gitea",
            Provider::Bitbucket => "Bitbucket",
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// Which host sent the delivery (Gitea also sends GitHub's headers, so it is checked first).
pub fn detect(headers: &HeaderMap) -> Option<Provider> {
    if header(headers, "x-gitea-event").is_some() || header(headers, "x-forgejo-event").is_some() {
        Some(Provider::Gitea)
    } else if header(headers, "x-github-event").is_some() {
        Some(Provider::GitHub)
    } else if header(headers, "x-gitlab-event").is_some() {
        Some(Provider::GitLab)
    } else if header(headers, "x-event-key").is_some() {
        Some(Provider::Bitbucket)
    } else {
        None
    }
}

/// The event name and the delivery id the host gave.
pub fn event_and_delivery(provider: Provider, headers: &HeaderMap) -> (String, Option<String>) {
    let (event, delivery) = match provider {
        Provider::GitHub => ("x-github-event", "x-github-delivery"),
        Provider::GitLab => ("x-gitlab-event", "x-gitlab-event-uuid"),
        Provider::Gitea => {
            let event = if header(headers, "x-gitea-event").is_some() { "x-gitea-event" } else { "x-forgejo-event" };
            let delivery =
                if header(headers, "x-gitea-delivery").is_some() { "x-gitea-delivery" } else { "x-forgejo-delivery" };
            (event, delivery)
        }
        Provider::Bitbucket => ("x-event-key", "x-request-uuid"),
    };
    (header(headers, event).unwrap_or_default().to_owned(), header(headers, delivery).map(str::to_owned))
}

/// Why a delivery's signature was refused, in words for the host's delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    Missing(&'static str),
    Malformed(&'static str),
    Mismatch,
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureError::Missing(h) => {
                write!(f, "the {h} header is missing; set the webhook's secret on the git host")
            }
            SignatureError::Malformed(h) => write!(f, "the {h} header is not a hex HMAC-SHA256 signature"),
            SignatureError::Mismatch => {
                f.write_str("the signature does not match: the secret differs from Slipway's, or the body was changed")
            }
        }
    }
}

fn hmac_matches(secret: &str, body: &[u8], hex_signature: &str, header: &'static str) -> Result<(), SignatureError> {
    let expected = hex::decode(hex_signature.trim()).map_err(|_| SignatureError::Malformed(header))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
}

/// Checks the delivery against the app's webhook secret.
pub fn verify(provider: Provider, headers: &HeaderMap, body: &[u8], secret: &str) -> Result<(), SignatureError> {
    match provider {
        Provider::GitHub => {
            let signature =
                header(headers, "x-hub-signature-256").ok_or(SignatureError::Missing("X-Hub-Signature-256"))?;
            let hex = signature.strip_prefix("sha256=").ok_or(SignatureError::Malformed("X-Hub-Signature-256"))?;
            hmac_matches(secret, body, hex, "X-Hub-Signature-256")
        }
        Provider::Bitbucket => {
            let signature = header(headers, "x-hub-signature").ok_or(SignatureError::Missing("X-Hub-Signature"))?;
            let hex = signature.strip_prefix("sha256=").ok_or(SignatureError::Malformed("X-Hub-Signature"))?;
            hmac_matches(secret, body, hex, "X-Hub-Signature")
        }
        Provider::Gitea => {
            let (name, value) = match header(headers, "x-gitea-signature") {
                Some(v) => ("X-Gitea-Signature", v),
                None => (
                    "X-Forgejo-Signature",
                    header(headers, "x-forgejo-signature").ok_or(SignatureError::Missing("X-Gitea-Signature"))?,
                ),
            };
            hmac_matches(secret, body, value, name)
        }
        Provider::GitLab => {
            // GitLab sends the secret itself; compared in constant time.
            let token = header(headers, "x-gitlab-token").ok_or(SignatureError::Missing("X-Gitlab-Token"))?;
            if bool::from(token.as_bytes().ct_eq(secret.as_bytes())) { Ok(()) } else { Err(SignatureError::Mismatch) }
        }
    }
}

/// What a delivery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// GitHub's "ping" when a webhook is added.
    Ping,
    Push(Push),
    /// Any other event: recorded, nothing done.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// The branch pushed to; `None` for a tag push.
    pub branch: Option<String>,
    pub tag: Option<String>,
    pub deleted: bool,
    /// The pushed head commit (full SHA).
    pub commit: Option<String>,
    pub message: String,
    pub pusher: String,
}

const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned).filter(|s| !s.is_empty())
}

fn split_ref(reference: &str) -> (Option<String>, Option<String>) {
    if let Some(branch) = reference.strip_prefix("refs/heads/") {
        (Some(branch.to_owned()), None)
    } else if let Some(tag) = reference.strip_prefix("refs/tags/") {
        (None, Some(tag.to_owned()))
    } else {
        (None, None)
    }
}

/// Reads the delivery's event from its body.
pub fn parse(provider: Provider, event: &str, body: &[u8]) -> Result<Event, String> {
    let json = || serde_json::from_slice::<Value>(body).map_err(|e| format!("the body is not JSON: {e}"));
    match (provider, event) {
        (Provider::GitHub, "ping") => Ok(Event::Ping),
        (Provider::GitHub | Provider::Gitea, "push") => {
            let v = json()?;
            let reference = v["ref"].as_str().ok_or("the push has no \"ref\"")?;
            let (branch, tag) = split_ref(reference);
            let after = text(&v["after"]);
            let deleted = v["deleted"].as_bool().unwrap_or(false) || after.as_deref() == Some(ZERO_SHA);
            let head = &v["head_commit"];
            let pusher = text(&v["pusher"]["name"])
                .or_else(|| text(&v["pusher"]["login"]))
                .or_else(|| text(&v["pusher"]["username"]))
                .or_else(|| text(&v["sender"]["login"]))
                .unwrap_or_else(|| "someone".into());
            Ok(Event::Push(Push {
                branch,
                tag,
                deleted,
                commit: text(&head["id"]).or(after).filter(|c| c != ZERO_SHA),
                message: text(&head["message"]).unwrap_or_default(),
                pusher,
            }))
        }
        (Provider::GitLab, "Push Hook" | "Tag Push Hook") => {
            let v = json()?;
            let reference = v["ref"].as_str().ok_or("the push has no \"ref\"")?;
            let (branch, tag) = split_ref(reference);
            let after = text(&v["after"]);
            let head = text(&v["checkout_sha"]).or(after.clone()).filter(|c| c != ZERO_SHA);
            let message = v["commits"]
                .as_array()
                .and_then(|commits| commits.iter().find(|c| text(&c["id"]) == head).or(commits.last()))
                .and_then(|c| text(&c["message"]))
                .unwrap_or_default();
            Ok(Event::Push(Push {
                branch,
                tag,
                deleted: after.as_deref() == Some(ZERO_SHA) || v["checkout_sha"].is_null() && head.is_none(),
                commit: head,
                message,
                pusher: text(&v["user_username"]).or_else(|| text(&v["user_name"])).unwrap_or_else(|| "someone".into()),
            }))
        }
        (Provider::Bitbucket, "repo:push") => {
            let v = json()?;
            let changes = v["push"]["changes"].as_array().ok_or("the push has no \"push.changes\"")?;
            let change = changes
                .iter()
                .find(|c| c["new"]["type"] == "branch")
                .or(changes.first())
                .ok_or("the push has no changes")?;
            let new = &change["new"];
            let old = &change["old"];
            let kind = new["type"].as_str().or(old["type"].as_str()).unwrap_or("branch");
            let name = text(&new["name"]).or_else(|| text(&old["name"]));
            Ok(Event::Push(Push {
                branch: (kind == "branch").then(|| name.clone()).flatten(),
                tag: (kind == "tag").then_some(name).flatten(),
                deleted: new.is_null() || change["closed"].as_bool().unwrap_or(false),
                commit: text(&new["target"]["hash"]),
                message: text(&new["target"]["message"]).unwrap_or_default(),
                pusher: text(&v["actor"]["nickname"])
                    .or_else(|| text(&v["actor"]["display_name"]))
                    .unwrap_or_else(|| "someone".into()),
            }))
        }
        (_, other) => Ok(Event::Other(other.to_owned())),
    }
}

/// Whether `branch` matches one of the space- or comma-separated glob patterns
/// (`*` matches within a path segment, `**` across segments, `?` one character).
pub fn branch_matches(patterns: &str, branch: &str) -> bool {
    patterns.split([',', ' ']).map(str::trim).filter(|p| !p.is_empty()).any(|p| glob(p.as_bytes(), branch.as_bytes()))
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) if pattern.get(1) == Some(&b'*') => {
            let rest = &pattern[2..];
            (0..=text.len()).any(|i| glob(rest, &text[i..]))
        }
        (Some(b'*'), _) => {
            let rest = &pattern[1..];
            (0..=text.len()).take_while(|i| *i == 0 || text[i - 1] != b'/').any(|i| glob(rest, &text[i..]))
        }
        (Some(b'?'), Some(c)) if *c != b'/' => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(c)) if p == c => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// What to do with a push: deploy its commit, or why not.
pub fn decide(push: &Push, patterns: &str) -> Result<String, String> {
    if let Some(tag) = &push.tag {
        return Err(format!("tag push ({tag}): tags don't deploy"));
    }
    let Some(branch) = &push.branch else { return Err("not a branch push".into()) };
    if push.deleted {
        return Err(format!("branch {branch} was deleted"));
    }
    if !branch_matches(patterns, branch) {
        return Err(format!("branch {branch} doesn't match \"{patterns}\""));
    }
    if push.message.contains("[skip deploy]") {
        return Err("the commit message says [skip deploy]".into());
    }
    push.commit.clone().ok_or_else(|| "the push names no commit".into())
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    const SECRET: &str = "It's a Secret to Everybody";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn sign(body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn githubs_documented_example_signature() {
        // From GitHub's "Validating webhook deliveries" documentation.
        let expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(sign(b"Hello, World!"), expected);
        let h = headers(&[("x-github-event", "push"), ("x-hub-signature-256", &format!("sha256={expected}"))]);
        assert_eq!(verify(Provider::GitHub, &h, b"Hello, World!", SECRET), Ok(()));
        assert_eq!(verify(Provider::GitHub, &h, b"Hello, World?", SECRET), Err(SignatureError::Mismatch));
        assert_eq!(verify(Provider::GitHub, &h, b"Hello, World!", "other"), Err(SignatureError::Mismatch));
        let none = headers(&[("x-github-event", "push")]);
        assert_eq!(verify(Provider::GitHub, &none, b"x", SECRET), Err(SignatureError::Missing("X-Hub-Signature-256")));
    }

    #[test]
    fn providers_are_told_apart_by_their_headers() {
        assert_eq!(detect(&headers(&[("x-github-event", "push")])), Some(Provider::GitHub));
        // Gitea sends GitHub's headers too.
        assert_eq!(detect(&headers(&[("x-github-event", "push"), ("x-gitea-event", "push")])), Some(Provider::Gitea));
        assert_eq!(detect(&headers(&[("x-gitlab-event", "Push Hook")])), Some(Provider::GitLab));
        assert_eq!(detect(&headers(&[("x-event-key", "repo:push")])), Some(Provider::Bitbucket));
        assert_eq!(detect(&headers(&[])), None);
    }

    #[test]
    fn gitlab_compares_the_token() {
        let h = headers(&[("x-gitlab-token", SECRET)]);
        assert_eq!(verify(Provider::GitLab, &h, b"{}", SECRET), Ok(()));
        assert_eq!(verify(Provider::GitLab, &h, b"{}", "nope"), Err(SignatureError::Mismatch));
    }

    #[test]
    fn branch_globs() {
        assert!(branch_matches("main", "main"));
        assert!(!branch_matches("main", "maintenance"));
        assert!(branch_matches("release/*", "release/1.2"));
        assert!(!branch_matches("release/*", "release/1.2/hotfix"));
        assert!(branch_matches("release/**", "release/1.2/hotfix"));
        assert!(branch_matches("main, release/*", "release/x"));
        assert!(branch_matches("v?", "v1"));
    }

    #[test]
    fn pushes_that_do_not_deploy() {
        let push = |branch: Option<&str>, tag: Option<&str>, deleted: bool, message: &str| Push {
            branch: branch.map(Into::into),
            tag: tag.map(Into::into),
            deleted,
            commit: Some("a".repeat(40)),
            message: message.into(),
            pusher: "ann".into(),
        };
        assert_eq!(decide(&push(Some("main"), None, false, "fix"), "main"), Ok("a".repeat(40)));
        assert!(decide(&push(None, Some("v1"), false, ""), "main").unwrap_err().contains("tag"));
        assert!(decide(&push(Some("main"), None, true, ""), "main").unwrap_err().contains("deleted"));
        assert!(decide(&push(Some("dev"), None, false, ""), "main").unwrap_err().contains("doesn't match"));
        assert!(
            decide(&push(Some("main"), None, false, "wip [skip deploy]"), "main").unwrap_err().contains("skip deploy")
        );
    }
}
