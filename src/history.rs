//! History scanning: object database -> engine -> attribution -> findings.
//!
//! Full mode enumerates every object once ([`crate::source::history`]), scans each blob and each
//! commit and tag message, then attributes every (rule, secret, path) to the first commit that
//! exposed it: commits are visited parents-first, oldest first, and each commit contributes only
//! what differs from all of its parents, so a secret present only in a merge's tree is attributed
//! to the merge and a file edited after the secret entered it keeps the introducing commit.
//! Range modes (`--since`, `--range`, `--branch`) scan only the blobs the selected commits
//! introduced (tree diff against every parent).

use crate::content::{self, Target};
use crate::engine::{Engine, Scanner};
use crate::finding::{self, CommitInfo, Finding, FindingOptions};
use crate::report::NotListed;
use crate::source::blob;
use crate::source::graph::{
    self, CommitMeta, Graph, MissingObject, Refs, TagMeta, TipKind, TreeLocator,
};
pub use crate::source::history::Progress;
use crate::source::history::{self as odb, ObjectError};
use crate::source::worktree::BINARY_PROBE;
use crate::source::{Exposure, SourceKind};
use gix::ObjectId;
use gix::bstr::{BString, ByteSlice};
use gix::hashtable::{HashMap as IdMap, HashSet as IdSet};
use gix::objs::Kind;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// Errors that stop a history scan before it starts.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot read refs: {0}")]
    Refs(String),
    #[error("cannot resolve revision '{rev}': {message}")]
    Rev { rev: String, message: String },
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

/// Per-worker list of blob ids, appended to the shared list when the worker finishes.
struct IdSink<'a> {
    local: Vec<ObjectId>,
    shared: &'a Mutex<Vec<ObjectId>>,
}

impl Drop for IdSink<'_> {
    fn drop(&mut self) {
        lock(self.shared).append(&mut self.local);
    }
}

/// Findings of one blob or message, before attribution (path and commit unknown).
type Hits = Vec<Finding>;

/// What the object visitors collect.
#[derive(Default)]
struct Collected {
    blob_hits: IdMap<ObjectId, Hits>,
    commits: IdMap<ObjectId, CommitMeta>,
    commit_msg_hits: IdMap<ObjectId, Hits>,
    tags: IdMap<ObjectId, TagMeta>,
    tag_msg_hits: IdMap<ObjectId, Hits>,
    binary: u64,
    /// The first [`MAX_NAMED`] binary blobs (a range names their paths).
    binary_ids: Vec<ObjectId>,
    large: u64,
    too_large: Vec<(String, u64)>,
    not_listed: Vec<NotListed>,
    /// Blobs that exist but were not scanned.
    unscanned: Vec<ObjectId>,
}

/// Most binary files a range names (the rest are counted).
pub const MAX_NAMED: usize = 1_000;

