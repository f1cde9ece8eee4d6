//! `leakgate scan`: the working tree, with an exposure for every finding.

use super::{Completion, Outcome, complete};
use crate::cli::ScanArgs;
use crate::config::{self, OutputConfig};
use crate::content::{self, Target};
use crate::engine::Scanner;
use crate::finding::{self, Finding, FindingOptions};
use crate::lock;
use crate::report::{NotListed, Report, Skipped, Summary};
use crate::source::git::RepoView;
use crate::source::worktree::{self, FileError, TrackedDirs, WalkOptions};
use crate::source::{Exposure, SourceKind};
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The repositories the scanned paths live in, for tracked-directory and exposure questions:
/// those holding the scan roots, and any other a file with findings turns out to be in (a
/// directory of clones, a repository nested in another without being a submodule).
struct Repos {
    views: Vec<RepoView>,
    /// Directory of a file with findings -> the repository holding it (index into `views`).
    by_dir: std::collections::HashMap<PathBuf, Option<usize>>,
}

impl Repos {
    fn discover(roots: &[PathBuf]) -> Result<Self> {
        let mut repos = Repos {
            views: Vec::new(),
            by_dir: Default::default(),
        };
        for root in roots {
            if let Some(v) = RepoView::discover(root)? {
                repos.add(v);
            }
        }
        Ok(repos)
    }

    fn add(&mut self, v: RepoView) -> usize {
        match self.views.iter().position(|e| e.workdir() == v.workdir()) {
            Some(i) => i,
            None => {
                self.views.push(v);
                self.views.len() - 1
            }
        }
    }

    /// The repository whose working tree holds `abs` (the innermost), and the path in it.
    fn for_path(
        &mut self,
        abs: &Path,
    ) -> Result<Option<(&RepoView, gix::bstr::BString)>, crate::source::git::GitError> {
        let Some(dir) = abs.parent() else {
            return Ok(None);
        };
        let i = match self.by_dir.get(dir) {
            Some(i) => *i,
            None => {
                let found = RepoView::discover(dir)?.map(|v| self.add(v));
                self.by_dir.insert(dir.to_path_buf(), found);
                found
            }
        };
        Ok(i.and_then(|i| {
            let v = &self.views[i];
            v.relative(abs).map(|rel| (v, rel))
        }))
    }
}

impl TrackedDirs for Repos {
    fn has_tracked_files(&self, dir: &Path) -> bool {
        self.views.iter().any(|v| v.has_tracked_files(dir))
    }
}

/// Blobs a history scan has already read, to spare the working-tree walk from reading files
/// that are byte-for-byte those blobs: a tracked file whose stat data matches its index entry
/// (and is not racily clean) has the content of the entry's blob.
pub(super) struct Reuse<'a> {
    pub known: &'a gix::hashtable::HashSet,
    pub hits: &'a gix::hashtable::HashMap<gix::ObjectId, Vec<Finding>>,
    root: PathBuf,
    index: gix::index::File,
    /// The index file's own modification time: files modified at or after it may be racily clean.
    index_mtime: (i64, u32),
    reused: Mutex<Vec<(PathBuf, gix::ObjectId)>>,
}

impl<'a> Reuse<'a> {
    /// For a walk rooted at `root`, the working tree of `repo`.
    pub fn new(
        repo: &gix::Repository,
        root: &Path,
        known: &'a gix::hashtable::HashSet,
        hits: &'a gix::hashtable::HashMap<gix::ObjectId, Vec<Finding>>,
    ) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let index_path = repo.index_path();
        let meta = std::fs::metadata(&index_path).ok()?;
        let index =
            gix::index::File::at(&index_path, repo.object_hash(), true, Default::default()).ok()?;
        Some(Reuse {
            known,
            hits,
            root: root.to_path_buf(),
            index,
            index_mtime: (meta.mtime(), meta.mtime_nsec() as u32),
            reused: Mutex::new(Vec::new()),
        })
    }

    fn known_content(&self, path: &Path, meta: &std::fs::Metadata) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return false;
        };
        let Ok(rel) = gix::path::into_bstr(rel) else {
            return false;
        };
        let rel = gix::path::to_unix_separators_on_windows(rel);
        let Some(e) = self.index.entry_by_path(rel.as_ref()) else {
            return false;
        };
        let mtime = (meta.mtime(), meta.mtime_nsec() as u32);
        let clean = e.stage_raw() == 0
            && !e.mode.is_submodule()
            && self.known.contains(&e.id)
            && e.stat.size == meta.len() as u32
            && i64::from(e.stat.mtime.secs) == mtime.0
            && e.stat.mtime.nsecs == mtime.1
            && e.stat.ino == meta.ino() as u32
            && mtime < self.index_mtime;
        if clean {
            self.reused
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((path.to_path_buf(), e.id));
        }
        clean
    }
}

