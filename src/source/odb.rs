//! History source: every object in a repository's object database, decoded once.
//!
//! Packs are traversed with gix-pack's delta-tree traversal, which decodes each object exactly
//! once (bases are kept while their deltas are resolved) on all worker threads; loose objects are
//! read in parallel. An object present in several packs, or both loose and packed, is handed to
//! the visitor once. Alternates (`objects/info/alternates`) are followed. Nothing is held in
//! memory beyond what the traversal needs: the visitor sees each object's bytes and decides what
//! to keep.
//!
//! Sizes in a pack or loose object are declared by the object itself, so they are checked before
//! anything is allocated for them (see [`Limits`]): a blob over `--max-file-size` is never decoded
//! and is reported as too large, and an entry declaring more bytes than its compressed data can
//! inflate to is reported as corrupt instead of being allocated.

use crate::lock;
use gix::ObjectId;
use gix::objs::Kind;
use gix::odb::pack;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// An object database problem: a pack or loose object that could not be decoded.
pub use super::FileError as ObjectError;

/// Counters of one enumeration.
#[derive(Debug, Default)]
pub struct EnumStats {
    pub objects: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
    pub packs: usize,
    pub loose: u64,
    pub errors: Vec<ObjectError>,
    /// Blobs over the size limit: counted in `objects` and `blobs`, never decoded nor visited.
    pub oversized_blobs: Vec<ObjectId>,
}

/// Live counters for progress reporting.
#[derive(Debug, Default)]
pub struct Progress {
    pub objects: AtomicU64,
    pub bytes: AtomicU64,
    /// Number of objects in all packs (loose objects are added when counted), for an ETA.
    pub total_objects: AtomicU64,
}

/// The decoding limit when `--max-file-size` is smaller: a commit must be readable to attribute
/// findings, and a blob under `--max-file-size` may be a delta of a somewhat bigger one.
const MIN_DECODE_LIMIT: u64 = 64 << 20;

/// How much bigger than its compressed form a zlib stream can inflate: deflate's maximum ratio is
/// 1032:1 (a 258-byte match per two bits). A pack entry or loose object declaring more is corrupt.
const MAX_INFLATE_RATIO: u64 = 1032;

/// The most bytes one byte of delta instructions can produce: a bare copy command copies 64 KiB.
const MAX_DELTA_RATIO: u64 = 1 << 16;

/// What the enumeration decodes, from the scan's `--max-file-size`.
///
/// A blob (or tree: the visitor ignores trees) over `max_blob_size` is not decoded unless another
/// object is a delta against it; a blob is then counted as too large, as the blob scanner would
/// skip it anyway. Nothing over the decoding limit, `max(max_blob_size, 64 MiB)`, is ever decoded
/// (it is also the allocation limit handed to gix): a commit or tag over it, or an object that
/// is a delta against one, is reported as an error.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_blob_size: u64,
}

impl Limits {
    /// Objects of `kind` up to this size are decoded for the visitor.
    fn of(self, kind: Kind) -> u64 {
        match kind {
            Kind::Blob | Kind::Tree => self.max_blob_size,
            Kind::Commit | Kind::Tag => self.decode(),
        }
    }

    /// No object (or delta) larger than this is decoded.
    fn decode(self) -> u64 {
        self.max_blob_size.max(MIN_DECODE_LIMIT)
    }

    fn alloc(self) -> usize {
        usize::try_from(self.decode()).unwrap_or(usize::MAX)
    }
}

/// Could a zlib stream of `compressed` bytes inflate to `declared` bytes?
fn plausible(declared: u64, compressed: u64) -> bool {
    declared
        <= compressed
            .saturating_mul(MAX_INFLATE_RATIO)
            .saturating_add(64)
}

/// The longest alternates file read: a list of paths.
const MAX_ALTERNATES: u64 = 1 << 20;

