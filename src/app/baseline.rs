//! `leakgate baseline create|update`: record today's findings (history and working tree) by
//! fingerprint so later scans report only new secrets.

use super::Outcome;
use super::history::{Strictness, history_report};
use crate::baseline::{Baseline, DEFAULT_FILE};
use crate::cli::{BaselineArgs, BaselineCommand, ConfigArgs};
use crate::config;
use crate::finding::FindingOptions;
use crate::history::{self, HistoryOptions, Scope};
use crate::source::git;
use crate::source::worktree::WalkOptions;
use anyhow::{Context, Result, anyhow, bail};
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;

pub(super) fn run(cmd: BaselineCommand) -> Result<Outcome> {
    match cmd {
        BaselineCommand::Create(a) => write(&a, false),
        BaselineCommand::Update(a) => write(&a, true),
    }
}

fn write(a: &BaselineArgs, update: bool) -> Result<Outcome> {
    let start = a.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let repo = git::discover_with(&start, git::Vet::Deep)?
        .ok_or_else(|| anyhow!("'{}' is not inside a git repository", start.display()))?;
    let root = repo
        .workdir()
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.git_dir().to_path_buf());
    let file = a.output.clone().unwrap_or_else(|| root.join(DEFAULT_FILE));
    // A baseline is built from everything found, never filtered by another baseline.
    let config_args = ConfigArgs {
        baseline: None,
        ..a.config.clone()
    };
    let rules = config::load_rules(&config_args, Some(&root))?;
    let threads = config::threads(a.threads);
    let fopts = FindingOptions {
        show_secrets: false,
        min_confidence: a.min_confidence.into(),
        fingerprint_key: config::fingerprint_key(a.fingerprint_key.as_deref()),
        honour_inline: true,
    };
    let opts = HistoryOptions {
        scope: Scope::default(),
        threads,
        max_blob_size: None,
        finding: fopts.clone(),
    };
    let scan = history::scan(&repo, &rules, &opts, &history::Progress::default())?;
    let hist = history_report(
        scan,
        rules.rules(),
        Strictness {
            allow_missing: false,
            gate: false,
        },
        &fopts,
    );
    if hist.summary.incomplete {
        bail!(
            "the history scan was incomplete ({} error(s), e.g. missing objects); baseline not written",
            hist.summary.errors
        );
    }
    let mut findings = hist.findings;
    if let Some(workdir) = repo.workdir() {
        let walk = WalkOptions {
            max_file_size: None,
            include_deps: false,
            threads,
        };
        let tree = super::scan::collect(&[workdir.to_path_buf()], &walk, &fopts, &rules, None)?;
        findings.extend(tree.findings);
    }
    let new = Baseline::from_findings(&findings);
    let message = if update {
        let old = Baseline::load(&file).with_context(|| {
            "nothing to update: create a baseline first (`leakgate baseline create`)".to_string()
        })?;
        let before: HashSet<&str> = old.entries.iter().map(|e| e.fingerprint.as_str()).collect();
        let after: HashSet<&str> = new.entries.iter().map(|e| e.fingerprint.as_str()).collect();
        let added = after.difference(&before).count();
        let dropped = before.difference(&after).count();
        format!("added {added}, dropped {dropped} stale")
    } else {
        "created".to_string()
    };
    crate::safe_fs::create(&file, crate::safe_fs::Mode::Shared)
        .map_err(anyhow::Error::from)
        .and_then(|mut f| Ok(f.write_all(new.to_json().as_bytes())?))
        .with_context(|| format!("cannot write {}", file.display()))?;
    println!(
        "{}: {} entr{} ({message})",
        file.display(),
        new.entries.len(),
        if new.entries.len() == 1 { "y" } else { "ies" }
    );
    Ok(Outcome::Clean)
}