/// The walk's view of the repository: tracked directories, and content already read.
struct Oracle<'a> {
    repos: &'a Repos,
    reuse: Option<&'a Reuse<'a>>,
}

impl TrackedDirs for Oracle<'_> {
    fn has_tracked_files(&self, dir: &Path) -> bool {
        self.repos.has_tracked_files(dir)
    }

    fn known_content(&self, path: &Path, meta: &std::fs::Metadata) -> bool {
        self.reuse.is_some_and(|r| r.known_content(path, meta))
    }
}

/// Path shown for a walked file: relative to the root when a single directory was scanned.
fn display_path(path: &Path, single_dir_root: Option<&Path>) -> String {
    let shown = single_dir_root
        .and_then(|r| path.strip_prefix(r).ok())
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path);
    let shown = shown.strip_prefix(".").unwrap_or(shown);
    shown.to_string_lossy().into_owned()
}

struct FileFindings {
    abs: PathBuf,
    findings: Vec<Finding>,
}

pub(super) fn run(args: ScanArgs) -> Result<Outcome> {
    let out = OutputConfig::from_args(&args.output);
    let roots: Vec<PathBuf> = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    for r in &roots {
        if let Err(e) = std::fs::symlink_metadata(r) {
            bail!("cannot scan '{}': {e}", r.display());
        }
    }
    let rules = config::load_rules(&args.config, roots.first().map(PathBuf::as_path))?;
    let walk_opts = WalkOptions {
        max_file_size: args.max_file_size,
        include_deps: args.include_deps,
        threads: out.threads,
    };
    let report = collect(&roots, &walk_opts, &out.finding, &rules, None)?;
    complete(
        report,
        Completion {
            command: "scan",
            rules: rules.rules(),
            config: &args.config,
            root: roots.first().map(PathBuf::as_path),
            commit_files: None,
            full_coverage: true,
        },
        &out,
    )
}

