//! The commit-msg check (`leakgate hook run commit-msg FILE`): scans the message git is about to
//! record, before the commit exists, minus the lines git will strip, and blocks the commit with
//! exit 1 on a secret. Pre-commit cannot see the message; without this check only pre-push
//! would catch a key pasted into `git commit -m`.

use super::super::{Completion, Outcome, complete};
use super::open;
use crate::cli::HookRunArgs;
use crate::config::{self, OutputConfig};
use crate::content::{self, Target};
use crate::engine::Scanner;
use crate::finding::{self};
use crate::report::{NotListed, Report, Summary};
use crate::source::commit_msg::Cleanup;
use crate::source::{Exposure, SourceKind};
use anyhow::{Context, Result, anyhow};
use std::io::Read;
use std::path::Path;

pub(super) fn run(a: HookRunArgs) -> Result<Outcome> {
    let out = OutputConfig::from_args(&a.output);
    let file = a.args.first().ok_or_else(|| {
        anyhow!(
            "usage: leakgate hook run commit-msg FILE (git passes the file holding the message)"
        )
    })?;
    let repo = open(None)?;
    let rules = config::load_rules(&a.config, repo.workdir())?;
    let (mut f, _) = crate::safe_fs::open_regular(Path::new(file))?;
    let mut raw = Vec::new();
    f.read_to_end(&mut raw)
        .with_context(|| format!("cannot read the commit message from {file}"))?;
    let editor = std::env::var("GIT_EDITOR").ok();
    let text = Cleanup::from_git(&repo, editor.as_deref()).apply(&raw);
    let mut scanner = Scanner::new(&rules);
    let target = Target {
        path: "",
        source: SourceKind::CommitMessage,
        exposure: Exposure::Staged,
        opts: &out.finding,
    };
    let scanned = content::scan_bytes(&mut scanner, &text, &target, target.keep_all());
    let (findings, suppressed) =
        finding::apply_suppressions(rules.rules(), scanned.findings, out.finding.honour_inline);
    let mut report = Report {
        findings,
        summary: Summary {
            files_scanned: 1,
            bytes_scanned: scanned.bytes,
            not_listed: if scanned.not_listed > 0 {
                vec![NotListed {
                    path: "commit message".into(),
                    findings: scanned.not_listed,
                }]
            } else {
                Vec::new()
            },
            ..Summary::default()
        },
        ..Report::default()
    };
    report.summary.set_suppressions(suppressed);
    let outcome = complete(
        report,
        Completion {
            command: "commit-msg",
            rules: rules.rules(),
            config: &a.config,
            root: repo.workdir(),
            commit_files: None,
            full_coverage: false,
        },
        &out,
    )?;
    if outcome == Outcome::Findings {
        eprintln!(
            "leakgate: commit blocked: the commit message above holds a secret (line numbers are the message's). Your message is kept in {}: take the secret out and commit again with `git commit -e -F \"$(git rev-parse --git-path COMMIT_EDITMSG)\"`; rotate it if it was ever shared. False positive? Add `leakgate:allow` on the line.",
            crate::report::escape::text(file)
        );
    }
    Ok(outcome)
}
