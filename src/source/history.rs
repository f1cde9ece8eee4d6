//! History source: every object in a repository's object database, decoded once.
//!
//! Packs are traversed with gix-pack's delta-tree traversal, which decodes each object exactly
//! once (bases are kept while their deltas are resolved) on all worker threads; loose objects are
//! read in parallel. An object present in several packs, or both loose and packed, is handed to
//! the visitor once. Alternates (`objects/info/alternates`) are followed. Nothing is held in
//! memory beyond what the traversal needs: the visitor sees each object's bytes and decides what
//! to keep.

use gix::ObjectId;
use gix::objs::Kind;
use gix::odb::pack;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// An object database problem: a pack or loose object that could not be decoded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ObjectError {
    /// Pack file, or loose object id.
    pub path: String,
    pub error: String,
}

/// Counters of one enumeration.
#[derive(Debug, Default)]
pub struct EnumStats {
    pub objects: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
    pub packs: usize,
    pub loose: u64,
    pub errors: Vec<ObjectError>,
}

/// Live counters for progress reporting.
#[derive(Debug, Default)]
pub struct Progress {
    pub objects: AtomicU64,
    pub bytes: AtomicU64,
    /// Number of objects in all packs (loose objects are added when counted), for an ETA.
    pub total_objects: AtomicU64,
}

/// All object directories of a repository: its own and those listed in alternates, recursively.
pub fn object_dirs(objects_dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![objects_dir.to_path_buf()];
    let mut i = 0;
    while i < dirs.len() && dirs.len() < 64 {
        let alt = dirs[i].join("info").join("alternates");
        if let Ok(text) = std::fs::read_to_string(&alt) {
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
        i += 1;
    }
    dirs
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

/// Visit every object in the databases under `dirs`. `make_visitor` is called once per worker.
pub fn enumerate<M, V>(
    dirs: &[PathBuf],
    hash: gix::hash::Kind,
    threads: usize,
    progress: &Progress,
    make_visitor: M,
) -> EnumStats
where
    M: Fn() -> V + Sync,
    V: FnMut(Kind, &gix::oid, &[u8]) + Send,
{
    let mut stats = EnumStats::default();
    let mut bundles: Vec<pack::Bundle> = Vec::new();
    let mut loose_stores = Vec::new();
    for dir in dirs {
        let pack_dir = dir.join("pack");
        let mut idx_files: Vec<PathBuf> = std::fs::read_dir(&pack_dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "idx"))
                    .collect()
            })
            .unwrap_or_default();
        idx_files.sort();
        for idx in idx_files {
            match pack::Bundle::at(&idx, hash) {
                Ok(b) => bundles.push(b),
                Err(e) => stats.errors.push(ObjectError {
                    path: idx.display().to_string(),
                    error: e.to_string(),
                }),
            }
        }
        loose_stores.push(gix::odb::loose::Store::at(dir.clone(), hash));
    }
    stats.packs = bundles.len();
    let total: u64 = bundles
        .iter()
        .map(|b| u64::from(b.index.num_objects()))
        .sum();
    progress.total_objects.store(total, Ordering::Relaxed);

    let blobs = AtomicU64::new(0);
    let blob_bytes = AtomicU64::new(0);
    let objects = AtomicU64::new(0);
    let count = |kind: Kind, len: usize| {
        objects.fetch_add(1, Ordering::Relaxed);
        progress.objects.fetch_add(1, Ordering::Relaxed);
        progress.bytes.fetch_add(len as u64, Ordering::Relaxed);
        if kind == Kind::Blob {
            blobs.fetch_add(1, Ordering::Relaxed);
            blob_bytes.fetch_add(len as u64, Ordering::Relaxed);
        }
    };

    let interrupt = AtomicBool::new(false);
    for (i, bundle) in bundles.iter().enumerate() {
        let earlier = &bundles[..i];
        let mut lazy = Lazy {
            make: &make_visitor,
            visitor: None,
        };
        let count = &count;
        let processor = move |kind: Kind,
                              data: &[u8],
                              entry: &pack::index::Entry,
                              _: &dyn gix::progress::Progress|
              -> Result<(), gix::Error> {
            if earlier.iter().any(|b| b.index.lookup(entry.oid).is_some()) {
                return Ok(());
            }
            count(kind, data.len());
            (lazy.get())(kind, &entry.oid, data);
            Ok(())
        };
        let result = bundle.index.traverse_with_index(
            &bundle.pack,
            processor,
            &mut gix::progress::Discard,
            &interrupt,
            pack::index::traverse::with_index::Options {
                thread_limit: Some(threads),
                check: pack::index::traverse::SafetyCheck::SkipFileAndObjectChecksumVerification,
                alloc_limit_bytes: None,
            },
        );
        if let Err(e) = result {
            stats.errors.push(ObjectError {
                path: bundle.pack.path().display().to_string(),
                error: e.to_string(),
            });
        }
    }

    // Loose objects not also in a pack.
    let errors = Mutex::new(Vec::new());
    let mut loose_count = 0u64;
    for store in &loose_stores {
        let ids: Vec<ObjectId> = store
            .iter()
            .filter_map(Result::ok)
            .filter(|id| !bundles.iter().any(|b| b.index.lookup(id).is_some()))
            .collect();
        loose_count += ids.len() as u64;
        progress
            .total_objects
            .fetch_add(ids.len() as u64, Ordering::Relaxed);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
        let run = || {
            ids.par_iter().for_each_init(
                || (make_visitor(), Vec::new()),
                |(visit, buf), id| match store.try_find(id, buf) {
                    Ok(Some(obj)) => {
                        count(obj.kind, obj.data.len());
                        visit(obj.kind, id, obj.data);
                    }
                    Ok(None) => {}
                    Err(e) => errors
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(ObjectError {
                            path: format!("loose object {id}"),
                            error: e.to_string(),
                        }),
                },
            )
        };
        match pool {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        }
    }
    stats.loose = loose_count;
    stats
        .errors
        .extend(errors.into_inner().unwrap_or_else(|e| e.into_inner()));
    stats.objects = objects.into_inner();
    stats.blobs = blobs.into_inner();
    stats.blob_bytes = blob_bytes.into_inner();
    stats
}