impl Collected {
    fn note_binary(&mut self, id: ObjectId) {
        self.binary += 1;
        if self.binary_ids.len() < MAX_NAMED {
            self.binary_ids.push(id);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Scan bytes of one object (in windows, whatever its size); returns findings with no location
/// yet, and counts the findings past the per-source limit in `c`.
fn scan_bytes(
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

fn note_not_listed(c: &Mutex<Collected>, id: &gix::oid, n: u64) {
    if n > 0 {
        lock(c).not_listed.push(NotListed {
            path: format!("object {id}"),
            findings: n,
        });
    }
}

/// Is this blob scannable text within the size limit? Counts what it skips.
fn blob_gate(id: &gix::oid, data: &[u8], max: Option<u64>, c: &Mutex<Collected>) -> bool {
    if max.is_some_and(|m| data.len() as u64 > m) {
        let mut c = lock(c);
        c.large += 1;
        c.too_large.push((format!("blob {id}"), data.len() as u64));
        c.unscanned.push(id.to_owned());
        return false;
    }
    if memchr::memchr(0, &data[..data.len().min(BINARY_PROBE)]).is_some() {
        lock(c).note_binary(id.to_owned());
        return false;
    }
    true
}

/// What reading and scanning one blob by id gave.
enum BlobOutcome {
    /// Scanned (or binary): its size.
    Read(u64),
    /// Absent from the object database.
    Missing,
    /// Present but not scanned: why.
    Unreadable(String),
}

/// Read blob `id` (whole when small, streamed when large: [`crate::source::blob`]) and scan it
/// into `c`. Blobs over `--max-file-size` are skipped and named in `c`.
fn scan_blob_by_id(
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
fn scan_commit_text(
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

/// Handle one object: scan blobs and messages, remember commits and tags.
fn visit_object(
    scanner: &mut Scanner<'_>,
    collected: &Mutex<Collected>,
    opts: &HistoryOptions,
    hash: gix::hash::Kind,
    kind: Kind,
    id: &gix::oid,
    data: &[u8],
) {
    match kind {
        Kind::Blob => {
            if !blob_gate(id, data, opts.max_blob_size, collected) {
                return;
            }
            let hits = scan_bytes(
                scanner,
                id,
                data,
                SourceKind::Blob,
                &opts.finding,
                collected,
            );
            if !hits.is_empty() {
                lock(collected).blob_hits.insert(id.to_owned(), hits);
            }
        }
        Kind::Commit => {
            if let Some((meta, message)) = graph::parse_commit(data, hash) {
                let hits = scan_commit_text(scanner, id, &meta, message, opts, collected);
                let mut c = lock(collected);
                c.commits.insert(id.to_owned(), meta);
                if !hits.is_empty() {
                    c.commit_msg_hits.insert(id.to_owned(), hits);
                }
            }
        }
        Kind::Tag => {
            if let Some((meta, message)) = graph::parse_tag(data, hash) {
                let hits = scan_bytes(
                    scanner,
                    id,
                    message,
                    SourceKind::TagMessage,
                    &opts.finding,
                    collected,
                );
                let mut c = lock(collected);
                c.tags.insert(id.to_owned(), meta);
                if !hits.is_empty() {
                    c.tag_msg_hits.insert(id.to_owned(), hits);
                }
            }
        }
        Kind::Tree => {}
    }
}

/// Enumerate and scan every object under `dirs`: what the visitors collected, the enumeration's
/// counts, and every blob that exists (scanned, or skipped as binary or too large).
fn scan_objects(
    repo: &gix::Repository,
    engine: &Engine,
    opts: &HistoryOptions,
    progress: &Progress,
    dirs: &[std::path::PathBuf],
) -> (Collected, odb::EnumStats, IdSet) {
    let hash = repo.object_hash();
    let collected = Mutex::new(Collected::default());
    let blob_ids: Mutex<Vec<ObjectId>> = Mutex::new(Vec::new());
    let limits = odb::Limits {
        max_blob_size: opts
            .max_blob_size
            .map_or(TRAVERSAL_BLOB_LIMIT, |m| m.min(TRAVERSAL_BLOB_LIMIT)),
    };
    let mut stats = odb::enumerate(dirs, hash, opts.threads, limits, progress, || {
        let mut scanner = Scanner::new(engine);
        let collected = &collected;
        let mut sink = IdSink {
            local: Vec::new(),
            shared: &blob_ids,
        };
        move |kind, id: &gix::oid, data: &[u8]| {
            if kind == Kind::Blob {
                sink.local.push(id.to_owned());
            }
            visit_object(&mut scanner, collected, opts, hash, kind, id, data);
        }
    });
    // Blobs too large for the traversal: read one at a time.
    let mut scanner = Scanner::new(engine);
    let mut head = Vec::new();
    let (mut large_errors, mut unscanned) = (Vec::new(), Vec::new());
    for &id in &stats.oversized_blobs {
        match scan_blob_by_id(repo, &mut scanner, id, opts, &collected, &mut head) {
            BlobOutcome::Read(n) => {
                // The traversal counted it as a blob of 0 bytes.
                stats.blob_bytes += n;
            }
            BlobOutcome::Missing => {}
            BlobOutcome::Unreadable(error) => {
                unscanned.push(id);
                large_errors.push(ObjectError {
                    path: format!("blob {id}"),
                    error,
                });
            }
        }
    }
    stats.errors.extend(large_errors);
    lock(&collected).unscanned.extend(unscanned);
    let c = collected.into_inner().unwrap_or_else(|e| e.into_inner());
    let known_blobs: IdSet = blob_ids
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .chain(stats.oversized_blobs.iter().copied())
        .collect();
    (c, stats, known_blobs)
}

/// Scan a repository's history.
pub fn scan(
    repo: &gix::Repository,
    engine: &Engine,
    opts: &HistoryOptions,
    progress: &Progress,
) -> Result<HistoryScan, HistoryError> {
    if opts.scope.is_range() {
        return scan_range(repo, engine, opts);
    }
    let (dirs, dir_errors) = odb::object_dirs(&repo.common_dir().join("objects"));
    let (mut c, stats, known_blobs) = scan_objects(repo, engine, opts, progress, &dirs);
    let peeler = graph::Peeler {
        repo,
        tags: &c.tags,
        commits: &c.commits,
    };
    let refs = graph::read_refs(&peeler).map_err(HistoryError::Refs)?;
    let shallow = graph::shallow_commits(repo);
    let graph = Graph::new(c.commits, &refs, &shallow);
    let mut out = HistoryScan {
        objects_scanned: stats.objects,
        blobs_scanned: stats.blobs - c.binary - c.large,
        bytes_scanned: stats.blob_bytes,
        commits: graph.commits.len(),
        skipped_binary: c.binary,
        skipped_large: c.large,
        too_large: std::mem::take(&mut c.too_large),
        not_listed: std::mem::take(&mut c.not_listed),
        errors: stats.errors,
        shallow: graph.shallow,
        ..HistoryScan::default()
    };
    out.errors.extend(dir_errors);
    if dirs.len() > 1 {
        let others: Vec<String> = dirs[1..].iter().map(|d| d.display().to_string()).collect();
        out.warnings.push(format!(
            "objects/info/alternates lends this repository the objects of {}: they were scanned too (a clone made with --shared or --reference needs them)",
            others.join(", ")
        ));
    }
    out.errors.extend(ref_errors(&refs));
    // Branch and tag names are text a secret can be pasted into too.
    let named = {
        let collected = Mutex::new(Collected::default());
        let names = refs
            .tips
            .iter()
            .filter(|t| t.name != "HEAD")
            .map(|t| (t.name.clone(), t.commit()));
        let list = scan_ref_names(&mut Scanner::new(engine), names, opts, &collected);
        PushedNames {
            tags: Vec::new(),
            refs: list,
        }
    };
    let attribution = Attribution::new(
        &graph,
        &refs,
        c.blob_hits
            .values()
            .chain(c.commit_msg_hits.values())
            .chain(c.tag_msg_hits.values())
            .chain(named.refs.iter().map(|(_, _, h)| h)),
        &opts.finding,
    );
    // Blobs: where each secret sits in which commits.
    let targets: IdSet = c.blob_hits.keys().copied().collect();
    let tree_repo = with_tree_cache(repo);
    let repo = &tree_repo;
    let mut locator = TreeLocator::new(repo, Some(&targets));
    locator.known_blobs = Some(&known_blobs);
    locator.check_missing = true;
    for id in &graph.reachable {
        locator.visit(graph.commits[id].tree);
    }
    out.missing = tagged_content_missing(&refs, &mut locator, &known_blobs);
    out.missing.extend(refs.missing());
    locator.check_missing = false;
    out.missing.extend(locator.missing.iter().cloned());
    out.missing
        .extend(graph.missing_commits.iter().map(|id| MissingObject {
            id: *id,
            path: String::new(),
        }));
    let order = graph.topo_time_order();
    let head_secrets = head_secrets(&graph, &refs, &mut locator, &c.blob_hits);
    let mut locs = Locations::default();
    let mut seen_blobs: IdSet = IdSet::default();
    for id in &order {
        let commit = &graph.commits[id];
        let parent_trees: Vec<ObjectId> = commit
            .parents
            .iter()
            .filter_map(|p| graph.commits.get(p).map(|c| c.tree))
            .collect();
        let reachable = graph.reachable.contains(id);
        let mut introduced = Vec::new();
        locator.introduced(commit.tree, &parent_trees, &mut introduced);
        for (path, blob) in introduced {
            seen_blobs.insert(blob);
            for hit in &c.blob_hits[&blob] {
                locs.add(hit, path.clone(), Some(*id), Some(blob), reachable);
            }
        }
        if let Some(hits) = c.commit_msg_hits.get(id) {
            for hit in hits {
                locs.add(hit, BString::default(), Some(*id), None, reachable);
            }
        }
    }
    // Trees tagged directly: reachable content with no commit.
    for tip in refs.tips.iter().filter(|t| t.kind == TipKind::Tree) {
        let mut introduced = Vec::new();
        locator.introduced(tip.peeled, &[], &mut introduced);
        for (path, blob) in introduced {
            seen_blobs.insert(blob);
            for hit in &c.blob_hits[&blob] {
                locs.add(hit, path.clone(), None, Some(blob), true);
            }
        }
    }
    let mut findings = locs.into_findings(&attribution, &head_secrets);
    findings.extend(tag_message_findings(
        (&c.tags, &c.tag_msg_hits),
        &graph,
        &refs,
        &attribution,
        &head_secrets,
    ));
    findings.extend(unattributed_blob_findings(&c.blob_hits, &seen_blobs, &refs));
    findings.extend(named.into_findings(&graph, &attribution, &head_secrets));
    if opts.scope.reachable_only {
        findings.retain(|f| f.exposure == Exposure::Reachable);
    }
    out.findings = findings;
    out.blob_hits = c.blob_hits;
    out.known_blobs = known_blobs;
    out.unscanned = c.unscanned.into_iter().collect();
    Ok(out)
}

/// Refs that cannot be read, as scan errors named by the ref.
fn ref_errors(refs: &Refs) -> impl Iterator<Item = ObjectError> + '_ {
    refs.errors.iter().map(|e| ObjectError {
        path: e.name.clone(),
        error: e.message.clone(),
    })
}

/// Missing objects among what refs tag directly: blobs, and the content of trees (read once
/// here, with the locator checking every entry).
fn tagged_content_missing(
    refs: &Refs,
    locator: &mut TreeLocator<'_>,
    known_blobs: &IdSet,
) -> Vec<MissingObject> {
    let mut missing = Vec::new();
    for tip in &refs.tips {
        match tip.kind {
            TipKind::Tree => locator.visit(tip.peeled),
            TipKind::Blob if !known_blobs.contains(&tip.peeled) => missing.push(MissingObject {
                id: tip.peeled,
                path: String::new(),
            }),
            _ => {}
        }
    }
    missing
}

/// Tag messages: attributed to the tag's target commit, with the tag's name in refs.
fn tag_message_findings(
    (tags, tag_msg_hits): (&IdMap<ObjectId, TagMeta>, &IdMap<ObjectId, Hits>),
    graph: &Graph,
    refs: &Refs,
    attribution: &Attribution<'_>,
    head_secrets: &HashSet<(String, Vec<u8>)>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (tag_id, hits) in tag_msg_hits {
        let meta = &tags[tag_id];
        let target = graph::peel(*tag_id, tags);
        let reachable = refs.tag_objects.contains(tag_id);
        for hit in hits {
            let mut f = hit.clone();
            f.exposure = if reachable {
                Exposure::Reachable
            } else {
                Exposure::Unreachable
            };
            f.commit = graph.commits.get(&target).map(|_| {
                let mut info = attribution.commit_info(target, head_secrets, hit);
                info.refs.insert(0, format!("refs/tags/{}", meta.name));
                info
            });
            f.blob = Some(tag_id.to_string());
            findings.push(f);
        }
    }
    findings
}

/// Blobs no commit (nor tagged tree) reaches: unreachable, unless a ref tags the blob itself.
fn unattributed_blob_findings(
    blob_hits: &IdMap<ObjectId, Hits>,
    seen_blobs: &IdSet,
    refs: &Refs,
) -> Vec<Finding> {
    let tagged: IdSet = refs
        .tips
        .iter()
        .filter(|t| t.kind == TipKind::Blob)
        .map(|t| t.peeled)
        .collect();
    let mut unseen: Vec<(&ObjectId, &Hits)> = blob_hits
        .iter()
        .filter(|(id, _)| !seen_blobs.contains(*id))
        .collect();
    unseen.sort_by_key(|(id, _)| **id);
    let mut findings = Vec::new();
    for (id, hits) in unseen {
        for hit in hits {
            let mut f = hit.clone();
            f.exposure = if tagged.contains(id) {
                Exposure::Reachable
            } else {
                Exposure::Unreachable
            };
            f.blob = Some(id.to_string());
            findings.push(f);
        }
    }
    findings
}

/// A handle for reading many trees: each is read once, but many are deltas against the same
/// bases, so a generous pack cache keeps those bases decoded (about 2x fewer inflations).
fn with_tree_cache(repo: &gix::Repository) -> gix::Repository {
    let mut r = repo.clone();
    r.objects.set_pack_cache(|| {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
            64 << 20,
        ))
    });
    r
}

/// (rule, secret) pairs present anywhere in HEAD's tree.
fn head_secrets(
    graph: &Graph,
    refs: &Refs,
    locator: &mut TreeLocator<'_>,
    blob_hits: &IdMap<ObjectId, Hits>,
) -> HashSet<(String, Vec<u8>)> {
    let mut out = HashSet::new();
    let Some(head) = refs.head.and_then(|h| graph.commits.get(&h)) else {
        return out;
    };
    let mut all = Vec::new();
    locator.introduced(head.tree, &[], &mut all);
    for (_, blob) in all {
        for h in blob_hits.get(&blob).map(Vec::as_slice).unwrap_or(&[]) {
            out.insert((h.rule_id.clone(), h.raw_secret.clone()));
        }
    }
    out
}

/// Commit metadata and ref reachability for attributed findings.
struct Attribution<'a> {
    graph: &'a Graph,
    refs: &'a Refs,
    /// Cache: commit -> refs that reach it.
    reaching: Mutex<IdMap<ObjectId, Vec<String>>>,
    /// Redacts the secrets found anywhere in the scan from commit summaries.
    scrubber: finding::Scrubber,
    /// Cache: commit -> its summary as findings carry it, redacted and bounded once per commit
    /// (a one-line message can be megabytes, and a commit can introduce many findings).
    summaries: Mutex<IdMap<ObjectId, String>>,
}

impl<'a> Attribution<'a> {
    /// `hits`: every finding the scan can report, whose secrets are redacted from summaries.
    fn new<'h>(
        graph: &'a Graph,
        refs: &'a Refs,
        hits: impl IntoIterator<Item = &'h Hits>,
        opts: &FindingOptions,
    ) -> Self {
        let secrets = hits.into_iter().flatten().map(|h| h.raw_secret.as_slice());
        Attribution {
            graph,
            refs,
            reaching: Mutex::new(IdMap::default()),
            scrubber: finding::Scrubber::new(secrets, opts.show_secrets),
            summaries: Mutex::new(IdMap::default()),
        }
    }

    fn summary(&self, id: ObjectId) -> String {
        if let Some(s) = lock(&self.summaries).get(&id) {
            return s.clone();
        }
        let s = self.scrubber.summary(&self.graph.commits[&id].summary);
        lock(&self.summaries).insert(id, s.clone());
        s
    }

    /// Refs (excluding HEAD) from which `commit` is reachable.
    fn refs_reaching(&self, commit: ObjectId) -> Vec<String> {
        if let Some(r) = lock(&self.reaching).get(&commit) {
            return r.clone();
        }
        let mut names: Vec<String> = if self.graph.reachable.contains(&commit) {
            let desc = self.graph.descendants(commit);
            self.refs
                .tips
                .iter()
                .filter(|t| t.name != "HEAD" && desc.contains(&t.peeled))
                .map(|t| t.name.clone())
                .collect()
        } else {
            Vec::new()
        };
        names.sort();
        names.dedup();
        lock(&self.reaching).insert(commit, names.clone());
        names
    }

    fn commit_info(
        &self,
        id: ObjectId,
        head_secrets: &HashSet<(String, Vec<u8>)>,
        hit: &Finding,
    ) -> CommitInfo {
        let c = &self.graph.commits[&id];
        let refs = self.refs_reaching(id);
        let pushed = refs.iter().any(|r| r.starts_with("refs/remotes/"));
        CommitInfo {
            id: id.to_string(),
            author: c.author.clone(),
            email: c.email.clone(),
            date: graph::rfc3339(c.time, c.offset),
            time: c.time,
            summary: self.summary(id),
            in_head: head_secrets.contains(&(hit.rule_id.clone(), hit.raw_secret.clone())),
            pushed,
            refs,
        }
    }
}

/// First exposure of each (rule, secret, path).
#[derive(Default)]
struct Locations {
    index: HashMap<(String, Vec<u8>, BString), usize>,
    list: Vec<Location>,
}

struct Location {
    hit: Finding,
    path: BString,
    /// `None` for content a ref tags directly (a tagged tree).
    first_commit: Option<ObjectId>,
    blob: Option<ObjectId>,
    reachable: bool,
    /// A merge brought it back after the first parent's line removed it.
    reintroduced: bool,
}

impl Locations {
    /// A secret a merge brings back (see [`reverted_by_merge`]): reported as reintroduced.
    fn add_reintroduced(&mut self, hit: &Finding, path: BString, commit: ObjectId, blob: ObjectId) {
        self.add(hit, path.clone(), Some(commit), Some(blob), true);
        let key = (hit.rule_id.clone(), hit.raw_secret.clone(), path);
        if let Some(&i) = self.index.get(&key) {
            self.list[i].reintroduced = true;
        }
    }

