//! Where bytes come from. Each source yields content plus provenance and knows nothing about
//! rules: `worktree` walks files on disk, `git` answers questions about a repository (tracked,
//! ignored, committed) through gix.

pub mod blob;
pub mod commit_msg;
pub mod git;
pub mod gitlinks;
pub mod graph;
pub mod history;
pub mod staged;
pub mod worktree;