/// All object directories of a repository: its own and those listed in alternates, recursively.
/// An alternates file that exists but cannot be read is an error: the objects it lends would
/// otherwise look missing.
pub fn object_dirs(objects_dir: &Path) -> (Vec<PathBuf>, Vec<ObjectError>) {
    let mut dirs = vec![objects_dir.to_path_buf()];
    let mut errors = Vec::new();
    let mut i = 0;
    while i < dirs.len() && dirs.len() < 64 {
        let alt = dirs[i].join("info").join("alternates");
        // Bounded, without blocking, never from /proc, /sys or /dev: the repository chose it.
        let text = crate::safe_fs::read_bounded(&alt, MAX_ALTERNATES).and_then(|bytes| {
            String::from_utf8(bytes).map_err(|e| crate::safe_fs::SafeFsError::Io {
                path: alt.clone(),
                action: "read",
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })
        });
        match text {
            Ok(text) => {
                for line in text.lines().map(str::trim) {
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    let p = dirs[i].join(line);
                    let p = p.canonicalize().unwrap_or(p);
                    if !dirs.contains(&p) {
                        dirs.push(p);
                    }
                }
            }
            Err(e) if e.io_kind() == Some(std::io::ErrorKind::NotFound) => {}
            Err(e) => errors.push(ObjectError {
                path: alt.display().to_string(),
                error: match std::error::Error::source(&e) {
                    Some(cause) => format!("cannot be read: {cause}"),
                    None => e.to_string(),
                },
            }),
        }
        i += 1;
    }
    (dirs, errors)
}

fn unreadable(path: &Path, e: &std::io::Error) -> ObjectError {
    ObjectError {
        path: path.display().to_string(),
        error: format!("cannot be read: {e}"),
    }
}

/// The entries of a directory that should be listable; a missing one has none.
fn list_dir(dir: &Path) -> Result<Vec<std::fs::DirEntry>, ObjectError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(unreadable(dir, &e)),
    };
    rd.map(|e| e.map_err(|e| unreadable(dir, &e))).collect()
}

/// The loose objects of an object directory: the files of its two-hex-digit fan-out
/// directories. A fan-out directory that cannot be listed is an error, never "missing".
pub fn list_loose(dir: &Path, hash: gix::hash::Kind) -> (Vec<ObjectId>, Vec<ObjectError>) {
    let (mut ids, mut errors) = (Vec::new(), Vec::new());
    let entries = list_dir(dir).unwrap_or_else(|e| {
        errors.push(e);
        Vec::new()
    });
    for fan in entries {
        let name = fan.file_name();
        let Some(prefix) = name.to_str().filter(|n| n.len() == 2 && is_hex(n)) else {
            continue;
        };
        match list_dir(&fan.path()) {
            Ok(files) => ids.extend(files.iter().filter_map(|f| {
                let rest = f.file_name();
                let rest = rest.to_str()?;
                let hex = format!("{prefix}{rest}");
                (hex.len() == hash.len_in_hex() && is_hex(rest))
                    .then(|| ObjectId::from_hex(hex.as_bytes()).ok())
                    .flatten()
            })),
            Err(e) => errors.push(e),
        }
    }
    (ids, errors)
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The pack indexes of an object directory.
fn pack_indexes(dir: &Path) -> Result<Vec<PathBuf>, ObjectError> {
    let mut idx: Vec<PathBuf> = list_dir(&dir.join("pack"))?
        .into_iter()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .collect();
    idx.sort();
    Ok(idx)
}

/// Object directories (alternates, fan-out and pack directories) that exist but cannot be
/// listed: for scans that read objects by id rather than enumerate them, whose absent objects
/// would otherwise be taken for missing ones.
pub fn unreadable_dirs(objects_dir: &Path, hash: gix::hash::Kind) -> Vec<ObjectError> {
    let (dirs, mut errors) = object_dirs(objects_dir);
    for dir in &dirs {
        errors.extend(list_loose(dir, hash).1);
        errors.extend(pack_indexes(dir).err());
    }
    errors
}

/// A visitor that is created lazily on first use in each pack-traversal worker.
struct Lazy<'m, M, V> {
    make: &'m M,
    visitor: Option<V>,
}

impl<M: Fn() -> V, V> Lazy<'_, M, V> {
    fn get(&mut self) -> &mut V {
        self.visitor.get_or_insert_with(self.make)
    }
}

impl<M, V> Clone for Lazy<'_, M, V> {
    fn clone(&self) -> Self {
        Lazy {
            make: self.make,
            visitor: None,
        }
    }
}

/// `EntryHeader::base` of a non-delta entry.
const ROOT: u32 = u32::MAX;
/// `EntryHeader::base` of a delta whose base is not in the pack.
const ABSENT: u32 = u32::MAX - 1;

