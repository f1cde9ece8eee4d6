//! Scanning git objects into hits without a location yet: blobs (whole, or streamed when large),
//! commit messages and headers, with what was skipped and why.

use super::*;
use crate::content::{self, Target};
use crate::engine::{Engine, Scanner};
use crate::finding::{Finding, FindingOptions};
use crate::report::NotListed;
use crate::source::blob;
use crate::source::graph::{self, CommitMeta, MissingObject, TagMeta};
use crate::source::odb::ObjectError;
use crate::source::worktree::BINARY_PROBE;
use crate::source::{Exposure, SourceKind};
use gix::ObjectId;
use gix::hashtable::{HashMap as IdMap, HashSet as IdSet};
use gix::objs::Kind;
use std::sync::Mutex;

/// Per-worker list of blob ids, appended to the shared list when the worker finishes.
pub(super) struct IdSink<'a> {
    pub(super) local: Vec<ObjectId>,
    pub(super) shared: &'a Mutex<Vec<ObjectId>>,
}

impl Drop for IdSink<'_> {
    fn drop(&mut self) {
        lock(self.shared).append(&mut self.local);
    }
}

/// Findings of one blob or message, before attribution (path and commit unknown).
pub(super) type Hits = Vec<Finding>;

/// What the object visitors collect.
#[derive(Default)]
pub(super) struct Collected {
    pub(super) blob_hits: IdMap<ObjectId, Hits>,
    pub(super) commits: IdMap<ObjectId, CommitMeta>,
    pub(super) commit_msg_hits: IdMap<ObjectId, Hits>,
    pub(super) tags: IdMap<ObjectId, TagMeta>,
    pub(super) tag_msg_hits: IdMap<ObjectId, Hits>,
    pub(super) binary: u64,
    /// The first [`MAX_NAMED`] binary blobs (a range names their paths).
    pub(super) binary_ids: Vec<ObjectId>,
    pub(super) large: u64,
    pub(super) too_large: Vec<(String, u64)>,
    pub(super) not_listed: Vec<NotListed>,
    /// Blobs that exist but were not scanned.
    pub(super) unscanned: Vec<ObjectId>,
}

impl Collected {
    pub(super) fn note_binary(&mut self, id: ObjectId) {
        self.binary += 1;
        if self.binary_ids.len() < MAX_NAMED {
            self.binary_ids.push(id);
        }
    }
}

/// Scan bytes of one object (in windows, whatever its size); returns findings with no location
/// yet, and counts the findings past the per-source limit in `c`.
pub(super) fn scan_bytes(
    scanner: &mut Scanner<'_>,
    id: &gix::oid,
    data: &[u8],
    source: SourceKind,
    opts: &FindingOptions,
    c: &Mutex<Collected>,
) -> Hits {
    let target = Target {
        path: "",
        source,
        exposure: Exposure::Reachable,
        opts,
    };
    let scanned = content::scan_bytes(scanner, data, &target, target.keep_all());
    note_not_listed(c, id, scanned.not_listed);
    scanned.findings
}

pub(super) fn note_not_listed(c: &Mutex<Collected>, id: &gix::oid, n: u64) {
    if n > 0 {
        lock(c).not_listed.push(NotListed {
            path: format!("object {id}"),
            findings: n,
        });
    }
}

/// Is this blob scannable text within the size limit? Counts what it skips.
pub(super) fn blob_gate(
    id: &gix::oid,
    data: &[u8],
    max: Option<u64>,
    c: &Mutex<Collected>,
) -> bool {
    if max.is_some_and(|m| data.len() as u64 > m) {
        let mut c = lock(c);
        c.large += 1;
        c.too_large.push((format!("blob {id}"), data.len() as u64));
        c.unscanned.push(id.to_owned());
        return false;
    }
    if crate::source::is_binary(data) {
        lock(c).note_binary(id.to_owned());
        return false;
    }
    true
}

/// What reading and scanning one blob by id gave.
pub(super) enum BlobOutcome {
    /// Scanned (or binary): its size.
    Read(u64),
    /// Absent from the object database.
    Missing,
    /// Present but not scanned: why.
    Unreadable(String),
}

/// Read blob `id` (whole when small, streamed when large: [`crate::source::blob`]) and scan it
/// into `c`. Blobs over `--max-file-size` are skipped and named in `c`.
pub(super) fn scan_blob_by_id(
    repo: &gix::Repository,
    scanner: &mut Scanner<'_>,
    id: ObjectId,
    opts: &HistoryOptions,
    c: &Mutex<Collected>,
    head: &mut Vec<u8>,
) -> BlobOutcome {
    let size = match blob::size(repo, id) {
        Ok(Some(size)) => size,
        Ok(None) => return BlobOutcome::Missing,
        Err(e) => return BlobOutcome::Unreadable(e.to_string()),
    };
    if opts.max_blob_size.is_some_and(|m| size > m) {
        let mut c = lock(c);
        c.large += 1;
        c.too_large.push((format!("blob {id}"), size));
        c.unscanned.push(id);
        return BlobOutcome::Read(0);
    }
    let data = match blob::open(repo, id) {
        Ok(b) => b,
        Err(e) if e.is_missing() => return BlobOutcome::Missing,
        Err(e) => return BlobOutcome::Unreadable(e.to_string()),
    };
    let target = Target {
        path: "",
        source: SourceKind::Blob,
        exposure: Exposure::Reachable,
        opts: &opts.finding,
    };
    match content::scan_blob(
        scanner,
        data,
        head,
        BINARY_PROBE,
        &target,
        target.keep_all(),
    ) {
        Ok(Some(scanned)) => {
            note_not_listed(c, &id, scanned.not_listed);
            if !scanned.findings.is_empty() {
                lock(c).blob_hits.insert(id, scanned.findings);
            }
            BlobOutcome::Read(scanned.bytes)
        }
        Ok(None) => {
            lock(c).note_binary(id);
            BlobOutcome::Read(size)
        }
        Err(e) => BlobOutcome::Unreadable(e.to_string()),
    }
}

