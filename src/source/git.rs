//! The git view of a working tree, through gix: which files are tracked, ignored or untracked,
//! and whether a secret is in HEAD's or the index's version of a file. This is what turns a
//! working-tree finding into an exposure (`ignored`, `untracked`, `staged`, `committed`,
//! `modified`).

use crate::source::Exposure;
use crate::source::worktree::TrackedDirs;
use gix::ObjectId;
use gix::bstr::{BStr, BString, ByteSlice};
use std::path::{Path, PathBuf};

/// Errors reading the repository. gix's errors are kept as text, not as a `#[source]`: their
/// messages quote what they could not parse (a ref file's content, a config value), which the
/// repository chooses, so they are stripped of it first ([`describe`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum GitError {
    #[error("cannot open the git repository at {path}: {message}")]
    Open { path: String, message: String },
    #[error("cannot read the git index of {path}: {message}")]
    Index { path: String, message: String },
    #[error("git object {id} for '{path}' cannot be read: {message}")]
    Object {
        id: String,
        path: String,
        message: String,
    },
    #[error("cannot evaluate gitignore rules: {0}")]
    Excludes(String),
    #[error(
        "refusing to read {path}: it is a {kind}, not a regular file (git and leakgate would block on it)"
    )]
    Special { path: String, kind: &'static str },
    #[error(
        "refusing to read {path}: it leads to {target}, on a kernel file system (/proc, /sys, /dev) whose files can be endless whatever their size says"
    )]
    System { path: String, target: String },
    #[error("refusing to read {path}: {message}")]
    Vet { path: String, message: String },
    #[error("HEAD of the git repository at {path} cannot be read: {message}")]
    Head { path: String, message: String },
}

/// How much of a git directory is checked for special files before gix reads from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vet {
    /// The files every command reads (config, HEAD, index, packed-refs, refs/, pack indexes):
    /// cheap enough for a pre-commit hook.
    Shallow,
    /// Every file under the git and common directories, loose objects included: for commands
    /// that read the object database.
    Deep,
}

/// The repository containing `path`, or `None` when there is none; see [`discover_with`].
pub fn discover(path: &Path) -> Result<Option<gix::Repository>, GitError> {
    discover_with(path, Vet::Shallow)
}

/// The commit HEAD points to and its tree; `None` when HEAD is unborn (a new repository, an
/// orphan branch). A HEAD that cannot be read, or that does not lead to a readable commit, is an
/// error: taken for unborn, it would make every committed file look new (`staged`).
pub fn head_commit(repo: &gix::Repository) -> Result<Option<(ObjectId, ObjectId)>, GitError> {
    let err = |e: &dyn std::error::Error| GitError::Head {
        path: repo.git_dir().display().to_string(),
        message: describe(e),
    };
    let mut head = repo.head().map_err(|e| err(&e))?;
    if head.is_unborn() {
        return Ok(None);
    }
    let commit = head.peel_to_commit().map_err(|e| err(&e))?;
    let tree = commit.tree_id().map_err(|e| err(&e))?;
    Ok(Some((commit.id, tree.detach())))
}

/// The content of the file at `path` (slash-separated) in `commit`'s tree, if there is one (a
/// blob; a directory or submodule there is not a file), refused when larger than `max` bytes.
pub fn file_at(
    repo: &gix::Repository,
    commit: ObjectId,
    path: &str,
    max: u64,
) -> Result<Option<Vec<u8>>, GitError> {
    let name = path;
    let err = |e: &dyn std::error::Error| GitError::Object {
        id: commit.to_string(),
        path: name.to_string(),
        message: describe(e),
    };
    let tree = repo
        .find_commit(commit)
        .map_err(|e| err(&e))?
        .tree()
        .map_err(|e| err(&e))?;
    let Some(entry) = tree.lookup_entry_by_path(path).map_err(|e| err(&e))? else {
        return Ok(None);
    };
    if !entry.mode().is_blob() {
        return Ok(None);
    }
    let id = entry.object_id();
    let size = repo.find_header(id).map_err(|e| err(&e))?.size();
    if size > max {
        return Err(GitError::Object {
            id: id.to_string(),
            path: name.to_string(),
            message: format!("{size} bytes, more than the {max} read here"),
        });
    }
    Ok(Some(
        repo.find_object(id).map_err(|e| err(&e))?.detach().data,
    ))
}

