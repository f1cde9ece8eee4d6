//! The git view of a working tree, through gix: which files are tracked, ignored or untracked,
//! and whether a secret is in HEAD's or the index's version of a file. This is what turns a
//! working-tree finding into an exposure (`ignored`, `untracked`, `staged`, `committed`,
//! `modified`).

use crate::finding::Exposure;
use crate::source::worktree::TrackedDirs;
use gix::ObjectId;
use gix::bstr::{BStr, BString, ByteSlice};
use std::path::{Path, PathBuf};

/// Errors reading the repository.
#[derive(Debug, thiserror::Error)]
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
    #[error("HEAD of the git repository at {path} cannot be read: {message}")]
    Head { path: String, message: String },
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

/// The repository containing `path`, or `None` when there is none.
pub fn discover(path: &Path) -> Result<Option<gix::Repository>, GitError> {
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
    match gix::discover::upwards(path) {
        Ok(_) => gix::discover(path)
            .map(Some)
            .map_err(|e| open_err(e.to_string())),
        Err(e) => match e.downcast_any_ref::<E>() {
            Some(
                E::NoGitRepository { .. }
                | E::NoGitRepositoryWithinCeiling { .. }
                | E::NoGitRepositoryWithinFs { .. },
            ) => Ok(None),
            _ => Err(open_err(e.to_string())),
        },
    }
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
        Ok(Some(RepoView {
            repo: repo.into_sync(),
            workdir,
            index,
            head_tree,
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

    /// Read a blob's bytes.
    fn blob(repo: &gix::Repository, id: gix::ObjectId, path: &BStr) -> Result<Vec<u8>, GitError> {
        repo.find_object(id)
            .map(|o| o.detach().data)
            .map_err(|e| GitError::Object {
                id: id.to_string(),
                path: path.to_str_lossy().into_owned(),
                message: e.to_string(),
            })
    }

    fn head_blob(&self, repo: &gix::Repository, rel: &BStr) -> Result<Option<Vec<u8>>, GitError> {
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
        match entry {
            Some(e) if e.mode().is_blob() => Self::blob(repo, e.object_id(), rel).map(Some),
            _ => Ok(None),
        }
    }

    fn index_blob(&self, repo: &gix::Repository, rel: &BStr) -> Result<Option<Vec<u8>>, GitError> {
        match self.index.entry_by_path(rel) {
            Some(e) if e.mode.is_submodule() => Ok(None),
            Some(e) => Self::blob(repo, e.id, rel).map(Some),
            None => Ok(None),
        }
    }

    /// Is `rel` (or a directory above it) matched by a gitignore rule?
    pub fn is_ignored(&self, rel: &BStr) -> Result<bool, GitError> {
        let repo = self.repo.to_thread_local();
        let mut stack = repo
            .excludes(
                &self.index,
                None,
                gix::worktree::stack::state::ignore::Source::WorktreeThenIdMappingIfNotSkipped,
            )
            .map_err(|e| GitError::Excludes(e.to_string()))?;
        let components: Vec<&[u8]> = rel.split(|&b| b == b'/').collect();
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
        let head = self.head_blob(&repo, rel)?;
        let staged = self.index_blob(&repo, rel)?;
        let contains = |blob: &Option<Vec<u8>>, s: &[u8]| {
            blob.as_deref()
                .is_some_and(|b| memchr::memmem::find(b, s).is_some())
        };
        Ok(secrets
            .iter()
            .map(|s| {
                if contains(&head, s) {
                    Exposure::Committed
                } else if contains(&staged, s) {
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
