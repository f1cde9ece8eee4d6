//! One function per command: sources -> engine -> findings -> reporter. This is the only place
//! (with `main`) that uses `anyhow`.

use crate::cli::{Cli, Command, RulesArgs, RulesCommand, ScanArgs};
use crate::config::{self, OutputConfig};
use crate::engine::Scanner;
use crate::finding::{self, Exposure, Finding, SourceKind};
use crate::report::{Format, Report, Summary};
use crate::rules::RuleSet;
use crate::source::git::RepoView;
use crate::source::worktree::{self, FileError, TrackedDirs, WalkOptions};
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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

    fn of(report: &Report) -> Self {
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
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules { command } => rules(command),
    }
}

/// Open the output destination: `--output FILE` (created with 0600 permissions) or stdout.
fn open_output(path: Option<&Path>) -> Result<Box<dyn Write>> {
    match path {
        None => Ok(Box::new(std::io::BufWriter::new(std::io::stdout().lock()))),
        Some(p) => {
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o600);
            }
            let f = o
                .open(p)
                .with_context(|| format!("cannot create output file {}", p.display()))?;
            Ok(Box::new(std::io::BufWriter::new(f)))
        }
    }
}

fn emit(report: &Report, out: &OutputConfig) -> Result<()> {
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

fn scan(args: ScanArgs) -> Result<Outcome> {
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
    let repos = Repos::discover(&roots)?;
    let single_dir_root = match roots.as_slice() {
        [r] if r.is_dir() => Some(r.as_path()),
        _ => None,
    };
    let walk_opts = WalkOptions {
        max_file_size: args.max_file_size,
        include_deps: args.include_deps,
        threads: out.threads,
    };
    let collected: Mutex<Vec<FileFindings>> = Mutex::new(Vec::new());
    let fopts = out.finding;
    let rules = &rules;
    let stats = worktree::walk(&roots, &walk_opts, &repos, || {
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
            error_details: errors,
            suppressed_by_allowlist: suppressed,
            config_sources: rules.sources.clone(),
            rules: rules.rules().len(),
            ..Summary::default()
        },
    };
    report.finish();
    emit(&report, &out)?;
    Ok(Outcome::of(&report))
}

fn rules(cmd: RulesCommand) -> Result<Outcome> {
    match cmd {
        RulesCommand::List(args) => {
            let set = load_for_rules(&args)?;
            let mut w = open_output(None)?;
            rules_list(&set, args.format, &mut w)?;
            w.flush()?;
            Ok(Outcome::Clean)
        }
        RulesCommand::Check(args) => {
            let set = load_for_rules(&args)?;
            let mut w = open_output(None)?;
            let failures = rules_check(&set, &mut w)?;
            w.flush()?;
            Ok(if failures == 0 {
                Outcome::Clean
            } else {
                Outcome::Incomplete
            })
        }
        RulesCommand::Explain { id, args } => {
            let set = load_for_rules(&args)?;
            let Some(rule) = set.rules().iter().find(|r| r.id == id) else {
                bail!("no rule with id '{id}' (see `leakgate rules list`)");
            };
            let mut w = open_output(None)?;
            writeln!(w, "{} ({}): {}", rule.id, rule.provider, rule.description)?;
            writeln!(
                w,
                "severity {}, confidence {}",
                rule.severity.as_str(),
                rule.confidence.as_str()
            )?;
            writeln!(w, "keywords: {}", rule.keywords.join(", "))?;
            writeln!(w, "regex: {}", rule.regex)?;
            if let Some(e) = rule.min_entropy {
                writeln!(w, "min entropy: {e} bits/byte")?;
            }
            writeln!(w, "defined at {}:{}", rule.origin.file, rule.origin.line)?;
            writeln!(w, "rotate: {}", rule.rotate.url)?;
            for (i, s) in rule.rotate.steps.iter().enumerate() {
                writeln!(w, "  {}. {s}", i + 1)?;
            }
            w.flush()?;
            Ok(Outcome::Clean)
        }
    }
}

fn load_for_rules(args: &RulesArgs) -> Result<RuleSet> {
    let cwd = std::env::current_dir().ok();
    Ok(config::load_rules(&args.config, cwd.as_deref())?)
}

fn rules_list(set: &RuleSet, format: Format, w: &mut impl Write) -> Result<()> {
    if format == Format::Human {
        for r in set.rules() {
            writeln!(
                w,
                "{:<40} {:<9} {:<7} {:<22} {}",
                r.id,
                r.severity.as_str(),
                r.confidence.as_str(),
                r.provider,
                r.description
            )?;
        }
        let providers: std::collections::BTreeSet<&str> =
            set.rules().iter().map(|r| r.provider.as_str()).collect();
        writeln!(
            w,
            "{} rules, {} providers",
            set.rules().len(),
            providers.len()
        )?;
    } else {
        let rules: Vec<serde_json::Value> = set
            .rules()
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "provider": r.provider, "description": r.description,
                    "severity": r.severity, "confidence": r.confidence, "keywords": r.keywords,
                    "rotation": r.rotate, "defined_in": r.origin.file,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *w, &serde_json::json!({"rules": rules}))?;
        writeln!(w)?;
    }
    Ok(())
}

/// Run every rule's examples (each must yield a finding of that rule) and negative examples (none
/// may). Returns the number of failures.
fn rules_check(set: &RuleSet, w: &mut impl Write) -> Result<usize> {
    let mut failures = 0usize;
    for e in set.validate_all() {
        writeln!(w, "FAIL {e}")?;
        failures += 1;
    }
    for (ri, rule) in set.rules().iter().enumerate() {
        let mut scanner = Scanner::for_rule(set, ri as u32);
        let hits =
            |scanner: &mut Scanner<'_>, text: &str| !scanner.scan(text.as_bytes()).is_empty();
        let mut problems = Vec::new();
        if rule.examples.is_empty() {
            problems.push("has no examples".to_string());
        }
        if rule.rotate.url.is_empty() || rule.rotate.steps.is_empty() {
            problems.push("has no rotation guidance (rotate.url and rotate.steps)".to_string());
        }
        for ex in &rule.examples {
            if !hits(&mut scanner, ex) {
                problems.push(format!(
                    "example not matched: {}",
                    finding::redact(ex.as_bytes())
                ));
            }
        }
        for ex in &rule.negative_examples {
            if hits(&mut scanner, ex) {
                problems.push(format!("negative example matched: {ex:?}"));
            }
        }
        for p in &problems {
            writeln!(
                w,
                "FAIL {}:{}: rule '{}' {p}",
                rule.origin.file, rule.origin.line, rule.id
            )?;
        }
        failures += problems.len();
    }
    let examples: usize = set
        .rules()
        .iter()
        .map(|r| r.examples.len() + r.negative_examples.len())
        .sum();
    writeln!(
        w,
        "{} rules, {examples} examples checked, {failures} failure{}",
        set.rules().len(),
        if failures == 1 { "" } else { "s" }
    )?;
    Ok(failures)
}
