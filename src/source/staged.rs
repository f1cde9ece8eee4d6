//! Staged source: what the next commit would contain. Reads the index (honouring
//! `GIT_INDEX_FILE`, which `git commit -a` and `git commit <paths>` point at a temporary index),
//! compares it with HEAD's tree (an unborn HEAD is empty), and yields each staged blob that
//! differs together with the lines it is being compared against: HEAD's version of the file, the
//! merge head's version during a merge, and for a new path the versions of paths the index no
//! longer has (rename sources).
//!
//! The index's cache-tree extension lets whole directories whose cached tree id equals HEAD's be
//! skipped without reading a single tree object, which is what keeps this as fast as
//! `git diff --cached` on large repositories.

use crate::source::git::GitError;
use gix::ObjectId;
use gix::bstr::{BStr, ByteSlice};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A staged file that differs from HEAD. Its content is read by the caller, one file at a time
/// ([`crate::source::blob::open`]), so a large commit is never held in memory at once.
#[derive(Debug)]
pub struct StagedFile {
    pub path: String,
    pub id: ObjectId,
    /// The versions this one is compared with (see [`base_lines`]): HEAD's, and for a new path
    /// the rename sources.
    pub base_ids: Vec<ObjectId>,
    /// During a merge: the merged branch's version and the merge base's, if the path has them.
    pub merge: Option<MergeVersions>,
}

/// The versions of a path a merge brings together, besides HEAD's.
#[derive(Debug, Clone, Copy)]
pub struct MergeVersions {
    pub theirs: Option<ObjectId>,
    pub base: Option<ObjectId>,
}

/// What a staged line is, compared with the versions it is merged from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// HEAD has it, or the merged branch added it: nothing new enters the branch.
    Old,
    /// Added by this commit.
    New,
    /// The merge base had it and HEAD removed it: the commit brings it back.
    Reintroduced,
}

/// Most distinct lines remembered from the versions a staged file is compared with. Past it
/// the remaining lines of those versions are not remembered, so a secret on them counts as
/// added: a false alarm at worst, never a miss.
pub const MAX_BASE_LINES: usize = 4 << 20;

/// The lines of the versions a staged file is compared with, as 64-bit hashes. Lines compare
/// without their `\n` or `\r\n`.
#[derive(Debug, Default)]
pub struct BaseLines {
    ours: HashSet<u64>,
    theirs: HashSet<u64>,
    merge_base: HashSet<u64>,
}

impl BaseLines {
    fn hash(line: &[u8]) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(line)
    }

    /// A line HEAD has, or one the merged branch added, is old; one the merge base had and HEAD
    /// removed is reintroduced; anything else is new.
    pub fn classify(&self, line: &[u8]) -> LineKind {
        let h = Self::hash(line);
        if self.ours.contains(&h) || (self.theirs.contains(&h) && !self.merge_base.contains(&h)) {
            LineKind::Old
        } else if self.merge_base.contains(&h) {
            LineKind::Reintroduced
        } else {
            LineKind::New
        }
    }
}

/// Hash the lines of the versions `ids` (streamed, whatever their size) into `set`. A version
/// that cannot be read contributes no lines: its lines then count as added.
fn hash_lines(
    repo: &gix::Repository,
    ids: impl IntoIterator<Item = ObjectId>,
    set: &mut HashSet<u64>,
) {
    for id in ids {
        let Ok(blob) = crate::source::blob::open(repo, id) else {
            continue;
        };
        let _ = blob.for_each_line(|line| {
            if set.len() < MAX_BASE_LINES {
                set.insert(BaseLines::hash(line));
            }
        });
    }
}

/// The lines a staged file is compared with.
pub fn base_lines(repo: &gix::Repository, file: &StagedFile) -> BaseLines {
    let mut lines = BaseLines::default();
    hash_lines(repo, file.base_ids.iter().copied(), &mut lines.ours);
    if let Some(m) = file.merge {
        hash_lines(repo, m.theirs, &mut lines.theirs);
        hash_lines(repo, m.base, &mut lines.merge_base);
    }
    lines
}

/// The staged changes of a repository.
#[derive(Debug, Default)]
pub struct Staged {
    pub files: Vec<StagedFile>,
    /// Entries skipped: submodules, and binary or oversized blobs.
    pub skipped_submodules: u64,
    pub index_entries: usize,
}