/// One pack entry's sizes and base, read before anything is decoded. Entries are numbered by
/// their position in the pack (sorted by offset); one pack holds fewer than 2^32 objects. Kept
/// small: there is one per object.
struct EntryHeader {
    /// Size of the object the entry decodes to (for a delta, the result's size).
    size: u64,
    /// Bytes the entry itself inflates to (for a delta, its instructions).
    inflated: u64,
    /// For a delta, the size of the base it expects.
    base_size: u64,
    /// For a delta, the number of its base entry; else [`ROOT`] or [`ABSENT`].
    base: u32,
    /// For a non-delta entry, the kind of object.
    kind: Kind,
    /// The entry is corrupt on its own (the reason is kept apart: it is rare).
    corrupt: bool,
}

/// Why entries cannot be decoded, by entry number.
type Problems = std::collections::HashMap<usize, String>;

/// A git delta header size: little-endian base-128.
fn delta_varint(d: &[u8]) -> Option<(u64, usize)> {
    let mut size = 0u64;
    for (i, b) in d.iter().enumerate().take(10) {
        size |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((size, i + 1));
        }
    }
    None
}

/// The base and result sizes of a delta entry, from inflating only its first 20 bytes.
fn delta_sizes(
    pack: &pack::data::File,
    entry: &pack::data::Entry,
    end: u64,
    inflate: &mut gix::zlib::Inflate,
) -> Result<(u64, u64), String> {
    let input = pack
        .entry_slice(entry.data_offset..end)
        .ok_or("the entry lies beyond the end of the pack")?;
    let mut buf = [0u8; 20];
    let want = entry.decompressed_size.min(buf.len() as u64) as usize;
    inflate.reset();
    let (status, _, n) = inflate
        .prefix(input, &mut buf[..want])
        .map_err(|e| format!("cannot inflate the delta: {e}"))?;
    if status == gix::zlib::Status::StreamEnd && n as u64 != entry.decompressed_size {
        return Err(format!(
            "the delta inflates to {n} bytes, not the {} it declares",
            entry.decompressed_size
        ));
    }
    let (base, used) = delta_varint(&buf[..n]).ok_or("truncated delta header")?;
    let (result, _) = delta_varint(&buf[used..n]).ok_or("truncated delta header")?;
    if result / MAX_DELTA_RATIO > entry.decompressed_size {
        return Err(format!(
            "the delta declares a {result}-byte result from {} bytes of instructions",
            entry.decompressed_size
        ));
    }
    Ok((base, result))
}

/// Read the header of entry `i` of `entries` (pack offsets and ids, sorted by offset) without
/// allocating anything the entry declares: its declared size is checked against its compressed
/// size, and a delta's sizes come from its first inflated bytes.
fn read_header(
    bundle: &pack::Bundle,
    entries: &[(u64, ObjectId)],
    i: usize,
    inflate: &mut gix::zlib::Inflate,
) -> Result<EntryHeader, (EntryHeader, String)> {
    use pack::data::entry::Header;
    let pack = &bundle.pack;
    let offset = entries[i].0;
    let end = entries.get(i + 1).map_or(pack.pack_end() as u64, |e| e.0);
    let at = |offset: u64| {
        entries
            .binary_search_by_key(&offset, |e| e.0)
            .map_or(ABSENT, |i| i as u32)
    };
    let mut h = EntryHeader {
        size: 0,
        inflated: 0,
        base_size: 0,
        base: ROOT,
        kind: Kind::Blob,
        corrupt: true,
    };
    let entry = match pack.entry(offset) {
        Ok(e) => e,
        Err(e) => return Err((h, format!("unreadable entry header: {e}"))),
    };
    (h.size, h.inflated) = (entry.decompressed_size, entry.decompressed_size);
    let Some(compressed) = end.checked_sub(entry.data_offset) else {
        let why = "the entry overlaps the next one or the end of the pack";
        return Err((h, why.into()));
    };
    if !plausible(entry.decompressed_size, compressed) {
        let why = format!(
            "the entry declares {} bytes, more than its {compressed} compressed bytes can hold",
            entry.decompressed_size
        );
        return Err((h, why));
    }
    match entry.header {
        Header::Commit => h.kind = Kind::Commit,
        Header::Tree => h.kind = Kind::Tree,
        Header::Blob => h.kind = Kind::Blob,
        Header::Tag => h.kind = Kind::Tag,
        Header::OfsDelta { base_distance } => {
            h.base = match entry.checked_base_pack_offset(base_distance) {
                Some(base) => at(base),
                None => return Err((h, format!("invalid delta base distance {base_distance}"))),
            }
        }
        Header::RefDelta { base_id } => {
            h.base = bundle
                .index
                .lookup(base_id)
                .map_or(ABSENT, |k| at(bundle.index.pack_offset_at_index(k)));
        }
    }
    if h.base != ROOT {
        match delta_sizes(pack, &entry, end, inflate) {
            Ok((base, result)) => (h.base_size, h.size) = (base, result),
            Err(why) => return Err((h, why)),
        }
    }
    h.corrupt = false;
    Ok(h)
}

