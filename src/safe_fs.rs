//! Opening files in places a scanned repository may control, for reading and for writing.
//!
//! A repository handed to an auditor can plant a symlink where leakgate writes (`leakgate.sarif ->
//! ~/.bashrc`) or swap a file it reads for a FIFO (which blocks `open` forever) or a symlink. So
//! every file leakgate writes is created without following a symlink in its last component and
//! must turn out to be a regular file, and every file it reads is opened without following a
//! symlink and without blocking, then checked with `fstat` on the opened descriptor (no window
//! between the check and the use). Files that hold secrets are created, or reset, to mode 0600.
//!
//! Files under `/proc`, `/sys` and `/dev` are never read on a repository's say-so: many of them
//! are "regular" to `stat` yet endless (`/proc/self/pagemap`) or unrelated to the repository, so
//! a git file that is a symlink into one of them is refused ([`system_target`]).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Why a file could not be opened safely.
#[derive(Debug, thiserror::Error)]
pub enum SafeFsError {
    #[error("refusing to write {path}: it is a symlink (leakgate never writes through one)")]
    Symlink { path: PathBuf },
    #[error("refusing to {action} {path}: it is a {kind}, not a regular file")]
    NotRegular {
        path: PathBuf,
        action: &'static str,
        kind: &'static str,
    },
    #[error("refusing to write {path}: {why}")]
    Refused { path: PathBuf, why: String },
    #[error(
        "not reading {path}: a directory on its path was replaced while the scan ran, and the \
         name now leads outside the scanned directory"
    )]
    Escaped { path: PathBuf },
    #[error(
        "refusing to read {path}: it leads to {}, on a kernel file system (/proc, /sys, /dev) whose files can be endless whatever their size says",
        target.display()
    )]
    System { path: PathBuf, target: PathBuf },
    #[error("refusing to read {path}: it is longer than the {max} bytes such a file can hold")]
    TooLong { path: PathBuf, max: u64 },
    #[error("cannot {action} {path}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl SafeFsError {
    /// The underlying I/O error kind, if this is an I/O error.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            SafeFsError::Io { source, .. } => Some(source.kind()),
            _ => None,
        }
    }
}

/// Who may read a file leakgate creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The file holds secrets (reports, replacements): 0600, also when it already existed.
    Private,
    /// An ordinary file (a baseline, meant to be committed): 0644 before the umask.
    Shared,
    /// A script git runs (a hook): 0755 before the umask.
    Executable,
}

impl Mode {
    fn bits(self) -> u32 {
        match self {
            Mode::Private => 0o600,
            Mode::Shared => 0o644,
            Mode::Executable => 0o755,
        }
    }
}

/// A short name for a file type, for messages.
pub fn kind_name(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "FIFO";
        }
        if ft.is_socket() {
            return "socket";
        }
        if ft.is_block_device() || ft.is_char_device() {
            return "device";
        }
    }
    if ft.is_symlink() {
        "symlink"
    } else if ft.is_dir() {
        "directory"
    } else if ft.is_file() {
        "regular file"
    } else {
        "special file"
    }
}

#[cfg(unix)]
fn no_follow(o: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
}

#[cfg(not(unix))]
fn no_follow(_: &mut OpenOptions) {}

/// Was this open refused because the last component is a symlink (`O_NOFOLLOW`)?
fn is_symlink_refusal(e: &std::io::Error, path: &Path) -> bool {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return true;
    }
    let _ = e;
    path.symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
}

/// A non-blocking open for writing of a FIFO nobody reads fails with `ENXIO`.
fn is_fifo_without_reader(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    return e.raw_os_error() == Some(libc::ENXIO);
    #[cfg(not(unix))]
    false
}

/// Check an opened file is a regular file.
fn check_regular(f: &File, path: &Path, action: &'static str) -> Result<(), SafeFsError> {
    let meta = f.metadata().map_err(|source| SafeFsError::Io {
        path: path.to_path_buf(),
        action,
        source,
    })?;
    if meta.file_type().is_file() {
        Ok(())
    } else {
        Err(SafeFsError::NotRegular {
            path: path.to_path_buf(),
            action,
            kind: kind_name(&meta.file_type()),
        })
    }
}