/// The blob ids of the root entries named `names` in `commit`'s tree (`None` for an absent one).
pub fn root_ids(
    repo: &gix::Repository,
    commit: ObjectId,
    names: &[&str],
) -> Result<Vec<Option<ObjectId>>, GitError> {
    let err = |e: &dyn std::error::Error| GitError::Object {
        id: commit.to_string(),
        path: String::new(),
        message: describe(e),
    };
    let tree = repo
        .find_commit(commit)
        .map_err(|e| err(&e))?
        .tree()
        .map_err(|e| err(&e))?;
    Ok(names
        .iter()
        .map(|n| tree.find_entry(*n).map(|e| e.object_id()))
        .collect())
}

/// The repository containing `path`, or `None` when there is none.
///
/// Its location comes from the file system alone: a `.git` directory (or `.git` file, for linked
/// worktrees and submodules) in `path` or above it. The repository's own configuration cannot
/// move what is scanned: whatever `core.worktree` and `core.bare` say, the working tree is the
/// directory holding `.git` (and a bare repository has none). A git directory holding a FIFO,
/// socket or device, which git and gix would block on forever, is refused.
pub fn discover_with(path: &Path, vet: Vet) -> Result<Option<gix::Repository>, GitError> {
    use gix::discover::upwards::Error as E;
    // Discovery starts from a directory: a file's own directory.
    let path = if path.is_dir() {
        path
    } else {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    };
    let open_err = |message: String| GitError::Open {
        path: path.display().to_string(),
        message,
    };
    // Discovery itself reads `HEAD` and `config` of every candidate it looks at.
    vet_candidates(path)?;
    let found = match gix::discover::upwards(path) {
        Ok((found, _trust)) => found,
        Err(e) => {
            return match e.downcast_any_ref::<E>() {
                Some(
                    E::NoGitRepository { .. }
                    | E::NoGitRepositoryWithinCeiling { .. }
                    | E::NoGitRepositoryWithinFs { .. },
                ) => Ok(None),
                _ => Err(open_err(e.to_string())),
            };
        }
    };
    let (git_dir, work_dir) = found.into_repository_and_work_tree_directories();
    // The git directory, its common directory and the alternates they lend.
    vet_git_dir(&git_dir, vet)?;
    let mut repo = open_untrusted(&git_dir).map_err(open_err)?;
    // The working tree is where `.git` was found, whatever `core.worktree` or `core.bare` say.
    repo.set_workdir(work_dir.clone())
        .map_err(|e| open_err(e.to_string()))?;
    crate::debug!(
        "repository {} (work tree {:?}, found {:?})",
        repo.git_dir().display(),
        repo.workdir(),
        work_dir
    );
    Ok(Some(repo))
}

/// Open the git directory `git_dir` without following `include.path` or `includeIf` in the
/// repository's own configuration: an include names any file of the machine, which gix would
/// read whole (`/proc/self/pagemap` never ends, a FIFO never answers), and vetting a chain of
/// includes would mean parsing configuration before gix does. Includes in the configuration
/// outside the repository (the user's `~/.gitconfig`, `$XDG_CONFIG_HOME/git/config`, the
/// system's) are the user's own and are still followed.
fn open_untrusted(git_dir: &Path) -> Result<gix::Repository, String> {
    let mut permissions = gix::open::Permissions::default();
    permissions.config.includes = false;
    let options = gix::open::Options::default().permissions(permissions);
    let mut repo = gix::open_opts(git_dir, options).map_err(|e| describe(&e))?;
    follow_user_includes(&mut repo)?;
    Ok(repo)
}

