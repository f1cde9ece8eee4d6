//! Reporters: one module per output format, each writing a [`Report`] to an injected
//! `impl Write`. Reporters know nothing about where the bytes came from beyond the findings.

mod audit;
pub mod escape;
mod github;
mod human;
mod json;
pub mod markdown;
mod sarif;

use crate::finding::Finding;
use crate::source::worktree::FileError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    Sarif,
    Github,
    Markdown,
    /// A self-contained HTML page (audit only).
    Html,
}

/// Totals of a run (DESIGN.md `summary`, with extra fields added, never changed).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub findings: usize,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped: u64,
    pub errors: usize,
    pub incomplete: bool,
    pub by_exposure: BTreeMap<String, usize>,
    /// Skipped files by reason: binary, too_large, not_regular (symlinks, FIFOs, devices).
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Dependency/cache directories not scanned (use `--include-deps`).
    pub skipped_dirs: Vec<String>,
    /// Files and blobs not scanned because of their size (`--max-file-size`), by path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_files: Vec<Skipped>,
    /// Gates: the binary files the change adds or modifies, not scanned (at most 1,000 named;
    /// `skipped_by_reason.binary` counts them all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_binary_files: Vec<String>,
    /// Files or blobs with more findings than are listed per source, and how many more.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_listed: Vec<NotListed>,
    /// Files or objects that could not be read.
    pub error_details: Vec<FileError>,
    /// Findings suppressed per config-level allowlist.
    pub suppressed_by_allowlist: BTreeMap<String, usize>,
    /// Findings suppressed by inline allow markers (`leakgate:allow`, `gitleaks:allow`,
    /// `pragma: allowlist secret`).
    pub suppressed_inline: usize,
    /// Findings of rules not in effect, per `FILE: rule ID disabled` / `replaced`: what the rule
    /// would have reported and no rule in effect did.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub suppressed_by_rule: BTreeMap<String, usize>,
    /// Of the suppressed findings, how many the scanned repository's own files suppressed (its
    /// `.leakgate.toml`, its baseline, inline markers in its content).
    pub suppressed_by_repository: usize,
    /// Of those, by the repository's `.leakgate.toml` and by its baseline.
    #[serde(skip)]
    pub suppressed_by_repo_config: usize,
    #[serde(skip)]
    pub suppressed_by_repo_baseline: usize,
    /// What the person running leakgate should know about this run (shown in every format).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Gates: findings the change's own scanner configuration would suppress (they are reported
    /// and fail the gate: the base's configuration applies).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed_by_change_config: Vec<ChangeSuppressed>,
    /// Gates: findings suppressed by an inline allow marker the change adds (markers already in
    /// the base work silently); `--no-inline-allow` makes them fail the gate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed_in_change: Vec<ChangeSuppressed>,
    /// The findings inline markers suppressed, before a gate sorts out which the change added.
    #[serde(skip)]
    pub inline_suppressed: Vec<crate::finding::InlineSuppressed>,
    /// Rule and config files in effect.
    pub config_sources: Vec<String>,
    pub rules: usize,
    /// History scans: objects decoded (blobs, trees, commits, tags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects_scanned: Option<u64>,
    /// History scans: commits considered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<usize>,
    /// History scans: objects referenced but absent (partial or damaged clone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_objects: Option<Vec<MissingObjectEntry>>,
    /// History scans: the repository is a shallow clone; older history was not scanned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shallow: Option<bool>,
    /// Range scans: findings in files the range changed whose secret was already there before
    /// the range (the range changed another line). Not reported, since the range did not add
    /// them; a full `history` or `audit` reports them.
    #[serde(skip_serializing_if = "is_zero")]
    pub already_there: u64,
    /// The baseline applied, if any: how many findings it suppressed, which entries are stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<crate::baseline::BaselineSummary>,
}

