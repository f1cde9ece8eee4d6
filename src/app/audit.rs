//! `leakgate audit`: the working-tree scan and the history scan (one pass over the object
//! database), merged per secret value into a risk-ordered rotation plan.

use super::history::{Strictness, history_report};
use super::{Completion, Outcome, emit, finalize};
use crate::audit::{self, CleanupOptions};
use crate::cli::AuditArgs;
use crate::config::{self, OutputConfig};
use crate::history::{self, HistoryOptions, Scope};
use crate::progress::ProgressLine;
use crate::source::git;
use crate::source::worktree::WalkOptions;
use anyhow::{Context, Result, anyhow};
use std::path::PathBuf;
use std::sync::Arc;

pub(super) fn run(args: AuditArgs) -> Result<Outcome> {
    let out = OutputConfig::from_args(&args.output);
    let start = args.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let repo = git::discover_with(&start, git::Vet::Deep)?
        .ok_or_else(|| anyhow!("'{}' is not inside a git repository", start.display()))?;
    let workdir = repo.workdir().map(PathBuf::from);
    let root = workdir
        .clone()
        .unwrap_or_else(|| repo.git_dir().to_path_buf());
    let rules = config::load_rules(&args.config, Some(&root))?;
    let completion = || Completion {
        command: "audit",
        rules: rules.rules(),
        config: &args.config,
        root: Some(&root),
        commit_files: None,
        full_coverage: true,
    };

    // History: one pass over the object database.
    let opts = HistoryOptions {
        scope: Scope::default(),
        threads: out.threads,
        max_blob_size: args.objects.max_file_size,
        finding: out.finding.clone(),
    };
    let progress = Arc::new(history::Progress::default());
    let line = ProgressLine::start(Arc::clone(&progress), "audit", !out.render.quiet);
    let walk = WalkOptions {
        max_file_size: args.objects.max_file_size,
        include_deps: args.include_deps,
        threads: out.threads,
    };
    // History first; then the working tree, where tracked files identical to a blob the history
    // scan read are not read again (one pass over the content, not two).
    let mut scan = history::scan(&repo, &rules, &opts, &progress)?;
    drop(line);
    // Working-tree files identical to a blob the history scan read are not read again; blobs it
    // did not scan (too large, unreadable) do not count as read.
    let mut known = std::mem::take(&mut scan.known_blobs);
    for id in &scan.unscanned {
        known.remove(id);
    }
    let hits = std::mem::take(&mut scan.blob_hits);
    let hist = finalize(
        history_report(
            scan,
            rules.rules(),
            Strictness {
                allow_missing: args.objects.allow_missing,
                gate: false,
            },
            &out.finding,
        ),
        completion(),
    )?;
    let tree = match &workdir {
        Some(w) => {
            let reuse = super::scan::Reuse::new(&repo, w, &known, &hits);
            let t = super::scan::collect(
                std::slice::from_ref(w),
                &walk,
                &out.finding,
                &rules,
                reuse.as_ref(),
            )?;
            Some(finalize(t, completion())?)
        }
        None => None,
    };

    let mut worktree_findings = tree
        .as_ref()
        .map(|t| t.findings.clone())
        .unwrap_or_default();
    let replacements = args.replacements.as_deref();
    let secrets = audit::merge(
        &mut worktree_findings,
        &hist.findings,
        &CleanupOptions {
            replacements_file: replacements.map(|p| p.display().to_string()),
        },
    );
    // The replacements file holds the secrets in clear: written only when asked for.
    let replacements_file = match replacements {
        Some(path) if secrets.iter().any(|s| s.ever_committed) => {
            audit::write_replacements(path, &secrets)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Some(path.display().to_string())
        }
        _ => None,
    };

    // One report: both sets of findings, both summaries.
    let mut report = hist;
    report.findings.extend(worktree_findings);
    if let Some(t) = tree {
        add_worktree_summary(&mut report.summary, t.summary);
    }
    super::warn_about_repository_suppressions(&mut report.summary, "audit");
    report.secrets = Some(secrets);
    report.replacements_file = replacements_file;
    report.target = root.canonicalize().unwrap_or(root).display().to_string();
    report.finish();
    emit(&report, &out)?;
    Ok(Outcome::of(&report))
}

/// The working tree's summary added to the history's: one report's totals.
fn add_worktree_summary(s: &mut crate::report::Summary, t: crate::report::Summary) {
    s.add_suppressions(&t);
    s.files_scanned = t.files_scanned;
    s.bytes_scanned += t.bytes_scanned;
    s.skipped += t.skipped;
    for (k, v) in t.skipped_by_reason {
        *s.skipped_by_reason.entry(k).or_default() += v;
    }
    s.skipped_dirs = t.skipped_dirs;
    s.error_details.extend(t.error_details);
    s.incomplete |= t.incomplete;
    s.skipped_files.extend(t.skipped_files);
    s.not_listed.extend(t.not_listed);
    s.warnings.extend(t.warnings);
    if let (Some(a), Some(b)) = (&mut s.baseline, t.baseline) {
        a.suppressed += b.suppressed;
        a.stale.retain(|f| b.stale.contains(f));
    }
}
