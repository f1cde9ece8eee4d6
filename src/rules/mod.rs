//! Rules as data: the `patterns.toml` / `.leakgate.toml` schema, its validation with precise
//! error locations, and the compiled [`RuleSet`] (one keyword automaton, lazily compiled regexes).
//!
//! The built-in rules are `patterns.toml` at the crate root, compiled into the binary. A config
//! file can add rules, disable rules by id and add allowlists; [`RuleSet::build`] merges them.

mod allowlist;
#[cfg(test)]
mod catalogue;
mod checksum;
pub(crate) mod redact;
mod schema;

pub use allowlist::{Allowlist, AllowlistSpec};
pub use checksum::{Checksum, base62, bech32};
pub use schema::{Confidence, ConfigFile, RuleSpec, Severity};

use regex_automata::meta;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The built-in rule file (`patterns.toml`), converted to JSON by `build.rs`.
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/patterns.json"));

/// A built-in rule as `build.rs` wrote it: the spec and where its `[[rule]]` header is.
#[derive(serde::Deserialize)]
struct BuiltinEntry {
    line: usize,
    column: usize,
    spec: RuleSpec,
}
/// Name used for the built-in rule file in error messages.
pub const BUILTIN_NAME: &str = "patterns.toml (built-in)";

/// Window used on each side of a keyword hit when a rule's regex has no maximum match length.
pub const DEFAULT_WINDOW: usize = 512;

/// Errors loading or validating rule and config files. Every variant names the file; rule errors
/// name the rule id and the line and column of the rule.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}:{line}:{column}: rule '{rule}': {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        rule: String,
        message: String,
    },
}

/// Where a rule was defined, for error messages.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// A rule id: letters, digits, `-`, `_` and `.`. Errors name a rule by its id only when it is
/// one (anything else in that place could be a value pasted there, even a secret).
fn is_rule_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

impl Origin {
    fn invalid(&self, rule: &str, message: impl Into<String>) -> RuleError {
        RuleError::Invalid {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            rule: if is_rule_id(rule) {
                rule.to_string()
            } else {
                "(invalid id)".to_string()
            },
            message: message.into(),
        }
    }
}

/// Rotation guidance carried by every rule.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub steps: Vec<String>,
}

/// The compiled form of a rule's regex, built on first use.
#[derive(Debug)]
pub struct CompiledRegex {
    pub regex: meta::Regex,
    /// Indices of the `secret` capture group and of its alternatives (`secret_dq`, `secret_sq`…:
    /// every group whose name starts with `secret`), in order. A match's secret is the first
    /// of them that took part in the match, so one regex can offer differently delimited forms.
    pub secret_groups: Vec<usize>,
    /// Bytes to look at on each side of a keyword hit.
    pub window: usize,
}

impl CompiledRegex {
    /// The secret of a match: the first secret group that took part in it, if not empty.
    pub fn secret(
        &self,
        caps: &regex_automata::util::captures::Captures,
    ) -> Option<regex_automata::Span> {
        self.secret_groups
            .iter()
            .find_map(|&g| caps.get_group(g))
            .filter(|span| !span.is_empty())
    }
}

/// One validated rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub provider: String,
    pub description: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub keywords: Vec<String>,
    pub regex: String,
    /// The secret must contain an ASCII letter and a digit.
    pub mixed: bool,
    /// Keywords that are provider names (token rules): a hit counts only at the start of a word,
    /// i.e. not right after a letter or digit (`nimble` in `NIMBLE_KEY`, not in `unimbled`).
    pub names: Vec<String>,
    /// Every match starts at one of the rule's keywords (token rules whose keywords are their
    /// context words): the engine tries one anchored match at each keyword hit instead of
    /// searching a window around it.
    pub anchored: bool,
    /// Checksum the secret carries: valid makes a finding high confidence, invalid low.
    pub checksum: Option<Checksum>,
    /// Which of two rules of equal confidence and severity keeps an overlap (see
    /// [`Specificity`]).
    pub specificity: Specificity,
    pub min_entropy: Option<f64>,
    pub max_len: Option<usize>,
    pub examples: Vec<String>,
    pub negative_examples: Vec<String>,
    pub rotate: std::sync::Arc<Rotation>,
    /// Secret-level allowlist belonging to the rule (regexes and stopwords on the secret).
    pub allowlist: Option<Allowlist>,
    pub origin: Origin,
    /// A rule no longer in effect (disabled, or replaced under the same id by a later file) that
    /// still runs so the findings it would have reported can be counted as suppressed.
    pub shadow: Option<Shadow>,
    /// The config file that replaced a rule under this id, if this rule is the replacement: a
    /// finding it drops below the confidence floor is then counted as suppressed by that file (a
    /// repository that redefines a rule with a low confidence must not hide what it found).
    pub replaces_in: Option<String>,
    compiled: OnceLock<Result<CompiledRegex, String>>,
}

