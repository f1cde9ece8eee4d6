//! The commit graph of a repository, as needed to attribute history findings: commits and tags
//! parsed from their objects, ref tips, reflogs, reachability, a time-respecting topological
//! order, descendants (which refs reach a commit), and memoised tree lookups that find where given
//! blobs sit in a tree while checking that every referenced object exists.

use crate::source::git::describe;
use gix::ObjectId;
use gix::bstr::{BString, ByteSlice, ByteVec};
use gix::hashtable::{HashMap as IdMap, HashSet as IdSet};
use std::collections::BinaryHeap;
use std::path::Path;
use std::rc::Rc;

/// What a commit object says about itself (the message is scanned separately).
#[derive(Debug, Clone)]
pub struct CommitMeta {
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    pub offset: i32,
    pub author: String,
    pub email: String,
    pub committer: String,
    pub committer_email: String,
    pub summary: String,
}

impl CommitMeta {
    /// The identity lines a secret can be pasted into (`git -c user.name=…`): author and
    /// committer, name and e-mail, as text to scan.
    pub fn header_text(&self) -> String {
        format!(
            "author {} <{}>\ncommitter {} <{}>\n",
            self.author, self.email, self.committer, self.committer_email
        )
    }
}

/// Parse a commit object; `None` if it is malformed.
pub fn parse_commit(data: &[u8], hash: gix::hash::Kind) -> Option<(CommitMeta, &[u8])> {
    let c = gix::objs::CommitRef::from_bytes(data, hash).ok()?;
    let author = c.author().ok()?;
    let committer = c.committer().ok()?;
    let time = committer.time().ok().unwrap_or_default();
    let message: &[u8] = c.message;
    Some((
        CommitMeta {
            tree: c.tree(),
            parents: c.parents().collect(),
            time: time.seconds,
            offset: time.offset,
            author: author.name.trim().to_str_lossy().into_owned(),
            email: author.email.trim().to_str_lossy().into_owned(),
            committer: committer.name.trim().to_str_lossy().into_owned(),
            committer_email: committer.email.trim().to_str_lossy().into_owned(),
            summary: c.message().summary().to_str_lossy().into_owned(),
        },
        message,
    ))
}

/// An annotated tag object.
#[derive(Debug, Clone)]
pub struct TagMeta {
    pub name: String,
    pub target: ObjectId,
}

/// Parse a tag object; returns its metadata and message.
pub fn parse_tag(data: &[u8], hash: gix::hash::Kind) -> Option<(TagMeta, &[u8])> {
    let t = gix::objs::TagRef::from_bytes(data, hash).ok()?;
    let message: &[u8] = t.message;
    Some((
        TagMeta {
            name: t.name.to_str_lossy().into_owned(),
            target: t.target(),
        },
        message,
    ))
}

/// RFC 3339 rendering of a git time (seconds since epoch and offset in seconds).
pub fn rfc3339(seconds: i64, offset: i32) -> String {
    let local = seconds + i64::from(offset);
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let zone = if offset == 0 {
        "Z".to_string()
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let o = offset.unsigned_abs();
        format!("{sign}{:02}:{:02}", o / 3600, (o % 3600) / 60)
    };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{zone}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// What a ref tip is once annotated tags are peeled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipKind {
    Commit,
    /// A tag on a tree or a blob (git's own history has one): its content is reachable, but
    /// there is no commit to walk.
    Tree,
    Blob,
    /// The object is not in the object database (a partial or damaged clone).
    Missing,
}

/// A ref and what it points to (tags peeled).
#[derive(Debug, Clone)]
pub struct RefTip {
    pub name: String,
    /// What the ref points to directly (a tag object for annotated tags).
    pub direct: ObjectId,
    /// The object at the end of the tag chain.
    pub peeled: ObjectId,
    pub kind: TipKind,
}

impl RefTip {
    /// The commit to walk from, when the ref leads to one.
    pub fn commit(&self) -> Option<ObjectId> {
        (self.kind == TipKind::Commit).then_some(self.peeled)
    }
}

