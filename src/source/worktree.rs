//! Working-tree source: every regular file under the given paths, hidden and gitignored files
//! included, `.git` internals excluded, walked in parallel. Binary and oversized files are
//! skipped and counted; unreadable files are recorded and the walk goes on; symlinks are not
//! followed; FIFOs, sockets and devices are never opened.

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

/// Bytes looked at to decide whether a file is binary.
pub const BINARY_PROBE: usize = 8192;

#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub max_file_size: u64,
    pub include_deps: bool,
    pub threads: usize,
}

/// A file that could not be read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileError {
    pub path: String,
    pub error: String,
}

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
}

/// A file handed to the visitor: its path as walked and its content.
pub struct WalkedFile<'a> {
    pub path: &'a Path,
    pub content: &'a [u8],
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
    V: FnMut(WalkedFile<'_>) + Send,
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
            if let Ok(meta) = entry.metadata()
                && tracked.known_content(entry.path(), &meta)
            {
                stats.files.fetch_add(1, Ordering::Relaxed);
                stats.bytes.fetch_add(meta.len(), Ordering::Relaxed);
                return ignore::WalkState::Continue;
            }
            match read_file(entry.path(), max, &mut buf) {
                Ok(Read_::Content) => {
                    stats.files.fetch_add(1, Ordering::Relaxed);
                    stats.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
                    visit(WalkedFile {
                        path: entry.path(),
                        content: &buf,
                    });
                }
                Ok(Read_::Binary) => {
                    stats.binary.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Read_::TooLarge) => {
                    stats.large.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => lock(&stats.errors).push(FileError {
                    path: entry.path().display().to_string(),
                    error: e.to_string(),
                }),
            }
            ignore::WalkState::Continue
        })
    });
    let mut dep_dirs = stats.dep_dirs.into_inner().unwrap_or_default();
    dep_dirs.sort();
    let mut errors = stats.errors.into_inner().unwrap_or_default();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    WalkStats {
        files_scanned: stats.files.into_inner(),
        bytes_scanned: stats.bytes.into_inner(),
        skipped_binary: stats.binary.into_inner(),
        skipped_large: stats.large.into_inner(),
        skipped_special: stats.special.into_inner(),
        skipped_dep_dirs: dep_dirs,
        errors,
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

enum Read_ {
    Content,
    Binary,
    TooLarge,
}

/// Read a file into `buf` unless it is binary (NUL in the first 8 KiB) or larger than `max`.
fn read_file(path: &Path, max: u64, buf: &mut Vec<u8>) -> std::io::Result<Read_> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    if len > max {
        return Ok(Read_::TooLarge);
    }
    buf.clear();
    buf.reserve(len as usize + 1);
    let probe = (&mut f).take(BINARY_PROBE as u64).read_to_end(buf)?;
    if memchr::memchr(0, &buf[..probe]).is_some() {
        return Ok(Read_::Binary);
    }
    // Bound the read even if the file grows while we read it.
    f.take(max + 1 - probe as u64).read_to_end(buf)?;
    if buf.len() as u64 > max {
        return Ok(Read_::TooLarge);
    }
    Ok(Read_::Content)
}
