//! Attribution: where each secret sits (path, commit) and which commit first exposed it,
//! commits visited parents-first, oldest first.

use super::*;
use crate::finding::{self, CommitInfo, Finding, FindingOptions};
use crate::source::Exposure;
use crate::source::graph::{self, Graph, Refs, TreeLocator};
use gix::ObjectId;
use gix::bstr::{BString, ByteSlice};
use gix::hashtable::HashMap as IdMap;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// A handle for reading many trees: each is read once, but many are deltas against the same
/// bases, so a generous pack cache keeps those bases decoded (about 2x fewer inflations).
pub(super) fn with_tree_cache(repo: &gix::Repository) -> gix::Repository {
    let mut r = repo.clone();
    r.objects.set_pack_cache(|| {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
            64 << 20,
        ))
    });
    r
}

/// (rule, secret) pairs present anywhere in HEAD's tree.
pub(super) fn head_secrets(
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
pub(super) struct Attribution<'a> {
    pub(super) graph: &'a Graph,
    pub(super) refs: &'a Refs,
    /// Cache: commit -> refs that reach it.
    pub(super) reaching: Mutex<IdMap<ObjectId, Vec<String>>>,
    /// Redacts the secrets found anywhere in the scan from commit summaries.
    pub(super) scrubber: finding::Scrubber,
    /// Cache: commit -> its summary as findings carry it, redacted and bounded once per commit
    /// (a one-line message can be megabytes, and a commit can introduce many findings).
    pub(super) summaries: Mutex<IdMap<ObjectId, String>>,
}

impl<'a> Attribution<'a> {
    /// `hits`: every finding the scan can report, whose secrets are redacted from summaries.
    pub(super) fn new<'h>(
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

    pub(super) fn summary(&self, id: ObjectId) -> String {
        if let Some(s) = lock(&self.summaries).get(&id) {
            return s.clone();
        }
        let s = self.scrubber.summary(&self.graph.commits[&id].summary);
        lock(&self.summaries).insert(id, s.clone());
        s
    }

    /// Refs (excluding HEAD) from which `commit` is reachable.
    pub(super) fn refs_reaching(&self, commit: ObjectId) -> Vec<String> {
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

    pub(super) fn commit_info(
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
pub(super) struct Locations {
    pub(super) index: HashMap<(String, Vec<u8>, BString), usize>,
    pub(super) list: Vec<Location>,
}

pub(super) struct Location {
    pub(super) hit: Finding,
    pub(super) path: BString,
    /// `None` for content a ref tags directly (a tagged tree).
    pub(super) first_commit: Option<ObjectId>,
    pub(super) blob: Option<ObjectId>,
    pub(super) reachable: bool,
    /// A merge brought it back after the first parent's line removed it.
    pub(super) reintroduced: bool,
}

impl Locations {
    /// Every hit of each (path, blob) a commit (or a tree a ref names) introduced, noting the
    /// blobs in `seen`.
    pub(super) fn add_introduced(
        &mut self,
        hits: &IdMap<ObjectId, Hits>,
        introduced: Vec<(BString, ObjectId)>,
        commit: Option<ObjectId>,
        reachable: bool,
        seen: &mut IdSet,
    ) {
        for (path, blob) in introduced {
            seen.insert(blob);
            for hit in hits.get(&blob).map(Vec::as_slice).unwrap_or(&[]) {
                self.add(hit, path.clone(), commit, Some(blob), reachable);
            }
        }
    }

    /// A secret a merge brings back (see [`reverted_by_merge`]): reported as reintroduced.
    pub(super) fn add_reintroduced(
        &mut self,
        hit: &Finding,
        path: BString,
        commit: ObjectId,
        blob: ObjectId,
    ) {
        self.add(hit, path.clone(), Some(commit), Some(blob), true);
        let key = (hit.rule_id.clone(), hit.raw_secret.clone(), path);
        if let Some(&i) = self.index.get(&key) {
            self.list[i].reintroduced = true;
        }
    }

    pub(super) fn add(
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

    pub(super) fn into_findings(
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