/// How much a rule knows about the secret it captures. Where two rules of equal confidence and
/// severity capture overlapping secrets, the more specific one is kept (then the longer secret,
/// then the smaller rule id): never the order in which the rules are written, so `patterns.toml`
/// can be arranged as a catalogue and a config file's rules take part on the same terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Specificity {
    /// A rule that says it is a fallback (`fallback = true`): a bare format, or a generic
    /// pattern that a rule with more context reports better.
    Fallback,
    /// A token rule of the generic provider (`provider = "Generic"`): a credential name and a
    /// value shape (`provider-named-credential`).
    GenericToken,
    /// A regex rule of the generic provider: assignments, headers, URLs and other places any
    /// credential can sit.
    GenericRegex,
    /// A provider's token rule: a context word and the shape of the provider's token.
    ProviderToken,
    /// A provider's rule with its own regex: the token's format, or a context it alone uses.
    ProviderRegex,
}

impl Specificity {
    /// The provider name of the rules that are not about one provider.
    pub const GENERIC_PROVIDER: &str = "Generic";

    fn of(provider: &str, token_rule: bool, fallback: bool) -> Self {
        match (provider == Self::GENERIC_PROVIDER, token_rule) {
            _ if fallback => Specificity::Fallback,
            (true, true) => Specificity::GenericToken,
            (true, false) => Specificity::GenericRegex,
            (false, true) => Specificity::ProviderToken,
            (false, false) => Specificity::ProviderRegex,
        }
    }
}

/// Why a rule is a shadow, and which config file made it one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shadow {
    pub file: String,
    pub replaced: bool,
}

impl Shadow {
    /// How the suppression is named in reports: `FILE: rule ID disabled` (or `replaced`).
    pub fn label(&self, id: &str) -> String {
        let how = if self.replaced {
            "replaced"
        } else {
            "disabled"
        };
        format!("{}: rule {id} {how}", self.file)
    }
}

impl Rule {
    /// The compiled regex, compiling it on first use. Rules are validated when loaded, so an
    /// error here only happens for a built-in rule that `rules check` would flag.
    pub fn compiled(&self) -> Result<&CompiledRegex, &str> {
        self.compiled
            .get_or_init(|| compile_regex(&self.regex, self.max_len))
            .as_ref()
            .map_err(String::as_str)
    }

    fn validate(&self) -> Result<(), RuleError> {
        let o = &self.origin;
        if !is_rule_id(&self.id) {
            return Err(o.invalid(
                &self.id,
                "id must be non-empty and use only letters, digits, '-', '_' and '.'",
            ));
        }
        if self.keywords.is_empty() || self.keywords.iter().any(|k| k.len() < 2) {
            return Err(o.invalid(
                &self.id,
                "keywords must list at least one literal of 2 or more bytes",
            ));
        }
        if let Some(e) = self.min_entropy
            && !(0.0..=8.0).contains(&e)
        {
            return Err(o.invalid(
                &self.id,
                "min_entropy must be between 0 and 8 bits per byte",
            ));
        }
        if let Some(0) = self.max_len {
            return Err(o.invalid(&self.id, "max_len must be positive"));
        }
        self.compiled()
            .map_err(|e| o.invalid(&self.id, format!("regex: {e}")))?;
        if o.file != BUILTIN_NAME
            && let Some((min, max)) = largest_counted_repetition(&self.regex)
            && max > MAX_USER_REPETITION
        {
            return Err(o.invalid(
                &self.id,
                format!(
                    "regex: counted repetition {{{min},{max}}} is above {MAX_USER_REPETITION}, \
                     which the regex engine cannot search in linear time; use `+` or `{{{min},}}` \
                     and set `max_len` to bound the match"
                ),
            ));
        }
        if let Some(a) = &self.allowlist {
            a.validate()
                .map_err(|e| o.invalid(&self.id, format!("allowlist: {e}")))?;
        }
        Ok(())
    }
}