fn git_err(path: &Path, e: impl std::fmt::Display) -> GitError {
    GitError::Index {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// The index file git would commit from.
fn index_path(repo: &gix::Repository) -> PathBuf {
    match std::env::var_os("GIT_INDEX_FILE") {
        Some(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                std::env::current_dir().map(|d| d.join(&p)).unwrap_or(p)
            }
        }
        _ => repo.index_path(),
    }
}

/// Read tree entries once, remembering them by tree id.
struct Trees<'r> {
    repo: &'r gix::Repository,
    memo: HashMap<ObjectId, Vec<(Vec<u8>, gix::objs::tree::EntryMode, ObjectId)>>,
    buf: Vec<u8>,
}

impl<'r> Trees<'r> {
    fn entries(&mut self, id: ObjectId) -> &[(Vec<u8>, gix::objs::tree::EntryMode, ObjectId)] {
        if !self.memo.contains_key(&id) {
            use gix::objs::FindExt;
            let mut out = Vec::new();
            if let Ok(iter) = self.repo.objects.find_tree_iter(&id, &mut self.buf) {
                for e in iter.flatten() {
                    out.push((e.filename.to_vec(), e.mode, e.oid.to_owned()));
                }
            }
            self.memo.insert(id, out);
        }
        &self.memo[&id]
    }

    /// Id of the entry at `path` (slash-separated) below `root`.
    fn lookup(
        &mut self,
        root: ObjectId,
        path: &[u8],
    ) -> Option<(ObjectId, gix::objs::tree::EntryMode)> {
        let mut current = root;
        let mut parts = path.split(|&b| b == b'/').peekable();
        while let Some(name) = parts.next() {
            let (mode, id) = self
                .entries(current)
                .iter()
                .find(|(n, _, _)| n.as_slice() == name)
                .map(|(_, m, i)| (*m, *i))?;
            if parts.peek().is_none() {
                return Some((id, mode));
            }
            if !mode.is_tree() {
                return None;
            }
            current = id;
        }
        None
    }

    /// Directory prefixes (with trailing `/`, or "" for the root) whose cache-tree id equals
    /// HEAD's tree id: nothing below them is staged.
    fn clean_dirs(
        &mut self,
        node: &gix::index::extension::Tree,
        head: Option<ObjectId>,
        prefix: &str,
        out: &mut Vec<String>,
    ) {
        if node.num_entries.is_some() && head == Some(node.id) {
            out.push(prefix.to_string());
            return;
        }
        for child in &node.children {
            let head_child = head.and_then(|h| {
                self.entries(h)
                    .iter()
                    .find(|(n, m, _)| n.as_slice() == child.name.as_slice() && m.is_tree())
                    .map(|(_, _, i)| *i)
            });
            let name = String::from_utf8_lossy(&child.name);
            self.clean_dirs(child, head_child, &format!("{prefix}{name}/"), out);
        }
    }

    /// Every blob path under `tree`, skipping directories in `clean` (unchanged, so no path
    /// there was removed).
    fn all_blobs(
        &mut self,
        tree: ObjectId,
        prefix: &[u8],
        clean: &[String],
        out: &mut Vec<(Vec<u8>, ObjectId)>,
    ) {
        let entries = self.entries(tree).to_vec();
        for (name, mode, id) in entries {
            let mut p = prefix.to_vec();
            if !p.is_empty() {
                p.push(b'/');
            }
            p.extend_from_slice(&name);
            if mode.is_tree() {
                let mut dir = p.clone();
                dir.push(b'/');
                if clean.binary_search_by(|c| c.as_bytes().cmp(&dir)).is_ok() {
                    continue;
                }
                self.all_blobs(id, &p, clean, out);
            } else if mode.is_blob() {
                out.push((p, id));
            }
        }
    }
}

/// During a merge (`MERGE_HEAD`): the merged commit's tree and the merge base's tree (the merge
/// base of HEAD and the merged commit), when there is one.
fn merge_trees(
    repo: &gix::Repository,
    head: Option<ObjectId>,
) -> Option<(ObjectId, Option<ObjectId>)> {
    let theirs = std::fs::read_to_string(repo.git_dir().join("MERGE_HEAD"))
        .ok()
        .and_then(|t| {
            t.lines()
                .next()
                .and_then(|l| ObjectId::from_hex(l.trim().as_bytes()).ok())
        })?;
    let tree_of = |id: ObjectId| {
        repo.find_commit(id)
            .ok()
            .and_then(|c| c.tree_id().ok().map(|t| t.detach()))
    };
    let base = head
        .and_then(|h| repo.merge_base(h, theirs).ok().flatten())
        .and_then(|b| tree_of(b.detach()));
    Some((tree_of(theirs)?, base))
}