/// The entries of a pack sorted by offset, and their headers, read in parallel.
fn read_headers(bundle: &pack::Bundle) -> (Vec<(u64, ObjectId)>, Vec<EntryHeader>, Problems) {
    let mut entries: Vec<(u64, ObjectId)> = bundle
        .index
        .iter()
        .map(|e| (e.pack_offset, e.oid))
        .collect();
    entries.sort_unstable();
    let problems = Mutex::new(Problems::new());
    let headers = (0..entries.len())
        .into_par_iter()
        .map_init(gix::zlib::Inflate::default, |inflate, i| {
            read_header(bundle, &entries, i, inflate).unwrap_or_else(|(h, why)| {
                lock(&problems).insert(i, why);
                h
            })
        })
        .collect();
    let problems = problems.into_inner().unwrap_or_else(|e| e.into_inner());
    (entries, headers, problems)
}

/// Whether an entry's delta chain can be decoded within the decoding limit.
#[derive(Clone, Copy)]
enum Chain {
    Ok(Kind),
    /// Entry `.1` (this one or one of its delta bases) is over the limit.
    Over(Kind, u32),
    Corrupt,
}

/// What the traversal does with one pack entry.
#[derive(Clone, Copy)]
enum Plan {
    Decode,
    /// Over the size limit for its kind (and no delta needs it): counted, not decoded.
    TooLarge(Kind),
    /// Within the limit for its kind, but a delta against entry `.1`, over the decoding limit.
    Blocked(Kind, u32),
    /// Why is in the problems.
    Corrupt,
}

/// Decide, for every entry of a pack, whether it is decoded, skipped as too large or reported
/// (with why in `problems`). An entry is decoded when the visitor wants it (within the limit for
/// its kind) or when a decoded delta needs it as a base; a delta has its base's kind and, when the
/// base cannot be decoded, its base's fate.
fn plan(
    entries: &[(u64, ObjectId)],
    headers: &[EntryHeader],
    problems: &mut Problems,
    limits: Limits,
) -> Vec<Plan> {
    let base_of = |i: usize| (headers[i].base < ABSENT).then_some(headers[i].base as usize);
    let decide = |i: usize, chains: &[Option<Chain>], problems: &mut Problems| -> Chain {
        let h = &headers[i];
        let over = |kind: Kind| {
            if h.size.max(h.inflated) > limits.decode() {
                Chain::Over(kind, i as u32)
            } else {
                Chain::Ok(kind)
            }
        };
        let why = match (h.corrupt, h.base) {
            (true, _) => return Chain::Corrupt,
            (false, ROOT) => return over(h.kind),
            (false, ABSENT) => "its delta base is not in this pack".to_string(),
            (false, b) => {
                let (b, base) = (b as usize, &headers[b as usize]);
                match chains[b] {
                    None => "its delta chain is a loop".to_string(),
                    Some(Chain::Corrupt) => format!("its delta base {} is corrupt", entries[b].1),
                    Some(_) if h.base_size != base.size => format!(
                        "its delta expects a {}-byte base, but {} is {} bytes",
                        h.base_size, entries[b].1, base.size
                    ),
                    Some(Chain::Over(kind, j)) => return Chain::Over(kind, j),
                    Some(Chain::Ok(kind)) => return over(kind),
                }
            }
        };
        problems.insert(i, why);
        Chain::Corrupt
    };
    let mut chains: Vec<Option<Chain>> = vec![None; headers.len()];
    let mut on_chain = vec![false; headers.len()];
    let mut stack = Vec::new();
    for start in 0..headers.len() {
        // Follow the delta chain down to a decided entry or a root, then decide bottom-up (a
        // loop leaves its first entry undecided when it is decided again: a corrupt chain).
        let mut i = start;
        while chains[i].is_none() && !on_chain[i] {
            on_chain[i] = true;
            stack.push(i);
            match base_of(i) {
                Some(b) => i = b,
                None => break,
            }
        }
        while let Some(k) = stack.pop() {
            on_chain[k] = false;
            chains[k] = Some(decide(k, &chains, problems));
        }
    }
    // Decode what the visitor wants, and the delta bases that needs.
    let mut decode = vec![false; headers.len()];
    for (i, c) in chains.iter().enumerate() {
        if matches!(c, Some(Chain::Ok(kind)) if headers[i].size <= limits.of(*kind)) {
            let mut j = Some(i);
            while let Some(k) = j.filter(|&k| !decode[k]) {
                decode[k] = true;
                j = base_of(k);
            }
        }
    }
    chains
        .into_iter()
        .zip(decode)
        .enumerate()
        .map(|(i, (c, d))| match c.unwrap_or(Chain::Corrupt) {
            _ if d => Plan::Decode,
            Chain::Ok(kind) => Plan::TooLarge(kind),
            Chain::Over(kind, j) if j as usize == i || headers[i].size > limits.of(kind) => {
                Plan::TooLarge(kind)
            }
            Chain::Over(kind, j) => Plan::Blocked(kind, j),
            Chain::Corrupt => Plan::Corrupt,
        })
        .collect()
}

