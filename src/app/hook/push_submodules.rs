//! The submodule part of the pre-push check. The pushed superproject commits record submodule
//! commits (gitlinks); those the submodule's remote does not have are scanned in the submodule's
//! own repository (`.git/modules/<name>`, else its working tree). `git push
//! --recurse-submodules=on-demand` pushes them right after this hook and before the
//! superproject's refs; without the option they still have to be pushed for the superproject to
//! be usable, and a hook cannot see the option, so they are scanned on every push. A submodule
//! commit that is not here cannot be pushed from here: it is named in a warning. Content that
//! cannot be read is an error, which blocks the push.

use crate::config::OutputConfig;
use crate::engine::Engine;
use crate::history::{self, HistoryOptions, HistoryScan, Scope};
use crate::source::odb::ObjectError;
use crate::source::{git, gitlinks};
use gix::ObjectId;
use std::collections::BTreeMap;

use super::push::{local_commit, tracking_tips};
use super::push_input::is_remote;
use super::same_dir;

/// What the superproject's push is about.
pub(super) struct Push<'a> {
    pub rules: &'a Engine,
    pub out: &'a OutputConfig,
    /// The destination remote of the superproject's push, if it is a configured remote.
    pub remote: Option<&'a str>,
    /// The pushed tips.
    pub pushed: &'a [String],
    /// Commits the destination has.
    pub known: &'a [String],
}

/// Scan the submodule commits the push references into `into`; returns the paths of the
/// submodules whose commits were scanned.
pub(super) fn scan(repo: &gix::Repository, push: &Push<'_>, into: &mut HistoryScan) -> Vec<String> {
    let tips: Vec<ObjectId> = push
        .pushed
        .iter()
        .filter_map(|h| local_commit(repo, h))
        .collect();
    let hidden: Vec<ObjectId> = push
        .known
        .iter()
        .filter_map(|h| local_commit(repo, h))
        .collect();
    if tips.is_empty() {
        return Vec::new();
    }
    let links = match gitlinks::introduced(repo, &tips, &hidden) {
        Ok(l) => l,
        Err(e) => {
            into.errors.push(ObjectError {
                path: "submodules".into(),
                error: e.to_string(),
            });
            return Vec::new();
        }
    };
    let mut by_path: BTreeMap<String, Vec<ObjectId>> = BTreeMap::new();
    for l in links {
        by_path.entry(l.path).or_default().push(l.commit);
    }
    if by_path.is_empty() {
        return Vec::new();
    }
    let names = submodule_names(repo, &tips);
    let mut scanned = Vec::new();
    for (path, commits) in by_path {
        let name = names.get(&path).cloned().unwrap_or_else(|| path.clone());
        if scan_one(repo, push, &name, &path, &commits, into) {
            scanned.push(path);
        }
    }
    scanned
}

/// Submodule names by path, from the pushed tips' `.gitmodules`, then the working tree's.
fn submodule_names(repo: &gix::Repository, tips: &[ObjectId]) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let work = repo
        .workdir()
        .and_then(|w| crate::safe_fs::read_small(&w.join(".gitmodules"), 1 << 20).ok())
        .map(|t| gitlinks::parse_gitmodules(&t))
        .unwrap_or_default();
    for s in tips
        .iter()
        .flat_map(|t| gitlinks::gitmodules_at(repo, *t))
        .chain(work)
    {
        names.entry(s.path).or_insert(s.name);
    }
    names
}