/// Largest upper bound of a counted repetition a user rule may use. Larger bounds over a
/// character class (`\w{1,10000}`) make the lazy DFA give up and the search fall back to
/// time proportional to input length times the bound (minutes on a megabyte).
const MAX_USER_REPETITION: u32 = 1000;

/// The counted repetition with the largest upper bound in `regex`, as (min, max).
fn largest_counted_repetition(regex: &str) -> Option<(u32, u32)> {
    use regex_syntax::hir::{Hir, HirKind};
    fn walk(h: &Hir, best: &mut Option<(u32, u32)>) {
        match h.kind() {
            HirKind::Repetition(r) => {
                if let Some(max) = r.max
                    && best.is_none_or(|(_, m)| max > m)
                {
                    *best = Some((r.min, max));
                }
                walk(&r.sub, best);
            }
            HirKind::Capture(c) => walk(&c.sub, best),
            HirKind::Concat(hs) | HirKind::Alternation(hs) => {
                hs.iter().for_each(|h| walk(h, best));
            }
            _ => {}
        }
    }
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(regex)
        .ok()?;
    let mut best = None;
    walk(&hir, &mut best);
    best
}

/// Regex syntax used by every rule: bytes, ASCII classes, `.` matches any byte but `\n`.
fn syntax_config() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new()
        .unicode(false)
        .utf8(false)
}

/// Most bytes a rule's window may span on each side of a keyword hit.
pub const MAX_WINDOW: usize = 1 << 20;

/// Bytes to look at on each side of a keyword hit: `max_len`, else the regex's maximum match
/// length, else [`DEFAULT_WINDOW`].
fn window_of(hir: &regex_syntax::hir::Hir, max_len: Option<usize>) -> usize {
    max_len
        .or_else(|| hir.properties().maximum_len())
        .unwrap_or(DEFAULT_WINDOW)
        .clamp(1, MAX_WINDOW)
}

/// A rule's window without compiling its regex (parsing is enough).
fn parse_window(src: &str, max_len: Option<usize>) -> usize {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .nest_limit(100)
        .build()
        .parse(src)
        .map_or(MAX_WINDOW, |hir| window_of(&hir, max_len))
}

fn compile_regex(src: &str, max_len: Option<usize>) -> Result<CompiledRegex, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .nest_limit(100)
        .build()
        .parse(src)
        .map_err(|e| redact::regex_syntax_error(&e))?;
    let window = window_of(&hir, max_len);
    let regex = meta::Builder::new()
        .syntax(syntax_config())
        .configure(
            meta::Config::new()
                .utf8_empty(false)
                .nfa_size_limit(Some(8 << 20))
                .onepass_size_limit(Some(1 << 20))
                .hybrid_cache_capacity(4 << 20)
                .dfa_size_limit(Some(2 << 20)),
        )
        .build(src)
        .map_err(|e| redact::regex_build_error(&e))?;
    let info = regex.group_info();
    if info
        .to_index(regex_automata::PatternID::ZERO, "secret")
        .is_none()
    {
        return Err("the regex has no capture group named 'secret'".to_string());
    }
    let secret_groups = info
        .pattern_names(regex_automata::PatternID::ZERO)
        .enumerate()
        .filter(|(_, name)| name.is_some_and(|n| n.starts_with("secret")))
        .map(|(index, _)| index)
        .collect();
    Ok(CompiledRegex {
        regex,
        secret_groups,
        window,
    })
}

/// Most bytes allowed between a token rule's context word and its secret (same line).
const CONTEXT_GAP: usize = 40;

/// Words that may stand between a provider name and its credential noun (`acme_api_key`).
const NAME_QUALIFIER: &str = "(?:api|app|client|access|auth|account|acct|service|secret|private|personal|bot|user|admin|server|master|dev|prod|live|test)";

