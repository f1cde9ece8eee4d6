//! Findings: a secret with its rule, location, exposure, fingerprint and redacted value, and
//! what happens to findings once made: config-level allowlists and inline markers (with
//! per-allowlist counts), commit text scrubbed of secrets. Findings are made from the engine's
//! matches by the `content` module.

use crate::rules::{Confidence, Rotation, RuleSet, Severity};
use crate::source::{Exposure, SourceKind};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Commit attribution of a history finding.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// RFC 3339, in the committer's own time zone.
    pub date: String,
    /// The same instant as seconds since the epoch: what comparisons use (dates in different
    /// time zones do not compare as text).
    #[serde(skip)]
    pub time: i64,
    pub summary: String,
    pub refs: Vec<String>,
    pub in_head: bool,
    pub pushed: bool,
}

/// One reported secret at one location (DESIGN.md JSON schema, version 1).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub provider: String,
    pub description: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub secret: String,
    pub fingerprint: String,
    pub exposure: Exposure,
    pub source: SourceKind,
    pub encoding: Option<String>,
    pub commit: Option<CommitInfo>,
    pub also_in_history: Option<bool>,
    /// Shared with the rule (one copy however many findings it makes).
    pub rotation: std::sync::Arc<Rotation>,
    /// Git blob (or tag object) id holding the secret, for history findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// The unredacted secret; never serialized. `secret` holds what may be shown.
    #[serde(skip)]
    pub raw_secret: Vec<u8>,
    /// Path relative to the repository root, when the file is inside one (allowlist matching).
    #[serde(skip)]
    pub repo_path: Option<String>,
    /// The bytes at the location as they are in the content (the encoded form of an encoded
    /// secret); never serialized.
    #[serde(skip)]
    pub matched: Vec<u8>,
    /// Found, but suppressed before the allowlists: by an inline allow marker, or because its
    /// rule is not in effect (disabled or replaced by a config file). Counted, not reported.
    #[serde(skip)]
    pub suppressed: Option<Suppression>,
}

/// Why a finding made before the allowlists is not reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suppression {
    /// An inline allow marker on its line.
    Inline,
    /// Its rule is a shadow: the label names the config file and the rule.
    Rule(String),
}

impl Finding {
    /// "commit message", "tag message", "commit header", "ref name", "file" or "blob".
    pub fn source_label(&self) -> &'static str {
        match self.source {
            SourceKind::CommitMessage => "commit message",
            SourceKind::TagMessage => "tag message",
            SourceKind::CommitHeader => "commit header",
            SourceKind::RefName => "ref name",
            other => other.as_str(),
        }
    }
}

/// `lg1:` + hex SHA-256 of `rule_id + "\0" + secret`; with a key, `lg1h:` + hex
/// HMAC-SHA-256 of the same message, for teams that do not want even a hash of a weak password in
/// a committed baseline.
pub fn fingerprint(rule_id: &str, secret: &[u8], key: Option<&[u8]>) -> String {
    match key {
        None => {
            let mut h = Sha256::new();
            h.update(rule_id.as_bytes());
            h.update([0u8]);
            h.update(secret);
            format!("lg1:{}", hex::encode(h.finalize()))
        }
        Some(key) => {
            use hmac::{KeyInit, Mac};
            let mut m = hmac::Hmac::<Sha256>::new_from_slice(key)
                .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
            m.update(rule_id.as_bytes());
            m.update(&[0u8]);
            m.update(secret);
            format!("lg1h:{}", hex::encode(m.finalize().into_bytes()))
        }
    }
}

/// Redact a secret for display: a short prefix and suffix only, never enough to use it.
pub fn redact(secret: &[u8]) -> String {
    let s = String::from_utf8_lossy(secret);
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let (head, tail) = match n {
        0..=7 => (0, 0),
        8..=15 => (2, 0),
        _ => (4, 2),
    };
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[n - tail..]);
    out
}

/// Options that shape every finding.
#[derive(Debug, Clone, Default)]
pub struct FindingOptions {
    pub show_secrets: bool,
    pub min_confidence: Confidence,
    /// HMAC key for fingerprints (`--fingerprint-key` / `LEAKGATE_FINGERPRINT_KEY`).
    pub fingerprint_key: Option<std::sync::Arc<[u8]>>,
    /// Inline allow markers suppress findings (false with `--no-inline-allow`).
    pub honour_inline: bool,
}

/// Longest commit summary a finding carries, in characters (the first line of a commit message
/// can be megabytes long, and it is repeated in every finding the commit introduced).
pub const SUMMARY_CHARS: usize = 200;

