//! Range scans (`--since`, `--range`, `--branch`, `ci`, pre-push): only what the selected commits
//! introduced, and what a merge brings back.

use super::*;
use crate::engine::{Engine, Scanner};
use crate::finding::Finding;
use crate::source::blob;
use crate::source::graph::{self, CommitMeta, Graph, MissingObject, Refs, TreeLocator};
use crate::source::odb::{self, ObjectError};
use gix::ObjectId;
use gix::bstr::{BString, ByteSlice};
use gix::hashtable::{HashMap as IdMap, HashSet as IdSet};
use std::sync::Mutex;

/// The commit a revision names.
pub(super) fn resolve_rev(repo: &gix::Repository, rev: &str) -> Result<ObjectId, HistoryError> {
    let err = |e: Box<dyn std::error::Error + Send + Sync>| HistoryError::Rev {
        rev: rev.to_string(),
        source: e,
    };
    repo.rev_parse_single(rev)
        .map_err(|e| err(e.into()))?
        .object()
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id)
        .map_err(|e| err(e.into()))
}

/// The commits a range selects, with their messages, and the parents they are compared with.
pub(super) struct Selection {
    pub(super) commits: IdMap<ObjectId, CommitMeta>,
    pub(super) messages: IdMap<ObjectId, Vec<u8>>,
    pub(super) selected: IdSet,
}

/// Walk from `starts` down to the excluded commits, loading every selected commit and the
/// parents outside the selection (needed only for their trees).
pub(super) fn select_commits(
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

/// What the selected commits changed, in commit order.
struct Changes {
    /// Selected commits, parents first.
    order: Vec<ObjectId>,
    /// Per commit: the (path, blob) pairs it introduced (differing from every parent).
    introduced: Vec<(ObjectId, Vec<(BString, ObjectId)>)>,
    /// Merges that undo their first parent's change to a file: (merge, path, blob, first
    /// parent's blob).
    reverted: Vec<(ObjectId, BString, ObjectId, Option<ObjectId>)>,
    /// Every blob above, once.
    blobs: Vec<ObjectId>,
}

impl Changes {
    fn collect(
        repo: &gix::Repository,
        differ: &mut TreeLocator<'_>,
        graph: &Graph,
        selected: &IdSet,
    ) -> Self {
        let order: Vec<ObjectId> = graph
            .topo_time_order()
            .into_iter()
            .filter(|id| selected.contains(id))
            .collect();
        let mut out = Changes {
            order: Vec::new(),
            introduced: Vec::new(),
            reverted: Vec::new(),
            blobs: Vec::new(),
        };
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
                for (path, blob, first) in reverted_by_merge(repo, differ, graph, c) {
                    out.reverted.push((*id, path, blob, first));
                }
            }
            for b in list
                .iter()
                .map(|(_, b)| b)
                .chain(out.reverted.iter().map(|r| &r.2))
            {
                if seen.insert(*b) {
                    out.blobs.push(*b);
                }
            }
            out.introduced.push((*id, list));
        }
        out.order = order;
        out
    }
}

