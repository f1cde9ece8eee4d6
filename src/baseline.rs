//! Value-based baselines: accepted findings recorded by fingerprint (rule and secret value only),
//! so an entry keeps matching through rebases, squashes, renames and line moves. A baseline that
//! cannot be read, does not parse or has an unknown version is an error, never "no baseline".

use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Baseline file format version.
pub const VERSION: u32 = 1;
/// Default baseline file name at the repository root.
pub const DEFAULT_FILE: &str = ".leakgate-baseline.json";

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("baseline {file}: cannot read: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("baseline {file}:{line}:{column}: not a leakgate baseline: {message}")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("baseline {file}: unsupported version {found} (this leakgate reads version {VERSION})")]
    Version { file: String, found: u32 },
    /// The fingerprint itself is not shown: a value in its place may be anything, even a secret.
    #[error(
        "baseline {file}: entry {index} has an invalid fingerprint (expected lg1: or lg1h: and 64 hex digits)"
    )]
    Entry { file: String, index: usize },
}

/// One accepted secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule_id: String,
    /// Where it was seen when accepted (informational; matching uses the fingerprint only).
    #[serde(default)]
    pub locations: Vec<String>,
}

/// A baseline file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub tool: String,
    pub entries: Vec<Entry>,
}

/// What applying a baseline did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BaselineSummary {
    pub file: String,
    pub entries: usize,
    pub suppressed: usize,
    /// Fingerprints of entries that matched nothing in this scan (only for scans that cover the
    /// whole repository; partial scans such as `staged` or `ci` leave this empty).
    pub stale: Vec<String>,
}

fn valid_fingerprint(f: &str) -> bool {
    let hex = f.strip_prefix("lg1:").or_else(|| f.strip_prefix("lg1h:"));
    hex.is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Baseline {
    /// Read and validate a baseline file.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let file = path.display().to_string();
        // Read like any file a repository controls: no symlink, no FIFO, bounded.
        const MAX: u64 = 64 << 20;
        let read_err = |source| BaselineError::Read {
            file: file.clone(),
            source,
        };
        let bytes = crate::safe_fs::read_small(path, MAX + 1)
            .map_err(|e| read_err(std::io::Error::other(e)))?;
        if bytes.len() as u64 > MAX {
            return Err(read_err(std::io::Error::other("larger than 64 MiB")));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| read_err(std::io::Error::other("not UTF-8 text")))?;
        Self::parse(&file, &text)
    }

    /// Parse and validate baseline text.
    pub fn parse(file: &str, text: &str) -> Result<Self, BaselineError> {
        // Check the version first so a future format gets a version error, not a parse error.
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(text)
            && let Some(found) = v.get("version").and_then(serde_json::Value::as_u64)
            && found != u64::from(VERSION)
        {
            return Err(BaselineError::Version {
                file: file.to_string(),
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        let b: Baseline = serde_json::from_str(text).map_err(|e| BaselineError::Parse {
            file: file.to_string(),
            line: e.line(),
            column: e.column(),
            // Never the value serde quotes: it may be a secret (`redact`).
            message: crate::rules::redact::values(&e.to_string()),
        })?;
        if b.version != VERSION {
            return Err(BaselineError::Version {
                file: file.to_string(),
                found: b.version,
            });
        }
        for (index, e) in b.entries.iter().enumerate() {
            if !valid_fingerprint(&e.fingerprint) {
                return Err(BaselineError::Entry {
                    file: file.to_string(),
                    index,
                });
            }
        }
        Ok(b)
    }

    /// A baseline accepting every given finding, one entry per fingerprint.
    pub fn from_findings(findings: &[Finding]) -> Self {
        let mut by_fp: BTreeMap<String, Entry> = BTreeMap::new();
        for f in findings {
            let e = by_fp.entry(f.fingerprint.clone()).or_insert_with(|| Entry {
                fingerprint: f.fingerprint.clone(),
                rule_id: f.rule_id.clone(),
                locations: Vec::new(),
            });
            let loc = location(f);
            if !e.locations.contains(&loc) {
                e.locations.push(loc);
            }
        }
        for e in by_fp.values_mut() {
            e.locations.sort();
        }
        Baseline {
            version: VERSION,
            tool: format!("leakgate {}", env!("CARGO_PKG_VERSION")),
            entries: by_fp.into_values().collect(),
        }
    }

    /// Serialize (stable order, pretty, trailing newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Drop findings whose fingerprint is in the baseline.
    pub fn apply(
        &self,
        file: &str,
        findings: Vec<Finding>,
        report_stale: bool,
    ) -> (Vec<Finding>, BaselineSummary) {
        let accepted: HashSet<&str> = self
            .entries
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let mut matched: HashSet<String> = HashSet::new();
        let mut suppressed = 0;
        let kept = findings
            .into_iter()
            .filter(|f| {
                if accepted.contains(f.fingerprint.as_str()) {
                    matched.insert(f.fingerprint.clone());
                    suppressed += 1;
                    false
                } else {
                    true
                }
            })
            .collect();
        let stale = if report_stale {
            self.entries
                .iter()
                .filter(|e| !matched.contains(&e.fingerprint))
                .map(|e| e.fingerprint.clone())
                .collect()
        } else {
            Vec::new()
        };
        (
            kept,
            BaselineSummary {
                file: file.to_string(),
                entries: self.entries.len(),
                suppressed,
                stale,
            },
        )
    }
}

/// Human-readable location of a finding for a baseline entry.
fn location(f: &Finding) -> String {
    match (&f.commit, f.path.is_empty()) {
        (Some(c), true) => format!("{} of {}", f.source_label(), &c.id[..c.id.len().min(12)]),
        (_, _) => format!("{}:{}", f.path, f.line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_corrupt_and_unknown_versions() {
        assert!(matches!(
            Baseline::parse("b", "{not json"),
            Err(BaselineError::Parse { .. })
        ));
        assert!(matches!(
            Baseline::parse("b", r#"{"version": 7, "tool": "x", "entries": []}"#),
            Err(BaselineError::Version { found: 7, .. })
        ));
        assert!(matches!(
            Baseline::parse(
                "b",
                r#"{"version": 1, "tool": "x", "entries": [{"fingerprint": "nope", "rule_id": "r"}]}"#
            ),
            Err(BaselineError::Entry { .. })
        ));
        let ok = format!(
            r#"{{"version": 1, "tool": "x", "entries": [{{"fingerprint": "lg1:{}", "rule_id": "r"}}]}}"#,
            "a".repeat(64)
        );
        assert_eq!(Baseline::parse("b", &ok).unwrap().entries.len(), 1);
    }
}
