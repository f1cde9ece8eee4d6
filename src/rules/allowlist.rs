//! Allowlists: path globs, regexes on the secret, and stopwords. Used both inside a rule (secret
//! regexes and stopwords that are part of the rule's definition) and at config level, where the
//! number of findings each one suppressed is reported.

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex_automata::meta;
use serde::Deserialize;

/// `[[allowlist]]` / `[rule.allowlist]` as written in a file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    pub description: Option<String>,
    /// Glob patterns on the path relative to the scanned root or repository root.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regexes on the secret value.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Regexes on the secret value that apply only when it is not a quoted string literal: an
    /// unquoted `PasswordKind2` in code is an identifier, a quoted one is a value. (A config-level
    /// allowlist does not see the quotes: there they apply to every value.)
    #[serde(default)]
    pub unquoted_regexes: Vec<String>,
    /// Case-insensitive substrings of the secret value.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Restrict this allowlist to these rule ids (config level only; empty = all rules).
    #[serde(default)]
    pub rules: Vec<String>,
}

/// A compiled allowlist.
#[derive(Debug)]
pub struct Allowlist {
    pub label: String,
    /// The config file it came from (empty for a rule's own allowlist).
    pub source: String,
    paths: Option<GlobSet>,
    /// `regexes` then `unquoted_regexes`: the first `unquoted_from` apply to every value.
    regex_src: Vec<String>,
    unquoted_from: usize,
    /// Compiled on first use (built-in rules) or at load (user files, to report errors there).
    regexes: std::sync::OnceLock<Vec<meta::Regex>>,
    stopwords: Vec<String>,
    rules: Vec<String>,
}

impl Allowlist {
    /// Compile an allowlist. With `eager`, regexes are compiled now and errors reported; else on
    /// first use (the built-in rules, checked by `rules check`).
    pub fn compile(spec: AllowlistSpec, label: &str, eager: bool) -> Result<Self, String> {
        let paths = if spec.paths.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for (i, p) in spec.paths.iter().enumerate() {
                let glob = Glob::new(p).map_err(|e| {
                    format!("`paths` entry {}: {}", i + 1, super::redact::glob_error(&e))
                })?;
                b.add(glob);
            }
            Some(b.build().map_err(|e| e.to_string())?)
        };
        let unquoted_from = spec.regexes.len();
        let mut regex_src = spec.regexes;
        regex_src.extend(spec.unquoted_regexes);
        let regexes = std::sync::OnceLock::new();
        if eager {
            let _ = regexes.set(compile_regexes(&regex_src)?);
        }
        Ok(Allowlist {
            label: spec.description.unwrap_or_else(|| label.to_string()),
            source: String::new(),
            paths,
            regex_src,
            unquoted_from,
            regexes,
            stopwords: spec
                .stopwords
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            rules: spec.rules,
        })
    }

    /// Does this allowlist apply to findings of `rule_id`?
    pub fn applies_to(&self, rule_id: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|r| r == rule_id)
    }

    /// Compile the secret regexes now, reporting the first error (`rules check`).
    pub fn validate(&self) -> Result<(), String> {
        compile_regexes(&self.regex_src).map(|_| ())
    }

    /// Is the secret value allowed (regex or stopword)? `quoted`: the value is a quoted string
    /// literal, which `unquoted_regexes` do not apply to.
    pub fn allows_secret(&self, secret: &[u8], quoted: bool) -> bool {
        let regexes = self
            .regexes
            .get_or_init(|| compile_regexes(&self.regex_src).unwrap_or_default());
        let applicable = if quoted {
            &regexes[..self.unquoted_from.min(regexes.len())]
        } else {
            &regexes[..]
        };
        applicable.iter().any(|r| r.is_match(secret))
            || (!self.stopwords.is_empty() && {
                let lower = secret.to_ascii_lowercase();
                self.stopwords
                    .iter()
                    .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
            })
    }

    /// Is this path allowed? `paths` are tried in turn (display path, repository-relative path).
    pub fn allows_path<'a>(&self, paths: impl IntoIterator<Item = &'a str>) -> bool {
        match &self.paths {
            Some(set) => paths.into_iter().any(|p| set.is_match(p)),
            None => false,
        }
    }

    /// Whether the allowlist has any path globs.
    pub fn has_paths(&self) -> bool {
        self.paths.is_some()
    }

    /// Whether the allowlist has secret regexes or stopwords.
    pub fn has_secret_filters(&self) -> bool {
        !self.regex_src.is_empty() || !self.stopwords.is_empty()
    }
}

/// The regexes compiled; an error names the entry by its position, not its text (an
/// allowlist regex may be the very secret it allows).
fn compile_regexes(sources: &[String]) -> Result<Vec<meta::Regex>, String> {
    sources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            meta::Builder::new()
                .syntax(super::syntax_config())
                .build(r)
                .map_err(|e| {
                    let e = super::redact::regex_build_error(&e);
                    format!("regex entry {}: {e}", i + 1)
                })
        })
        .collect()
}
