//! The build context: a tar of the context directory as `docker build` would
//! send it — `.dockerignore` honoured — refusing anything that reaches outside
//! the repository (a Dockerfile or context path through a symlink, or a
//! symlink inside the context pointing out of it).

use std::path::{Component, Path, PathBuf};

use super::Failure;
use crate::apps::RepoPath;

/// Where the Dockerfile goes in the tar when it lives outside the context.
pub const OUTSIDE_DOCKERFILE: &str = ".slipway.Dockerfile";

/// The tar to send and the Dockerfile's path inside it.
pub struct BuildContext {
    pub tar: Vec<u8>,
    pub dockerfile: String,
    pub files: usize,
}

pub fn pack(repo: &Path, context: &RepoPath, dockerfile: &RepoPath) -> Result<BuildContext, Failure> {
    let repo = repo.canonicalize().map_err(|e| Failure::new(format!("The checkout is missing: {e}")))?;
    let root = inside(&repo, &repo.join(context.as_str()), "build context", context.as_str())?;
    if !root.is_dir() {
        return Err(Failure::new(format!(
            "The build context \"{}\" is not a directory in the repository.",
            context.as_str()
        )));
    }
    let dockerfile_path = repo.join(dockerfile.as_str());
    if std::fs::symlink_metadata(&dockerfile_path).is_err() {
        return Err(Failure::new(format!(
            "There is no Dockerfile at \"{}\" in the repository. Add one, or set the app's Dockerfile path.",
            dockerfile.as_str()
        )));
    }
    let dockerfile_real = inside(&repo, &dockerfile_path, "Dockerfile path", dockerfile.as_str())?;

    let ignore = match std::fs::read_to_string(root.join(".dockerignore")) {
        Ok(text) => Dockerignore::parse(&text),
        Err(_) => Dockerignore::default(),
    };
    let mut archive = tar::Builder::new(Vec::new());
    archive.follow_symlinks(false);
    let mut files = 0;
    add_dir(&mut archive, &root, &root, &ignore, &mut files)?;

    let in_context = dockerfile_real.strip_prefix(&root).ok().map(|p| p.to_string_lossy().into_owned());
    let dockerfile_name = match in_context {
        Some(relative) if !ignore.excludes(&relative) => relative,
        // Outside the context (or ignored by it): send it under a reserved name.
        _ => {
            let body = std::fs::read(&dockerfile_real)
                .map_err(|e| Failure::new(format!("Reading the Dockerfile failed: {e}")))?;
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            archive.append_data(&mut header, OUTSIDE_DOCKERFILE, body.as_slice()).map_err(io_failure)?;
            OUTSIDE_DOCKERFILE.to_owned()
        }
    };
    let tar = archive.into_inner().map_err(io_failure)?;
    Ok(BuildContext { tar, dockerfile: dockerfile_name, files })
}

fn io_failure(error: std::io::Error) -> Failure {
    Failure::new(format!("Packing the build context failed: {error}"))
}

/// `path` with symlinks resolved, refused unless it stays inside `repo`.
fn inside(repo: &Path, path: &Path, what: &str, shown: &str) -> Result<PathBuf, Failure> {
    let real = path.canonicalize().map_err(|_| {
        Failure::new(format!("The {what} \"{shown}\" does not exist in the repository (or is a broken symlink)."))
    })?;
    if !real.starts_with(repo) {
        return Err(Failure::new(format!(
            "The {what} \"{shown}\" leads outside the repository (through a symlink); Slipway only builds from inside it."
        )));
    }
    Ok(real)
}

fn add_dir(
    archive: &mut tar::Builder<Vec<u8>>,
    root: &Path,
    dir: &Path,
    ignore: &Dockerignore,
    files: &mut usize,
) -> Result<(), Failure> {
    let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(io_failure)?.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let relative = path.strip_prefix(root).map_err(|e| Failure::new(e.to_string()))?;
        let name = relative.to_string_lossy().replace('\\', "/");
        if name == ".git" || ignore.excludes(&name) {
            // Docker still walks an excluded directory when an exception (`!`) may re-include part of it.
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) && name != ".git" && ignore.has_exceptions() {
                add_dir(archive, root, &path, ignore, files)?;
            }
            continue;
        }
        let kind = entry.file_type().map_err(io_failure)?;
        if kind.is_symlink() {
            let target = std::fs::read_link(&path).map_err(io_failure)?;
            if escapes(relative, &target) {
                return Err(Failure::new(format!(
                    "The symlink \"{name}\" points outside the build context (to \"{}\"); Slipway refuses to build it. \
                     Replace it with a copy of the file, or exclude it in .dockerignore.",
                    target.display()
                )));
            }
        }
        archive.append_path_with_name(&path, relative).map_err(io_failure)?;
        if kind.is_dir() {
            add_dir(archive, root, &path, ignore, files)?;
        } else {
            *files += 1;
        }
    }
    Ok(())
}