/// An existing file leakgate is about to overwrite must be its user's own and have no other
/// name: a file another user planted (in a shared directory) would let them read the report, and
/// a hard link would carry the write to wherever its other name lives (`~/.bashrc`).
#[cfg(unix)]
fn check_replaceable(f: &File, path: &Path) -> Result<(), SafeFsError> {
    use std::os::unix::fs::MetadataExt;
    let refused = |why: String| SafeFsError::Refused {
        path: path.to_path_buf(),
        why,
    };
    let meta = f.metadata().map_err(|source| SafeFsError::Io {
        path: path.to_path_buf(),
        action: "write",
        source,
    })?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(refused(format!(
            "it exists and belongs to another user (uid {}); remove it or choose another path",
            meta.uid()
        )));
    }
    if meta.nlink() > 1 {
        return Err(refused(format!(
            "it has {} hard links, so writing it would change another file too",
            meta.nlink()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_replaceable(_: &File, _: &Path) -> Result<(), SafeFsError> {
    Ok(())
}

fn open_for_write(path: &Path, mode: Mode, append: bool) -> Result<File, SafeFsError> {
    let action = if append { "append to" } else { "write" };
    let mut o = OpenOptions::new();
    o.write(true).create(true).append(append);
    no_follow(&mut o);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(mode.bits());
    }
    let io = |source| SafeFsError::Io {
        path: path.to_path_buf(),
        action,
        source,
    };
    let f = o.open(path).map_err(|e| {
        if is_symlink_refusal(&e, path) {
            SafeFsError::Symlink {
                path: path.to_path_buf(),
            }
        } else if is_fifo_without_reader(&e) {
            SafeFsError::NotRegular {
                path: path.to_path_buf(),
                action,
                kind: "FIFO",
            }
        } else {
            io(e)
        }
    })?;
    // Only now that it is known to be a regular file is anything changed: a FIFO or device
    // planted under the name is neither truncated nor written.
    check_regular(&f, path, action)?;
    if !append {
        check_replaceable(&f, path)?;
        f.set_len(0).map_err(io)?;
    }
    #[cfg(unix)]
    if mode == Mode::Private {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(mode.bits()))
            .map_err(io)?;
    }
    Ok(f)
}

/// Create (or truncate) `path` for writing, never through a symlink, only as a regular file.
pub fn create(path: &Path, mode: Mode) -> Result<File, SafeFsError> {
    open_for_write(path, mode, false)
}

/// Open `path` for appending (created if absent), never through a symlink, only a regular file.
pub fn append(path: &Path) -> Result<File, SafeFsError> {
    open_for_write(path, Mode::Shared, true)
}

/// Open `path` for reading without following a symlink and without blocking: a symlink, FIFO,
/// socket or device is refused (`NotRegular`), whatever the walk that found the path saw.
pub fn open_regular(path: &Path) -> Result<(File, std::fs::Metadata), SafeFsError> {
    let action = "read";
    let mut o = OpenOptions::new();
    o.read(true);
    no_follow(&mut o);
    let f = o.open(path).map_err(|e| {
        if is_symlink_refusal(&e, path) {
            SafeFsError::NotRegular {
                path: path.to_path_buf(),
                action,
                kind: "symlink",
            }
        } else {
            SafeFsError::Io {
                path: path.to_path_buf(),
                action,
                source: e,
            }
        }
    })?;
    check_regular(&f, path, action)?;
    let meta = f.metadata().map_err(|source| SafeFsError::Io {
        path: path.to_path_buf(),
        action,
        source,
    })?;
    Ok((f, meta))
}

/// A directory a walk stays beneath. A file the walk listed is opened relative to it, and the
/// kernel refuses a path that passes through a symlink or leaves it (`openat2` with
/// `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, Linux 5.6 and later): a directory on the path
/// swapped for a symlink after the walk listed it cannot turn the name into a file elsewhere.
/// Where `openat2` is missing (older kernels, other systems, a seccomp filter), the file is
/// opened by name and the path the kernel holds for the descriptor must lie under the directory.
#[derive(Debug)]
pub struct Beneath {
    /// The directory as the walk names it (the prefix of the paths it yields).
    root: PathBuf,
    /// Its canonical path.
    canon: PathBuf,
    #[cfg(target_os = "linux")]
    dir: Option<File>,
}

/// Whether `openat2` works here: 0 not tried yet, 1 yes, 2 no.
#[cfg(target_os = "linux")]
static OPENAT2: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

impl Beneath {
    /// `root`, when it is a directory.
    pub fn new(root: &Path) -> Option<Self> {
        let canon = root.canonicalize().ok()?;
        if !canon.is_dir() {
            return None;
        }
        #[cfg(target_os = "linux")]
        let dir = {
            use std::os::unix::fs::OpenOptionsExt;
            OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
                .open(&canon)
                .ok()
        };
        Some(Beneath {
            root: root.to_path_buf(),
            canon,
            #[cfg(target_os = "linux")]
            dir,
        })
    }

    /// Whether this directory holds `path` (a path the walk yielded under it).
    pub fn holds(&self, path: &Path) -> bool {
        path.starts_with(&self.root)
    }

    /// [`open_regular`] for `path`, a path the walk yielded under this directory, never
    /// leaving it: [`SafeFsError::Escaped`] when a directory on the path became a symlink.
    pub fn open_regular(&self, path: &Path) -> Result<(File, std::fs::Metadata), SafeFsError> {
        #[cfg(target_os = "linux")]
        if let Some(opened) = self.openat2(path) {
            let f = opened?;
            check_regular(&f, path, "read")?;
            let meta = f.metadata().map_err(|source| SafeFsError::Io {
                path: path.to_path_buf(),
                action: "read",
                source,
            })?;
            return Ok((f, meta));
        }
        let (f, meta) = open_regular(path)?;
        if !self.within(&f) {
            return Err(SafeFsError::Escaped {
                path: path.to_path_buf(),
            });
        }
        Ok((f, meta))
    }

    /// The file opened with `openat2` beneath the directory, or `None` when `openat2` cannot be
    /// used (then the caller opens by name).
    #[cfg(target_os = "linux")]
    fn openat2(&self, path: &Path) -> Option<Result<File, SafeFsError>> {
        use std::os::fd::{AsRawFd, FromRawFd};
        use std::os::unix::ffi::OsStrExt;
        use std::sync::atomic::Ordering;
        let dir = self.dir.as_ref()?;
        if OPENAT2.load(Ordering::Relaxed) == 2 {
            return None;
        }
        let rel = path.strip_prefix(&self.root).ok()?;
        let rel = std::ffi::CString::new(rel.as_os_str().as_bytes()).ok()?;
        // SAFETY: an all-zero `open_how` is valid (no flags); its fields are then set.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = (libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC) as u64;
        how.resolve =
            libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
        // SAFETY: valid directory descriptor, NUL-terminated path, and `how` with its size.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dir.as_raw_fd(),
                rel.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd >= 0 {
            OPENAT2.store(1, Ordering::Relaxed);
            // SAFETY: a descriptor the kernel just returned, owned by nobody else.
            return Some(Ok(unsafe { File::from_raw_fd(fd as i32) }));
        }
        let e = std::io::Error::last_os_error();
        let code = e.raw_os_error();
        if matches!(code, Some(libc::ENOSYS | libc::EPERM | libc::E2BIG))
            && OPENAT2.load(Ordering::Relaxed) != 1
        {
            OPENAT2.store(2, Ordering::Relaxed);
            return None;
        }
        let escaped = || SafeFsError::Escaped {
            path: path.to_path_buf(),
        };
        Some(Err(match code {
            // A symlink somewhere on the path: the file itself (swapped for one: not a regular
            // file, skipped quietly as the walk would have) or a directory above it.
            Some(libc::ELOOP) => {
                let last_is_link = path
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink());
                if last_is_link {
                    SafeFsError::NotRegular {
                        path: path.to_path_buf(),
                        action: "read",
                        kind: "symlink",
                    }
                } else {
                    escaped()
                }
            }
            Some(libc::EXDEV) => escaped(),
            _ => SafeFsError::Io {
                path: path.to_path_buf(),
                action: "read",
                source: e,
            },
        }))
    }

    /// Whether an opened file lies under the directory, by the path the kernel holds for it.
    fn within(&self, f: &File) -> bool {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            if let Ok(p) = std::fs::read_link(format!("/proc/self/fd/{}", f.as_raw_fd())) {
                return p.starts_with(&self.canon);
            }
        }
        // Nothing to compare with (no /proc): the name was opened without following its last
        // component, which is what can be checked.
        let _ = f;
        true
    }
}