/// Redacts found secrets in commit text: one automaton over all secrets, so redacting a text
/// costs its length, not its length times the number of secrets.
pub struct Scrubber {
    /// The secrets (as text) and their redacted forms; empty when secrets are shown.
    secrets: Vec<String>,
    redacted: Vec<String>,
    /// `None` only if the automaton could not be built: then each secret is searched in turn.
    automaton: Option<aho_corasick::AhoCorasick>,
}

impl Scrubber {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a [u8]>, show_secrets: bool) -> Self {
        let mut texts: Vec<String> = if show_secrets {
            Vec::new()
        } else {
            secrets
                .into_iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .filter(|t| !t.is_empty())
                .collect()
        };
        texts.sort();
        texts.dedup();
        let redacted = texts.iter().map(|t| redact(t.as_bytes())).collect();
        // A contiguous NFA: a DFA over long secrets (private keys) takes tens of megabytes, and
        // the texts searched are short.
        let automaton = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&texts)
            .ok();
        Scrubber {
            secrets: texts,
            redacted,
            automaton,
        }
    }

    /// `text` with every secret replaced by its redacted form.
    pub fn redact<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if self.secrets.is_empty() {
            return text.into();
        }
        match &self.automaton {
            Some(ac) if !ac.is_match(text) => text.into(),
            Some(ac) => ac.replace_all(text, &self.redacted).into(),
            None => {
                let mut out = std::borrow::Cow::Borrowed(text);
                for (s, r) in self.secrets.iter().zip(&self.redacted) {
                    if out.contains(s.as_str()) {
                        out = out.replace(s.as_str(), r).into();
                    }
                }
                out
            }
        }
    }

    /// A commit summary as findings carry it: redacted first, then cut to [`SUMMARY_CHARS`]
    /// (cutting first could keep the start of a secret that straddles the cut).
    pub fn summary(&self, text: &str) -> String {
        let text = self.redact(text);
        match text.char_indices().nth(SUMMARY_CHARS) {
            Some((end, _)) => format!("{}…", &text[..end]),
            None => text.into_owned(),
        }
    }
}

/// Replace every found secret that appears in commit text (a summary that carries a secret found
/// in a commit message, an author or e-mail from a commit header, a ref name) with its redacted
/// form, unless secrets are to be shown. Each distinct text is redacted once.
pub fn scrub_commit_text(findings: &mut [Finding], show_secrets: bool) {
    if show_secrets {
        return;
    }
    let scrubber = Scrubber::new(findings.iter().map(|f| f.raw_secret.as_slice()), false);
    let mut done: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut scrub = |text: &mut String| {
        if let Some(s) = done.get(text.as_str()) {
            text.clone_from(s);
            return;
        }
        let scrubbed = scrubber.redact(text).into_owned();
        let original = std::mem::replace(text, scrubbed.clone());
        done.insert(original, scrubbed);
    };
    for f in findings.iter_mut() {
        if let Some(c) = &mut f.commit {
            // All text the repository chose: a secret can sit in a summary, an author name or
            // e-mail, or a branch or tag name.
            scrub(&mut c.summary);
            scrub(&mut c.author);
            scrub(&mut c.email);
            for r in &mut c.refs {
                scrub(r);
            }
        }
    }
}

/// What suppressed findings, and how many each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Suppressions {
    /// Per config-level allowlist label (every allowlist listed, 0 when it suppressed nothing).
    pub by_allowlist: BTreeMap<String, usize>,
    /// Per rule no longer in effect (`FILE: rule ID disabled` / `replaced`).
    pub by_rule: BTreeMap<String, usize>,
    /// By inline allow markers.
    pub inline: usize,
    /// Of all the above, by the scanned repository's own `.leakgate.toml`.
    pub by_repo_config: usize,
    /// The findings inline markers suppressed (gates report those a change adds).
    pub inline_findings: Vec<InlineSuppressed>,
}

/// A finding an inline allow marker suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineSuppressed {
    pub path: String,
    pub line: usize,
    pub rule_id: String,
    pub raw_secret: Vec<u8>,
}