/// Scan working-tree paths: findings with exposures, after config allowlists.
pub(super) fn collect(
    roots: &[PathBuf],
    walk_opts: &WalkOptions,
    fopts: &FindingOptions,
    rules: &crate::engine::Engine,
    reuse: Option<&Reuse<'_>>,
) -> Result<Report> {
    let repos = Repos::discover(roots)?;
    let oracle = Oracle {
        repos: &repos,
        reuse,
    };
    let single_dir_root = match roots {
        [r] if r.is_dir() => Some(r.as_path()),
        _ => None,
    };
    let collected: Mutex<Vec<FileFindings>> = Mutex::new(Vec::new());
    let not_listed: Mutex<Vec<NotListed>> = Mutex::new(Vec::new());
    let stats = worktree::walk(roots, walk_opts, &oracle, || {
        let mut scanner = Scanner::new(rules);
        let (collected, not_listed) = (&collected, &not_listed);
        move |file: worktree::WalkedFile<'_>| {
            let path = display_path(file.path, single_dir_root);
            let target = Target {
                path: &path,
                source: SourceKind::File,
                exposure: Exposure::File,
                opts: fopts,
            };
            let scanned = content::scan_stream(
                &mut scanner,
                file.head,
                file.rest,
                &target,
                target.keep_all(),
            )?;
            if scanned.not_listed > 0 {
                lock(not_listed).push(NotListed {
                    path: path.clone(),
                    findings: scanned.not_listed,
                });
            }
            if !scanned.findings.is_empty() {
                let abs = file
                    .path
                    .canonicalize()
                    .unwrap_or_else(|_| file.path.to_path_buf());
                lock(collected).push(FileFindings {
                    abs,
                    findings: scanned.findings,
                });
            }
            Ok(scanned.bytes)
        }
    });
    // Files whose content the history scan already read: their findings are that blob's.
    if let Some(r) = reuse {
        lock(&collected).extend(reused_findings(r, single_dir_root));
    }
    let mut errors = stats.errors.clone();
    let findings = with_exposures(
        repos,
        collected.into_inner().unwrap_or_else(|e| e.into_inner()),
        &mut errors,
    );
    let (findings, suppressed) =
        finding::apply_suppressions(rules.rules(), findings, fopts.honour_inline);
    let mut report = Report {
        findings,
        summary: Summary {
            files_scanned: stats.files_scanned,
            bytes_scanned: stats.bytes_scanned,
            skipped: stats.skipped(),
            incomplete: !errors.is_empty(),
            skipped_by_reason: [
                ("binary".to_string(), stats.skipped_binary),
                ("too_large".to_string(), stats.skipped_large),
                ("not_regular".to_string(), stats.skipped_special),
            ]
            .into_iter()
            .collect(),
            skipped_dirs: stats.skipped_dep_dirs.clone(),
            skipped_files: Skipped::too_large(
                &stats
                    .too_large
                    .iter()
                    .map(|(p, n)| (display_path(Path::new(p), single_dir_root), *n))
                    .collect::<Vec<_>>(),
            ),
            not_listed: not_listed.into_inner().unwrap_or_else(|e| e.into_inner()),
            error_details: errors,
            ..Summary::default()
        },
        ..Report::default()
    };
    report.summary.set_suppressions(suppressed);
    Ok(report)
}

/// Findings of the files whose content the history scan already read (their blob's hits).
fn reused_findings(r: &Reuse<'_>, single_dir_root: Option<&Path>) -> Vec<FileFindings> {
    let reused = std::mem::take(&mut *r.reused.lock().unwrap_or_else(|e| e.into_inner()));
    let mut out = Vec::new();
    for (path, id) in reused {
        let Some(hits) = r.hits.get(&id) else {
            continue;
        };
        let shown = display_path(&path, single_dir_root);
        let findings: Vec<Finding> = hits
            .iter()
            .map(|h| Finding {
                path: shown.clone(),
                exposure: Exposure::File,
                source: SourceKind::File,
                ..h.clone()
            })
            .collect();
        let abs = path.canonicalize().unwrap_or(path);
        out.push(FileFindings { abs, findings });
    }
    out
}

/// Each file's findings with the exposure the repository holding it gives them; a repository
/// that cannot answer is an error for that file (its findings keep the exposure `file`).
fn with_exposures(
    mut repos: Repos,
    collected: Vec<FileFindings>,
    errors: &mut Vec<FileError>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for mut ff in collected {
        let found = repos.for_path(&ff.abs).unwrap_or_else(|e| {
            errors.push(FileError {
                path: ff.abs.display().to_string(),
                error: format!("exposure unknown: {e}"),
            });
            None
        });
        if let Some((view, rel)) = found {
            let secrets: Vec<&[u8]> = ff.findings.iter().map(|f| f.matched.as_slice()).collect();
            match view.exposures(rel.as_ref(), &secrets) {
                Ok(exposures) => {
                    for (f, e) in ff.findings.iter_mut().zip(exposures) {
                        f.exposure = e;
                    }
                }
                Err(e) => errors.push(FileError {
                    path: gix::bstr::ByteSlice::to_str_lossy(rel.as_slice()).into_owned(),
                    error: e.to_string(),
                }),
            }
            for f in &mut ff.findings {
                f.repo_path = Some(gix::bstr::ByteSlice::to_str_lossy(rel.as_slice()).into_owned());
            }
        }
        findings.extend(ff.findings);
    }
    findings
}