/// Is this configuration from outside the repository: the user's, the system's or git's own?
fn is_users(meta: &gix::config::file::Metadata) -> bool {
    use gix::config::Source as S;
    matches!(
        meta.source,
        S::GitInstallation | S::System | S::Git | S::User
    )
}

/// Follow the includes of the user's and the system's configuration (not the repository's):
/// their sections are resolved in place, ahead of the repository's, so every value keeps the
/// precedence git gives it. Nothing changes when they include nothing.
fn follow_user_includes(repo: &mut gix::Repository) -> Result<(), String> {
    let config = repo.config_snapshot().plumbing().clone();
    let includes = |s: &gix::config::file::SectionRef<'_>| {
        let name = s.header().name();
        is_users(s.meta()) && (name == "include" || name == "includeIf")
    };
    if !config.sections().any(|s| includes(&s)) {
        return Ok(());
    }
    // Split the configuration into the user's sections and the rest, keeping their order.
    let (mut users, mut rest) = (config.clone(), config);
    let ids: Vec<_> = users
        .sections_and_ids()
        .map(|(s, id)| (id, is_users(s.meta())))
        .collect();
    for (id, user) in ids {
        let drop_from = if user { &mut rest } else { &mut users };
        drop_from.remove_section_by_id(id);
    }
    let home = gix::path::env::home_dir();
    let branch = repo.head_name().ok().flatten();
    let options = gix::config::file::init::Options {
        includes: gix::config::file::includes::Options::follow(
            gix::config::path::interpolate::Context {
                git_install_dir: None,
                home_dir: home.as_deref(),
                home_for_user: Some(gix::config::path::interpolate::home_for_user),
            },
            gix::config::file::includes::conditional::Context {
                git_dir: Some(repo.git_dir()),
                branch_name: branch.as_ref().map(|b| b.as_ref()),
            },
        ),
        ignore_io_errors: true,
        ..Default::default()
    };
    users
        .resolve_includes(options)
        .map_err(|e| format!("cannot follow the includes of your git configuration: {e}"))?;
    users
        .append(rest)
        .map_err(|e| format!("cannot merge git configuration: {e}"))?;
    let mut snapshot = repo.config_snapshot_mut();
    *snapshot = users;
    snapshot
        .commit()
        .map_err(|e| format!("cannot apply git configuration: {e}"))?;
    Ok(())
}

/// Names in a git directory that gix may read for any command.
const SHALLOW_VET: &[&str] = &[
    "config",
    "config.worktree",
    "HEAD",
    "index",
    "packed-refs",
    "commondir",
    "gitdir",
    "shallow",
    "FETCH_HEAD",
    "ORIG_HEAD",
    "MERGE_HEAD",
    "info/exclude",
    "info/grafts",
    "objects/info/alternates",
];

/// How many alternates deep object directories are vetted. gix follows chains of any depth, so
/// a deeper one is refused rather than read unvetted (git itself stops at 5).
const MAX_ALTERNATE_DEPTH: usize = 8;

/// How many object directories alternates may lend in all.
const MAX_ALTERNATE_DIRS: usize = 64;

/// The longest `commondir`, `.git` or alternates file read: each holds a path or a few.
const MAX_POINTER_FILE: u64 = 1 << 20;

/// The error for `p` when it is a FIFO, socket or device (or a symlink to one), or when it leads
/// under `/proc`, `/sys` or `/dev`, whose files are "regular" yet can be endless
/// (`/proc/self/pagemap`): opening it would block forever or read without end. Absent files,
/// regular files and directories elsewhere are fine.
fn special(p: &Path) -> Option<GitError> {
    if let Some(target) = crate::safe_fs::system_target(p) {
        return Some(GitError::System {
            path: p.display().to_string(),
            target: target.display().to_string(),
        });
    }
    // Follow a symlink for the check: what gix opens is the target.
    let m = std::fs::metadata(p).ok()?;
    (!m.is_file() && !m.is_dir()).then(|| GitError::Special {
        path: p.display().to_string(),
        kind: crate::safe_fs::kind_name(&m.file_type()),
    })
}