/// Scan what a commit says besides its tree: its message and its author and committer lines.
pub(super) fn scan_commit_text(
    scanner: &mut Scanner<'_>,
    id: &gix::oid,
    meta: &CommitMeta,
    message: &[u8],
    opts: &HistoryOptions,
    c: &Mutex<Collected>,
) -> Hits {
    let mut hits = scan_bytes(
        scanner,
        id,
        message,
        SourceKind::CommitMessage,
        &opts.finding,
        c,
    );
    hits.extend(scan_bytes(
        scanner,
        id,
        meta.header_text().as_bytes(),
        SourceKind::CommitHeader,
        &opts.finding,
        c,
    ));
    hits
}

/// Reads commits one at a time (range mode does not enumerate the object database), recording
/// which are absent and which exist but cannot be read.
pub(super) struct CommitReader<'r> {
    pub(super) repo: &'r gix::Repository,
    pub(super) missing: Vec<MissingObject>,
    pub(super) unreadable: Vec<ObjectError>,
}

impl CommitReader<'_> {
    /// The commit `id` and its message. An absent commit is missing (--allow-missing accepts
    /// that); one that exists but cannot be read or parsed, or is not a commit, is corrupt, and
    /// the walk cannot go past it: an error.
    pub(super) fn read(&mut self, id: ObjectId) -> Option<(CommitMeta, Vec<u8>)> {
        let parsed = match self.repo.find_object(id) {
            Ok(obj) if obj.kind != Kind::Commit => Err(format!("a {}, not a commit", obj.kind)),
            Ok(obj) => graph::parse_commit(&obj.data, self.repo.object_hash())
                .map(|(meta, msg)| (meta, msg.to_vec()))
                .ok_or_else(|| "not a well-formed commit".to_string()),
            Err(_) if !self.repo.has_object(id) => {
                self.missing.push(MissingObject {
                    id,
                    path: String::new(),
                });
                return None;
            }
            Err(e) => Err(e.to_string()),
        };
        parsed
            .map_err(|error| {
                self.unreadable.push(ObjectError {
                    path: format!("commit {id}"),
                    error,
                });
            })
            .ok()
    }
}

/// Scan the unique introduced blobs in parallel, one thread-local repository per worker. Sets
/// the blob and byte counts and the read errors of `out`.
pub(super) fn scan_blobs(
    repo: &gix::Repository,
    engine: &Engine,
    opts: &HistoryOptions,
    unique_blobs: &[ObjectId],
    out: &mut HistoryScan,
) -> Collected {
    let collected = Mutex::new(Collected::default());
    let sync = repo.clone().into_sync();
    let bytes = std::sync::atomic::AtomicU64::new(0);
    // A blob the differ found absent is already recorded as missing; one that exists but cannot
    // be read (a corrupt loose object or pack entry) is an error, never silently skipped.
    let absent: IdSet = out.missing.iter().map(|m| m.id).collect();
    let unread = std::sync::atomic::AtomicU64::new(0);
    let read_errors = Mutex::new(Vec::new());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build();
    let work = || {
        use rayon::prelude::*;
        unique_blobs.par_iter().for_each_init(
            || (sync.to_thread_local(), Scanner::new(engine), Vec::new()),
            |(repo, scanner, head), id| match scan_blob_by_id(
                repo, scanner, *id, opts, &collected, head,
            ) {
                BlobOutcome::Read(n) => {
                    bytes.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                }
                BlobOutcome::Missing => {
                    unread.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if !absent.contains(id) {
                        lock(&read_errors).push(ObjectError {
                            path: format!("object {id}"),
                            error: "missing".into(),
                        });
                    }
                }
                BlobOutcome::Unreadable(error) => {
                    unread.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    lock(&read_errors).push(ObjectError {
                        path: format!("object {id}"),
                        error,
                    });
                }
            },
        )
    };
    match pool {
        Ok(p) => p.install(work),
        Err(_) => work(),
    }
    let mut read_errors = read_errors.into_inner().unwrap_or_else(|e| e.into_inner());
    read_errors.sort_by(|a, b| a.path.cmp(&b.path));
    out.errors.extend(read_errors);
    let mut c = collected.into_inner().unwrap_or_else(|e| e.into_inner());
    c.blob_hits.retain(|_, v| !v.is_empty());
    out.blobs_scanned = unique_blobs.len() as u64 - c.binary - c.large - unread.into_inner();
    out.bytes_scanned = bytes.into_inner();
    c
}
