//! Text a push carries besides commits: the messages of the annotated tags it names and the
//! names of the refs it updates.

use super::*;
use crate::engine::Scanner;
use crate::finding::Finding;
use crate::source::graph::{self, Graph};
use crate::source::{Exposure, SourceKind};
use gix::ObjectId;
use gix::objs::Kind;
use std::collections::HashSet;
use std::sync::Mutex;

/// What a push carries besides commits: the annotated tags it names (`git push --follow-tags`)
/// and the names of the refs it updates, each scanned as text.
#[derive(Default)]
pub(super) struct PushedNames {
    /// (tag object, its name, the commit it peels to, findings in its message).
    pub(super) tags: Vec<(ObjectId, String, Option<ObjectId>, Hits)>,
    /// (ref name, the commit it names, findings in the name).
    pub(super) refs: Vec<(String, Option<ObjectId>, Hits)>,
}

/// Scan the messages of the annotated tags among the included revisions (a tag of a tag
/// included) and the ref names of the scope.
pub(super) fn pushed_names(
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
pub(super) fn scan_ref_names(
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
    pub(super) fn into_findings(
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