    fn add(
        &mut self,
        hit: &Finding,
        path: BString,
        commit: Option<ObjectId>,
        blob: Option<ObjectId>,
        reachable: bool,
    ) {
        let key = (hit.rule_id.clone(), hit.raw_secret.clone(), path);
        match self.index.get(&key) {
            Some(&i) => self.list[i].reachable |= reachable,
            None => {
                self.index.insert(key.clone(), self.list.len());
                self.list.push(Location {
                    hit: hit.clone(),
                    path: key.2,
                    first_commit: commit,
                    blob,
                    reachable,
                    reintroduced: false,
                });
            }
        }
    }

    fn into_findings(
        self,
        attribution: &Attribution<'_>,
        head_secrets: &HashSet<(String, Vec<u8>)>,
    ) -> Vec<Finding> {
        self.list
            .into_iter()
            .map(|l| {
                let mut f = l.hit;
                f.path = l.path.to_str_lossy().into_owned();
                f.exposure = if l.reintroduced {
                    Exposure::Reintroduced
                } else if l.reachable {
                    Exposure::Reachable
                } else {
                    Exposure::Unreachable
                };
                f.commit = l
                    .first_commit
                    .map(|c| attribution.commit_info(c, head_secrets, &f));
                f.blob = l.blob.map(|b| b.to_string());
                f
            })
            .collect()
    }
}

/// Reads commits one at a time (range mode does not enumerate the object database), recording
/// which are absent and which exist but cannot be read.
struct CommitReader<'r> {
    repo: &'r gix::Repository,
    missing: Vec<MissingObject>,
    unreadable: Vec<ObjectError>,
}

