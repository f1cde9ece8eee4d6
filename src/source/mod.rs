//! Where bytes come from. Each source yields content plus provenance and knows nothing about
//! rules: `worktree` walks files on disk, `git` answers questions about a repository (tracked,
//! ignored, committed) through gix.

pub mod blob;
pub mod commit_msg;
pub mod git;
pub mod gitlinks;
pub mod graph;
pub mod odb;
pub mod staged;
pub mod worktree;

use serde::Serialize;

/// Content that could not be read: a file, a pack, a loose object or a blob, and why.
#[derive(Debug, Clone, Serialize)]
pub struct FileError {
    /// A path, or (for git objects) a pack file or object id.
    pub path: String,
    pub error: String,
}

/// Bytes read from the start of content to tell text from binary.
pub const BINARY_PROBE: usize = 8192;

/// Binary content: a NUL byte among its first [`BINARY_PROBE`] bytes.
pub fn is_binary(head: &[u8]) -> bool {
    memchr::memchr(0, &head[..head.len().min(BINARY_PROBE)]).is_some()
}

/// Where a working-tree finding lives (DESIGN.md, "Exposure").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Exposure {
    Ignored,
    Untracked,
    Staged,
    Committed,
    Modified,
    File,
    Reachable,
    Unreachable,
    /// Gates: a secret the branch had removed, brought back (a merge that takes the other side's
    /// older version of a file): entering the branch again.
    Reintroduced,
}

impl Exposure {
    pub fn as_str(self) -> &'static str {
        match self {
            Exposure::Ignored => "ignored",
            Exposure::Untracked => "untracked",
            Exposure::Staged => "staged",
            Exposure::Committed => "committed",
            Exposure::Modified => "modified",
            Exposure::File => "file",
            Exposure::Reachable => "reachable",
            Exposure::Unreachable => "unreachable",
            Exposure::Reintroduced => "reintroduced",
        }
    }

    /// One-line explanation for humans.
    pub fn explain(self) -> &'static str {
        match self {
            Exposure::Ignored => {
                "gitignored, never committed here: local only, but on disk, in backups and syncs"
            }
            Exposure::Untracked => "untracked: one `git add -A` away from a commit",
            Exposure::Staged => "staged: the next commit will contain it",
            Exposure::Committed => "committed: HEAD contains it",
            Exposure::Modified => "in unstaged edits of a tracked file",
            Exposure::File => "not inside a git repository",
            Exposure::Reachable => "in history reachable from a ref",
            Exposure::Unreachable => "in an unreachable object",
            Exposure::Reintroduced => {
                "reintroduced: the branch had removed it, and this brings it back (a merge taking an older version)"
            }
        }
    }
}

/// Where the bytes of a finding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    File,
    Blob,
    CommitMessage,
    TagMessage,
    /// A commit's author or committer name or e-mail.
    CommitHeader,
    /// The name of a ref being pushed.
    RefName,
}

impl SourceKind {
    /// The name JSON gives it: `file`, `blob`, `commit-message`, `tag-message`,
    /// `commit-header`, `ref-name`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::File => "file",
            SourceKind::Blob => "blob",
            SourceKind::CommitMessage => "commit-message",
            SourceKind::TagMessage => "tag-message",
            SourceKind::CommitHeader => "commit-header",
            SourceKind::RefName => "ref-name",
        }
    }

    /// Whether the secret is in text about a commit or ref (no file path), not in a file.
    pub fn is_message(self) -> bool {
        !matches!(self, SourceKind::File | SourceKind::Blob)
    }
}
