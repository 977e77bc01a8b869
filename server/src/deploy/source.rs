//! Checkout with git2: a per-app cache repository, fetched and checked out at
//! the branch head or an exact commit. git2 blocks, so this runs on a blocking
//! thread; a deadline and the cancel flag are checked from libgit2's progress
//! callbacks.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use git2::build::CheckoutBuilder;
use git2::{AutotagOption, Cred, CredentialType, FetchOptions, RemoteCallbacks, Repository};
use tokio_util::sync::CancellationToken;

use super::Failure;
use crate::apps::AppCredentials;

/// What to check out.
#[derive(Debug, Clone)]
pub struct SourceRequest {
    pub url: String,
    pub branch: String,
    /// An exact commit (7–40 hex digits); `None` = the branch head.
    pub commit: Option<String>,
}

/// The checked-out tree and the commit it came from.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub dir: PathBuf,
    pub commit: String,
    pub message: String,
    pub author: String,
}

/// Fetches into `cache_dir` (created on first use) and checks out the wanted commit.
pub fn checkout(
    cache_dir: &Path,
    request: &SourceRequest,
    credentials: &AppCredentials,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<Checkout, Failure> {
    let repo = open_cache(cache_dir)?;
    let shallow_ok = !is_local(&request.url);
    let branch_ref = format!("refs/remotes/origin/{}", request.branch);

    let branch_spec = format!("+refs/heads/{0}:refs/remotes/origin/{0}", request.branch);
    // Depth 1 where the transport allows; a short SHA needs the branch's whole
    // history (i32::MAX unshallows an earlier shallow fetch).
    let full = if repo.is_shallow() { i32::MAX } else { 0 };
    match &request.commit {
        Some(sha) if find_commit(&repo, sha).is_some() => {} // fetched by an earlier deployment
        Some(sha) if sha.len() == 40 && shallow_ok => {
            // Servers may refuse a want by SHA; then fall back to the branch.
            if fetch(&repo, request, credentials, std::slice::from_ref(sha), 1, deadline, cancel).is_err() {
                fetch(&repo, request, credentials, &[branch_spec], full, deadline, cancel)?;
            }
        }
        Some(_) => fetch(&repo, request, credentials, &[branch_spec], full, deadline, cancel)?,
        None => fetch(&repo, request, credentials, &[branch_spec], if shallow_ok { 1 } else { 0 }, deadline, cancel)?,
    }

    let commit = match &request.commit {
        Some(sha) => find_commit(&repo, sha).ok_or_else(|| {
            Failure::new(format!(
                "Commit {sha} was not found in {} (branch {}). Check the SHA, and that it was pushed.",
                request.url, request.branch
            ))
        })?,
        None => repo
            .find_reference(&branch_ref)
            .and_then(|r| r.peel_to_commit())
            .map_err(|_| Failure::new(format!("Branch \"{}\" does not exist in {}.", request.branch, request.url)))?,
    };
    repo.checkout_tree(
        commit.as_object(),
        Some(CheckoutBuilder::new().force().remove_untracked(true).remove_ignored(true)),
    )
    .map_err(|e| Failure::new(format!("Checking out {} failed: {}", commit.id(), e.message())))?;
    repo.set_head_detached(commit.id())
        .map_err(|e| Failure::new(format!("Checking out {} failed: {}", commit.id(), e.message())))?;

    let author = commit.author();
    Ok(Checkout {
        dir: cache_dir.to_path_buf(),
        commit: commit.id().to_string(),
        message: commit.summary().ok().flatten().unwrap_or_default().to_owned(),
        author: match (author.name().ok(), author.email().ok()) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (Some(name), None) => name.to_owned(),
            _ => String::new(),
        },
    })
}

fn open_cache(dir: &Path) -> Result<Repository, Failure> {
    let internal = |e: git2::Error| Failure::new(format!("Preparing the source cache failed: {}", e.message()));
    match Repository::open(dir) {
        Ok(repo) => Ok(repo),
        Err(_) => {
            // A half-written cache (e.g. after a crash) is rebuilt from scratch.
            let _ = std::fs::remove_dir_all(dir);
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::new(format!("Creating {} failed: {e}", dir.display())))?;
            Repository::init(dir).map_err(internal)
        }
    }
}