/// The credential nouns that make a provider name context (`acme_key`, `acmeToken`).
const CREDENTIAL_NOUN: &str =
    "(?:key|secret|token|access|private|pat|password|passwd|pass|pwd|auth|credentials?|creds?)";

/// What joins an `assignment` token rule's context to its value: closing quotes or bracket, then
/// an operator (`=`, `:`, `:=`, `=>`) or blanks, then an opening quote (`acme_key = "…"`,
/// `"acme_token": "…"`, `ACME_SECRET=…`, `acme key …`).
const ASSIGNMENT: &str = r#"[\]"'`]{0,2}(?:[ \t]*(?:=>|:=|[=:])[ \t]*|[ \t]+)["'`]?"#;

/// The regex of a token rule: a context word, at most [`CONTEXT_GAP`] bytes of the same line
/// (the rest of a variable name, `=`, `:`, quotes, a header name...), a separator (space, quote,
/// `=`, `:`, `,`, `(`, `>`, `[`, `{`, `|`, `/` or `-`), the token, and
/// a byte that cannot continue a token. With `assignment` the token must instead be the value
/// assigned to the context ([`ASSIGNMENT`]). The context words are case-insensitive; the token
/// keeps the case rules of its own shape.
fn token_rule_regex(context: &[String], names: &[String], token: &str, assignment: bool) -> String {
    let mut words: Vec<String> = context.iter().map(|w| regex_syntax::escape(w)).collect();
    if !names.is_empty() {
        let names: Vec<String> = names.iter().map(|n| regex_syntax::escape(n)).collect();
        words.push(format!(
            "(?:{})[\\s_.-]{{0,2}}(?:{NAME_QUALIFIER}[\\s_.-]{{0,2}}){{0,2}}{CREDENTIAL_NOUN}",
            names.join("|")
        ));
    }
    let join = if assignment {
        ASSIGNMENT.to_string()
    } else {
        format!(r#"[^\n]{{0,{CONTEXT_GAP}}}?[\s"'`:=,(>\[{{|/-]"#)
    };
    format!(
        r#"(?i:{}){join}(?P<secret>{token})(?:[^A-Za-z0-9_\-]|$)"#,
        words.join("|")
    )
}

/// Rotation steps for a rule that gives only the provider's URL.
fn default_rotation_steps(provider: &str, url: &str) -> Vec<String> {
    vec![
        format!("Sign in to {provider} and open {url}."),
        format!(
            "Create a replacement credential and deploy it everywhere the exposed one is used."
        ),
        format!("Revoke or delete the exposed credential in {provider}."),
        format!(
            "Review {provider}'s account activity or audit log for use of the exposed credential since it was first exposed."
        ),
    ]
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A parsed config file (built-in patterns, a repository's `.leakgate.toml`, or `--config`).
#[derive(Debug)]
pub struct LoadedFile {
    pub name: String,
    pub rules: Vec<Rule>,
    /// Rule ids to switch off, with where each is written (line, column).
    pub disabled: Vec<(String, usize, usize)>,
    pub allowlists: Vec<Allowlist>,
}

impl LoadedFile {
    /// Parse and validate a rule/config file's text. `eager` compiles every regex now (user files);
    /// the built-in file is checked by `rules check` and compiles lazily.
    pub fn parse(name: &str, text: &str, eager: bool) -> Result<Self, RuleError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            let start = e.span().map_or(0, |s| s.start);
            let (line, column) = crate::lines::line_col(text, start);
            // Never the value: it may be a secret on the wrong line (`redact`).
            let message = one_line(&redact::values(e.message()));
            RuleError::Parse {
                file: name.to_string(),
                line,
                column,
                message: match redact::toml_key(text, start) {
                    Some(key) => format!("`{key}`: {message}"),
                    None => message,
                },
            }
        })?;
        // Rules come in file order: locate them with one forward pass over the text.
        let mut lines = crate::lines::LineIndex::new(text.as_bytes());
        let specs: Vec<(RuleSpec, usize, usize)> = file
            .rule
            .into_iter()
            .map(|spanned| {
                let (line, column) = lines.locate(spanned.span().start);
                (spanned.into_inner(), line, column)
            })
            .collect();
        let rules = Self::rules_from_specs(name, specs, eager)?;
        let mut allowlists = Vec::new();
        for (i, a) in file.allowlist.into_iter().enumerate() {
            let label = a
                .description
                .clone()
                .unwrap_or_else(|| format!("{name} allowlist #{}", i + 1));
            let mut allowlist =
                Allowlist::compile(a, &label, true).map_err(|m| RuleError::Parse {
                    file: name.to_string(),
                    line: 1,
                    column: 1,
                    message: format!("allowlist '{label}': {m}"),
                })?;
            allowlist.source = name.to_string();
            allowlists.push(allowlist);
        }
        Ok(LoadedFile {
            name: name.to_string(),
            rules,
            disabled: file
                .disabled_rules
                .into_iter()
                .map(|d| {
                    let (line, column) = crate::lines::line_col(text, d.span().start);
                    (d.into_inner(), line, column)
                })
                .collect(),
            allowlists,
        })
    }

    fn rules_from_specs(
        name: &str,
        specs: Vec<(RuleSpec, usize, usize)>,
        eager: bool,
    ) -> Result<Vec<Rule>, RuleError> {
        let mut rules = Vec::with_capacity(specs.len());
        for (spec, line, column) in specs {
            let origin = Origin {
                file: name.to_string(),
                line,
                column,
            };
            let allowlist = match spec.allowlist {
                Some(a) => Some(
                    Allowlist::compile(a, &spec.id, eager)
                        .map_err(|m| origin.invalid(&spec.id, format!("allowlist: {m}")))?,
                ),
                None => None,
            };
            // A name that is also a context word counts anywhere, as context words do.
            let names: Vec<String> = spec
                .names
                .iter()
                .filter(|n| !spec.context.iter().any(|c| c.eq_ignore_ascii_case(n)))
                .cloned()
                .collect();
            let specificity = Specificity::of(&spec.provider, spec.token.is_some(), spec.fallback);
            let (regex, keywords, mixed, anchored) = match (spec.regex, spec.token) {
                (Some(regex), None)
                    if spec.context.is_empty() && spec.names.is_empty() && !spec.assignment =>
                {
                    (regex, spec.keywords, spec.mixed.unwrap_or(false), false)
                }
                (None, Some(token)) if !spec.context.is_empty() || !spec.names.is_empty() => {
                    let anchored = spec.keywords.is_empty();
                    let keywords = if anchored {
                        spec.context.iter().chain(&spec.names).cloned().collect()
                    } else {
                        spec.keywords
                    };
                    (
                        token_rule_regex(&spec.context, &spec.names, &token, spec.assignment),
                        keywords,
                        spec.mixed.unwrap_or(true),
                        anchored,
                    )
                }
                _ => {
                    return Err(origin.invalid(
                        &spec.id,
                        "give either `regex`, or `token` with `context` or `names` (`assignment` applies to `token` rules only)",
                    ));
                }
            };
            let mut rotate = spec.rotate;
            if rotate.steps.is_empty() && !rotate.url.is_empty() {
                rotate.steps = default_rotation_steps(&spec.provider, &rotate.url);
            }
            let rule = Rule {
                id: spec.id,
                provider: spec.provider,
                description: spec.description,
                severity: spec.severity,
                confidence: spec.confidence,
                keywords,
                names,
                regex,
                mixed,
                anchored,
                checksum: spec.checksum,
                specificity,
                min_entropy: spec.min_entropy,
                max_len: spec.max_len,
                examples: spec.examples,
                negative_examples: spec.negative_examples,
                rotate: std::sync::Arc::new(rotate),
                allowlist,
                origin,
                shadow: None,
                replaces_in: None,
                compiled: OnceLock::new(),
            };
            if eager {
                rule.validate()?;
            }
            rules.push(rule);
        }
        Ok(rules)
    }

    /// Read and parse a file from disk.
    pub fn load(path: &Path) -> Result<Self, RuleError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read {
            file: name.clone(),
            source,
        })?;
        Self::parse(&name, &text, true)
    }

    /// Read and parse a file the scanned repository controls (its `.leakgate.toml`): never
    /// through a symlink (it could point at any file of the person running leakgate), never a
    /// FIFO or device, and at most 16 MiB.
    pub fn load_untrusted(path: &Path) -> Result<Self, RuleError> {
        const MAX: u64 = 16 << 20;
        let name = path.display().to_string();
        let read_err = |e: std::io::Error| RuleError::Read {
            file: name.clone(),
            source: e,
        };
        let bytes = crate::safe_fs::read_small(path, MAX + 1)
            .map_err(|e| read_err(std::io::Error::other(e)))?;
        if bytes.len() as u64 > MAX {
            return Err(read_err(std::io::Error::other("larger than 16 MiB")));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| read_err(std::io::Error::other("not UTF-8 text")))?;
        Self::parse(&name, &text, true)
    }

    /// The built-in rules (regexes compile lazily; `rules check` validates them all).
    pub fn builtin() -> Result<Self, RuleError> {
        let entries: Vec<BuiltinEntry> =
            serde_json::from_str(BUILTIN_JSON).map_err(|e| RuleError::Parse {
                file: BUILTIN_NAME.to_string(),
                line: 1,
                column: 1,
                message: format!("built-in rules: {e}"),
            })?;
        let specs = entries
            .into_iter()
            .map(|e| (e.spec, e.line, e.column))
            .collect();
        Ok(LoadedFile {
            name: BUILTIN_NAME.to_string(),
            rules: Self::rules_from_specs(BUILTIN_NAME, specs, false)?,
            disabled: Vec::new(),
            allowlists: Vec::new(),
        })
    }
}

