//! Serde schema of rule and config files (`patterns.toml`, `.leakgate.toml`, `--config`).

use super::{AllowlistSpec, Rotation};
use serde::{Deserialize, Serialize};

/// Top level of a rule or config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub rule: Vec<toml::Spanned<RuleSpec>>,
    /// Rule ids to switch off (spans locate an unknown one in errors).
    #[serde(default)]
    pub disabled_rules: Vec<toml::Spanned<String>>,
    #[serde(default)]
    pub allowlist: Vec<AllowlistSpec>,
}

/// One `[[rule]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub provider: String,
    pub description: String,
    pub severity: Severity,
    #[serde(default)]
    pub confidence: Confidence,
    /// The rule gives way to every other rule of the same confidence and severity that captures
    /// an overlapping secret: for a bare format that a rule with context reports better.
    #[serde(default)]
    pub fallback: bool,
    /// Prefilter literals; a token rule defaults them to its `context` words.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The full regex (with a `secret` group). Exclusive with `context` + `token`.
    pub regex: Option<String>,
    /// Token rule: words (case-insensitive) that must precede the secret on its line.
    #[serde(default)]
    pub context: Vec<String>,
    /// Token rule: the provider's names. A name counts as context only when a credential noun
    /// follows it (`nimble_api_key`, `nimbleSecret`, `NIMBLE TOKEN`), so common words can be names.
    #[serde(default)]
    pub names: Vec<String>,
    /// Token rule: the token must be the value assigned to the context (`acme_key = "…"`,
    /// `"acme_token": "…"`, `ACME_SECRET …`) rather than anywhere later on its line. For values
    /// with no distinctive shape of their own.
    #[serde(default)]
    pub assignment: bool,
    /// Token rule: the shape of the secret itself (a regex without a `secret` group).
    pub token: Option<String>,
    /// The secret must contain at least one ASCII letter and one digit (default: true for
    /// token rules, false for regex rules).
    pub mixed: Option<bool>,
    /// Checksum scheme of the secret (`base62-crc32`, `hex-crc32-suffix`).
    pub checksum: Option<super::Checksum>,
    pub min_entropy: Option<f64>,
    /// Window on each side of a keyword hit, for regexes without a bounded match length.
    pub max_len: Option<usize>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    #[serde(default)]
    pub rotate: Rotation,
    pub allowlist: Option<AllowlistSpec>,
}

/// How bad an exposure of this kind of credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// How sure a match is to be a real credential.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    #[default]
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}