impl CommitReader<'_> {
    /// The commit `id` and its message. An absent commit is missing (--allow-missing accepts
    /// that); one that exists but cannot be read or parsed, or is not a commit, is corrupt, and
    /// the walk cannot go past it: an error.
    fn read(&mut self, id: ObjectId) -> Option<(CommitMeta, Vec<u8>)> {
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

/// The commit a revision names.
fn resolve_rev(repo: &gix::Repository, rev: &str) -> Result<ObjectId, HistoryError> {
    let err = |e: &dyn std::fmt::Display| HistoryError::Rev {
        rev: rev.to_string(),
        message: e.to_string(),
    };
    repo.rev_parse_single(rev)
        .map_err(|e| err(&e))?
        .object()
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id)
        .map_err(|e| err(&e))
}

/// The commits a range selects, with their messages, and the parents they are compared with.
struct Selection {
    commits: IdMap<ObjectId, CommitMeta>,
    messages: IdMap<ObjectId, Vec<u8>>,
    selected: IdSet,
}

/// Walk from `starts` down to the excluded commits, loading every selected commit and the
/// parents outside the selection (needed only for their trees).
fn select_commits(
    reader: &mut CommitReader<'_>,
    starts: Vec<ObjectId>,
    excluded: &IdSet,
    shallow: &IdSet,
) -> Selection {
    let mut sel = Selection {
        commits: IdMap::default(),
        messages: IdMap::default(),
        selected: IdSet::default(),
    };
    let mut stack = starts;
    while let Some(id) = stack.pop() {
        if excluded.contains(&id) || !sel.selected.insert(id) {
            continue;
        }
        match reader.read(id) {
            Some((c, msg)) => {
                if !shallow.contains(&id) {
                    stack.extend(c.parents.iter().copied());
                }
                sel.messages.insert(id, msg);
                sel.commits.insert(id, c);
            }
            None => {
                sel.selected.remove(&id);
            }
        }
    }
    let parent_ids: Vec<ObjectId> = sel
        .commits
        .values()
        .flat_map(|c| c.parents.clone())
        .filter(|p| !sel.commits.contains_key(p))
        .collect();
    for p in parent_ids {
        if !sel.commits.contains_key(&p)
            && let Some((c, _)) = reader.read(p)
        {
            sel.commits.insert(p, c);
        }
    }
    sel
}