/// The rules of a run (built-in, then config files), their allowlists, and where they came
/// from. Data only: the engine compiles it for matching.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Config-level allowlists, in load order.
    pub allowlists: Vec<Allowlist>,
    /// Files the rule set was built from.
    pub sources: Vec<String>,
    /// Which of them is the scanned repository's own config (`.leakgate.toml`), if loaded: what
    /// it suppresses is reported with a warning.
    pub repo_config: Option<String>,
    /// The widest window of any rule, computed on first use.
    widest_window: OnceLock<usize>,
    /// Rules in effect: `rules[..active]`; the rest are shadows.
    active: usize,
}

impl RuleSet {
    /// Merge loaded files in order: later files add rules (a rule with an existing id replaces it),
    /// disable ids, and add allowlists. Disabling an unknown id is an error, to catch typos.
    pub fn build(files: Vec<LoadedFile>) -> Result<Self, RuleError> {
        let mut rules: Vec<Rule> = Vec::new();
        let mut shadows: Vec<Rule> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut allowlists = Vec::new();
        let mut sources = Vec::new();
        let mut disabled: Vec<(String, Origin)> = Vec::new();
        for file in files {
            sources.push(file.name.clone());
            for rule in file.rules {
                match index.get(&rule.id) {
                    Some(&i) if rules[i].origin.file == rule.origin.file => {
                        return Err(rule
                            .origin
                            .invalid(&rule.id, "duplicate rule id in the same file"));
                    }
                    Some(&i) => {
                        let mut rule = rule;
                        rule.replaces_in = Some(file.name.clone());
                        let mut old = std::mem::replace(&mut rules[i], rule);
                        old.shadow = Some(Shadow {
                            file: file.name.clone(),
                            replaced: true,
                        });
                        shadows.push(old);
                    }
                    None => {
                        index.insert(rule.id.clone(), rules.len());
                        rules.push(rule);
                    }
                }
            }
            disabled.extend(file.disabled.into_iter().map(|(id, line, column)| {
                let file = file.name.clone();
                (id, Origin { file, line, column })
            }));
            allowlists.extend(file.allowlists);
        }
        for (id, o) in &disabled {
            // Not named: an unknown id may be anything pasted there, even a secret.
            if !index.contains_key(id) {
                return Err(RuleError::Parse {
                    file: o.file.clone(),
                    line: o.line,
                    column: o.column,
                    message: "`disabled_rules`: not the id of a rule (see `leakgate rules list`)"
                        .to_string(),
                });
            }
        }
        let (active, off): (Vec<Rule>, Vec<Rule>) = rules
            .into_iter()
            .partition(|r| !disabled.iter().any(|(d, _)| *d == r.id));
        for mut rule in off {
            let file = disabled
                .iter()
                .rev()
                .find(|(d, _)| *d == rule.id)
                .map(|(_, o)| o.file.clone())
                .unwrap_or_default();
            rule.shadow = Some(Shadow {
                file,
                replaced: false,
            });
            shadows.push(rule);
        }
        let mut rules = active;
        rules.extend(shadows);
        Ok(Self::from_rules(rules, allowlists, sources))
    }

