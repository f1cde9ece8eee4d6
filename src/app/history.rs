//! `leakgate history`: every object in the repository's object database, once, with each
//! finding attributed to the commit that first exposed it.

use super::{Completion, Outcome, complete};
use crate::cli::HistoryArgs;
use crate::config::{self, OutputConfig};
use crate::finding::{self, FindingOptions};
use crate::history::{self, HistoryOptions, Scope};
use crate::progress::ProgressLine;
use crate::report::{MissingObjectEntry, Report, Skipped, Summary};
use crate::source::git;
use crate::source::worktree::FileError;
use anyhow::{Result, anyhow};
use std::path::PathBuf;
use std::sync::Arc;

pub(super) fn run(args: HistoryArgs) -> Result<Outcome> {
    let out = OutputConfig::from_args(&args.output);
    let path = args.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let repo = git::discover_with(&path, git::Vet::Deep)?
        .ok_or_else(|| anyhow!("'{}' is not inside a git repository", path.display()))?;
    let config_root = repo.workdir().map(PathBuf::from);
    let rules = config::load_rules(&args.config, config_root.as_deref())?;
    let opts_scope = Scope::from_options(
        args.since.as_deref(),
        args.range.as_deref(),
        args.branch.as_deref(),
        args.reachable_only,
    )?;
    let opts = HistoryOptions {
        scope: opts_scope,
        threads: out.threads,
        max_blob_size: args.objects.max_file_size,
        finding: out.finding.clone(),
    };
    let progress = Arc::new(history::Progress::default());
    let line = ProgressLine::start(Arc::clone(&progress), "history", !out.render.quiet);
    let scan = history::scan(&repo, &rules, &opts, &progress)?;
    drop(line);
    let full = !opts.scope.is_range() && !opts.scope.reachable_only;
    let report = history_report(
        scan,
        rules.rules(),
        Strictness {
            allow_missing: args.objects.allow_missing,
            gate: false,
        },
        &out.finding,
    );
    complete(
        report,
        Completion {
            command: "history",
            rules: rules.rules(),
            config: &args.config,
            root: config_root.as_deref().or(Some(path.as_path())),
            commit_files: None,
            full_coverage: full,
        },
        &out,
    )
}

/// How a history report treats what it could not read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Strictness {
    /// `--allow-missing`: missing objects do not make the scan incomplete.
    pub allow_missing: bool,
    /// A gate (`ci`, pre-push): blobs skipped for their size make the scan incomplete, since a
    /// gate must never pass content it did not read.
    pub gate: bool,
}

/// Turn a history scan into a report: allowlists, summary, completeness.
pub(super) fn history_report(
    scan: history::HistoryScan,
    rules: &crate::rules::RuleSet,
    strictness: Strictness,
    opts: &FindingOptions,
) -> Report {
    let (show_secrets, honour_inline) = (opts.show_secrets, opts.honour_inline);
    let allow_missing = strictness.allow_missing;
    let mut all = scan.findings;
    // Scrub before allowlisting: an allowlisted secret must not leak through a summary either.
    finding::scrub_commit_text(&mut all, show_secrets);
    let (findings, suppressed) = finding::apply_suppressions(rules, all, honour_inline);
    let mut errors: Vec<FileError> = scan
        .errors
        .iter()
        .map(|e| FileError {
            path: e.path.clone(),
            error: e.error.clone(),
        })
        .collect();
    let mut missing = scan.missing.clone();
    missing.sort();
    missing.dedup_by(|a, b| a.id == b.id);
    for m in &missing {
        errors.push(FileError {
            path: if m.path.is_empty() {
                m.id.to_string()
            } else {
                m.path.clone()
            },
            error: format!("missing git object {}", m.id),
        });
    }
    let incomplete = !scan.errors.is_empty()
        || (!missing.is_empty() && !allow_missing)
        || (strictness.gate && !scan.too_large.is_empty());
    let mut report = Report {
        findings,
        summary: Summary {
            files_scanned: scan.blobs_scanned,
            bytes_scanned: scan.bytes_scanned,
            skipped: scan.skipped_binary + scan.skipped_large,
            incomplete,
            skipped_by_reason: [
                ("binary".to_string(), scan.skipped_binary),
                ("too_large".to_string(), scan.skipped_large),
            ]
            .into_iter()
            .collect(),
            skipped_files: Skipped::too_large(&scan.too_large),
            not_listed: scan.not_listed,
            already_there: scan.already_there,
            skipped_binary_files: scan.binary_paths,
            warnings: scan.warnings,
            error_details: errors,
            objects_scanned: Some(scan.objects_scanned),
            commits: Some(scan.commits),
            missing_objects: Some(
                missing
                    .iter()
                    .map(|m| MissingObjectEntry {
                        id: m.id.to_string(),
                        path: m.path.clone(),
                    })
                    .collect(),
            ),
            shallow: Some(scan.shallow),
            ..Summary::default()
        },
        ..Report::default()
    };
    report.summary.set_suppressions(suppressed);
    report.finish();
    report
}