/// Every commit reachable from the scope's excluded revisions (stopping at shallow boundaries).
fn excluded_commits(
    repo: &gix::Repository,
    scope: &Scope,
    reader: &mut CommitReader<'_>,
    shallow: &IdSet,
) -> Result<IdSet, HistoryError> {
    let mut excluded: IdSet = IdSet::default();
    let mut stack = Vec::new();
    for rev in &scope.exclude {
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
    Ok(excluded)
}

/// The repository's refs, and the commits the range starts from: the scope's included
/// revisions, or every ref. Range mode does not enumerate tag objects: refs are peeled through
/// the object database.
fn refs_and_starts(
    repo: &gix::Repository,
    scope: &Scope,
) -> Result<(Refs, Vec<ObjectId>), HistoryError> {
    let (no_tags, no_commits) = (IdMap::default(), IdMap::default());
    let peeler = graph::Peeler {
        repo,
        tags: &no_tags,
        commits: &no_commits,
    };
    let refs = graph::read_refs(&peeler).map_err(HistoryError::Refs)?;
    let starts: Vec<ObjectId> = if scope.include.is_empty() {
        refs.tips.iter().filter_map(graph::RefTip::commit).collect()
    } else {
        scope
            .include
            .iter()
            .map(|r| resolve_rev(repo, r))
            .collect::<Result<_, _>>()?
    };
    Ok((refs, starts))
}

/// Scan a range: the blobs its commits introduced, their messages and headers, and the names
/// the push carries; each hit located at the commit that added it.
pub(super) fn scan_range(
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
    let excluded = excluded_commits(repo, &opts.scope, &mut reader, &shallow)?;
    let (refs, starts) = refs_and_starts(repo, &opts.scope)?;
    let sel = select_commits(&mut reader, starts, &excluded, &shallow);
    out.shallow = !shallow.is_empty();
    let graph = Graph::new(sel.commits, &refs, &shallow);
    let tree_repo = with_tree_cache(repo);
    let mut differ = TreeLocator::new(&tree_repo, None);
    differ.check_yielded = true;
    let changes = Changes::collect(repo, &mut differ, &graph, &sel.selected);
    out.missing = differ.missing.clone();
    out.missing.extend(reader.missing);
    if opts.scope.include.is_empty() {
        out.missing.extend(refs.missing());
    }
    out.errors = range_errors(reader.unreadable, &mut differ.unreadable, &refs, repo);
    let c = Mutex::new(scan_blobs(repo, engine, opts, &changes.blobs, &mut out));
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
    out.binary_paths = name_skipped_by_path(&changes.introduced, &mut c);
    let locs = locate_changes(repo, &graph, &sel.selected, &changes, &c, &mut out);
    out.findings = locs.into_findings(&attribution, &head_secrets);
    out.findings
        .extend(pushed.into_findings(&graph, &attribution, &head_secrets));
    out.commits = changes.order.len();
    out.objects_scanned = changes.blobs.len() as u64 + changes.order.len() as u64;
    out.skipped_binary = c.binary;
    out.skipped_large = c.large;
    out.too_large = std::mem::take(&mut c.too_large);
    out.not_listed = std::mem::take(&mut c.not_listed);
    Ok(out)
}

/// Where each hit of what the range changed sits: blobs the range added (a secret the file
/// already held before is counted in `out.already_there`, not located), commit messages and
/// headers, and files a merge takes back (reintroduced, unless the first parent still had the
/// secret).
fn locate_changes(
    repo: &gix::Repository,
    graph: &Graph,
    selected: &IdSet,
    changes: &Changes,
    c: &Collected,
    out: &mut HistoryScan,
) -> Locations {
    let mut locs = Locations::default();
    for (id, list) in &changes.introduced {
        let (id, reachable) = (*id, graph.reachable.contains(id));
        let parents = graph.commits.get(&id).map_or(&[][..], |c| &c.parents[..]);
        for (path, blob) in list {
            let hits = c.blob_hits.get(blob).map(Vec::as_slice).unwrap_or(&[]);
            let prior = prior_presence(repo, graph, selected, parents, path, hits);
            for (hit, prior) in hits.iter().zip(prior) {
                match prior {
                    // The commit that first put it there (in the range) reports it.
                    Some(Prior::InRange) => {}
                    Some(Prior::BeforeRange) => out.already_there += 1,
                    None => locs.add(hit, path.clone(), Some(id), Some(*blob), reachable),
                }
            }
        }
        for hit in c.commit_msg_hits.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
            locs.add(hit, BString::default(), Some(id), None, reachable);
        }
    }
    for (id, path, blob, first) in &changes.reverted {
        let hits = c.blob_hits.get(blob).map(Vec::as_slice).unwrap_or(&[]);
        let needles: Vec<&[u8]> = hits.iter().map(|h| h.raw_secret.as_slice()).collect();
        // Still in the first parent's version: nothing comes back.
        let kept = first
            .and_then(|f| blob::open(repo, f).ok())
            .and_then(|b| b.contains_each(&needles).ok())
            .unwrap_or_else(|| vec![false; hits.len()]);
        for (hit, _) in hits.iter().zip(kept).filter(|(_, kept)| !kept) {
            locs.add_reintroduced(hit, path.clone(), *id, *blob);
        }
    }
    locs
}

/// A range knows the path of every blob it skipped: too-large blobs are named by path (with
/// their id), and the paths of binary blobs are returned (sorted, at most [`MAX_NAMED`]).
pub(super) fn name_skipped_by_path(
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
pub(super) enum Prior {
    /// In a parent the range selects: that commit's version reports it.
    InRange,
    /// Only in a parent before the range: the secret predates the range, which did not add it
    /// (it changed another line of the file).
    BeforeRange,
}

/// For each hit in `path` of a commit with `parents`, whether its secret was already in a
/// parent's version of that path (see [`Prior`]). A parent version that cannot be read counts as
/// not holding it: the finding is then reported.
pub(super) fn prior_presence(
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
pub(super) fn blob_at(repo: &gix::Repository, tree: ObjectId, path: &BString) -> Option<ObjectId> {
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
pub(super) fn reverted_by_merge(
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

/// Range mode's errors: commits and trees that exist but cannot be read, refs that cannot be
/// read, and object directories that cannot be listed (their objects would look missing).
pub(super) fn range_errors(
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