    /// The built-in rules plus the given config files.
    pub fn load(configs: &[PathBuf]) -> Result<Self, RuleError> {
        let mut files = vec![LoadedFile::builtin()?];
        for c in configs {
            files.push(LoadedFile::load(c)?);
        }
        Self::build(files)
    }

    fn from_rules(rules: Vec<Rule>, allowlists: Vec<Allowlist>, sources: Vec<String>) -> Self {
        RuleSet {
            active: rules.iter().take_while(|r| r.shadow.is_none()).count(),
            rules,
            allowlists,
            sources,
            repo_config: None,
            widest_window: OnceLock::new(),
        }
    }

    /// The widest window (bytes on each side of a keyword hit) of any rule: what a scan in
    /// pieces must overlap by. Parses every rule's regex the first time (no compilation).
    pub fn widest_window(&self) -> usize {
        *self.widest_window.get_or_init(|| {
            self.rules
                .iter()
                .map(|r| match r.compiled.get() {
                    Some(Ok(c)) => c.window,
                    _ => parse_window(&r.regex, r.max_len),
                })
                .max()
                .unwrap_or(DEFAULT_WINDOW)
        })
    }

    /// The rules in effect (shadow rules, which only count what they would have found, are not
    /// among them; see [`Rule::shadow`]).
    pub fn rules(&self) -> &[Rule] {
        &self.rules[..self.active]
    }

