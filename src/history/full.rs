//! The full scan: every object in the object database once, then every hit attributed to the
//! commit that first exposed it.

use super::*;
use crate::engine::{Engine, Scanner};
use crate::finding::Finding;
use crate::source::graph::{self, Graph, MissingObject, Refs, TagMeta, TipKind, TreeLocator};
pub use crate::source::odb::Progress;
use crate::source::odb::{self, ObjectError};
use crate::source::{Exposure, SourceKind};
use gix::ObjectId;
use gix::bstr::BString;
use gix::hashtable::{HashMap as IdMap, HashSet as IdSet};
use gix::objs::Kind;
use std::collections::HashSet;
use std::sync::Mutex;

/// Handle one object: scan blobs and messages, remember commits and tags.
pub(super) fn visit_object(
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
pub(super) fn scan_objects(
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
    let head_secrets = head_secrets(&graph, &refs, &mut locator, &c.blob_hits);
    let (locs, seen_blobs) = locate_all(
        &graph,
        &refs,
        &mut locator,
        (&c.blob_hits, &c.commit_msg_hits),
    );
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

/// Missing objects among what refs tag directly: blobs, and the content of trees (read once
/// here, with the locator checking every entry).
pub(super) fn tagged_content_missing(
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
pub(super) fn tag_message_findings(
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
pub(super) fn unattributed_blob_findings(
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

/// Where each hit sits: every commit's introduced blobs (and its message and headers), then the
/// trees refs name directly (reachable content with no commit). Returns the blobs located.
fn locate_all(
    graph: &Graph,
    refs: &Refs,
    locator: &mut TreeLocator<'_>,
    (blob_hits, msg_hits): (&IdMap<ObjectId, Hits>, &IdMap<ObjectId, Hits>),
) -> (Locations, IdSet) {
    let mut locs = Locations::default();
    let mut seen_blobs: IdSet = IdSet::default();
    for id in &graph.topo_time_order() {
        let commit = &graph.commits[id];
        let parent_trees: Vec<ObjectId> = commit
            .parents
            .iter()
            .filter_map(|p| graph.commits.get(p).map(|c| c.tree))
            .collect();
        let reachable = graph.reachable.contains(id);
        let mut introduced = Vec::new();
        locator.introduced(commit.tree, &parent_trees, &mut introduced);
        locs.add_introduced(blob_hits, introduced, Some(*id), reachable, &mut seen_blobs);
        if let Some(hits) = msg_hits.get(id) {
            for hit in hits {
                locs.add(hit, BString::default(), Some(*id), None, reachable);
            }
        }
    }
    for tip in refs.tips.iter().filter(|t| t.kind == TipKind::Tree) {
        let mut introduced = Vec::new();
        locator.introduced(tip.peeled, &[], &mut introduced);
        locs.add_introduced(blob_hits, introduced, None, true, &mut seen_blobs);
    }
    (locs, seen_blobs)
}