/// Range mode: scan only what the selected commits introduced.
fn scan_range(
    repo: &gix::Repository,
    engine: &Engine,
    opts: &HistoryOptions,
) -> Result<HistoryScan, HistoryError> {
    let mut out = HistoryScan::default();
    let mut reader = CommitReader {
        repo,
        missing: Vec::new(),
        unreadable: Vec::new(),
    };
    let shallow = graph::shallow_commits(repo);
    // Commits reachable from the excluded revisions.
    let mut excluded: IdSet = IdSet::default();
    let mut stack = Vec::new();
    for rev in &opts.scope.exclude {
        stack.push(resolve_rev(repo, rev)?);
    }
    while let Some(id) = stack.pop() {
        if !excluded.insert(id) {
            continue;
        }
        if let Some((c, _)) = reader.read(id)
            && !shallow.contains(&id)
        {
            stack.extend(c.parents);
        }
    }
    // Selected commits: from the included revisions (or every ref), minus the excluded ones.
    // Range mode does not enumerate tag objects: refs are peeled through the object database.
    let (no_tags, no_commits) = (IdMap::default(), IdMap::default());
    let peeler = graph::Peeler {
        repo,
        tags: &no_tags,
        commits: &no_commits,
    };
    let refs = graph::read_refs(&peeler).map_err(HistoryError::Refs)?;
    let starts: Vec<ObjectId> = if opts.scope.include.is_empty() {
        refs.tips.iter().filter_map(graph::RefTip::commit).collect()
    } else {
        opts.scope
            .include
            .iter()
            .map(|r| resolve_rev(repo, r))
            .collect::<Result<_, _>>()?
    };
    let sel = select_commits(&mut reader, starts, &excluded, &shallow);
    out.shallow = !shallow.is_empty();
    let graph = Graph::new(sel.commits, &refs, &shallow);
    let tree_repo = with_tree_cache(repo);
    let mut differ = TreeLocator::new(&tree_repo, None);
    differ.check_yielded = true;
    // Introduced blobs per selected commit, in order.
    let order: Vec<ObjectId> = graph
        .topo_time_order()
        .into_iter()
        .filter(|id| sel.selected.contains(id))
        .collect();
    let mut introduced: Vec<(ObjectId, Vec<(BString, ObjectId)>)> = Vec::new();
    // Merges that undo their first parent's change to a file: (merge, path, blob, first
    // parent's blob).
    let mut reverted: Vec<(ObjectId, BString, ObjectId, Option<ObjectId>)> = Vec::new();
    let mut unique_blobs: Vec<ObjectId> = Vec::new();
    let mut seen = IdSet::default();
    for id in &order {
        let c = &graph.commits[id];
        let parent_trees: Vec<ObjectId> = c
            .parents
            .iter()
            .filter_map(|p| graph.commits.get(p).map(|pc| pc.tree))
            .collect();
        let mut list = Vec::new();
        differ.introduced(c.tree, &parent_trees, &mut list);
        if c.parents.len() > 1 {
            for (path, blob, first) in reverted_by_merge(repo, &mut differ, &graph, c) {
                reverted.push((*id, path, blob, first));
            }
        }
        for b in list
            .iter()
            .map(|(_, b)| b)
            .chain(reverted.iter().map(|r| &r.2))
        {
            if seen.insert(*b) {
                unique_blobs.push(*b);
            }
        }
        introduced.push((*id, list));
    }
    out.missing = differ.missing.clone();
    out.missing.extend(reader.missing);
    if opts.scope.include.is_empty() {
        out.missing.extend(refs.missing());
    }
    out.errors = range_errors(reader.unreadable, &mut differ.unreadable, &refs, repo);
    let c = Mutex::new(scan_blobs(repo, engine, opts, &unique_blobs, &mut out));
    let mut scanner = Scanner::new(engine);
    for (id, msg) in &sel.messages {
        let hits = scan_commit_text(&mut scanner, id, &graph.commits[id], msg, opts, &c);
        if !hits.is_empty() {
            lock(&c).commit_msg_hits.insert(*id, hits);
        }
    }
    let pushed = pushed_names(repo, &mut scanner, opts, &c);
    let mut c = c.into_inner().unwrap_or_else(|e| e.into_inner());
    let attribution = Attribution::new(
        &graph,
        &refs,
        c.blob_hits.values().chain(c.commit_msg_hits.values()),
        &opts.finding,
    );
    let head_locator_targets: IdSet = c.blob_hits.keys().copied().collect();
    let mut head_locator = TreeLocator::new(repo, Some(&head_locator_targets));
    head_locator.check_missing = false;
    let head_secrets = head_secrets(&graph, &refs, &mut head_locator, &c.blob_hits);
    out.binary_paths = name_skipped_by_path(&introduced, &mut c);
    let mut locs = Locations::default();
    for (id, list) in introduced {
        let reachable = graph.reachable.contains(&id);
        let parents = graph.commits.get(&id).map_or(&[][..], |c| &c.parents[..]);
        for (path, blob) in list {
            let hits = c.blob_hits.get(&blob).map(Vec::as_slice).unwrap_or(&[]);
            let prior = prior_presence(repo, &graph, &sel.selected, parents, &path, hits);
            for (hit, prior) in hits.iter().zip(prior) {
                match prior {
                    // The commit that first put it there (in the range) reports it.
                    Some(Prior::InRange) => {}
                    Some(Prior::BeforeRange) => out.already_there += 1,
                    None => locs.add(hit, path.clone(), Some(id), Some(blob), reachable),
                }
            }
        }
        for hit in c.commit_msg_hits.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
            locs.add(hit, BString::default(), Some(id), None, reachable);
        }
    }
    for (id, path, blob, first) in reverted {
        let first = first.and_then(|f| match blob::open(repo, f) {
            Ok(blob::Blob::Whole(data)) => Some(data),
            _ => None,
        });
        for hit in c.blob_hits.get(&blob).map(Vec::as_slice).unwrap_or(&[]) {
            // Still in the first parent's version: nothing comes back.
            if first
                .as_deref()
                .is_some_and(|d| memchr::memmem::find(d, &hit.raw_secret).is_some())
            {
                continue;
            }
            locs.add_reintroduced(hit, path.clone(), id, blob);
        }
    }
    out.findings = locs.into_findings(&attribution, &head_secrets);
    out.findings
        .extend(pushed.into_findings(&graph, &attribution, &head_secrets));
    out.commits = order.len();
    out.objects_scanned = unique_blobs.len() as u64 + order.len() as u64;
    out.skipped_binary = c.binary;
    out.skipped_large = c.large;
    out.too_large = std::mem::take(&mut c.too_large);
    out.not_listed = std::mem::take(&mut c.not_listed);
    Ok(out)
}