fn check(p: &Path) -> Result<(), GitError> {
    special(p).map_or(Ok(()), Err)
}

/// The global excludes file gix reads: `core.excludesFile`, else `$XDG_CONFIG_HOME/git/ignore`
/// (`~/.config/git/ignore`).
fn global_excludes_file(repo: &gix::Repository) -> Option<PathBuf> {
    if let Ok(Some(p)) = repo.config_snapshot().trusted_path("core.excludesFile") {
        return Some(p);
    }
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config_home.join("git").join("ignore"))
}

/// Shallow-vet every git directory discovery may look at from `path` upwards: `.git` directories
/// (also through a symlink), the directory a `.git` file names, and directories that look like
/// bare repositories.
fn vet_candidates(path: &Path) -> Result<(), GitError> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    for dir in abs.ancestors() {
        let dot_git = dir.join(".git");
        if dot_git.symlink_metadata().is_ok() {
            check(&dot_git)?;
            // Followed as gix follows it: a symlink to a git directory or to a `.git` file is
            // vetted like one.
            match std::fs::metadata(&dot_git) {
                Ok(m) if m.is_dir() => vet_git_dir(&dot_git, Vet::Shallow)?,
                Ok(m) if m.is_file() => {
                    if let Some(target) = gitdir_file_target(&dot_git)? {
                        vet_git_dir(&target, Vet::Shallow)?;
                    }
                }
                _ => {}
            }
        }
        if dir.join("HEAD").symlink_metadata().is_ok() || dir.join("objects").is_dir() {
            vet_git_dir(dir, Vet::Shallow)?;
        }
    }
    Ok(())
}

/// The content of a file git reads a path from (`.git`, `commondir`, alternates), through
/// symlinks but without blocking; `None` when it is absent or unreadable (gix then fails on it
/// too, without hanging). One that is special, under `/proc`, `/sys` or `/dev`, or too long to
/// be a list of paths is refused.
fn read_pointer(file: &Path) -> Result<Option<Vec<u8>>, GitError> {
    use crate::safe_fs::SafeFsError as E;
    check(file)?;
    match crate::safe_fs::read_bounded(file, MAX_POINTER_FILE) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(E::Io { .. }) => Ok(None),
        Err(e) => Err(GitError::Vet {
            path: file.display().to_string(),
            message: e.to_string(),
        }),
    }
}

/// The directory a `.git` file (`gitdir: PATH`) points to.
fn gitdir_file_target(dot_git: &Path) -> Result<Option<PathBuf>, GitError> {
    let Some(text) = read_pointer(dot_git)? else {
        return Ok(None);
    };
    let Ok(text) = String::from_utf8(text) else {
        return Ok(None);
    };
    let Some(target) = text.trim().strip_prefix("gitdir:") else {
        return Ok(None);
    };
    let target = Path::new(target.trim());
    Ok(Some(match dot_git.parent() {
        Some(parent) if target.is_relative() => parent.join(target),
        _ => target.to_path_buf(),
    }))
}

/// The common directory a linked worktree's git directory names in `commondir` (relative to the
/// git directory), which gix reads `config`, refs and objects from.
fn commondir_target(git_dir: &Path) -> Result<Option<PathBuf>, GitError> {
    let Some(bytes) = read_pointer(&git_dir.join("commondir"))? else {
        return Ok(None);
    };
    let trimmed = bytes.trim_end();
    if trimmed.is_empty() {
        return Ok(None);
    }
    Ok(gix::path::from_byte_slice(trimmed).ok().map(|p| {
        let common = git_dir.join(p);
        common.canonicalize().unwrap_or(common)
    }))
}