/// Kernel file systems leakgate never reads a file from because a repository points there.
const SYSTEM_ROOTS: &[&str] = &["/proc", "/sys", "/dev"];

/// Under `/dev` but an ordinary memory file system: a repository kept there is read.
const SYSTEM_EXCEPTIONS: &[&str] = &["/dev/shm"];

/// The canonical path `path` leads to (every symlink followed) when it lies under `/proc`, `/sys`
/// or `/dev` (`/dev/shm` excepted); `None` otherwise, and when it does not exist.
pub fn system_target(path: &Path) -> Option<PathBuf> {
    let canonical = path.canonicalize().ok()?;
    let under = |roots: &[&str]| roots.iter().any(|r| canonical.starts_with(r));
    (under(SYSTEM_ROOTS) && !under(SYSTEM_EXCEPTIONS)).then_some(canonical)
}

/// Read a small file git may reach through a symlink (an alternates list, a `commondir` or
/// `.git` file): refused when it leads under `/proc`, `/sys` or `/dev`, opened without blocking,
/// read only if the opened file is regular, and refused when longer than `max` bytes.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, SafeFsError> {
    use std::io::Read;
    if let Some(target) = system_target(path) {
        return Err(SafeFsError::System {
            path: path.to_path_buf(),
            target,
        });
    }
    let io = |source| SafeFsError::Io {
        path: path.to_path_buf(),
        action: "read",
        source,
    };
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let f = o.open(path).map_err(io)?;
    check_regular(&f, path, "read")?;
    let mut buf = Vec::new();
    f.take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > max {
        return Err(SafeFsError::TooLong {
            path: path.to_path_buf(),
            max,
        });
    }
    Ok(buf)
}

