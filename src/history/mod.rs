//! History scanning: object database -> engine -> attribution -> findings.
//!
//! Full mode enumerates every object once ([`crate::source::odb`]), scans each blob and each
//! commit and tag message, then attributes every (rule, secret, path) to the first commit that
//! exposed it: commits are visited parents-first, oldest first, and each commit contributes only
//! what differs from all of its parents, so a secret present only in a merge's tree is attributed
//! to the merge and a file edited after the secret entered it keeps the introducing commit.
//! Range modes (`--since`, `--range`, `--branch`) scan only the blobs the selected commits
//! introduced (tree diff against every parent).

mod attribute;
mod full;
mod names;
mod objects;
mod range;

use attribute::*;
use names::*;
use objects::*;
use range::*;

use crate::engine::Engine;
use crate::finding::{Finding, FindingOptions};
use crate::lock;
use crate::report::NotListed;
use crate::source::graph::{MissingObject, Refs};
use crate::source::odb::ObjectError;
pub use crate::source::odb::Progress;
use gix::ObjectId;
use gix::hashtable::{HashMap as IdMap, HashSet as IdSet};

/// Errors that stop a history scan before it starts.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot read refs: {0}")]
    Refs(String),
    #[error("cannot resolve revision '{rev}'")]
    Rev {
        rev: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("invalid range '{0}': expected A..B")]
    Range(String),
}

/// Which commits to look at.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Exclude commits reachable from these revisions.
    pub exclude: Vec<String>,
    /// Start from these revisions instead of every ref.
    pub include: Vec<String>,
    /// Skip objects no ref reaches (full mode).
    pub reachable_only: bool,
    /// Range mode: names of refs being pushed, scanned as text (`source: "ref-name"`).
    pub ref_names: Vec<String>,
}

impl Scope {
    /// Whether the scope selects commits (range mode) rather than the whole object database.
    pub fn is_range(&self) -> bool {
        !self.exclude.is_empty() || !self.include.is_empty()
    }

    /// Build from `--since`, `--range`, `--branch`.
    pub fn from_options(
        since: Option<&str>,
        range: Option<&str>,
        branch: Option<&str>,
        reachable_only: bool,
    ) -> Result<Self, HistoryError> {
        let mut s = Scope {
            reachable_only,
            ..Scope::default()
        };
        if let Some(r) = range {
            let (a, b) = r
                .split_once("..")
                .filter(|(a, b)| !a.is_empty() && !b.is_empty() && !b.starts_with('.'))
                .ok_or_else(|| HistoryError::Range(r.to_string()))?;
            s.exclude.push(a.to_string());
            s.include.push(b.to_string());
        }
        if let Some(r) = since {
            s.exclude.push(r.to_string());
        }
        if let Some(b) = branch {
            s.include.push(b.to_string());
        }
        Ok(s)
    }
}

/// Options of a history scan.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    pub scope: Scope,
    pub threads: usize,
    /// Skip (and name) blobs larger than this (`--max-file-size`); `None`: no limit.
    pub max_blob_size: Option<u64>,
    pub finding: FindingOptions,
}

/// Blobs up to this size are decoded by the parallel pack traversal; larger ones are read on
/// their own afterwards, one at a time, whole or streamed ([`crate::source::blob`]), so several
/// large blobs are never in memory together.
const TRAVERSAL_BLOB_LIMIT: u64 = 32 << 20;