impl Refs {
    /// What refs point to that is not in the object database, named by the ref.
    pub fn missing(&self) -> impl Iterator<Item = MissingObject> + '_ {
        self.tips
            .iter()
            .filter(|t| t.kind == TipKind::Missing)
            .map(|t| MissingObject {
                id: t.peeled,
                path: t.name.clone(),
            })
    }
}

/// A ref that cannot be read: its target is unknown, so what only it reaches would look
/// unreachable. Always an error, never skipped.
#[derive(Debug, Clone)]
pub struct RefError {
    /// The ref (`refs/heads/x`, `HEAD`) or, when the name itself is unknown, the file.
    pub name: String,
    pub message: String,
}

/// Ref tips, HEAD and the commits named by reflogs.
#[derive(Debug, Default)]
pub struct Refs {
    pub tips: Vec<RefTip>,
    /// The commit HEAD points to; `None` when HEAD is unborn (or unreadable: see `errors`).
    pub head: Option<ObjectId>,
    pub reflog_commits: Vec<ObjectId>,
    /// Every tag object on the way from a ref to its target (nested tags included).
    pub tag_objects: IdSet,
    pub errors: Vec<RefError>,
}

/// Peel an object id through annotated tags to a commit, using the parsed tags.
pub fn peel(mut id: ObjectId, tags: &IdMap<ObjectId, TagMeta>) -> ObjectId {
    for _ in 0..32 {
        match tags.get(&id) {
            Some(t) => id = t.target,
            None => break,
        }
    }
    id
}

/// The longest tag chain followed (git's own limit on nested tags is far lower in practice).
const MAX_TAG_DEPTH: usize = 32;

/// What peels ref tips: the tags and commits already parsed (full mode), else the object
/// database.
pub struct Peeler<'a> {
    pub repo: &'a gix::Repository,
    pub tags: &'a IdMap<ObjectId, TagMeta>,
    pub commits: &'a IdMap<ObjectId, CommitMeta>,
}

impl Peeler<'_> {
    /// Peel `id` through annotated tags, recording the tag objects passed in `chain`. An absent
    /// object is `Missing`; one that exists but cannot be read or parsed is an error.
    pub fn peel(&self, mut id: ObjectId, chain: &mut IdSet) -> Result<(ObjectId, TipKind), String> {
        use gix::objs::Kind;
        for _ in 0..MAX_TAG_DEPTH {
            if self.commits.contains_key(&id) {
                return Ok((id, TipKind::Commit));
            }
            if let Some(t) = self.tags.get(&id) {
                chain.insert(id);
                id = t.target;
                continue;
            }
            let kind = match self.repo.find_header(id) {
                Ok(h) => h.kind(),
                Err(_) if !self.repo.has_object(id) => return Ok((id, TipKind::Missing)),
                Err(e) => return Err(format!("object {id} cannot be read: {e}")),
            };
            match kind {
                Kind::Commit => return Ok((id, TipKind::Commit)),
                Kind::Tree => return Ok((id, TipKind::Tree)),
                Kind::Blob => return Ok((id, TipKind::Blob)),
                Kind::Tag => {
                    let obj = self
                        .repo
                        .find_object(id)
                        .map_err(|e| format!("tag {id} cannot be read: {e}"))?;
                    let (meta, _) = parse_tag(&obj.data, self.repo.object_hash())
                        .ok_or_else(|| format!("tag {id} is not a well-formed tag"))?;
                    chain.insert(id);
                    id = meta.target;
                }
            }
        }
        Err(format!("more than {MAX_TAG_DEPTH} nested tags"))
    }
}