/// A range knows the path of every blob it skipped: too-large blobs are named by path (with
/// their id), and the paths of binary blobs are returned (sorted, at most [`MAX_NAMED`]).
fn name_skipped_by_path(
    introduced: &[(ObjectId, Vec<(BString, ObjectId)>)],
    c: &mut Collected,
) -> Vec<String> {
    let mut path_of: IdMap<ObjectId, &BString> = IdMap::default();
    for (path, blob) in introduced.iter().flat_map(|(_, list)| list) {
        path_of.entry(*blob).or_insert(path);
    }
    for (name, _) in &mut c.too_large {
        let id = name
            .strip_prefix("blob ")
            .and_then(|hex| ObjectId::from_hex(hex.as_bytes()).ok());
        if let Some(path) = id.and_then(|id| path_of.get(&id)) {
            *name = format!("{path} ({name})");
        }
    }
    let mut binary: Vec<String> = c
        .binary_ids
        .iter()
        .filter_map(|id| path_of.get(id).map(|p| p.to_string()))
        .collect();
    binary.sort();
    binary.dedup();
    binary
}

/// Where a secret found in a file a commit changed already was, at the same path, in one of the
/// commit's parents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prior {
    /// In a parent the range selects: that commit's version reports it.
    InRange,
    /// Only in a parent before the range: the secret predates the range, which did not add it
    /// (it changed another line of the file).
    BeforeRange,
}

