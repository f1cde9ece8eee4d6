//! Submodules as a superproject records them: `.gitmodules` entries (name and path) and the
//! gitlinks (tree entries of mode 160000: a commit of another repository) that a range of
//! superproject commits introduces. The pre-push hook uses them to scan the submodule commits a
//! push would publish; `hook install --recurse-submodules` to find the submodules.

use gix::ObjectId;
use gix::bstr::{BString, ByteSlice};
use std::collections::BTreeSet;

/// Errors reading the superproject's commits and trees.
#[derive(Debug, thiserror::Error)]
pub enum GitlinkError {
    #[error("cannot walk the pushed commits: {0}")]
    Walk(String),
    #[error("cannot read tree {id} ({path}) of the superproject: {message}")]
    Tree {
        id: ObjectId,
        path: String,
        message: String,
    },
}

/// One `[submodule "<name>"]` entry of `.gitmodules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submodule {
    pub name: String,
    pub path: String,
}

/// A path is usable if it is relative and has no `.` or `..` component (git refuses such
/// submodule names and paths too: they could point outside the repository).
fn safe_relative(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// The usable entries of a `.gitmodules` file (with a name and a path, both safe relative
/// paths); an unparsable file gives none.
pub fn parse_gitmodules(bytes: &[u8]) -> Vec<Submodule> {
    let meta = gix::config::file::Metadata::from(gix::config::Source::Local);
    let Ok(file) = gix::config::File::from_bytes_no_includes(
        bytes,
        meta,
        gix::config::file::init::Options::default(),
    ) else {
        return Vec::new();
    };
    let Some(sections) = file.sections_by_name("submodule") else {
        return Vec::new();
    };
    sections
        .filter_map(|s| {
            let name = s.header().subsection_name()?.to_str().ok()?.to_string();
            let path = s
                .value("path")?
                .to_str()
                .ok()?
                .trim_end_matches('/')
                .to_string();
            (safe_relative(&name) && safe_relative(&path)).then_some(Submodule { name, path })
        })
        .collect()
}

/// The `.gitmodules` entries of a commit's tree (none when it has no readable `.gitmodules`).
pub fn gitmodules_at(repo: &gix::Repository, commit: ObjectId) -> Vec<Submodule> {
    let data = (|| {
        let tree = repo.find_commit(commit).ok()?.tree().ok()?;
        let entry = tree.find_entry(".gitmodules")?;
        let blob = repo.find_blob(entry.object_id()).ok()?;
        Some(blob.data.clone())
    })();
    data.map(|d| parse_gitmodules(&d)).unwrap_or_default()
}

/// A submodule commit recorded at a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gitlink {
    pub path: String,
    pub commit: ObjectId,
}

/// The gitlinks that the commits reachable from `tips` and not from `hidden` introduce: a
/// submodule commit recorded at a path where no parent records the same commit. Sorted, each
/// (path, commit) once.
pub fn introduced(
    repo: &gix::Repository,
    tips: &[ObjectId],
    hidden: &[ObjectId],
) -> Result<Vec<Gitlink>, GitlinkError> {
    let walk = repo
        .rev_walk(tips.iter().copied())
        .with_hidden(hidden.iter().copied())
        .all()
        .map_err(|e| GitlinkError::Walk(e.to_string()))?;
    let mut found = BTreeSet::new();
    let mut buf = Vec::new();
    for info in walk {
        let info = info.map_err(|e| GitlinkError::Walk(e.to_string()))?;
        let tree_of = |id: ObjectId| {
            repo.find_commit(id)
                .ok()
                .and_then(|c| c.tree_id().ok())
                .map(|t| t.detach())
        };
        let tree = tree_of(info.id)
            .ok_or_else(|| GitlinkError::Walk(format!("commit {} cannot be read", info.id)))?;
        // A parent that cannot be read counts as empty: more gitlinks look new, none are lost.
        let parents: Vec<ObjectId> = info.parent_ids.iter().filter_map(|p| tree_of(*p)).collect();
        diff(
            repo,
            &mut buf,
            &BString::default(),
            tree,
            &parents,
            0,
            &mut found,
        )?;
    }
    Ok(found.into_iter().collect())
}

/// One tree's entries: (name, is a tree, is a gitlink, id).
type Entries = Vec<(BString, bool, bool, ObjectId)>;

fn entries(
    repo: &gix::Repository,
    buf: &mut Vec<u8>,
    id: ObjectId,
    path: &BString,
) -> Result<Entries, GitlinkError> {
    use gix::objs::FindExt;
    if id == ObjectId::empty_tree(repo.object_hash()) {
        return Ok(Vec::new());
    }
    let err = |message: String| GitlinkError::Tree {
        id,
        path: if path.is_empty() {
            "/".into()
        } else {
            path.to_str_lossy().into_owned()
        },
        message,
    };
    let iter = repo
        .objects
        .find_tree_iter(&id, buf)
        .map_err(|e| err(e.to_string()))?;
    let mut out = Vec::new();
    for e in iter {
        let e = e.map_err(|e| err(e.to_string()))?;
        out.push((
            e.filename.to_owned(),
            e.mode.is_tree(),
            e.mode.is_commit(),
            e.oid.to_owned(),
        ));
    }
    Ok(out)
}

/// Gitlinks in `tree` that no parent tree records at the same path, skipping subtrees a parent
/// has unchanged.
fn diff(
    repo: &gix::Repository,
    buf: &mut Vec<u8>,
    prefix: &BString,
    tree: ObjectId,
    parents: &[ObjectId],
    depth: usize,
    out: &mut BTreeSet<Gitlink>,
) -> Result<(), GitlinkError> {
    if depth > 4096 {
        return Ok(());
    }
    let own = entries(repo, buf, tree, prefix)?;
    if !own.iter().any(|(_, t, g, _)| *t || *g) {
        return Ok(());
    }
    let theirs: Vec<Entries> = parents
        .iter()
        .map(|p| entries(repo, buf, *p, prefix).unwrap_or_default())
        .collect();
    for (name, is_tree, is_link, id) in own {
        let same = |want_tree: bool| -> Vec<ObjectId> {
            theirs
                .iter()
                .flat_map(|es| es.iter())
                .filter(|(n, t, g, _)| *n == name && (if want_tree { *t } else { *g }))
                .map(|(_, _, _, i)| *i)
                .collect()
        };
        let mut path = prefix.clone();
        if !path.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(&name);
        if is_link {
            if !same(false).contains(&id) {
                out.insert(Gitlink {
                    path: path.to_str_lossy().into_owned(),
                    commit: id,
                });
            }
        } else if is_tree {
            let subs = same(true);
            if !subs.contains(&id) {
                diff(repo, buf, &path, id, &subs, depth + 1, out)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitmodules_entries_with_unsafe_names_or_paths_are_dropped() {
        let text = b"[submodule \"lib\"]\n\tpath = lib\n\turl = ../lib.git\n\
[submodule \"../evil\"]\n\tpath = x\n[submodule \"y\"]\n\tpath = ../../y\n\
[submodule \"deep/er\"]\n\tpath = vendor/deep/\n";
        assert_eq!(
            parse_gitmodules(text),
            [
                Submodule {
                    name: "lib".into(),
                    path: "lib".into()
                },
                Submodule {
                    name: "deep/er".into(),
                    path: "vendor/deep".into()
                }
            ]
        );
        assert!(parse_gitmodules(b"[[[").is_empty());
    }
}
