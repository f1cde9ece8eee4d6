//! Working-tree source: every regular file under the given paths, hidden and gitignored files
//! included, `.git` internals excluded, walked in parallel. Text files of any size are handed
//! to the visitor as streams; binary files are skipped and counted, files over an explicit
//! `--max-file-size` are skipped and named; unreadable files are recorded and the walk goes on.
//! Symlinks are not followed and FIFOs, sockets and devices never opened, also when a file is
//! swapped for one after the walk saw it: files are opened with `O_NOFOLLOW | O_NONBLOCK` and
//! checked on the opened descriptor.

use crate::lock;
use crate::safe_fs::Beneath;
use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Directories that hold third-party dependencies or caches, skipped by default, with the marker
/// files that identify them when the name alone is ambiguous (Python's standard library has a
/// `venv` package; a `target` folder is not always Cargo's).
pub const DEPENDENCY_DIRS: &[(&str, &[&str])] = &[
    ("node_modules", &[]),
    (".venv", &["pyvenv.cfg"]),
    ("venv", &["pyvenv.cfg"]),
    ("target", &["CACHEDIR.TAG", ".rustc_info.json"]),
    ("__pycache__", &[]),
    (".tox", &[]),
    (".mypy_cache", &[]),
    (".pytest_cache", &[]),
    (".gradle", &[]),
];

/// Is `dir` (named `name`) a dependency or cache folder?
pub fn is_dependency_dir(name: &OsStr, dir: &Path) -> bool {
    DEPENDENCY_DIRS.iter().any(|(n, markers)| {
        name == OsStr::new(n)
            && (markers.is_empty() || markers.iter().any(|m| dir.join(m).exists()))
    })
}

#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Skip (and name) files larger than this; `None`: no limit.
    pub max_file_size: Option<u64>,
    pub include_deps: bool,
    pub threads: usize,
}

pub use super::{BINARY_PROBE, FileError};

/// What the walk saw, besides the files it handed to the visitor.
#[derive(Debug, Default)]
pub struct WalkStats {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped_binary: u64,
    pub skipped_large: u64,
    pub skipped_special: u64,
    pub skipped_dep_dirs: Vec<String>,
    pub errors: Vec<FileError>,
    /// Files over `--max-file-size`, by path, with their size.
    pub too_large: Vec<(String, u64)>,
}

impl WalkStats {
    pub fn skipped(&self) -> u64 {
        self.skipped_binary + self.skipped_large + self.skipped_special
    }
}

#[derive(Default)]
struct SharedStats {
    files: AtomicU64,
    bytes: AtomicU64,
    binary: AtomicU64,
    large: AtomicU64,
    special: AtomicU64,
    dep_dirs: Mutex<Vec<String>>,
    errors: Mutex<Vec<FileError>>,
    too_large: Mutex<Vec<(String, u64)>>,
}

/// A text file handed to the visitor: its path as walked, its first bytes (already read to tell
/// text from binary) and the rest of it, to be read as a stream: files of any size are scanned
/// in pieces. The visitor returns how many bytes it read in all.
pub struct WalkedFile<'a> {
    pub path: &'a Path,
    pub head: &'a mut Vec<u8>,
    pub rest: &'a mut dyn Read,
}

/// What the walk may ask about the repository around the files.
pub trait TrackedDirs: Sync {
    /// Does this dependency-named directory hold tracked files (the user's own content)?
    fn has_tracked_files(&self, dir: &Path) -> bool;

    /// Is this file's content already known to the caller (e.g. identical to a blob the history
    /// scan just read), so it need not be read again? The caller accounts for it.
    fn known_content(&self, _path: &Path, _meta: &std::fs::Metadata) -> bool {
        false
    }
}

impl TrackedDirs for () {
    fn has_tracked_files(&self, _: &Path) -> bool {
        false
    }
}