fn find_commit<'r>(repo: &'r Repository, sha: &str) -> Option<git2::Commit<'r>> {
    repo.revparse_single(sha).ok()?.peel_to_commit().ok()
}

fn is_local(url: &str) -> bool {
    url.starts_with("file://") || url.starts_with('/')
}

fn fetch(
    repo: &Repository,
    request: &SourceRequest,
    credentials: &AppCredentials,
    refspecs: &[String],
    depth: i32,
    deadline: Instant,
    cancel: &CancellationToken,
) -> Result<(), Failure> {
    let attempts = AtomicU32::new(0);
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(|_url, username_from_url, allowed| {
        // libgit2 asks again after a refusal; answer once, then give up.
        if attempts.fetch_add(1, Ordering::SeqCst) > 0 {
            return Err(git2::Error::from_str("authentication refused"));
        }
        if allowed.contains(CredentialType::SSH_KEY)
            && let Some(key) = &credentials.git_ssh_key
        {
            let user = credentials.git_username.as_deref().or(username_from_url).unwrap_or("git");
            return Cred::ssh_key_from_memory(user, None, key, None);
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
            && let Some(token) = &credentials.git_token
        {
            let user = credentials.git_username.as_deref().unwrap_or("x-access-token");
            return Cred::userpass_plaintext(user, token);
        }
        Err(git2::Error::from_str("authentication required"))
    });
    callbacks.transfer_progress(|_| !cancel.is_cancelled() && Instant::now() < deadline);
    callbacks.sideband_progress(|_| !cancel.is_cancelled() && Instant::now() < deadline);

    let mut options = FetchOptions::new();
    options.remote_callbacks(callbacks).download_tags(AutotagOption::None);
    if depth > 0 {
        options.depth(depth);
    }
    let mut remote = repo.remote_anonymous(&request.url).map_err(|e| Failure::new(describe(request, &e)))?;
    remote.fetch(refspecs, Some(&mut options), None).map_err(|e| {
        if cancel.is_cancelled() {
            Failure::cancelled()
        } else if Instant::now() >= deadline {
            Failure::new(format!("Fetching {} took too long and was stopped.", request.url))
        } else {
            Failure::new(describe(request, &e))
        }
    })
}

/// A git error in plain words, with libgit2's message for detail.
fn describe(request: &SourceRequest, error: &git2::Error) -> String {
    let raw = error.message();
    let lower = raw.to_lowercase();
    let url = &request.url;
    let headline = if error.code() == git2::ErrorCode::Auth
        || lower.contains("authentication")
        || lower.contains("401")
        || lower.contains("403")
    {
        format!("The git host refused access to {url}. Check the app's git token or deploy key.")
    } else if lower.contains("couldn't find remote ref") || lower.contains("no matching remote head") {
        format!("Branch \"{}\" does not exist in {url}.", request.branch)
    } else if lower.contains("404")
        || lower.contains("not found")
        || lower.contains("could not find repository")
        || lower.contains("not a git repository")
        || lower.contains("failed to resolve path")
        || lower.contains("does not appear to be a git repository")
    {
        format!("No repository was found at {url}. Check the URL.")
    } else if lower.contains("resolve")
        || lower.contains("connect")
        || lower.contains("refused")
        || lower.contains("timed out")
        || lower.contains("unreachable")
        || error.class() == git2::ErrorClass::Net
    {
        format!("Can't reach the git host of {url}. Check the URL and that the host is up.")
    } else {
        format!("Fetching {url} failed.")
    };
    format!("{headline} (git: {raw})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str) -> SourceRequest {
        SourceRequest { url: url.into(), branch: "main".into(), commit: None }
    }

    #[test]
    fn git_errors_read_plainly() {
        let cases = [
            ("failed to resolve address for nowhere.invalid: Name or service not known", "Can't reach"),
            ("failed to connect to 127.0.0.1: Connection refused", "Can't reach"),
            ("unexpected http status code: 404", "No repository was found"),
            ("too many redirects or authentication replays", "refused access"),
            ("couldn't find remote ref refs/heads/main", "Branch \"main\" does not exist"),
        ];
        for (raw, expected) in cases {
            let message = describe(&request("https://example.com/x.git"), &git2::Error::from_str(raw));
            assert!(message.contains(expected), "{raw} → {message}");
            assert!(message.contains(raw), "keeps git's own words: {message}");
        }
    }
}
