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
    /// Files or objects that could not be read.
    pub error_details: Vec<FileError>,
    /// Findings suppressed per config-level allowlist.
    pub suppressed_by_allowlist: BTreeMap<String, usize>,
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
    /// The baseline applied, if any: how many findings it suppressed, which entries are stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<crate::baseline::BaselineSummary>,
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
                rotation: r.rotate.clone(),
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