/// For each hit in `path` of a commit with `parents`, whether its secret was already in a
/// parent's version of that path (see [`Prior`]). A parent version that cannot be read counts as
/// not holding it: the finding is then reported.
fn prior_presence(
    repo: &gix::Repository,
    graph: &Graph,
    selected: &IdSet,
    parents: &[ObjectId],
    path: &BString,
    hits: &[Finding],
) -> Vec<Option<Prior>> {
    let mut prior = vec![None; hits.len()];
    if hits.is_empty() {
        return prior;
    }
    let needles: Vec<&[u8]> = hits.iter().map(|h| h.raw_secret.as_slice()).collect();
    for p in parents {
        let Some(blob) = graph
            .commits
            .get(p)
            .and_then(|pc| blob_at(repo, pc.tree, path))
        else {
            continue;
        };
        let Some(found) = blob::open(repo, blob)
            .ok()
            .and_then(|b| b.contains_each(&needles).ok())
        else {
            continue;
        };
        let here = if selected.contains(p) {
            Prior::InRange
        } else {
            Prior::BeforeRange
        };
        for (slot, found) in prior.iter_mut().zip(found) {
            if found && *slot != Some(Prior::InRange) {
                *slot = Some(here);
            }
        }
    }
    prior
}

/// The blob at `path` in `tree`, if there is one.
fn blob_at(repo: &gix::Repository, tree: ObjectId, path: &BString) -> Option<ObjectId> {
    let tree = repo.find_tree(tree).ok()?;
    let entry = tree
        .lookup_entry_by_path(gix::path::from_bstr(path.as_bstr()).ok()?.as_ref())
        .ok()??;
    entry.mode().is_blob().then(|| entry.object_id())
}

/// The files merge commit `commit` takes from a merged parent that had left them as the merge
/// base had them, where the first parent had changed them: the merge undoes the first parent's
/// change, and can bring back a secret the first parent removed. Returns (path, blob, the first
/// parent's blob at that path).
fn reverted_by_merge(
    repo: &gix::Repository,
    differ: &mut TreeLocator<'_>,
    graph: &Graph,
    commit: &CommitMeta,
) -> Vec<(BString, ObjectId, Option<ObjectId>)> {
    let Some((&first, others)) = commit.parents.split_first() else {
        return Vec::new();
    };
    let Some(first_tree) = graph.commits.get(&first).map(|c| c.tree) else {
        return Vec::new();
    };
    let blob_at = |tree: ObjectId, path: &BString| blob_at(repo, tree, path);
    let mut changed = Vec::new();
    differ.introduced(commit.tree, &[first_tree], &mut changed);
    let mut out = Vec::new();
    for &other in others {
        let Some(other_tree) = graph.commits.get(&other).map(|c| c.tree) else {
            continue;
        };
        let Some(base_tree) = repo
            .merge_base(first, other)
            .ok()
            .flatten()
            .and_then(|b| repo.find_commit(b.detach()).ok())
            .and_then(|c| c.tree_id().ok().map(|t| t.detach()))
        else {
            continue;
        };
        for (path, blob) in &changed {
            if blob_at(other_tree, path) == Some(*blob) && blob_at(base_tree, path) == Some(*blob) {
                out.push((path.clone(), *blob, blob_at(first_tree, path)));
            }
        }
    }
    out
}