/// Walk `roots` in parallel; `make_visitor` is called once per worker thread and the returned
/// closure receives every scannable file. Roots must exist (checked by the caller).
pub fn walk<V, M>(
    roots: &[PathBuf],
    opts: &WalkOptions,
    tracked: &dyn TrackedDirs,
    make_visitor: M,
) -> WalkStats
where
    M: Fn() -> V + Sync,
    V: FnMut(WalkedFile<'_>) -> std::io::Result<u64> + Send,
{
    let stats = SharedStats::default();
    let Some((first, rest)) = roots.split_first() else {
        return WalkStats::default();
    };
    let mut builder = ignore::WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    builder
        .standard_filters(false)
        .hidden(false)
        .parents(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .follow_links(false)
        .threads(opts.threads)
        .filter_entry(|e| e.file_name() != OsStr::new(".git"));
    let include_deps = opts.include_deps;
    let max = opts.max_file_size;
    let beneath: Vec<Beneath> = roots.iter().filter_map(|r| Beneath::new(r)).collect();
    let beneath = beneath.as_slice();
    builder.build_parallel().run(|| {
        let mut visit = make_visitor();
        let mut buf: Vec<u8> = Vec::new();
        let stats = &stats;
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    record_walk_error(stats, err);
                    return ignore::WalkState::Continue;
                }
            };
            let Some(ft) = entry.file_type() else {
                return ignore::WalkState::Continue;
            };
            if ft.is_dir() {
                let name = entry.file_name();
                if entry.depth() > 0
                    && !include_deps
                    && is_dependency_dir(name, entry.path())
                    && !tracked.has_tracked_files(entry.path())
                {
                    lock(&stats.dep_dirs).push(entry.path().display().to_string());
                    return ignore::WalkState::Skip;
                }
                return ignore::WalkState::Continue;
            }
            if !ft.is_file() {
                // Symlinks (not followed), FIFOs, sockets, devices.
                stats.special.fetch_add(1, Ordering::Relaxed);
                return ignore::WalkState::Continue;
            }
            read_file(&entry, (tracked, beneath, max), stats, &mut buf, &mut visit);
            ignore::WalkState::Continue
        })
    });
    let mut dep_dirs = stats.dep_dirs.into_inner().unwrap_or_default();
    dep_dirs.sort();
    let mut errors = stats.errors.into_inner().unwrap_or_default();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    let mut too_large = stats.too_large.into_inner().unwrap_or_default();
    too_large.sort();
    WalkStats {
        files_scanned: stats.files.into_inner(),
        bytes_scanned: stats.bytes.into_inner(),
        skipped_binary: stats.binary.into_inner(),
        skipped_large: stats.large.into_inner(),
        skipped_special: stats.special.into_inner(),
        skipped_dep_dirs: dep_dirs,
        errors,
        too_large,
    }
}

/// Read one file the walk found (unless its content is already known), hand it to the
/// visitor, and count what happened.
fn read_file<V>(
    entry: &ignore::DirEntry,
    (tracked, beneath, max): (&dyn TrackedDirs, &[Beneath], Option<u64>),
    stats: &SharedStats,
    buf: &mut Vec<u8>,
    visit: &mut V,
) where
    V: FnMut(WalkedFile<'_>) -> std::io::Result<u64>,
{
    if let Ok(meta) = entry.metadata()
        && tracked.known_content(entry.path(), &meta)
    {
        stats.files.fetch_add(1, Ordering::Relaxed);
        stats.bytes.fetch_add(meta.len(), Ordering::Relaxed);
        return;
    }
    let opened = open_file(entry.path(), beneath, max, buf);
    let read = match opened {
        Ok(Opened::Text(mut file)) => visit(WalkedFile {
            path: entry.path(),
            head: buf,
            rest: &mut file,
        }),
        Ok(Opened::Binary) => {
            stats.binary.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Ok(Opened::NotRegular) => {
            stats.special.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Ok(Opened::TooLarge(size)) => {
            stats.large.fetch_add(1, Ordering::Relaxed);
            lock(&stats.too_large).push((entry.path().display().to_string(), size));
            return;
        }
        Err(e) => Err(e),
    };
    match read {
        Ok(n) => {
            stats.files.fetch_add(1, Ordering::Relaxed);
            stats.bytes.fetch_add(n, Ordering::Relaxed);
        }
        Err(e) => lock(&stats.errors).push(FileError {
            path: entry.path().display().to_string(),
            error: e.to_string(),
        }),
    }
}

fn record_walk_error(stats: &SharedStats, err: ignore::Error) {
    let path = walk_error_path(&err).map_or_else(String::new, |p| p.display().to_string());
    let message = match err.io_error() {
        Some(io) => io.to_string(),
        None => err.to_string(),
    };
    lock(&stats.errors).push(FileError {
        path,
        error: message,
    });
}

fn walk_error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// A file opened for scanning.
enum Opened {
    /// Text (no NUL in the first bytes, which are in the caller's buffer): the rest to read.
    Text(File),
    Binary,
    /// Over the size limit: its size.
    TooLarge(u64),
    /// Not a regular file by the time it was opened (swapped for a FIFO or symlink after the
    /// walk saw it): never read.
    NotRegular,
}

/// Open a file the walk found, without following a symlink or blocking on a FIFO and without
/// leaving the walk root it was found under (see [`Beneath`]), check on the opened descriptor
/// that it is a regular file, and read its first [`BINARY_PROBE`] bytes into `buf` to tell text
/// from binary.
fn open_file(
    path: &Path,
    roots: &[Beneath],
    max: Option<u64>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Opened> {
    use crate::safe_fs::{SafeFsError, open_regular};
    let opened = match roots.iter().find(|r| r.holds(path)) {
        Some(root) => root.open_regular(path),
        None => open_regular(path),
    };
    let (mut f, meta) = match opened {
        Ok(opened) => opened,
        Err(SafeFsError::NotRegular { .. }) => return Ok(Opened::NotRegular),
        Err(SafeFsError::Io { source, .. }) => return Err(source),
        Err(e) => return Err(std::io::Error::other(e)),
    };
    if let Some(max) = max
        && meta.len() > max
    {
        return Ok(Opened::TooLarge(meta.len()));
    }
    buf.clear();
    (&mut f).take(BINARY_PROBE as u64).read_to_end(buf)?;
    if super::is_binary(buf) {
        return Ok(Opened::Binary);
    }
    Ok(Opened::Text(f))
}