/// Read every ref (branches, tags, remotes, notes, stash), HEAD and all reflogs. A ref that
/// cannot be read (garbage in a loose ref, a bad `packed-refs` line, a symbolic ref to nothing,
/// a corrupt HEAD) is recorded in `errors` and the others are still read.
pub fn read_refs(peeler: &Peeler<'_>) -> Result<Refs, String> {
    let repo = peeler.repo;
    let mut refs = Refs::default();
    let platform = repo.references().map_err(|e| e.to_string())?;
    for r in platform.all().map_err(|e| e.to_string())? {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                refs.errors.extend(ref_iteration_errors(repo, &e));
                continue;
            }
        };
        let name = r.name().as_bstr().to_str_lossy().into_owned();
        let direct = match r.target() {
            gix::refs::TargetRef::Object(id) => id.to_owned(),
            gix::refs::TargetRef::Symbolic(target) => {
                // The target is a ref of its own, read in this loop; one that does not exist
                // is a broken ref (`git fsck`: invalid pointer).
                let target = target.as_bstr().to_str_lossy().into_owned();
                let mut r = r;
                if let Err(e) = r.follow_to_object() {
                    refs.errors.push(RefError {
                        name,
                        message: format!(
                            "symbolic ref to {target} cannot be resolved: {}",
                            describe(&e)
                        ),
                    });
                }
                continue;
            }
        };
        push_tip(peeler, &mut refs, name, direct);
    }
    read_head(peeler, &mut refs);
    // One bad `packed-refs` line can fail several iteration steps.
    let mut seen = std::collections::HashSet::new();
    refs.errors
        .retain(|e| seen.insert((e.name.clone(), e.message.clone())));
    let mut seen = IdSet::default();
    for dir in [repo.git_dir(), repo.common_dir()] {
        read_reflogs(&dir.join("logs"), &mut |id| {
            if seen.insert(id) {
                refs.reflog_commits.push(id);
            }
        });
    }
    Ok(refs)
}

/// Peel `direct` and record the tip, or the error naming the ref.
fn push_tip(peeler: &Peeler<'_>, refs: &mut Refs, name: String, direct: ObjectId) {
    match peeler.peel(direct, &mut refs.tag_objects) {
        Ok((peeled, kind)) => refs.tips.push(RefTip {
            name,
            direct,
            peeled,
            kind,
        }),
        Err(message) => refs.errors.push(RefError { name, message }),
    }
}

/// HEAD: unborn (a new repository, an orphan branch) is fine; unreadable is an error, never
/// taken for unborn.
fn read_head(peeler: &Peeler<'_>, refs: &mut Refs) {
    let head = match peeler.repo.head() {
        Ok(h) => h,
        Err(e) => {
            refs.errors.push(RefError {
                name: "HEAD".into(),
                message: format!("HEAD cannot be read: {}", describe(&e)),
            });
            return;
        }
    };
    if head.is_unborn() {
        return;
    }
    let Some(direct) = head.id().map(gix::Id::detach) else {
        refs.errors.push(RefError {
            name: "HEAD".into(),
            message: "HEAD points to a symbolic ref that does not resolve".into(),
        });
        return;
    };
    let before = refs.tips.len();
    push_tip(peeler, refs, "HEAD".into(), direct);
    if let Some(t) = refs.tips.get(before)
        && t.kind == TipKind::Commit
    {
        refs.head = Some(t.peeled);
    }
}

/// The ref an iteration error is about: a loose ref is named in gix's message (`The reference
/// at "refs/heads/x" could not be decoded`); a bad `packed-refs` record is found by reading the
/// file. Each error names one ref or, failing that, the file.
fn ref_iteration_errors(repo: &gix::Repository, e: &dyn std::error::Error) -> Vec<RefError> {
    let text = e.to_string();
    let quoted = text
        .split_once("reference at \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(name, _)| name);
    if let Some(name) = quoted.filter(|n| !n.is_empty()) {
        return vec![RefError {
            name: name.to_string(),
            message: format!("cannot read ref: {}", describe(e)),
        }];
    }
    let path = repo.common_dir().join("packed-refs");
    let bad = std::fs::read(&path)
        .map(|text| bad_packed_refs(&text, repo.object_hash()))
        .unwrap_or_default();
    if bad.is_empty() {
        return vec![RefError {
            name: "refs".into(),
            message: format!("cannot read refs: {}", describe(e)),
        }];
    }
    bad.into_iter()
        .map(|(line, name)| RefError {
            name,
            message: format!("{} line {line} cannot be parsed", path.display()),
        })
        .collect()
}

/// The lines of a `packed-refs` file that are not a header, an `<id> <ref>` record or a peeled
/// `^<id>` line: line number and the ref named on it (or the file when none is).
fn bad_packed_refs(text: &[u8], hash: gix::hash::Kind) -> Vec<(usize, String)> {
    let is_id = |s: &[u8]| s.len() == hash.len_in_hex() && ObjectId::from_hex(s).is_ok();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let ok = match line.first() {
            None | Some(b'#') => true,
            Some(b'^') => is_id(&line[1..]),
            Some(_) => line
                .split_once_str(" ")
                .is_some_and(|(id, name)| is_id(id) && name.starts_with(b"refs/")),
        };
        if !ok {
            let name = line.find(b"refs/").map_or_else(
                || "packed-refs".to_string(),
                |p| line[p..].to_str_lossy().into_owned(),
            );
            bad.push((i + 1, name));
        }
    }
    bad
}