/// What a push carries besides commits: the annotated tags it names (`git push --follow-tags`)
/// and the names of the refs it updates, each scanned as text.
#[derive(Default)]
struct PushedNames {
    /// (tag object, its name, the commit it peels to, findings in its message).
    tags: Vec<(ObjectId, String, Option<ObjectId>, Hits)>,
    /// (ref name, the commit it names, findings in the name).
    refs: Vec<(String, Option<ObjectId>, Hits)>,
}

/// Scan the messages of the annotated tags among the included revisions (a tag of a tag
/// included) and the ref names of the scope.
fn pushed_names(
    repo: &gix::Repository,
    scanner: &mut Scanner<'_>,
    opts: &HistoryOptions,
    c: &Mutex<Collected>,
) -> PushedNames {
    let mut out = PushedNames::default();
    let commit_of = |rev: &str| resolve_rev(repo, rev).ok();
    for rev in &opts.scope.include {
        let Ok(mut id) = repo.rev_parse_single(rev.as_str()).map(|id| id.detach()) else {
            continue;
        };
        // Follow a chain of tags (bounded: a tag cannot point at itself).
        for _ in 0..16 {
            let Ok(obj) = repo.find_object(id) else { break };
            if obj.kind != Kind::Tag {
                break;
            }
            let Some((meta, message)) = graph::parse_tag(&obj.data, repo.object_hash()) else {
                break;
            };
            let hits = scan_bytes(
                scanner,
                &id,
                message,
                SourceKind::TagMessage,
                &opts.finding,
                c,
            );
            out.tags
                .push((id, meta.name.clone(), commit_of(&id.to_string()), hits));
            id = meta.target;
        }
    }
    let names = opts
        .scope
        .ref_names
        .iter()
        .map(|n| (n.clone(), commit_of(n)));
    out.refs = scan_ref_names(scanner, names, opts, c);
    out
}

/// Scan ref names as text: (name, the commit it names, findings).
fn scan_ref_names(
    scanner: &mut Scanner<'_>,
    names: impl Iterator<Item = (String, Option<ObjectId>)>,
    opts: &HistoryOptions,
    c: &Mutex<Collected>,
) -> Vec<(String, Option<ObjectId>, Hits)> {
    let none = gix::ObjectId::null(gix::hash::Kind::Sha1);
    names
        .filter_map(|(name, commit)| {
            let hits = scan_bytes(
                scanner,
                commit.as_ref().map_or(none.as_ref(), |c| c.as_ref()),
                name.as_bytes(),
                SourceKind::RefName,
                &opts.finding,
                c,
            );
            (!hits.is_empty()).then_some((name, commit, hits))
        })
        .collect()
}

impl PushedNames {
    /// Findings attributed to the commit each tag or ref names, with its name in `refs`.
    fn into_findings(
        self,
        graph: &Graph,
        attribution: &Attribution<'_>,
        head_secrets: &HashSet<(String, Vec<u8>)>,
    ) -> Vec<Finding> {
        let tags = self
            .tags
            .into_iter()
            .map(|(id, name, commit, hits)| (format!("refs/tags/{name}"), Some(id), commit, hits));
        let refs = self
            .refs
            .into_iter()
            .map(|(name, commit, hits)| (name, None, commit, hits));
        let mut out = Vec::new();
        for (name, object, commit, hits) in tags.chain(refs) {
            for hit in hits {
                let mut f = hit.clone();
                f.exposure = Exposure::Reachable;
                f.blob = object.map(|o| o.to_string());
                f.commit = commit.filter(|c| graph.commits.contains_key(c)).map(|c| {
                    let mut info = attribution.commit_info(c, head_secrets, &hit);
                    info.refs.insert(0, name.clone());
                    info
                });
                out.push(f);
            }
        }
        out
    }
}

/// Range mode's errors: commits and trees that exist but cannot be read, refs that cannot be
/// read, and object directories that cannot be listed (their objects would look missing).
fn range_errors(
    mut commits: Vec<ObjectError>,
    trees: &mut Vec<MissingObject>,
    refs: &Refs,
    repo: &gix::Repository,
) -> Vec<ObjectError> {
    commits.sort_by(|a, b| a.path.cmp(&b.path));
    commits.dedup_by(|a, b| a.path == b.path);
    let mut errors = odb::unreadable_dirs(&repo.common_dir().join("objects"), repo.object_hash());
    errors.extend(ref_errors(refs));
    errors.extend(commits);
    let mut trees = std::mem::take(trees);
    trees.sort();
    trees.dedup_by(|a, b| a.id == b.id);
    errors.extend(trees.into_iter().map(|t| ObjectError {
        path: if t.path.is_empty() {
            format!("tree {}", t.id)
        } else {
            format!("tree {} ({})", t.id, t.path)
        },
        error: "the tree exists but cannot be read".into(),
    }));
    errors
}

/// Scan the unique introduced blobs in parallel, one thread-local repository per worker. Sets
/// the blob and byte counts and the read errors of `out`.
fn scan_blobs(
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