/// Whether a symlink at `link` (relative to the context root) pointing to `target` leaves the context.
fn escapes(link: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return true;
    }
    let mut depth: i32 = link.parent().map_or(0, |p| p.components().count() as i32);
    for component in target.components() {
        match component {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return true,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// `.dockerignore` rules: glob patterns (`*`, `?`, `**`), `!` exceptions, last match wins.
/// A pattern matching a directory excludes everything below it.
#[derive(Debug, Default)]
pub struct Dockerignore {
    rules: Vec<(bool, Vec<String>)>,
}

impl Dockerignore {
    pub fn parse(text: &str) -> Self {
        let rules = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| {
                let (exception, pattern) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                let segments = pattern
                    .trim_start_matches('/')
                    .split('/')
                    .filter(|s| !s.is_empty() && *s != ".")
                    .map(str::to_owned)
                    .collect();
                (exception, segments)
            })
            .collect();
        Self { rules }
    }

    fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|(exception, _)| *exception)
    }

    /// Whether the context-relative path `path` (with `/`) is left out.
    pub fn excludes(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        let mut excluded = false;
        for (exception, pattern) in &self.rules {
            // The pattern matches the path or one of its parent directories.
            let hit = (1..=parts.len()).any(|n| glob(pattern, &parts[..n]));
            if hit {
                excluded = !exception;
            }
        }
        excluded
    }
}

fn glob(pattern: &[String], path: &[&str]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(p), _) if p == "**" => (0..=path.len()).any(|skip| glob(&pattern[1..], &path[skip..])),
        (Some(p), Some(segment)) => {
            segment_matches(p.as_bytes(), segment.as_bytes()) && glob(&pattern[1..], &path[1..])
        }
        _ => false,
    }
}

fn segment_matches(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => (0..=text.len()).any(|skip| segment_matches(&pattern[1..], &text[skip..])),
        (Some(b'?'), Some(_)) => segment_matches(&pattern[1..], &text[1..]),
        (Some(b'\\'), Some(t)) if pattern.len() > 1 => pattern[1] == *t && segment_matches(&pattern[2..], &text[1..]),
        (Some(p), Some(t)) => p == t && segment_matches(&pattern[1..], &text[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_rules() {
        let ignore = Dockerignore::parse("# comment\nnode_modules\n*.log\n!keep.log\ndocs/**/*.md\n/tmp\n");
        assert!(ignore.excludes("node_modules"));
        assert!(ignore.excludes("node_modules/x/y.js"), "a directory's contents go with it");
        assert!(ignore.excludes("debug.log"));
        assert!(!ignore.excludes("keep.log"), "exceptions win when later");
        assert!(!ignore.excludes("sub/debug.log"), "`*` does not cross directories");
        assert!(ignore.excludes("docs/a/b/c.md"));
        assert!(ignore.excludes("docs/c.md"), "`**` matches zero directories");
        assert!(!ignore.excludes("docs/c.txt"));
        assert!(ignore.excludes("tmp/file"));
        assert!(!ignore.excludes("src/main.rs"));
    }

    #[test]
    fn symlinks_that_leave_the_context_are_caught() {
        assert!(escapes(Path::new("a"), Path::new("/etc/passwd")));
        assert!(escapes(Path::new("a"), Path::new("../x")));
        assert!(escapes(Path::new("d/a"), Path::new("../../x")));
        assert!(!escapes(Path::new("d/a"), Path::new("../x")));
        assert!(!escapes(Path::new("d/a"), Path::new("./b/../c")));
    }

    fn write(root: &Path, path: &str, body: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }

    fn names(tar: &[u8]) -> Vec<String> {
        let mut archive = tar::Archive::new(tar);
        archive.entries().unwrap().map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn packs_the_context_honouring_dockerignore() {
        let repo = tempfile::tempdir().unwrap();
        write(repo.path(), "app/Dockerfile", "FROM scratch\n");
        write(repo.path(), "app/.dockerignore", "secret.txt\n");
        write(repo.path(), "app/secret.txt", "x");
        write(repo.path(), "app/src/main.txt", "x");
        write(repo.path(), "ops/Dockerfile", "FROM scratch\n");
        let context = RepoPath::parse("app", "").unwrap();
        let packed = pack(repo.path(), &context, &RepoPath::parse("app/Dockerfile", "").unwrap()).unwrap();
        assert_eq!(packed.dockerfile, "Dockerfile");
        let listed = names(&packed.tar);
        assert!(listed.contains(&"src/main.txt".to_owned()), "{listed:?}");
        assert!(!listed.iter().any(|n| n.contains("secret")), "{listed:?}");

        let outside = pack(repo.path(), &context, &RepoPath::parse("ops/Dockerfile", "").unwrap()).unwrap();
        assert_eq!(outside.dockerfile, OUTSIDE_DOCKERFILE);
        assert!(names(&outside.tar).contains(&OUTSIDE_DOCKERFILE.to_owned()));
    }

    #[test]
    fn refuses_escaping_symlinks_and_missing_dockerfiles() {
        let repo = tempfile::tempdir().unwrap();
        write(repo.path(), "Dockerfile", "FROM scratch\n");
        std::os::unix::fs::symlink("/etc/passwd", repo.path().join("passwd")).unwrap();
        let root = RepoPath::parse(".", "").unwrap();
        let error = pack(repo.path(), &root, &RepoPath::parse("Dockerfile", "").unwrap()).err().unwrap();
        assert!(error.message.contains("The symlink \"passwd\" points outside the build context"), "{}", error.message);

        std::fs::remove_file(repo.path().join("passwd")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", repo.path().join("Linked.Dockerfile")).unwrap();
        let error = pack(repo.path(), &root, &RepoPath::parse("Linked.Dockerfile", "").unwrap()).err().unwrap();
        assert!(error.message.contains("leads outside the repository"), "{}", error.message);

        let error = pack(repo.path(), &root, &RepoPath::parse("nope/Dockerfile", "").unwrap()).err().unwrap();
        assert!(error.message.contains("There is no Dockerfile at \"nope/Dockerfile\""), "{}", error.message);
    }
}