impl Summary {
    /// Add another summary's suppression counts (an audit's working tree to its history).
    pub fn add_suppressions(&mut self, other: &Summary) {
        for (k, v) in &other.suppressed_by_allowlist {
            *self.suppressed_by_allowlist.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.suppressed_by_rule {
            *self.suppressed_by_rule.entry(k.clone()).or_default() += v;
        }
        self.suppressed_inline += other.suppressed_inline;
        self.suppressed_by_repo_config += other.suppressed_by_repo_config;
        self.suppressed_by_repo_baseline += other.suppressed_by_repo_baseline;
        self.suppressed_by_repository += other.suppressed_by_repository;
    }

    /// Record what suppressed findings (replacing earlier counts).
    pub fn set_suppressions(&mut self, s: crate::finding::Suppressions) {
        self.suppressed_by_allowlist = s.by_allowlist;
        self.suppressed_by_rule = s.by_rule;
        self.suppressed_inline = s.inline;
        self.inline_suppressed = s.inline_findings;
        self.suppressed_by_repo_config = s.by_repo_config;
        self.suppressed_by_repository =
            s.by_repo_config + s.inline + self.suppressed_by_repo_baseline;
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How much a notice matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Content that could not be read.
    Error,
    /// Content not scanned, findings not listed, findings the repository itself suppressed.
    Warning,
    /// What suppressed findings, and how many.
    Note,
}

/// A sentence every format states besides the findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    /// Plain text; repository-controlled parts are escaped by each format.
    pub text: String,
    /// The file and line it is about, for formats that annotate code (github).
    pub location: Option<(String, usize)>,
}

fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Summary {
    /// Everything a reader must know besides the findings, in the order formats show it: what
    /// could not be read, what was not scanned or not listed, warnings, then what suppressed how
    /// many findings (every allowlist, rules not in effect, inline markers, the baseline).
    /// Every format renders these, so nothing is said in one format and silent in another.
    pub fn notices(&self) -> Vec<Notice> {
        let mut out = Vec::new();
        self.unread_notices(&mut out);
        self.run_notices(&mut out);
        self.suppression_notices(&mut out);
        out
    }

    /// What was not read or not listed: errors, skipped files, findings past the cap.
    fn unread_notices(&self, out: &mut Vec<Notice>) {
        let mut push = |level, text: String, location: Option<(String, usize)>| {
            out.push(Notice {
                level,
                text,
                location,
            })
        };
        for e in &self.error_details {
            push(Level::Error, format!("{}: {}", e.path, e.error), None);
        }
        for f in &self.skipped_files {
            push(
                Level::Warning,
                format!("{}: not scanned, {} bytes ({})", f.path, f.bytes, f.reason),
                None,
            );
        }
        if !self.skipped_binary_files.is_empty() {
            let n = self.skipped_binary_files.len();
            let shown: Vec<&str> = self
                .skipped_binary_files
                .iter()
                .take(10)
                .map(String::as_str)
                .collect();
            let more = if n > shown.len() {
                format!(
                    " and {} more (summary.skipped_binary_files)",
                    n - shown.len()
                )
            } else {
                String::new()
            };
            push(
                Level::Note,
                format!(
                    "{} not scanned: {}{more}",
                    plural(n as u64, "binary file", "binary files"),
                    shown.join(", ")
                ),
                None,
            );
        }
        for n in &self.not_listed {
            push(
                Level::Warning,
                format!(
                    "{}: {} more not listed (at most {} per file)",
                    n.path,
                    plural(n.findings, "finding", "findings"),
                    crate::content::MAX_FINDINGS_PER_SOURCE
                ),
                None,
            );
        }
    }

    /// Warnings about the run, and what a gate saw the change do.
    fn run_notices(&self, out: &mut Vec<Notice>) {
        let mut push = |level, text: String, location: Option<(String, usize)>| {
            out.push(Notice {
                level,
                text,
                location,
            })
        };
        for w in &self.warnings {
            push(Level::Warning, w.clone(), None);
        }
        for c in &self.suppressed_by_change_config {
            push(
                Level::Warning,
                format!(
                    "{}:{}: {} would be suppressed by the change's own configuration",
                    c.path, c.line, c.rule_id
                ),
                Some((c.path.clone(), c.line)),
            );
        }
        for c in &self.suppressed_in_change {
            push(
                Level::Warning,
                format!(
                    "{}:{}: {} suppressed by an inline allow marker this change adds (--no-inline-allow makes it fail)",
                    c.path, c.line, c.rule_id
                ),
                Some((c.path.clone(), c.line)),
            );
        }
        if self.incomplete {
            push(
                Level::Warning,
                "incomplete: some content could not be read; this does not prove the absence of secrets"
                    .to_string(),
            None);
        }
        if self.already_there > 0 {
            push(
                Level::Note,
                format!(
                    "{} already in files this range changed, before it (the range did not add them; a full `leakgate history` reports them)",
                    plural(self.already_there, "secret was", "secrets were")
                ),
                None,
            );
        }
    }

    /// What suppressed findings, per allowlist, rule, inline markers and baseline.
    fn suppression_notices(&self, out: &mut Vec<Notice>) {
        let mut push = |level, text: String, location: Option<(String, usize)>| {
            out.push(Notice {
                level,
                text,
                location,
            })
        };
        // Allowlists that suppressed nothing are in the JSON map only (a hook's every run
        // would otherwise print a line per allowlist).
        for (label, n) in self.suppressed_by_allowlist.iter().filter(|(_, n)| **n > 0) {
            push(
                Level::Note,
                format!(
                    "allowlist '{label}' suppressed {}",
                    plural(*n as u64, "finding", "findings")
                ),
                None,
            );
        }
        for (label, n) in &self.suppressed_by_rule {
            push(
                Level::Note,
                format!(
                    "{label}: {} not reported",
                    plural(*n as u64, "finding", "findings")
                ),
                None,
            );
        }
        if self.suppressed_inline > 0 {
            push(
                Level::Note,
                format!(
                    "inline allow markers suppressed {}",
                    plural(self.suppressed_inline as u64, "finding", "findings")
                ),
                None,
            );
        }
        if let Some(b) = &self.baseline
            && b.suppressed > 0
        {
            push(
                Level::Note,
                format!(
                    "baseline {} suppressed {}",
                    b.file,
                    plural(b.suppressed as u64, "finding", "findings")
                ),
                None,
            );
        }
    }
}

/// A finding located by path, line and rule (suppressions a change tried to make).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChangeSuppressed {
    pub path: String,
    pub line: usize,
    pub rule_id: String,
}