impl Suppressions {
    /// Add another scan's counts (an audit's working tree to its history).
    pub fn add(&mut self, other: &Suppressions) {
        for (k, v) in &other.by_allowlist {
            *self.by_allowlist.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.by_rule {
            *self.by_rule.entry(k.clone()).or_default() += v;
        }
        self.inline += other.inline;
        self.by_repo_config += other.by_repo_config;
        self.inline_findings
            .extend(other.inline_findings.iter().cloned());
    }
}

/// Drop suppressed findings and count them: findings of rules not in effect, findings on lines
/// with an inline allow marker (unless `honour_inline` is false: `--no-inline-allow`), and
/// findings a config-level allowlist matches.
pub fn apply_suppressions(
    rules: &RuleSet,
    findings: Vec<Finding>,
    honour_inline: bool,
) -> (Vec<Finding>, Suppressions) {
    let mut counts = Suppressions {
        by_allowlist: rules
            .allowlists
            .iter()
            .map(|a| (a.label.clone(), 0))
            .collect(),
        ..Suppressions::default()
    };
    let repo_config = rules.repo_config.as_deref();
    let from_repo = |file: &str| repo_config == Some(file);
    let kept = findings
        .into_iter()
        .filter(|f| {
            match &f.suppressed {
                Some(Suppression::Rule(label)) => {
                    *counts.by_rule.entry(label.clone()).or_default() += 1;
                    if repo_config.is_some_and(|r| label.starts_with(&format!("{r}: "))) {
                        counts.by_repo_config += 1;
                    }
                    return false;
                }
                Some(Suppression::Inline) if honour_inline => {
                    counts.inline += 1;
                    counts.inline_findings.push(InlineSuppressed {
                        path: f.repo_path.clone().unwrap_or_else(|| f.path.clone()),
                        line: f.line,
                        rule_id: f.rule_id.clone(),
                        raw_secret: f.raw_secret.clone(),
                    });
                    return false;
                }
                _ => {}
            }
            let hit = rules.allowlists.iter().find(|a| {
                a.applies_to(&f.rule_id)
                    && (a.allows_path(
                        std::iter::once(f.path.as_str()).chain(f.repo_path.as_deref()),
                    ) || a.allows_secret(&f.raw_secret, false))
            });
            match hit {
                Some(a) => {
                    *counts.by_allowlist.entry(a.label.clone()).or_default() += 1;
                    if from_repo(&a.source) {
                        counts.by_repo_config += 1;
                    }
                    false
                }
                None => true,
            }
        })
        .collect();
    (kept, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_rule_and_secret_only() {
        let a = fingerprint("r", b"s3cret", None);
        assert_eq!(a, fingerprint("r", b"s3cret", None));
        assert_ne!(a, fingerprint("r2", b"s3cret", None));
        assert!(a.starts_with("lg1:") && a.len() == 4 + 64);
        let h = fingerprint("r", b"s3cret", Some(b"team key"));
        assert!(h.starts_with("lg1h:") && h.len() == 5 + 64);
        assert_ne!(h, fingerprint("r", b"s3cret", Some(b"other key")));
        // RFC 4231 test case 2 shape: HMAC over the same message is stable.
        assert_eq!(h, fingerprint("r", b"s3cret", Some(b"team key")));
    }

    #[test]
    fn redaction_never_shows_most_of_the_secret() {
        assert_eq!(redact(b"sk-ant-api03-abcdefghAA"), "sk-a…AA");
        assert_eq!(redact(b"hunter22x"), "hu…");
        assert_eq!(redact(b"short"), "…");
    }

    #[test]
    fn summaries_are_redacted_then_cut() {
        let secret = format!("hf_{}", "k".repeat(34));
        let subject = format!("{}{secret} and more", "x".repeat(SUMMARY_CHARS - 10));
        let s = Scrubber::new([secret.as_bytes()], false).summary(&subject);
        // The secret straddles the cut: it is redacted whole, never left as a prefix.
        assert!(!s.contains("hf_kkkk"), "{s}");
        assert!(s.contains(&redact(secret.as_bytes())), "{s}");
        assert_eq!(s.chars().count(), SUMMARY_CHARS + 1);
        assert!(s.ends_with('…'));
        // Shown secrets are only cut; short summaries are kept as they are.
        let shown = Scrubber::new([secret.as_bytes()], true).summary(&subject);
        assert!(shown.starts_with(&subject[..SUMMARY_CHARS - 10 + 7]));
        assert_eq!(Scrubber::new([], false).summary("fix: typo"), "fix: typo");
        let two = Scrubber::new(
            [b"abcdefghijklmnopqr".as_slice(), b"ijklmnopqrstuvwxyz"],
            false,
        );
        assert_eq!(two.redact("key abcdefghijklmnopqr."), "key abcd…qr.");
        assert_eq!(two.redact("key ijklmnopqrstuvwxyz"), "key ijkl…yz");
    }
}