/// Refuse a git directory that holds a FIFO, socket or device (or a symlink to one, or to a file
/// under `/proc`, `/sys` or `/dev`) where git data lives: opening one blocks forever or reads
/// without end. The common directory its `commondir` names and the object directories its
/// alternates lend are vetted the same way, before gix reads any of them.
fn vet_git_dir(dir: &Path, vet: Vet) -> Result<(), GitError> {
    vet_one_git_dir(dir, vet)?;
    let common = match commondir_target(dir)? {
        Some(common) => {
            vet_one_git_dir(&common, vet)?;
            common
        }
        None => dir.to_path_buf(),
    };
    vet_alternates(&common.join("objects"), vet)
}

/// Vet one git directory's own files (see [`vet_git_dir`]).
fn vet_one_git_dir(dir: &Path, vet: Vet) -> Result<(), GitError> {
    check(dir)?;
    for name in SHALLOW_VET {
        check(&dir.join(name))?;
    }
    let roots: &[&str] = match vet {
        Vet::Shallow => &["refs", "objects/pack"],
        Vet::Deep => &["refs", "objects", "logs", "worktrees", "info"],
    };
    for root in roots {
        vet_tree(&dir.join(root))?;
    }
    Ok(())
}

/// Vet every file under `root`. A symlink is checked where it leads, but a symlinked directory
/// below `root` is not walked: that would let a repository send the walk through any tree of
/// the machine.
fn vet_tree(root: &Path) -> Result<(), GitError> {
    let mut stack = vec![root.to_path_buf()];
    // Directories reached through a symlink (git never makes one there, but gix follows it):
    // vetted too, each once.
    let mut linked: Vec<PathBuf> = Vec::new();
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(e.path());
            } else if !ft.is_file() {
                check(&e.path())?;
                if ft.is_symlink()
                    && let Ok(target) = e.path().canonicalize()
                    && target.is_dir()
                    && !linked.contains(&target)
                {
                    linked.push(target.clone());
                    stack.push(target);
                }
            }
        }
    }
    Ok(())
}