    /// Every rule the engine runs: the rules in effect, then the shadow rules.
    pub fn all_rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, index: u32) -> &Rule {
        &self.rules[index as usize]
    }

    /// Keep only the rules whose id is in `ids` (used by `rules check --rule`).
    pub fn restrict(self, ids: &[String]) -> Self {
        let RuleSet {
            rules,
            allowlists,
            sources,
            ..
        } = self;
        let rules: Vec<Rule> = rules.into_iter().filter(|r| ids.contains(&r.id)).collect();
        Self::from_rules(rules, allowlists, sources)
    }

    /// Validate every rule (compile every regex). Used by `rules check`.
    pub fn validate_all(&self) -> Vec<RuleError> {
        self.rules
            .iter()
            .filter_map(|r| r.validate().err())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_names_file_line_and_column() {
        let err = LoadedFile::parse("x.toml", "[[rule]]\nid = \"a\"\nkeywords = [1\n", true)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.toml:3:"), "{err}");
    }

    #[test]
    fn invalid_regex_names_rule_and_line() {
        let text = "\n[[rule]]\nid = \"bad\"\nprovider = \"P\"\ndescription = \"d\"\nseverity = \"low\"\nkeywords = [\"ab\"]\nregex = '(?P<secret>ab('\n";
        let err = LoadedFile::parse("c.toml", text, true)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:2:1: rule 'bad': regex:"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn a_rule_gives_either_a_regex_or_context_and_token() {
        let head =
            "[[rule]]\nid = \"t\"\nprovider = \"P\"\ndescription = \"d\"\nseverity = \"low\"\n";
        for body in [
            "keywords = [\"ab\"]\nregex = '(?P<secret>ab)'\ncontext = [\"ab\"]\ntoken = 'x'\n",
            "context = [\"ab\"]\n",
            "token = '[a-z]{8}'\n",
            "",
        ] {
            let err = LoadedFile::parse("c.toml", &format!("{head}{body}"), true)
                .unwrap_err()
                .to_string();
            assert!(err.contains("give either `regex`"), "{body}: {err}");
        }
        let ok = LoadedFile::parse(
            "c.toml",
            &format!("{head}context = [\"acme\"]\ntoken = '[a-f0-9]{{32}}'\n"),
            true,
        )
        .unwrap();
        let rule = &ok.rules[0];
        assert!(rule.anchored && rule.mixed);
        assert_eq!(rule.keywords, ["acme"]);
    }

    /// `re` matches every text of `hits` and none of `misses`.
    fn assert_matches(re: &meta::Regex, hits: &[&str], misses: &[&str]) {
        for hit in hits {
            assert!(re.is_match(hit.as_bytes()), "{hit}");
        }
        for miss in misses {
            assert!(!re.is_match(miss.as_bytes()), "{miss}");
        }
    }

    #[test]
    fn a_name_is_context_only_before_a_credential_noun() {
        let text = "[[rule]]\nid = \"t\"\nprovider = \"P\"\ndescription = \"d\"\nseverity = \"low\"\nnames = [\"box\"]\ntoken = '[a-f0-9]{8}'\n";
        let file = LoadedFile::parse("c.toml", text, true).unwrap();
        let rule = &file.rules[0];
        assert_eq!(rule.keywords, ["box"]);
        let re = &rule.compiled().unwrap().regex;
        assert_matches(
            re,
            &[
                "BOX_API_KEY=1a2b3c4d",
                "box SECRET 1a2b3c4d",
                "boxToken: '1a2b3c4d'",
                "box.client.secret = 1a2b3c4d",
                "box access key: 1a2b3c4d",
            ],
            &[
                "box = 1a2b3c4d",
                "Box::new(1a2b3c4d)",
                "box_size 1a2b3c4d",
                "boxes: 1a2b3c4d",
            ],
        );
    }

    #[test]
    fn an_assignment_rule_takes_only_the_value_assigned_to_its_context() {
        let text = "[[rule]]\nid = \"t\"\nprovider = \"P\"\ndescription = \"d\"\nseverity = \"low\"\nnames = [\"acme\"]\nassignment = true\ntoken = '[a-z0-9]{8}'\n";
        let file = LoadedFile::parse("c.toml", text, true).unwrap();
        let re = &file.rules[0].compiled().unwrap().regex;
        assert_matches(
            re,
            &[
                "ACME_API_KEY=1a2b3c4d",
                "acme SECRET 1a2b3c4d",
                "\"acmeToken\": \"1a2b3c4d\"",
                "config['acme_key'] = '1a2b3c4d'",
                "acme_secret => '1a2b3c4d'",
                "acme_token := \"1a2b3c4d\"",
            ],
            &[
                "acme-auth-library-1a2b3c4d",
                "acme_token_path = 1a2b3c4d",
                "verify_acme_token(id_token, request, 1a2b3c4d)",
                "acme_key/1a2b3c4d",
                "acme_key1a2b3c4d",
            ],
        );
        let regex_rule = text
            .replace("names = [\"acme\"]\n", "keywords = [\"acme\"]\n")
            .replace("token = '[a-z0-9]{8}'", "regex = '(?P<secret>acme)'");
        let err = LoadedFile::parse("c.toml", &regex_rule, true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("give either `regex`"), "{err}");
    }

    /// The fallback rule for unrecognised formats knows every provider name a token rule knows.
    #[test]
    fn provider_named_credential_knows_every_provider_name() {
        let set = RuleSet::load(&[]).unwrap();
        let fallback = set
            .rules()
            .iter()
            .find(|r| r.id == "provider-named-credential")
            .expect("built-in fallback rule");
        let missing: Vec<&str> = set
            .rules()
            .iter()
            .flat_map(|r| &r.names)
            .filter(|n| !fallback.names.iter().any(|f| f.eq_ignore_ascii_case(n)))
            .map(String::as_str)
            .collect();
        assert!(
            missing.is_empty(),
            "add to provider-named-credential: {missing:?}"
        );
    }

    #[test]
    fn missing_secret_group_is_rejected() {
        let text = "[[rule]]\nid = \"nogroup\"\nprovider = \"P\"\ndescription = \"d\"\nseverity = \"low\"\nkeywords = [\"ab\"]\nregex = 'ab[0-9]+'\n";
        let err = LoadedFile::parse("c.toml", text, true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no capture group named 'secret'"), "{err}");
    }

    #[test]
    fn builtin_rules_load_and_validate() {
        let set = RuleSet::load(&[]).unwrap();
        assert!(set.rules().len() >= 40, "{}", set.rules().len());
        let errors = set.validate_all();
        assert!(errors.is_empty(), "{errors:?}");
    }
}