/// Read a small file (a hook script, a config) safely, up to `max` bytes.
pub fn read_small(path: &Path, max: u64) -> Result<Vec<u8>, SafeFsError> {
    use std::io::Read;
    let (f, _) = open_regular(path)?;
    let mut buf = Vec::new();
    f.take(max)
        .read_to_end(&mut buf)
        .map_err(|source| SafeFsError::Io {
            path: path.to_path_buf(),
            action: "read",
            source,
        })?;
    Ok(buf)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn never_writes_through_a_symlink() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = create(&link, Mode::Private).unwrap_err();
        assert!(matches!(e, SafeFsError::Symlink { .. }), "{e}");
        assert!(append(&link).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        // A dangling symlink is refused too (it would otherwise create its target).
        let dangling = d.path().join("dangling");
        std::os::unix::fs::symlink(d.path().join("absent"), &dangling).unwrap();
        assert!(create(&dangling, Mode::Private).is_err());
        assert!(!d.path().join("absent").exists());
    }

    #[test]
    fn never_opens_a_fifo_for_writing_or_reading() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string; mkfifo has no other preconditions.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = create(&fifo, Mode::Private).unwrap_err();
        assert!(
            matches!(e, SafeFsError::NotRegular { kind: "FIFO", .. }),
            "{e}"
        );
        let e = open_regular(&fifo).unwrap_err();
        assert!(
            matches!(e, SafeFsError::NotRegular { kind: "FIFO", .. }),
            "{e}"
        );
    }

    #[test]
    fn private_files_are_0600_even_when_they_existed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("report");
        std::fs::write(&p, "old content that is longer").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut f = create(&p, Mode::Private).unwrap();
        f.write_all(b"new").unwrap();
        drop(f);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn never_overwrites_a_hard_linked_file() {
        let d = tempfile::tempdir().unwrap();
        let precious = d.path().join("bashrc");
        std::fs::write(&precious, "precious").unwrap();
        let out = d.path().join("out.sarif");
        std::fs::hard_link(&precious, &out).unwrap();
        let e = create(&out, Mode::Private).unwrap_err();
        assert!(matches!(e, SafeFsError::Refused { .. }), "{e}");
        assert!(e.to_string().contains("hard links"), "{e}");
        assert_eq!(std::fs::read_to_string(&precious).unwrap(), "precious");
    }

    #[test]
    fn never_overwrites_another_users_file() {
        // Only root can give a file away; elsewhere the check is exercised by hard links above.
        if unsafe { libc::geteuid() } != 0 {
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let planted = d.path().join("report.json");
        std::fs::write(&planted, "").unwrap();
        std::os::unix::fs::chown(&planted, Some(65534), Some(65534)).unwrap();
        let e = create(&planted, Mode::Private).unwrap_err();
        assert!(e.to_string().contains("belongs to another user"), "{e}");
        // A new file is fine.
        create(&d.path().join("fresh.json"), Mode::Private).unwrap();
    }

    /// A tree whose `sub` directory is a symlink to a directory outside it.
    fn escaping_tree() -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("root");
        let outside = d.path().join("outside");
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("k.env"), "outside").unwrap();
        std::fs::write(root.join("real/k.env"), "inside").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("sub")).unwrap();
        (d, root)
    }

    #[test]
    fn beneath_never_leaves_the_directory() {
        let (_d, root) = escaping_tree();
        let b = Beneath::new(&root).unwrap();
        let (mut f, _) = b.open_regular(&root.join("real/k.env")).unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        assert_eq!(text, "inside");
        let e = b.open_regular(&root.join("sub/k.env")).unwrap_err();
        assert!(matches!(e, SafeFsError::Escaped { .. }), "{e}");
        // The fallback (no openat2) refuses it too, by the descriptor's path.
        let (f, _) = open_regular(&root.join("sub/k.env")).unwrap();
        assert!(!b.within(&f));
        let (f, _) = open_regular(&root.join("real/k.env")).unwrap();
        assert!(b.within(&f));
    }

    #[test]
    fn reading_refuses_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("t");
        std::fs::write(&target, "x").unwrap();
        let link = d.path().join("l");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            open_regular(&link),
            Err(SafeFsError::NotRegular {
                kind: "symlink",
                ..
            })
        ));
        assert_eq!(read_small(&target, 10).unwrap(), b"x");
    }

    #[test]
    fn bounded_reads_follow_symlinks_but_not_into_kernel_file_systems() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("t");
        std::fs::write(&target, "0123456789").unwrap();
        let link = d.path().join("l");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(read_bounded(&link, 10).unwrap(), b"0123456789");
        assert!(matches!(
            read_bounded(&link, 9),
            Err(SafeFsError::TooLong { max: 9, .. })
        ));
        let pagemap = d.path().join("pagemap");
        std::os::unix::fs::symlink("/proc/self/pagemap", &pagemap).unwrap();
        assert!(matches!(
            read_bounded(&pagemap, 10),
            Err(SafeFsError::System { .. })
        ));
        assert!(system_target(&pagemap).is_some_and(|t| t.starts_with("/proc")));
        assert_eq!(system_target(&link), None);
        assert_eq!(system_target(Path::new("/dev/shm")), None);
        assert!(system_target(Path::new("/dev/null")).is_some());
        let fifo = d.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string; mkfifo has no other preconditions.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_bounded(&fifo, 10),
            Err(SafeFsError::NotRegular { kind: "FIFO", .. })
        ));
    }
}