/// Run `f` on `pool` when there is one.
fn install<R: Send>(pool: Option<&rayon::ThreadPool>, f: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// Counts and problems of one enumeration, shared by the workers.
struct Tally<'p> {
    progress: &'p Progress,
    limits: Limits,
    objects: AtomicU64,
    blobs: AtomicU64,
    blob_bytes: AtomicU64,
    oversized: Mutex<Vec<ObjectId>>,
    errors: Mutex<Vec<ObjectError>>,
}

impl Tally<'_> {
    fn count(&self, kind: Kind, len: usize) {
        self.objects.fetch_add(1, Ordering::Relaxed);
        self.progress.objects.fetch_add(1, Ordering::Relaxed);
        self.progress.bytes.fetch_add(len as u64, Ordering::Relaxed);
        if kind == Kind::Blob {
            self.blobs.fetch_add(1, Ordering::Relaxed);
            self.blob_bytes.fetch_add(len as u64, Ordering::Relaxed);
        }
    }

    /// An object over the limit for its kind, not decoded: a blob is counted and listed, a tree
    /// counted, a commit or tag (never over the limit unless over the decoding limit) an error.
    fn too_large(&self, kind: Kind, id: ObjectId, size: u64, place: &str) {
        match kind {
            Kind::Blob | Kind::Tree => {
                if kind == Kind::Blob {
                    lock(&self.oversized).push(id);
                }
                self.count(kind, 0);
            }
            Kind::Commit | Kind::Tag => {
                self.progress.objects.fetch_add(1, Ordering::Relaxed);
                self.error(ObjectError {
                    path: place.to_string(),
                    error: format!(
                        "{kind} {id} is {size} bytes, over the {}-byte decoding limit; not \
                         scanned (raise --max-file-size)",
                        self.limits.decode()
                    ),
                });
            }
        }
    }

    fn error(&self, e: ObjectError) {
        lock(&self.errors).push(e);
    }
}