/// A file or blob that was not scanned, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub path: String,
    pub bytes: u64,
    pub reason: String,
}

impl Skipped {
    /// Entries for `(path, size)` pairs over `--max-file-size`.
    pub fn too_large(list: &[(String, u64)]) -> Vec<Skipped> {
        list.iter()
            .map(|(path, bytes)| Skipped {
                path: path.clone(),
                bytes: *bytes,
                reason: "larger than --max-file-size".to_string(),
            })
            .collect()
    }
}

/// A file or blob with more findings than are listed for one source.
#[derive(Debug, Clone, Serialize)]
pub struct NotListed {
    pub path: String,
    /// Findings found there but not listed.
    pub findings: u64,
}

/// A missing object in the summary.
#[derive(Debug, Clone, Serialize)]
pub struct MissingObjectEntry {
    pub id: String,
    pub path: String,
}

/// What reporters need to know about a rule (SARIF lists every rule in effect).
#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub id: String,
    pub provider: String,
    pub description: String,
    pub severity: crate::rules::Severity,
    pub rotation: crate::rules::Rotation,
}

/// Everything a reporter needs.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// Rules in effect.
    pub rules: Vec<RuleMeta>,
    /// The command that produced the report (for formats that name the run).
    pub command: String,
    /// Audit: findings merged per secret, risk-ordered, with the rotation plan.
    pub secrets: Option<Vec<crate::audit::AuditSecret>>,
    /// Audit: the clean-up replacements file written, if any.
    pub replacements_file: Option<String>,
    /// Audit: what was audited (repository path), for the report title.
    pub target: String,
}

/// Rendering options that are not part of the report.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub color: bool,
    pub quiet: bool,
}

impl Report {
    /// Record the rules in effect.
    pub fn set_rules(&mut self, rules: &crate::rules::RuleSet) {
        self.rules = rules
            .rules()
            .iter()
            .map(|r| RuleMeta {
                id: r.id.clone(),
                provider: r.provider.clone(),
                description: r.description.clone(),
                severity: r.severity,
                rotation: (*r.rotate).clone(),
            })
            .collect();
        self.summary.rules = self.rules.len();
        self.summary.config_sources = rules.sources.clone();
    }

    /// Recompute the counts derived from the findings.
    pub fn finish(&mut self) {
        self.findings.sort_by(|a, b| {
            (a.path.as_str(), a.line, a.column, a.rule_id.as_str()).cmp(&(
                b.path.as_str(),
                b.line,
                b.column,
                b.rule_id.as_str(),
            ))
        });
        self.summary.findings = self.findings.len();
        self.summary.errors = self.summary.error_details.len();
        self.summary.by_exposure.clear();
        for f in &self.findings {
            *self
                .summary
                .by_exposure
                .entry(f.exposure.as_str().to_string())
                .or_default() += 1;
        }
    }

    pub fn write(
        &self,
        format: Format,
        opts: RenderOptions,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        match format {
            Format::Human if self.secrets.is_some() => audit::write_human(self, opts, out),
            Format::Markdown if self.secrets.is_some() => audit::write_markdown(self, out),
            Format::Html => audit::write_html(self, out),
            Format::Human => human::write(self, opts, out),
            Format::Json => json::write(self, out),
            Format::Jsonl => json::write_lines(self, out),
            Format::Sarif => sarif::write(self, out),
            Format::Github => github::write(self, out),
            Format::Markdown => markdown::write(self, out),
        }
    }
}