/// The result of a history scan, before allowlists and reporting.
#[derive(Debug, Default)]
pub struct HistoryScan {
    pub findings: Vec<Finding>,
    pub objects_scanned: u64,
    pub blobs_scanned: u64,
    pub bytes_scanned: u64,
    pub commits: usize,
    pub skipped_binary: u64,
    pub skipped_large: u64,
    /// Blobs over `--max-file-size`: `blob <id>` and size.
    pub too_large: Vec<(String, u64)>,
    /// Blobs with more findings than are listed per source.
    pub not_listed: Vec<NotListed>,
    pub missing: Vec<MissingObject>,
    pub errors: Vec<ObjectError>,
    pub shallow: bool,
    /// What the person running the scan should know (objects read from another repository's
    /// object directory through `objects/info/alternates`).
    pub warnings: Vec<String>,
    /// Full mode: every blob in the object database (scanned, or skipped as binary/too large).
    pub known_blobs: IdSet,
    /// Full mode: findings per blob, before attribution (no path, no commit).
    pub blob_hits: IdMap<ObjectId, Vec<Finding>>,
    /// Blobs that exist but were not scanned (over `--max-file-size`, or unreadable): a
    /// working-tree file with the same content must be read, not taken as known.
    pub unscanned: IdSet,
    /// Range mode: the paths of binary files the range added or changed (not scanned), at most
    /// [`MAX_NAMED`].
    pub binary_paths: Vec<String>,
    /// Range mode: findings in files the range changed whose secret was already in the file
    /// before the range (not reported: the range did not add them).
    pub already_there: u64,
}

impl HistoryScan {
    /// Add another scan's results to this one, for one report over several scans (the refs of
    /// one push, a submodule's commits): every finding, count, skipped or unlisted object,
    /// missing object, error and warning. Every field is named here, so a field added to the
    /// struct cannot be forgotten.
    pub fn absorb(&mut self, other: HistoryScan) {
        let HistoryScan {
            findings,
            objects_scanned,
            blobs_scanned,
            bytes_scanned,
            commits,
            skipped_binary,
            skipped_large,
            too_large,
            not_listed,
            missing,
            errors,
            shallow,
            warnings,
            known_blobs,
            blob_hits,
            unscanned,
            already_there,
            binary_paths,
        } = other;
        self.already_there += already_there;
        self.binary_paths.extend(binary_paths);
        self.findings.extend(findings);
        self.objects_scanned += objects_scanned;
        self.blobs_scanned += blobs_scanned;
        self.bytes_scanned += bytes_scanned;
        self.commits += commits;
        self.skipped_binary += skipped_binary;
        self.skipped_large += skipped_large;
        self.too_large.extend(too_large);
        self.not_listed.extend(not_listed);
        self.missing.extend(missing);
        self.errors.extend(errors);
        self.shallow |= shallow;
        for w in warnings {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
        self.known_blobs.extend(known_blobs);
        for (id, hits) in blob_hits {
            self.blob_hits.entry(id).or_default().extend(hits);
        }
        self.unscanned.extend(unscanned);
    }
}

/// Most binary files a range names (the rest are counted).
pub const MAX_NAMED: usize = 1_000;

/// Refs that cannot be read, as scan errors named by the ref.
pub(super) fn ref_errors(refs: &Refs) -> impl Iterator<Item = ObjectError> + '_ {
    refs.errors.iter().map(|e| ObjectError {
        path: e.name.clone(),
        error: e.message.clone(),
    })
}

/// Scan the history `opts.scope` selects: every object (full mode) or what a range of commits
/// introduced.
pub fn scan(
    repo: &gix::Repository,
    engine: &Engine,
    opts: &HistoryOptions,
    progress: &Progress,
) -> Result<HistoryScan, HistoryError> {
    if opts.scope.is_range() {
        range::scan_range(repo, engine, opts)
    } else {
        full::scan(repo, engine, opts, progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absorb_keeps_every_field() {
        let mut a = HistoryScan {
            commits: 1,
            skipped_binary: 1,
            warnings: vec!["w".into()],
            ..HistoryScan::default()
        };
        let b = HistoryScan {
            commits: 2,
            skipped_binary: 2,
            skipped_large: 1,
            too_large: vec![("blob x".into(), 9)],
            not_listed: vec![NotListed {
                path: "object y".into(),
                findings: 3,
            }],
            errors: vec![ObjectError {
                path: "object z".into(),
                error: "corrupt".into(),
            }],
            shallow: true,
            warnings: vec!["w".into(), "v".into()],
            ..HistoryScan::default()
        };
        a.absorb(b);
        assert_eq!((a.commits, a.skipped_binary, a.skipped_large), (3, 3, 1));
        assert_eq!(a.too_large.len(), 1);
        assert_eq!(a.not_listed.len(), 1);
        assert_eq!(a.errors.len(), 1);
        assert!(a.shallow);
        assert_eq!(a.warnings, ["w", "v"]);
    }
}