/// The packs and loose-object stores of the databases under `dirs`; packs that cannot be opened
/// and pack directories that cannot be listed are errors in `stats`.
fn open_databases<'d>(
    dirs: &'d [PathBuf],
    hash: gix::hash::Kind,
    limits: Limits,
    stats: &mut EnumStats,
) -> (
    Vec<pack::Bundle>,
    Vec<(&'d PathBuf, gix::odb::loose::Store)>,
) {
    let mut bundles: Vec<pack::Bundle> = Vec::new();
    let mut loose_stores = Vec::new();
    for dir in dirs {
        let idx_files = pack_indexes(dir).unwrap_or_else(|e| {
            stats.errors.push(e);
            Vec::new()
        });
        for idx in idx_files {
            match pack::Bundle::at(&idx, hash) {
                Ok(b) => bundles.push(b),
                Err(e) => stats.errors.push(ObjectError {
                    path: idx.display().to_string(),
                    error: e.to_string(),
                }),
            }
        }
        let opts = gix::odb::loose::Options {
            alloc_limit_bytes: Some(limits.alloc()),
            ..Default::default()
        };
        loose_stores.push((
            dir,
            gix::odb::loose::Store::at_opts(dir.clone(), hash, opts),
        ));
    }
    (bundles, loose_stores)
}

/// Per pack, the objects that cannot be decoded are named up to this many, then counted.
const NAMED: usize = 20;

/// The entries of `bundle` to decode (pack offset and id); the others are counted as too large
/// or reported. `elsewhere`: the object is in an earlier pack, which counts it.
fn entries_to_decode(
    bundle: &pack::Bundle,
    elsewhere: &dyn Fn(&gix::oid) -> bool,
    tally: &Tally<'_>,
    pool: Option<&rayon::ThreadPool>,
) -> (Vec<(u64, ObjectId)>, u64) {
    let limits = tally.limits;
    let pack_path = bundle.pack.path().display().to_string();
    // Entry headers first: nothing the pack declares is allocated before it is checked.
    let (entries, headers, mut why) = install(pool, || read_headers(bundle));
    let plans = plan(&entries, &headers, &mut why, limits);
    let mut decode = Vec::with_capacity(entries.len());
    let mut largest = 0u64;
    let mut problems = Vec::new();
    for (i, (&(offset, oid), p)) in entries.iter().zip(plans).enumerate() {
        let problem = match p {
            // Decoded even when an earlier pack has it: it may be a delta base here.
            Plan::Decode => {
                decode.push((offset, oid));
                largest = largest.max(headers[i].size);
                continue;
            }
            _ if elsewhere(&oid) => continue,
            Plan::TooLarge(kind) => {
                tally.too_large(kind, oid, headers[i].size, &pack_path);
                continue;
            }
            Plan::Blocked(Kind::Tree, _) => {
                tally.count(Kind::Tree, 0);
                continue;
            }
            Plan::Blocked(kind, j) => {
                let (base, b) = (entries[j as usize].1, &headers[j as usize]);
                format!(
                    "{kind} {oid} at offset {offset} not scanned: it is a delta against \
                     {base}, which is {} bytes, over the {}-byte decoding limit (raise \
                     --max-file-size)",
                    b.size.max(b.inflated),
                    limits.decode()
                )
            }
            Plan::Corrupt => format!(
                "corrupt object {oid} at offset {offset}: {}",
                why.remove(&i).unwrap_or_default()
            ),
        };
        tally.progress.objects.fetch_add(1, Ordering::Relaxed);
        problems.push(problem);
    }
    if problems.len() > NAMED {
        let more = problems.len() - NAMED;
        problems.truncate(NAMED);
        problems.push(format!("and {more} more objects that cannot be decoded"));
    }
    lock(&tally.errors).extend(problems.into_iter().map(|error| ObjectError {
        path: pack_path.clone(),
        error,
    }));
    (decode, largest)
}

/// Memory the threads of one pack traversal may hold in decoded objects together: each thread
/// holds an object and the base it is being resolved against, so a pack of large objects is
/// traversed on fewer threads.
const PACK_TRAVERSAL_MEMORY: u64 = 256 << 20;

/// Threads for traversing a pack whose largest decoded object is `largest` bytes.
fn pack_threads(threads: usize, largest: u64) -> usize {
    let fit = PACK_TRAVERSAL_MEMORY / (2 * largest.max(1));
    threads
        .min(usize::try_from(fit).unwrap_or(usize::MAX))
        .max(1)
}

/// Decode the entries `decode` of `bundle` with gix-pack's delta-tree traversal and visit them.
fn traverse_pack<M, V>(
    bundle: &pack::Bundle,
    decode: Vec<(u64, ObjectId)>,
    elsewhere: &(dyn Fn(&gix::oid) -> bool + Sync),
    tally: &Tally<'_>,
    threads: usize,
    make_visitor: &M,
) where
    M: Fn() -> V + Sync,
    V: FnMut(Kind, &gix::oid, &[u8]) + Send,
{
    let hash = bundle.index.object_hash();
    let interrupt = AtomicBool::new(false);
    let mut lazy = Lazy {
        make: make_visitor,
        visitor: None,
    };
    let inspect = move |&mut (_, oid): &mut (u64, ObjectId),
                        _: &dyn gix::progress::Progress,
                        ctx: pack::cache::delta::traverse::Context<'_>|
          -> Result<(), gix::Error> {
        let Some(kind) = ctx.entry.header.as_kind() else {
            return Ok(());
        };
        if elsewhere(&oid) {
            return Ok(());
        }
        tally.count(kind, ctx.decompressed.len());
        (lazy.get())(kind, &oid, ctx.decompressed);
        Ok(())
    };
    let index = &bundle.index;
    let result = pack::cache::delta::Tree::from_offsets_in_pack(
        bundle.pack.path(),
        decode.into_iter(),
        &|&(offset, _)| offset,
        &|id| Ok(index.lookup(id).map(|i| index.pack_offset_at_index(i))),
        &mut gix::progress::Discard,
        &interrupt,
        hash,
    )
    .and_then(|tree| {
        tree.traverse(
            |range, pack: &pack::data::File| pack.entry_slice(range),
            &bundle.pack,
            bundle.pack.pack_end() as u64,
            inspect,
            pack::cache::delta::traverse::Options {
                object_progress: Box::new(gix::progress::Discard),
                size_progress: &mut gix::progress::Discard,
                thread_limit: Some(threads),
                should_interrupt: &interrupt,
                object_hash: hash,
                // Every entry was checked against the limits: this only backs that up.
                alloc_limit_bytes: Some(tally.limits.alloc()),
            },
        )
    });
    if let Err(e) = result {
        tally.error(ObjectError {
            path: bundle.pack.path().display().to_string(),
            error: e.to_string(),
        });
    }
}

/// Visit the loose objects of `dir` that no pack holds, in parallel; returns how many there are.
fn visit_loose<M, V>(
    (dir, store): (&Path, &gix::odb::loose::Store),
    bundles: &[pack::Bundle],
    tally: &Tally<'_>,
    pool: Option<&rayon::ThreadPool>,
    make_visitor: &M,
) -> u64
where
    M: Fn() -> V + Sync,
    V: FnMut(Kind, &gix::oid, &[u8]) + Send,
{
    let limits = tally.limits;
    let (ids, dir_errors) = list_loose(dir, store.object_hash());
    lock(&tally.errors).extend(dir_errors);
    let ids: Vec<ObjectId> = ids
        .into_iter()
        .filter(|id| !bundles.iter().any(|b| b.index.lookup(id).is_some()))
        .collect();
    tally
        .progress
        .total_objects
        .fetch_add(ids.len() as u64, Ordering::Relaxed);
    install(pool, || {
        ids.par_iter().for_each_init(
            || (make_visitor(), Vec::new()),
            |(visit, buf), id| match store.try_find(id, buf) {
                Ok(Some(obj)) => {
                    tally.count(obj.kind, obj.data.len());
                    visit(obj.kind, id, obj.data);
                }
                Ok(None) => {}
                Err(e) => {
                    let place = format!("loose object {id}");
                    // Over the decoding limit: too large if the file could hold that much.
                    let hex = id.to_hex().to_string();
                    let file_len = std::fs::metadata(dir.join(&hex[..2]).join(&hex[2..]))
                        .map_or(0, |m| m.len());
                    match store.try_header(id) {
                        Ok(Some((size, kind)))
                            if size > limits.decode() && plausible(size, file_len) =>
                        {
                            tally.too_large(kind, id.to_owned(), size, &place);
                        }
                        _ => tally.error(ObjectError {
                            path: place,
                            error: e.to_string(),
                        }),
                    }
                }
            },
        )
    });
    ids.len() as u64
}

/// Visit every object in the databases under `dirs`. `make_visitor` is called once per worker.
/// Objects over `limits` are not decoded: blobs are listed in `oversized_blobs`, commits and
/// tags are errors (a scan that cannot read them is incomplete), trees are only counted.
pub fn enumerate<M, V>(
    dirs: &[PathBuf],
    hash: gix::hash::Kind,
    threads: usize,
    limits: Limits,
    progress: &Progress,
    make_visitor: M,
) -> EnumStats
where
    M: Fn() -> V + Sync,
    V: FnMut(Kind, &gix::oid, &[u8]) + Send,
{
    let mut stats = EnumStats::default();
    let (bundles, loose_stores) = open_databases(dirs, hash, limits, &mut stats);
    stats.packs = bundles.len();
    let total: u64 = bundles
        .iter()
        .map(|b| u64::from(b.index.num_objects()))
        .sum();
    progress.total_objects.store(total, Ordering::Relaxed);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .ok();
    let tally = Tally {
        progress,
        limits,
        objects: AtomicU64::new(0),
        blobs: AtomicU64::new(0),
        blob_bytes: AtomicU64::new(0),
        oversized: Mutex::new(Vec::new()),
        errors: Mutex::new(Vec::new()),
    };
    for (i, bundle) in bundles.iter().enumerate() {
        let earlier = &bundles[..i];
        let elsewhere = |id: &gix::oid| earlier.iter().any(|b| b.index.lookup(id).is_some());
        let (decode, largest) = entries_to_decode(bundle, &elsewhere, &tally, pool.as_ref());
        let threads = pack_threads(threads, largest);
        traverse_pack(bundle, decode, &elsewhere, &tally, threads, &make_visitor);
    }
    // Loose objects not also in a pack.
    for (dir, store) in &loose_stores {
        stats.loose += visit_loose((dir, store), &bundles, &tally, pool.as_ref(), &make_visitor);
    }
    stats
        .errors
        .extend(tally.errors.into_inner().unwrap_or_else(|e| e.into_inner()));
    stats.oversized_blobs = tally
        .oversized
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    stats.objects = tally.objects.into_inner();
    stats.blobs = tally.blobs.into_inner();
    stats.blob_bytes = tally.blob_bytes.into_inner();
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(kind: Kind, size: u64) -> EntryHeader {
        EntryHeader {
            size,
            inflated: size,
            base_size: 0,
            base: ROOT,
            kind,
            corrupt: false,
        }
    }

    fn delta(base: u32, base_size: u64, size: u64) -> EntryHeader {
        EntryHeader {
            size,
            inflated: 10,
            base_size,
            base,
            kind: Kind::Blob,
            corrupt: false,
        }
    }

    #[test]
    fn delta_header_sizes() {
        assert_eq!(delta_varint(&[0x05]), Some((5, 1)));
        assert_eq!(delta_varint(&[0x80 | 0x10, 0x01, 0xff]), Some((0x90, 2)));
        assert_eq!(delta_varint(&[0x80]), None);
        assert_eq!(delta_varint(&[0xff; 12]), None);
    }

    #[test]
    fn plans_follow_delta_chains() {
        let limits = Limits { max_blob_size: 100 };
        let d = limits.decode();
        let entries: Vec<(u64, ObjectId)> = (0..12u8)
            .map(|i| {
                (
                    u64::from(i) * 100 + 12,
                    ObjectId::from_bytes_or_panic(&[i; 20]),
                )
            })
            .collect();
        let headers = vec![
            root(Kind::Blob, 50),     // 0: decoded
            root(Kind::Blob, 500),    // 1: too large, but a base of 2
            delta(1, 500, 60),        // 2: under the limit: decoded, with its base
            root(Kind::Blob, 500),    // 3: too large, no delta needs it
            delta(3, 500, 400),       // 4: too large too
            root(Kind::Blob, d + 1),  // 5: over the decoding limit
            delta(5, d + 1, 60),      // 6: blocked by 5
            delta(0, 49, 60),         // 7: expects a base of the wrong size
            delta(ABSENT, 10, 10),    // 8: base not in the pack
            delta(10, 10, 10),        // 9: a loop with 10
            delta(9, 10, 10),         // 10
            root(Kind::Commit, 1000), // 11: commits are decoded up to the decoding limit
        ];
        let mut problems = Problems::new();
        let plans = plan(&entries, &headers, &mut problems, limits);
        let got: Vec<String> = plans
            .iter()
            .map(|p| match p {
                Plan::Decode => "decode".to_string(),
                Plan::TooLarge(k) => format!("large {k}"),
                Plan::Blocked(k, j) => format!("blocked {k} by {j}"),
                Plan::Corrupt => "corrupt".to_string(),
            })
            .collect();
        assert_eq!(
            got,
            [
                "decode",
                "decode",
                "decode",
                "large blob",
                "large blob",
                "large blob",
                "blocked blob by 5",
                "corrupt",
                "corrupt",
                "corrupt",
                "corrupt",
                "decode",
            ]
        );
        assert!(
            problems[&7].contains("expects a 49-byte base"),
            "{problems:?}"
        );
        assert!(problems[&8].contains("not in this pack"));
        assert!(
            problems.values().any(|p| p.contains("loop")),
            "{problems:?}"
        );
    }
}