/// Vet the object directories that `objects`' alternates lend, and theirs in turn, as deep as
/// [`MAX_ALTERNATE_DEPTH`]: a FIFO or device in one would hang gix as surely as in `objects`.
fn vet_alternates(objects: &Path, vet: Vet) -> Result<(), GitError> {
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut queue = vec![(objects.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = queue.pop() {
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if seen.contains(&canonical) {
            continue;
        }
        seen.push(canonical);
        if depth > 0 {
            check(&dir)?;
            vet_tree(&match vet {
                Vet::Shallow => dir.join("pack"),
                Vet::Deep => dir.clone(),
            })?;
        }
        let file = dir.join("info").join("alternates");
        let Some(bytes) = read_pointer(&file)? else {
            continue;
        };
        // Unparsable alternates make gix fail, not hang.
        let Ok(entries) = gix::odb::alternate::parse(&bytes) else {
            continue;
        };
        let too_many =
            depth == MAX_ALTERNATE_DEPTH || seen.len() + queue.len() > MAX_ALTERNATE_DIRS;
        if too_many && !entries.is_empty() {
            return Err(GitError::Vet {
                path: file.display().to_string(),
                message: format!(
                    "alternates lend object directories more than {MAX_ALTERNATE_DEPTH} deep or more than {MAX_ALTERNATE_DIRS} in all"
                ),
            });
        }
        for entry in entries {
            // git resolves a relative entry against the directory holding the file, gix against
            // the repository's own object directory: both are vetted.
            let (own, gix) = (dir.join(&entry), objects.join(&entry));
            let others = (gix != own).then_some(gix);
            for alt in std::iter::once(own).chain(others) {
                if alt.symlink_metadata().is_ok() {
                    queue.push((alt, depth + 1));
                }
            }
        }
    }
    Ok(())
}

/// An error and its causes on one line, without the bytes gix quotes as the input it could not
/// parse (a ref file's content is the repository's to choose).
pub fn describe(e: &dyn std::error::Error) -> String {
    let mut out = without_input(&e.to_string());
    let mut source = e.source();
    while let Some(s) = source {
        let text = without_input(&s.to_string());
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out.replace('\n', " ")
}

/// `message, input="…", line=2` -> `message, line=2`.
fn without_input(text: &str) -> String {
    let Some((head, rest)) = text.split_once(", input=\"") else {
        return text.to_string();
    };
    // Skip the quoted value, honouring backslash escapes.
    let mut escaped = false;
    let end = rest.char_indices().find(|&(_, c)| {
        let close = c == '"' && !escaped;
        escaped = c == '\\' && !escaped;
        close
    });
    match end {
        Some((i, _)) => format!("{head}{}", without_input(&rest[i + 1..])),
        None => head.to_string(),
    }
}

/// A repository with a working tree, its index and HEAD tree loaded once.
pub struct RepoView {
    repo: gix::ThreadSafeRepository,
    workdir: PathBuf,
    index: gix::index::File,
    head_tree: Option<ObjectId>,
    /// The global excludes file (`core.excludesFile`, else `~/.config/git/ignore`) when it is a
    /// FIFO, socket or device, which gix would block on, or leads under `/proc`, `/sys` or `/dev`:
    /// ignore rules cannot be evaluated.
    special_excludes: Option<GitError>,
}

impl RepoView {
    /// Discover the repository containing `path`. `Ok(None)` when there is none or it has no
    /// working tree (bare repositories have no working-tree exposure).
    pub fn discover(path: &Path) -> Result<Option<Self>, GitError> {
        let Some(repo) = discover(path)? else {
            return Ok(None);
        };
        let Some(workdir) = repo.workdir() else {
            return Ok(None);
        };
        let workdir = workdir
            .canonicalize()
            .unwrap_or_else(|_| workdir.to_path_buf());
        let index = repo.index_or_empty().map_err(|e| GitError::Index {
            path: workdir.display().to_string(),
            message: e.to_string(),
        })?;
        let index = gix::index::File::clone(&index);
        let head_tree = head_commit(&repo)?.map(|(_, tree)| tree);
        let special_excludes = global_excludes_file(&repo).and_then(|p| special(&p));
        Ok(Some(RepoView {
            repo: repo.into_sync(),
            workdir,
            index,
            head_tree,
            special_excludes,
        }))
    }

    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// `abs` relative to the working tree as a git path: the file name's bytes (which need not
    /// be UTF-8) with `/` separators; `None` if outside the working tree.
    pub fn relative(&self, abs: &Path) -> Option<BString> {
        let rel = abs.strip_prefix(&self.workdir).ok()?;
        let rel = gix::path::into_bstr(rel).ok()?;
        Some(gix::path::to_unix_separators_on_windows(rel).into_owned())
    }

    fn is_tracked(&self, rel: &BStr) -> bool {
        self.index.entry_by_path(rel).is_some()
    }

    /// Which of `secrets` blob `id` (the version of `rel` in HEAD or the index) holds, read in
    /// windows when it is large (see [`crate::source::blob::Blob::contains_each`]): a blob of
    /// gigabytes never needs gigabytes of memory.
    fn blob_holds(
        repo: &gix::Repository,
        id: ObjectId,
        rel: &BStr,
        secrets: &[&[u8]],
    ) -> Result<Vec<bool>, GitError> {
        let err = |message: String| GitError::Object {
            id: id.to_string(),
            path: rel.to_str_lossy().into_owned(),
            message,
        };
        crate::source::blob::open(repo, id)
            .map_err(|e| err(e.to_string()))?
            .contains_each(secrets)
            .map_err(|e| err(e.to_string()))
    }

    /// The blob of `rel` in HEAD's tree, if it is a file there.
    fn head_id(&self, repo: &gix::Repository, rel: &BStr) -> Result<Option<ObjectId>, GitError> {
        let Some(tree_id) = self.head_tree else {
            return Ok(None);
        };
        let obj_err = |e: String| GitError::Object {
            id: tree_id.to_string(),
            path: rel.to_str_lossy().into_owned(),
            message: e,
        };
        let tree = repo
            .find_tree(tree_id)
            .map_err(|e| obj_err(e.to_string()))?;
        let entry = tree
            .lookup_entry_by_path(gix::path::from_bstr(rel).map_err(|e| obj_err(e.to_string()))?)
            .map_err(|e| obj_err(e.to_string()))?;
        Ok(entry.filter(|e| e.mode().is_blob()).map(|e| e.object_id()))
    }

    /// The blob of `rel` in the index, unless it is a submodule there.
    fn index_id(&self, rel: &BStr) -> Option<ObjectId> {
        self.index
            .entry_by_path(rel)
            .filter(|e| !e.mode.is_submodule())
            .map(|e| e.id)
    }

    /// Is `rel` (or a directory above it) matched by a gitignore rule?
    pub fn is_ignored(&self, rel: &BStr) -> Result<bool, GitError> {
        if let Some(e) = &self.special_excludes {
            return Err(e.clone());
        }
        let repo = self.repo.to_thread_local();
        let mut stack = repo
            .excludes(
                &self.index,
                None,
                gix::worktree::stack::state::ignore::Source::WorktreeThenIdMappingIfNotSkipped,
            )
            .map_err(|e| GitError::Excludes(e.to_string()))?;
        let components: Vec<&[u8]> = rel.split(|&b| b == b'/').collect();
        // gix opens every `.gitignore` on the way with a blocking open: a FIFO planted under
        // that name would hang the scan.
        let mut dir = self.workdir.clone();
        for (i, c) in components.iter().enumerate() {
            if let Some(e) = special(&dir.join(".gitignore")) {
                return Err(e);
            }
            if i + 1 < components.len() {
                let c = gix::path::from_bstr(c.as_bstr())
                    .map_err(|e| GitError::Excludes(e.to_string()))?;
                dir.push(c);
            }
        }
        for i in 1..=components.len() {
            let prefix = BString::from(components[..i].join(&b'/'));
            let is_file = i == components.len();
            let mode = if is_file {
                gix::index::entry::Mode::FILE
            } else {
                gix::index::entry::Mode::DIR
            };
            let platform = stack
                .at_path(
                    gix::path::from_bstr(prefix.as_bstr())
                        .map_err(|e| GitError::Excludes(e.to_string()))?,
                    Some(mode),
                )
                .map_err(|e| GitError::Excludes(e.to_string()))?;
            if platform.is_excluded() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The exposure of each secret found in the working-tree file `rel`.
    pub fn exposures(&self, rel: &BStr, secrets: &[&[u8]]) -> Result<Vec<Exposure>, GitError> {
        if !self.is_tracked(rel) {
            let e = if self.is_ignored(rel)? {
                Exposure::Ignored
            } else {
                Exposure::Untracked
            };
            return Ok(vec![e; secrets.len()]);
        }
        let repo = self.repo.to_thread_local();
        let head = self.head_id(&repo, rel)?;
        let in_head = match head {
            Some(id) => Self::blob_holds(&repo, id, rel, secrets)?,
            None => vec![false; secrets.len()],
        };
        let in_index = match self.index_id(rel) {
            // Most often the index holds HEAD's version: read once.
            Some(id) if Some(id) == head => in_head.clone(),
            Some(id) => Self::blob_holds(&repo, id, rel, secrets)?,
            None => vec![false; secrets.len()],
        };
        Ok(in_head
            .iter()
            .zip(&in_index)
            .map(|(&committed, &staged)| {
                if committed {
                    Exposure::Committed
                } else if staged {
                    Exposure::Staged
                } else {
                    Exposure::Modified
                }
            })
            .collect())
    }
}

impl TrackedDirs for RepoView {
    fn has_tracked_files(&self, dir: &Path) -> bool {
        let abs = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        match self.relative(&abs) {
            Some(mut rel) if !rel.is_empty() => {
                rel.push(b'/');
                self.index
                    .prefixed_entries(rel.as_bstr())
                    .is_some_and(|e| !e.is_empty())
            }
            _ => false,
        }
    }
}
