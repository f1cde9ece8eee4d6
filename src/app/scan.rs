//! `leakgate scan`: the working tree, with an exposure for every finding.

use super::{Completion, Outcome, complete};
use crate::cli::ScanArgs;
use crate::config::{self, OutputConfig};
use crate::engine::Scanner;
use crate::finding::{self, Exposure, Finding, FindingOptions, SourceKind};
use crate::report::{Report, Summary};
use crate::rules::RuleSet;
use crate::source::git::RepoView;
use crate::source::worktree::{self, FileError, TrackedDirs, WalkOptions};
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The repositories the scanned paths live in, for tracked-directory and exposure questions.
struct Repos(Vec<RepoView>);

impl Repos {
    fn discover(roots: &[PathBuf]) -> Result<Self> {
        let mut views: Vec<RepoView> = Vec::new();
        for root in roots {
            if let Some(v) = RepoView::discover(root)? {
                if !views.iter().any(|e| e.workdir() == v.workdir()) {
                    views.push(v);
                }
            }
        }
        // Longest workdir first so nested repositories win.
        views.sort_by_key(|v| std::cmp::Reverse(v.workdir().as_os_str().len()));
        Ok(Repos(views))
    }

    fn for_path(&self, abs: &Path) -> Option<(&RepoView, String)> {
        self.0
            .iter()
            .find_map(|v| v.relative(abs).map(|rel| (v, rel)))
    }
}

impl TrackedDirs for Repos {
    fn has_tracked_files(&self, dir: &Path) -> bool {
        self.0.iter().any(|v| v.has_tracked_files(dir))
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
    let report = collect(&roots, &walk_opts, &out.finding, &rules)?;
    complete(
        report,
        Completion {
            command: "scan",
            rules: &rules,
            config: &args.config,
            root: roots.first().map(PathBuf::as_path),
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
    rules: &RuleSet,
) -> Result<Report> {
    let repos = Repos::discover(roots)?;
    let single_dir_root = match roots {
        [r] if r.is_dir() => Some(r.as_path()),
        _ => None,
    };
    let collected: Mutex<Vec<FileFindings>> = Mutex::new(Vec::new());
    let stats = worktree::walk(roots, walk_opts, &repos, || {
        let mut scanner = Scanner::new(rules);
        let collected = &collected;
        move |file: worktree::WalkedFile<'_>| {
            let matches = scanner.scan(file.content);
            if matches.is_empty() {
                return;
            }
            let path = display_path(file.path, single_dir_root);
            let findings = finding::from_matches(
                rules,
                file.content,
                &matches,
                &path,
                SourceKind::File,
                Exposure::File,
                fopts,
            );
            if findings.is_empty() {
                return;
            }
            let abs = file
                .path
                .canonicalize()
                .unwrap_or_else(|_| file.path.to_path_buf());
            collected
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(FileFindings { abs, findings });
        }
    });
    let mut errors = stats.errors.clone();
    let mut findings = Vec::new();
    for mut ff in collected.into_inner().unwrap_or_else(|e| e.into_inner()) {
        if let Some((view, rel)) = repos.for_path(&ff.abs) {
            let secrets: Vec<&[u8]> = ff
                .findings
                .iter()
                .map(|f| f.raw_secret.as_slice())
                .collect();
            match view.exposures(&rel, &secrets) {
                Ok(exposures) => {
                    for (f, e) in ff.findings.iter_mut().zip(exposures) {
                        f.exposure = e;
                    }
                }
                Err(e) => errors.push(FileError {
                    path: rel.clone(),
                    error: e.to_string(),
                }),
            }
            for f in &mut ff.findings {
                f.repo_path = Some(rel.clone());
            }
        }
        findings.extend(ff.findings);
    }
    let (findings, suppressed) = finding::apply_allowlists(rules, findings);
    let report = Report {
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
            error_details: errors,
            suppressed_by_allowlist: suppressed,
            ..Summary::default()
        },
        ..Report::default()
    };
    Ok(report)
}