fn read_reflogs(dir: &Path, out: &mut dyn FnMut(ObjectId)) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => read_reflogs(&p, out),
            Ok(t) if t.is_file() => {
                let Ok(text) = std::fs::read(&p) else {
                    continue;
                };
                for line in text.lines() {
                    for field in line.split_str(" ").take(2) {
                        if let Ok(id) = ObjectId::from_hex(field)
                            && !id.is_null()
                        {
                            out(id);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Commits of the shallow boundary (their parents are legitimately absent).
pub fn shallow_commits(repo: &gix::Repository) -> IdSet {
    std::fs::read(repo.common_dir().join("shallow"))
        .map(|t| {
            t.lines()
                .filter_map(|l| ObjectId::from_hex(l.trim()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// All commits with derived relations.
pub struct Graph {
    pub commits: IdMap<ObjectId, CommitMeta>,
    children: IdMap<ObjectId, Vec<ObjectId>>,
    /// Commits reachable from a ref (reflogs excluded).
    pub reachable: IdSet,
    /// Parents referenced by reachable commits that are not in the object database.
    pub missing_commits: Vec<ObjectId>,
    pub shallow: bool,
}

impl Graph {
    pub fn new(commits: IdMap<ObjectId, CommitMeta>, refs: &Refs, shallow: &IdSet) -> Self {
        let mut children: IdMap<ObjectId, Vec<ObjectId>> = IdMap::default();
        for (id, c) in &commits {
            for p in &c.parents {
                children.entry(*p).or_default().push(*id);
            }
        }
        let mut reachable = IdSet::default();
        let mut missing = Vec::new();
        let mut stack: Vec<ObjectId> = refs.tips.iter().filter_map(RefTip::commit).collect();
        while let Some(id) = stack.pop() {
            if !reachable.insert(id) {
                continue;
            }
            match commits.get(&id) {
                Some(c) => {
                    if !shallow.contains(&id) {
                        stack.extend(c.parents.iter().copied());
                    }
                }
                None => {
                    reachable.remove(&id);
                    missing.push(id);
                }
            }
        }
        missing.sort();
        missing.dedup();
        Graph {
            commits,
            children,
            reachable,
            missing_commits: missing,
            shallow: !shallow.is_empty(),
        }
    }

    /// Every commit, parents before children and otherwise oldest committer time first.
    pub fn topo_time_order(&self) -> Vec<ObjectId> {
        let mut pending: IdMap<ObjectId, usize> =
            IdMap::with_capacity_and_hasher(self.commits.len(), Default::default());
        for (id, c) in &self.commits {
            let n = c
                .parents
                .iter()
                .filter(|p| self.commits.contains_key(*p))
                .count();
            pending.insert(*id, n);
        }
        let mut heap: BinaryHeap<std::cmp::Reverse<(i64, ObjectId)>> = pending
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(id, _)| std::cmp::Reverse((self.commits[id].time, *id)))
            .collect();
        let mut out = Vec::with_capacity(self.commits.len());
        while let Some(std::cmp::Reverse((_, id))) = heap.pop() {
            out.push(id);
            for child in self.children.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
                if let Some(n) = pending.get_mut(child) {
                    *n -= 1;
                    if *n == 0 {
                        heap.push(std::cmp::Reverse((self.commits[child].time, *child)));
                    }
                }
            }
        }
        out
    }

    /// `id` and every commit that has it as an ancestor.
    pub fn descendants(&self, id: ObjectId) -> IdSet {
        let mut seen = IdSet::default();
        let mut stack = vec![id];
        while let Some(c) = stack.pop() {
            if seen.insert(c) {
                if let Some(ch) = self.children.get(&c) {
                    stack.extend(ch.iter().copied());
                }
            }
        }
        seen
    }
}

/// Blobs found in a tree: path and id.
pub type Located = Vec<(BString, ObjectId)>;

/// A reference to an object that is not in the object database.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MissingObject {
    pub id: ObjectId,
    pub path: String,
}

/// One tree as the locator sees it: with targets, pruned to target blobs and to subtrees that
/// contain targets; without, every blob and subtree.
#[derive(Debug, Default)]
struct Node {
    blobs: Vec<(BString, ObjectId)>,
    trees: Vec<(BString, ObjectId)>,
}

/// Memoised tree walks. With a target set, each distinct tree is read once and pruned to the
/// target blobs it (transitively) holds, so attributing findings costs in proportion to the
/// distinct trees of history, not commits times tree size. [`TreeLocator::introduced`] yields
/// what a commit's tree holds that none of its parents holds at the same path: the commit's own
/// contribution, which for a merge is exactly what the merge itself introduced.
pub struct TreeLocator<'r> {
    repo: &'r gix::Repository,
    targets: Option<&'r IdSet>,
    memo: IdMap<ObjectId, Rc<Node>>,
    empty: Rc<Node>,
    /// While set, every blob entry read is checked to exist and unreadable trees are recorded.
    pub check_missing: bool,
    /// While set, every blob yielded by `introduced` is checked to exist, and a commit's tree (or
    /// subtree) that cannot be read is recorded: in `missing` when absent, else in `unreadable`.
    /// A parent's tree is not checked: read as empty, it only makes more blobs count as introduced.
    pub check_yielded: bool,
    pub missing: Vec<MissingObject>,
    /// Trees that exist but cannot be read or parsed (corrupt), with `check_yielded`.
    pub unreadable: Vec<MissingObject>,
    /// Every blob in the object database, when the caller enumerated them: a set lookup is far
    /// cheaper than asking the object database for each tree entry.
    pub known_blobs: Option<&'r IdSet>,
    buf: Vec<u8>,
}

impl<'r> TreeLocator<'r> {
    /// A locator for `targets`, or for every blob when `targets` is `None`.
    pub fn new(repo: &'r gix::Repository, targets: Option<&'r IdSet>) -> Self {
        TreeLocator {
            repo,
            targets,
            memo: IdMap::default(),
            empty: Rc::new(Node::default()),
            check_missing: false,
            check_yielded: false,
            missing: Vec::new(),
            unreadable: Vec::new(),
            known_blobs: None,
            buf: Vec::new(),
        }
    }

    /// Read `tree` (and, with targets, all trees below it) once.
    pub fn visit(&mut self, tree: ObjectId) {
        self.node(tree, "", 0);
    }

    fn node(&mut self, tree: ObjectId, path: &str, depth: usize) -> Rc<Node> {
        if let Some(hit) = self.memo.get(&tree) {
            return Rc::clone(hit);
        }
        // git knows the empty tree without storing it: it is never missing nor unreadable.
        if tree == ObjectId::empty_tree(self.repo.object_hash()) {
            return Rc::clone(&self.empty);
        }
        // Parse the tree, keeping only what the node needs: subtrees, and target blobs.
        let mut subtrees: Vec<(BString, ObjectId)> = Vec::new();
        let mut node = Node::default();
        let mut buf = std::mem::take(&mut self.buf);
        let parsed = {
            use gix::objs::FindExt;
            match self.repo.objects.find_tree_iter(&tree, &mut buf) {
                Ok(iter) => {
                    let mut ok = true;
                    for e in iter {
                        let Ok(e) = e else {
                            ok = false;
                            break;
                        };
                        if e.mode.is_tree() {
                            subtrees.push((e.filename.to_owned(), e.oid.to_owned()));
                        } else if e.mode.is_blob() || e.mode.is_link() {
                            let id = e.oid.to_owned();
                            if self.check_missing && !self.exists(id) {
                                self.missing.push(MissingObject {
                                    id,
                                    path: join(path, &e.filename.to_owned()),
                                });
                            }
                            if self.targets.is_none_or(|t| t.contains(&id)) {
                                node.blobs.push((e.filename.to_owned(), id));
                            }
                        }
                        // Submodule entries (commits) point into other repositories.
                    }
                    ok
                }
                Err(_) => false,
            }
        };
        self.buf = buf;
        if !parsed {
            let m = MissingObject {
                id: tree,
                path: path.to_string(),
            };
            if self.check_missing {
                self.missing.push(m);
            } else if self.check_yielded {
                if self.repo.has_object(tree) {
                    self.unreadable.push(m);
                } else {
                    self.missing.push(m);
                }
            }
            return Rc::clone(&self.empty);
        }
        match self.targets {
            None => node.trees = subtrees,
            Some(_) if depth < 4096 => {
                for (name, id) in subtrees {
                    let child = match self.memo.get(&id) {
                        Some(hit) => Rc::clone(hit),
                        None => {
                            let child_path = join(path, &name);
                            self.node(id, &child_path, depth + 1)
                        }
                    };
                    if !child.blobs.is_empty() || !child.trees.is_empty() {
                        node.trees.push((name, id));
                    }
                }
            }
            Some(_) => {}
        }
        let node = if node.blobs.is_empty() && node.trees.is_empty() {
            Rc::clone(&self.empty)
        } else {
            Rc::new(node)
        };
        self.memo.insert(tree, Rc::clone(&node));
        node
    }

    /// Does blob `id` exist? Uses the set of blobs seen during enumeration when given.
    fn exists(&self, id: ObjectId) -> bool {
        match self.known_blobs {
            Some(k) => k.contains(&id),
            None => self.repo.has_object(id),
        }
    }

    /// Blobs in `tree` that no tree in `parents` holds at the same path, with full paths.
    /// With no parents, every (target) blob in the tree.
    pub fn introduced(&mut self, tree: ObjectId, parents: &[ObjectId], out: &mut Located) {
        self.walk(&BString::default(), tree, parents, 0, out);
    }

    fn walk(
        &mut self,
        prefix: &BString,
        tree: ObjectId,
        parents: &[ObjectId],
        depth: usize,
        out: &mut Located,
    ) {
        let path = prefix.to_str_lossy().into_owned();
        let node = self.node(tree, &path, depth);
        let check = std::mem::replace(&mut self.check_yielded, false);
        let pnodes: Vec<Rc<Node>> = parents
            .iter()
            .map(|p| self.node(*p, &path, depth))
            .collect();
        self.check_yielded = check;
        for (name, id) in &node.blobs {
            if pnodes
                .iter()
                .any(|p| p.blobs.iter().any(|(n, i)| n == name && i == id))
            {
                continue;
            }
            let full = join_b(prefix, name);
            if self.check_yielded && !self.exists(*id) {
                self.missing.push(MissingObject {
                    id: *id,
                    path: full.to_str_lossy().into_owned(),
                });
                continue;
            }
            out.push((full, *id));
        }
        if depth >= 4096 {
            return;
        }
        for (name, sub) in &node.trees {
            let psubs: Vec<ObjectId> = pnodes
                .iter()
                .filter_map(|p| p.trees.iter().find(|(n, _)| n == name).map(|(_, i)| *i))
                .collect();
            if psubs.contains(sub) {
                continue;
            }
            self.walk(&join_b(prefix, name), *sub, &psubs, depth + 1, out);
        }
    }
}

fn join(path: &str, name: &BString) -> String {
    if path.is_empty() {
        name.to_str_lossy().into_owned()
    } else {
        format!("{path}/{}", name.to_str_lossy())
    }
}

fn join_b(prefix: &BString, name: &BString) -> BString {
    if prefix.is_empty() {
        name.clone()
    } else {
        let mut full = prefix.clone();
        full.push_byte(b'/');
        full.extend_from_slice(name);
        full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_704_164_645, 0), "2024-01-02T03:04:05Z");
        assert_eq!(rfc3339(1_704_164_645, 3600), "2024-01-02T04:04:05+01:00");
        assert_eq!(rfc3339(1_704_164_645, -5400), "2024-01-02T01:34:05-01:30");
    }
}