/// Stage-0 index entries that differ from HEAD (path, staged id, HEAD's id), skipping the
/// directories in `clean` (sorted); submodules are counted in `out`.
fn changed_entries(
    index: &gix::index::File,
    clean: &[String],
    head_tree: Option<ObjectId>,
    trees: &mut Trees<'_>,
    out: &mut Staged,
) -> Vec<(String, ObjectId, Option<ObjectId>)> {
    // Index entries below a clean directory form one contiguous run (the index is sorted by
    // path): skip each run with a binary search instead of testing every entry.
    let entries = index.entries();
    let mut skip: Vec<std::ops::Range<usize>> = clean
        .iter()
        .filter_map(|c| index.prefixed_entries_range(BStr::new(c.as_bytes())))
        .collect();
    skip.sort_by_key(|r| r.start);
    let mut changed: Vec<(String, ObjectId, Option<ObjectId>)> = Vec::new();
    let mut i = 0;
    let mut next_skip = skip.iter().peekable();
    while i < entries.len() {
        while next_skip.peek().is_some_and(|r| r.end <= i) {
            next_skip.next();
        }
        if let Some(r) = next_skip.peek()
            && r.start <= i
        {
            i = r.end;
            continue;
        }
        let entry = &entries[i];
        i += 1;
        if entry.stage_raw() != 0 {
            continue;
        }
        if entry.mode.is_submodule() {
            out.skipped_submodules += 1;
            continue;
        }
        let p: &BStr = entry.path(index);
        let head = head_tree.and_then(|h| trees.lookup(h, p)).map(|(id, _)| id);
        if head == Some(entry.id) {
            continue;
        }
        changed.push((p.to_str_lossy().into_owned(), entry.id, head));
    }
    changed
}

/// Read the staged changes of `repo`: which files differ from HEAD, and what each is compared
/// with.
pub fn read(repo: &gix::Repository) -> Result<Staged, GitError> {
    let path = index_path(repo);
    let index = if path.exists() {
        gix::index::File::at(&path, repo.object_hash(), true, Default::default())
            .map_err(|e| git_err(&path, e))?
    } else {
        gix::index::File::from_state(gix::index::State::new(repo.object_hash()), path.clone())
    };
    let head_commit = crate::source::git::head_commit(repo)?;
    let head_tree = head_commit.map(|(_, tree)| tree);
    let merge = merge_trees(repo, head_commit.map(|(commit, _)| commit));
    let mut trees = Trees {
        repo,
        memo: HashMap::new(),
        buf: Vec::new(),
    };
    let mut clean = Vec::new();
    if let (Some(cache), None) = (index.tree(), merge) {
        trees.clean_dirs(cache, head_tree, "", &mut clean);
    }
    let mut out = Staged {
        index_entries: index.entries().len(),
        ..Staged::default()
    };
    if clean.iter().any(String::is_empty) {
        return Ok(out);
    }
    clean.sort();
    let changed = changed_entries(&index, &clean, head_tree, &mut trees, &mut out);
    // Rename sources: blobs in HEAD at paths the index no longer has, looked up only when a
    // changed path is new.
    let mut rename_sources: Option<Vec<ObjectId>> = None;
    for (path, id, head) in changed {
        let mut base_ids: Vec<ObjectId> = head.into_iter().collect();
        let merge = merge.map(|(theirs, base)| MergeVersions {
            theirs: trees.lookup(theirs, path.as_bytes()).map(|(id, _)| id),
            base: base.and_then(|b| trees.lookup(b, path.as_bytes()).map(|(id, _)| id)),
        });
        // The merged branch's version of a file HEAD left as the merge base had it: an ordinary
        // merge, nothing new. (Taking it where HEAD had changed the file may bring back what
        // HEAD removed: that is scanned.)
        if let Some(m) = merge
            && m.theirs == Some(id)
            && head == m.base
        {
            continue;
        }
        if head.is_none()
            && let Some(h) = head_tree
        {
            let sources = rename_sources.get_or_insert_with(|| {
                let mut all = Vec::new();
                trees.all_blobs(h, b"", &clean, &mut all);
                all.into_iter()
                    .filter(|(p, _)| index.entry_by_path(BStr::new(p.as_slice())).is_none())
                    .map(|(_, id)| id)
                    .collect()
            });
            if sources.contains(&id) {
                continue; // a pure rename: nothing new
            }
            base_ids.extend(sources.iter().copied());
        }
        out.files.push(StagedFile {
            path,
            id,
            base_ids,
            merge,
        });
    }
    Ok(out)
}