/// The submodule's repository: `.git/modules/<name>`, else the repository in its working
/// tree. `Err` when one is there but cannot be opened.
fn open_submodule(
    repo: &gix::Repository,
    name: &str,
    path: &str,
) -> Result<Option<gix::Repository>, String> {
    let modules = repo.common_dir().join("modules").join(name);
    if modules.is_dir() {
        return match git::discover(&modules) {
            Ok(Some(r)) if same_dir(r.git_dir(), &modules) => Ok(Some(r)),
            Ok(_) => Err(format!("{} is not a git repository", modules.display())),
            Err(e) => Err(e.to_string()),
        };
    }
    let Some(work) = repo.workdir().map(|w| w.join(path)) else {
        return Ok(None);
    };
    if work.join(".git").symlink_metadata().is_err() {
        return Ok(None);
    }
    match git::discover(&work) {
        Ok(Some(r)) if r.workdir().is_some_and(|w| same_dir(w, &work)) => Ok(Some(r)),
        Ok(_) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// The remote whose refs say what the submodule's remote has: the superproject's destination
/// when the submodule has a remote of that name (git pushes submodules to it), else
/// `remote.pushDefault`, its only remote, or `origin`.
fn submodule_remote(sub: &gix::Repository, dest: Option<&str>) -> Option<String> {
    if let Some(d) = dest.filter(|d| is_remote(sub, d)) {
        return Some(d.to_string());
    }
    let snapshot = sub.config_snapshot();
    if let Some(r) = snapshot
        .string("remote.pushDefault")
        .map(|r| r.to_string())
        .filter(|r| is_remote(sub, r))
    {
        return Some(r);
    }
    let names: Vec<String> = snapshot
        .plumbing()
        .sections_by_name("remote")
        .map(|it| {
            it.filter_map(|s| s.header().subsection_name().map(|n| n.to_string()))
                .collect()
        })
        .unwrap_or_default();
    match names.as_slice() {
        [only] => Some(only.clone()),
        _ => names.into_iter().find(|n| n == "origin"),
    }
}

/// Scan one submodule's referenced commits; `true` when some were scanned.
fn scan_one(
    repo: &gix::Repository,
    push: &Push<'_>,
    name: &str,
    path: &str,
    commits: &[ObjectId],
    into: &mut HistoryScan,
) -> bool {
    let short = |ids: &[ObjectId]| -> String {
        ids.iter()
            .map(|c| c.to_hex_with_len(12).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sub = match open_submodule(repo, name, path) {
        Ok(Some(s)) => s,
        Ok(None) => {
            into.warnings.push(format!(
                "submodule {path}: its repository is not here (not initialised), so this push cannot publish the submodule commits it records ({}); they were not scanned",
                short(commits)
            ));
            return false;
        }
        Err(e) => {
            into.errors.push(ObjectError {
                path: format!("submodule {path}"),
                error: format!("cannot open its repository: {e}"),
            });
            return false;
        }
    };
    let (present, absent): (Vec<ObjectId>, Vec<ObjectId>) =
        commits.iter().partition(|c| sub.has_object(**c));
    if !absent.is_empty() {
        into.warnings.push(format!(
            "submodule {path}: commit {} is not in its repository here, so this push cannot publish it; not scanned",
            short(&absent)
        ));
    }
    if present.is_empty() {
        return false;
    }
    let exclude = submodule_remote(&sub, push.remote)
        .map(|r| tracking_tips(&sub, &r, &[]))
        .unwrap_or_default();
    let opts = HistoryOptions {
        scope: Scope {
            include: present.iter().map(ToString::to_string).collect(),
            exclude,
            reachable_only: false,
            ref_names: Vec::new(),
        },
        threads: push.out.threads,
        max_blob_size: None,
        finding: push.out.finding.clone(),
    };
    match history::scan(&sub, push.rules, &opts, &history::Progress::default()) {
        Ok(s) => into.absorb(under(s, path)),
        Err(e) => into.errors.push(ObjectError {
            path: format!("submodule {path}"),
            error: e.to_string(),
        }),
    }
    true
}

/// A submodule's scan as the superproject reports it: paths under the submodule's path, notices
/// naming the submodule.
fn under(mut s: HistoryScan, path: &str) -> HistoryScan {
    let named = |p: &str| format!("submodule {path}: {p}");
    for f in &mut s.findings {
        if !f.path.is_empty() {
            f.path = format!("{path}/{}", f.path);
            if let Some(r) = &mut f.repo_path {
                *r = format!("{path}/{r}");
            }
        }
    }
    for m in &mut s.missing {
        m.path = if m.path.is_empty() {
            format!("submodule {path}")
        } else {
            format!("{path}/{}", m.path)
        };
    }
    for e in &mut s.errors {
        e.path = named(&e.path);
    }
    for n in &mut s.not_listed {
        n.path = named(&n.path);
    }
    for t in &mut s.too_large {
        t.0 = named(&t.0);
    }
    for w in &mut s.warnings {
        *w = named(w);
    }
    s
}
