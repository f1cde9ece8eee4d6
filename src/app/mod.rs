//! One function per command: sources -> engine -> findings -> reporter. This is the only place
//! (with `main`) that uses `anyhow`.

mod audit;
mod baseline;
mod ci;
mod gate;
mod history;
mod hook;
mod rules;
mod scan;
mod staged;

use crate::cli::{Cli, Command};
use crate::config::OutputConfig;
use crate::report::Report;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// How a command ended; maps to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing found, everything read: exit 0.
    Clean,
    /// Findings: exit 1 (even if some content could not be read).
    Findings,
    /// No findings but the scan was incomplete, or a check failed: exit 2.
    Incomplete,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
            Outcome::Incomplete => 2,
        }
    }

    pub(crate) fn of(report: &Report) -> Self {
        if !report.findings.is_empty() {
            Outcome::Findings
        } else if report.summary.incomplete {
            Outcome::Incomplete
        } else {
            Outcome::Clean
        }
    }
}

pub fn run(cli: Cli) -> Result<Outcome> {
    let start = std::time::Instant::now();
    let outcome = dispatch(cli);
    crate::debug!(
        "finished in {:.3} s: {}",
        start.elapsed().as_secs_f64(),
        match &outcome {
            Ok(o) => format!("exit {}", o.exit_code()),
            Err(_) => "error".to_string(),
        }
    );
    outcome
}

fn dispatch(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::History(args) => history::run(args),
        Command::Staged(args) => staged::run(args),
        Command::Ci(args) => ci::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Baseline { command } => baseline::run(command),
        Command::Hook { command } => hook::run(command),
        Command::Rules { command } => rules::run(command),
    }
}

/// How a scanning command's report is completed.
pub(crate) struct Completion<'a> {
    pub command: &'static str,
    pub rules: &'a crate::rules::RuleSet,
    pub config: &'a crate::cli::ConfigArgs,
    /// Where the repository's own baseline is looked for.
    pub root: Option<&'a Path>,
    /// The repository configuration of a commit (`ci`, pre-push: the base's): its baseline is
    /// the repository's own, instead of the file under `root`.
    pub commit_files: Option<&'a crate::config::CommitFiles>,
    /// Whether this scan covers the whole repository, so unmatched baseline entries are stale.
    pub full_coverage: bool,
}

/// Rules metadata, baseline and counts: what every scanning command does before output.
pub(crate) fn finalize(mut report: Report, c: Completion<'_>) -> Result<Report> {
    report.command = c.command.to_string();
    report.set_rules(c.rules);
    let loaded = match c.commit_files {
        Some(files) if c.config.baseline.is_none() && !c.config.no_repo_config => {
            files.baseline.clone()
        }
        _ => crate::config::load_baseline(c.config, c.root)?,
    };
    if let Some((path, baseline)) = loaded {
        let findings = std::mem::take(&mut report.findings);
        let (kept, summary) =
            baseline.apply(&path.display().to_string(), findings, c.full_coverage);
        report.findings = kept;
        // Not given with --baseline: the repository's own file.
        if c.config.baseline.is_none() {
            report.summary.suppressed_by_repo_baseline += summary.suppressed;
            report.summary.suppressed_by_repository += summary.suppressed;
        }
        report.summary.baseline = Some(summary);
    }
    warn_about_repository_suppressions(&mut report.summary, c.command);
    report.finish();
    let s = &report.summary;
    crate::debug!(
        "{}: {} files, {} bytes, {} skipped {:?}, {} objects, {} commits, {} findings, {} errors",
        c.command,
        s.files_scanned,
        s.bytes_scanned,
        s.skipped,
        s.skipped_by_reason,
        s.objects_scanned.unwrap_or(0),
        s.commits.unwrap_or(0),
        s.findings,
        s.errors
    );
    for e in &s.error_details {
        crate::debug!("unreadable: {}: {}", e.path, e.error);
    }
    for f in &report.findings {
        crate::debug!("finding: rule {} in {} line {}", f.rule_id, f.path, f.line);
    }
    Ok(report)
}

/// When the scanned repository's own files (its `.leakgate.toml`, its baseline, inline allow
/// markers in its content) suppressed findings, say so: a repository handed to an auditor must
/// not be able to make leakgate report it clean without a word.
pub(super) fn warn_about_repository_suppressions(s: &mut crate::report::Summary, command: &str) {
    s.warnings
        .retain(|w| !w.starts_with("the scanned repository"));
    let n = s.suppressed_by_repository;
    if n == 0 {
        return;
    }
    let baseline = s
        .baseline
        .as_ref()
        .map_or("its baseline", |b| b.file.as_str());
    let how: Vec<String> = [
        (s.suppressed_by_repo_config, crate::config::REPO_CONFIG),
        (s.suppressed_by_repo_baseline, baseline),
        (s.suppressed_inline, "inline allow markers"),
    ]
    .iter()
    .filter(|(k, _)| *k > 0)
    .map(|(k, what)| format!("{k} by {what}"))
    .collect();
    s.warnings.push(format!(
        "the scanned repository's own files suppressed {n} finding{} ({}); `{}` shows them",
        if n == 1 { "" } else { "s" },
        how.join(", "),
        rerun_with(command, &["--no-repo-config", "--no-inline-allow"])
    ));
}

/// The command line of this run with `extra` options added, shell-quoted, to suggest in a
/// message (`leakgate audit /src/repo --no-repo-config`); a hook's run (`hook run …`, whose
/// input git supplies) is suggested as `leakgate COMMAND …` instead.
fn rerun_with(command: &str, extra: &[&str]) -> String {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut words: Vec<String> = vec!["leakgate".to_string()];
    if args.first().is_some_and(|a| a == "hook") || args.is_empty() {
        words.push(command.to_string());
    } else {
        words.extend(
            args.iter()
                .map(|a| crate::report::escape::shell(a).into_owned()),
        );
    }
    words.extend(
        extra
            .iter()
            .filter(|e| !args.iter().any(|a| a == *e))
            .map(|e| e.to_string()),
    );
    words.join(" ")
}

/// The shared tail of every scanning command: finalize, write, outcome.
pub(crate) fn complete(report: Report, c: Completion<'_>, out: &OutputConfig) -> Result<Outcome> {
    let report = finalize(report, c)?;
    emit(&report, out)?;
    Ok(Outcome::of(&report))
}

/// Open the output destination: `--output FILE` (created with 0600 permissions, never through a
/// symlink, only as a regular file) or stdout.
pub(crate) fn open_output(path: Option<&Path>) -> Result<Box<dyn Write>> {
    match path {
        None => Ok(Box::new(std::io::BufWriter::new(std::io::stdout().lock()))),
        Some(p) => {
            let f = crate::safe_fs::create(p, crate::safe_fs::Mode::Private)?;
            Ok(Box::new(std::io::BufWriter::new(f)))
        }
    }
}

pub(crate) fn emit(report: &Report, out: &OutputConfig) -> Result<()> {
    if out.format == crate::report::Format::Html && report.secrets.is_none() {
        anyhow::bail!("--format html is only available for `leakgate audit`");
    }
    let mut w = open_output(out.output.as_deref())?;
    report
        .write(out.format, out.render, &mut w)
        .and_then(|()| w.flush())
        .or_else(|e| {
            // A closed pipe (`leakgate scan | head`) is not an error of ours.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                Ok(())
            } else {
                Err(e)
            }
        })
        .context("cannot write the report")
}
