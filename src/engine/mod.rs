//! The matching engine: keyword prefilter -> windowed regex -> entropy, placeholder, allow-marker
//! and rule-allowlist filters. Works on bytes; knows nothing about files or git.
//!
//! One Aho-Corasick automaton over every rule's keywords finds candidate positions. Only rules
//! whose keywords hit run their regex, and only inside a window around each hit sized by the
//! rule's maximum match length. Windows of one rule that overlap are merged so every byte is
//! searched at most once per rule, which keeps the work linear in the input even with a million
//! keyword hits.

mod chunked;
mod decode;
mod filters;
mod index;
mod keywords;

pub use chunked::CHUNK;
pub use decode::Encoding;
pub use filters::{has_allow_marker, is_mixed, is_placeholder, shannon_entropy};
pub use index::IndexError;
pub use keywords::Keywords;

use crate::rules::RuleSet;
use decode::Trigger;
use index::Index;
use regex_automata::Input;
use regex_automata::util::captures::Captures;

/// A raw match of one rule in a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in the [`RuleSet`].
    pub rule: u32,
    /// Byte range of the secret (for an encoded secret: of its encoded form).
    pub start: usize,
    pub end: usize,
    /// For a secret found inside an encoded value: the decoded secret and the encoding.
    pub decoded: Option<(Vec<u8>, Encoding)>,
    /// An inline allow marker (`leakgate:allow`, `gitleaks:allow`, `pragma: allowlist secret`)
    /// is on the secret's line: suppressed unless markers are ignored, and always counted.
    pub allowed: bool,
}

impl Match {
    /// The secret's bytes: the decoded secret for an encoded match, else its span in `buf`.
    pub fn secret<'a>(&'a self, buf: &'a [u8]) -> &'a [u8] {
        match &self.decoded {
            Some((secret, _)) => secret,
            None => &buf[self.start..self.end],
        }
    }
}

/// The rules of a run compiled for matching: the rule data and its keyword index. Built once,
/// shared by every [`Scanner`].
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    index: Index,
}

impl Engine {
    pub fn new(rules: RuleSet) -> Result<Self, IndexError> {
        let index = Index::build(&rules)?;
        Ok(Engine { rules, index })
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The rule data back, to change and compile again (`rules check --rule`).
    pub fn into_rules(self) -> RuleSet {
        self.rules
    }
}

/// Per-thread scanner: holds reusable buffers and capture slots, borrows the shared [`Engine`].
pub struct Scanner<'r> {
    rules: &'r RuleSet,
    index: &'r Index,
    windows: Vec<(u32, usize, usize)>,
    /// Keyword hits of anchored rules: (rule, position).
    starts: Vec<(u32, usize)>,
    /// Per rule: capture slots and the regex's search cache, created on the rule's first use.
    /// The caches are this scanner's own (not the regex's shared pool), so their memory is
    /// bounded: see [`CACHE_BUDGET`].
    captures: Vec<Option<(Captures, regex_automata::meta::Cache)>>,
    /// Rules whose capture slots and cache exist, and the memory their caches held when last
    /// used (summed in `cache_bytes`).
    cached: Vec<u32>,
    cache_usage: Vec<usize>,
    cache_bytes: usize,
    only: Option<u32>,
    /// Decode-trigger hits of the last plain scan: (trigger, start, end).
    triggers: Vec<(Trigger, usize, usize)>,
}

impl<'r> Scanner<'r> {
    pub fn new(engine: &'r Engine) -> Self {
        let rules = &engine.rules;
        Scanner {
            rules,
            index: &engine.index,
            windows: Vec::new(),
            starts: Vec::new(),
            captures: (0..rules.all_rules().len()).map(|_| None).collect(),
            cached: Vec::new(),
            cache_usage: vec![0; rules.all_rules().len()],
            cache_bytes: 0,
            only: None,
            triggers: Vec::new(),
        }
    }

    /// A scanner that runs a single rule (for checking a rule's examples in isolation).
    pub fn for_rule(engine: &'r Engine, rule: u32) -> Self {
        Scanner {
            only: Some(rule),
            ..Scanner::new(engine)
        }
    }

    pub fn rules(&self) -> &'r RuleSet {
        self.rules
    }

    /// Find every secret in `buf`, including secrets inside base64 values near the labels that
    /// announce them. Matches are sorted by position; where two rules capture overlapping
    /// secrets, only the more confident (then more severe, more specific, longer) one is kept.
    pub fn scan(&mut self, buf: &[u8]) -> Vec<Match> {
        let mut matches = self.scan_plain(buf);
        if self.triggers.is_empty() {
            return matches;
        }
        let hits = std::mem::take(&mut self.triggers);
        let encoded = decode::candidates(buf, &hits);
        if encoded.is_empty() {
            return matches;
        }
        for d in encoded {
            let allowed = has_allow_marker(buf, d.start, d.end);
            for m in self.scan_plain(&d.bytes) {
                let (start, end) = d.span(m.start, m.end);
                let secret = &d.bytes[m.start..m.end];
                // Decoding only the text around it (an escaped quote before a plain key): the
                // secret is stored as it is.
                let decoded =
                    (buf.get(start..end) != Some(secret)).then(|| (secret.to_vec(), d.encoding));
                matches.push(Match {
                    rule: m.rule,
                    start,
                    end,
                    decoded,
                    allowed: allowed || m.allowed,
                });
            }
        }
        resolve_overlaps(self.rules, matches)
    }

    /// Find secrets in `buf` as it is (no decoding).
    ///
    /// Memory stays proportional to the buffer, not to the number of rules that match in it:
    /// rules run one at a time, and once the matches collected so far pass [`COMPACT_AT`], each
    /// rule's matches are merged into the resolved set as soon as that rule is done.
    fn scan_plain(&mut self, buf: &[u8]) -> Vec<Match> {
        self.collect_windows(buf);
        let mut kept: Vec<Match> = Vec::new();
        let mut run: Vec<Match> = Vec::new();
        let windows = std::mem::take(&mut self.windows);
        let mut i = 0;
        while i < windows.len() {
            let (rule, mut ws, mut we) = windows[i];
            i += 1;
            // Merge overlapping windows of the same rule.
            while i < windows.len() && windows[i].0 == rule && windows[i].1 <= we {
                we = we.max(windows[i].2);
                i += 1;
            }
            ws = ws.min(buf.len());
            we = we.min(buf.len());
            self.run_rule(rule, buf, ws, we, &mut run);
            if windows.get(i).is_none_or(|w| w.0 != rule) {
                absorb(self.rules, &mut kept, &mut run);
            }
        }
        self.windows = windows;
        let mut starts = std::mem::take(&mut self.starts);
        starts.dedup();
        for (k, &(rule, at)) in starts.iter().enumerate() {
            self.run_anchored(rule, buf, at, &mut run);
            if starts.get(k + 1).is_none_or(|s| s.0 != rule) {
                self.account_cache(rule);
                absorb(self.rules, &mut kept, &mut run);
            }
        }
        self.starts = starts;
        kept.append(&mut run);
        resolve_overlaps(self.rules, kept)
    }

    fn collect_windows(&mut self, buf: &[u8]) {
        self.windows.clear();
        self.starts.clear();
        self.triggers.clear();
        let (rules, index) = (self.rules, self.index);
        let (only, windows, starts, triggers) = (
            self.only,
            &mut self.windows,
            &mut self.starts,
            &mut self.triggers,
        );
        // Every keyword occurrence, overlapping ones included, in one pass. A buffer full of
        // keywords makes millions of windows: they are merged as they pile up, each time the
        // list has doubled since the last merge (so merging costs amortised linear time).
        let (mut merge_windows_at, mut dedup_starts_at) = (COMPACT_AT, COMPACT_AT);
        index.keywords().for_each(buf, |pi, start, end| {
            if windows.len() >= merge_windows_at {
                merge_windows(windows);
                merge_windows_at = COMPACT_AT.max(2 * windows.len());
            }
            if starts.len() >= dedup_starts_at {
                starts.sort_unstable();
                starts.dedup();
                dedup_starts_at = COMPACT_AT.max(2 * starts.len());
            }
            if let Some(t) = index.trigger_for_pattern(pi)
                && only.is_none()
            {
                triggers.push((t, start, end));
            }
            let after_alnum = start > 0 && buf[start - 1].is_ascii_alphanumeric();
            for kr in index.rules_for_pattern(pi) {
                let ri = kr.rule;
                if only.is_some_and(|o| o != ri) || (kr.word_start && after_alnum) {
                    continue;
                }
                let rule = rules.rule(ri);
                if rule.anchored {
                    starts.push((ri, start));
                    continue;
                }
                let window = match rule.compiled() {
                    Ok(c) => c.window,
                    Err(_) => continue,
                };
                let ws = start.saturating_sub(window);
                let we = end.saturating_add(window).min(buf.len());
                windows.push((ri, ws, we));
            }
        });
        triggers.sort_unstable_by_key(|&(_, s, e)| (s, e));
        self.windows.sort_unstable();
        self.starts.sort_unstable();
    }

    fn run_rule(&mut self, ri: u32, buf: &[u8], ws: usize, we: usize, out: &mut Vec<Match>) {
        let rule = self.rules.rule(ri);
        let Ok(compiled) = rule.compiled() else {
            return;
        };
        let (caps, cache) = slots(&mut self.captures, &mut self.cached, ri, compiled);
        let mut at = ws;
        while at <= we {
            let input = Input::new(buf).range(at..we);
            compiled.regex.search_captures_with(cache, &input, caps);
            let Some(whole) = caps.get_match() else {
                break;
            };
            at = if whole.end() > whole.start() {
                whole.end()
            } else {
                whole.end() + 1
            };
            let Some(span) = compiled.secret(caps) else {
                continue;
            };
            accept(self.rules, ri, buf, span.start, span.end, out);
        }
        self.account_cache(ri);
    }

    /// One anchored match attempt of rule `ri` at keyword hit `at`.
    fn run_anchored(&mut self, ri: u32, buf: &[u8], at: usize, out: &mut Vec<Match>) {
        let rule = self.rules.rule(ri);
        let Ok(compiled) = rule.compiled() else {
            return;
        };
        let (caps, cache) = slots(&mut self.captures, &mut self.cached, ri, compiled);
        let end = at.saturating_add(compiled.window).min(buf.len());
        let input = Input::new(buf)
            .range(at..end)
            .anchored(regex_automata::Anchored::Yes);
        compiled.regex.search_captures_with(cache, &input, caps);
        if let Some(span) = compiled.secret(caps) {
            accept(self.rules, ri, buf, span.start, span.end, out);
        }
    }
}

/// Most memory the regex search caches of all scanners together may hold: each scanner's caches
/// are dropped (and rebuilt on use) past its share, [`set_scanner_count`] scanners sharing it.
const CACHE_BUDGET: usize = 128 << 20;

/// Each scanner's share of [`CACHE_BUDGET`].
static CACHE_SHARE: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(CACHE_BUDGET / 2);

/// Tell the engine how many scanners run at once (one per worker thread), so their regex
/// caches together stay within [`CACHE_BUDGET`] (each keeps at least 8 MiB).
pub fn set_scanner_count(n: usize) {
    let share = (CACHE_BUDGET / n.max(1)).max(8 << 20);
    CACHE_SHARE.store(share, std::sync::atomic::Ordering::Relaxed);
}

impl Scanner<'_> {
    /// Account for rule `ri`'s cache after a search, and drop every cache once they hold more
    /// than this scanner's share of [`CACHE_BUDGET`] together: content that makes every rule run grows one lazy DFA per
    /// rule, hundreds of megabytes per thread otherwise. Dropped caches are rebuilt on use.
    fn account_cache(&mut self, ri: u32) {
        let Some((_, cache)) = &self.captures[ri as usize] else {
            return;
        };
        let now = cache.memory_usage();
        let before = std::mem::replace(&mut self.cache_usage[ri as usize], now);
        self.cache_bytes = self.cache_bytes.saturating_sub(before) + now;
        if self.cache_bytes > CACHE_SHARE.load(std::sync::atomic::Ordering::Relaxed) {
            for r in self.cached.drain(..) {
                self.captures[r as usize] = None;
                self.cache_usage[r as usize] = 0;
            }
            self.cache_bytes = 0;
        }
    }
}

/// Rule `ri`'s capture slots and search cache, created on first use.
fn slots<'a>(
    captures: &'a mut [Option<(Captures, regex_automata::meta::Cache)>],
    cached: &mut Vec<u32>,
    ri: u32,
    compiled: &crate::rules::CompiledRegex,
) -> (&'a mut Captures, &'a mut regex_automata::meta::Cache) {
    let slot = &mut captures[ri as usize];
    if slot.is_none() {
        cached.push(ri);
    }
    let (caps, cache) = slot.get_or_insert_with(|| {
        (
            compiled.regex.create_captures(),
            compiled.regex.create_cache(),
        )
    });
    (caps, cache)
}

/// The entropy a secret of `len` bytes must reach for a rule asking `min` bits per byte. A
/// string of n bytes has at most log2(n) bits per byte (all bytes distinct), so a fixed
/// threshold would demand that short secrets never repeat a character: 3.0 bits rules out
/// every 8-character value with one repeat. A secret of 8 bytes or more needs only 80% of its
/// maximum when that is below the rule's threshold (for thresholds up to 4 bits: secrets under
/// 32 bytes); shorter secrets keep the rule's threshold.
fn entropy_needed(min: f64, len: usize) -> f64 {
    if len < 8 {
        return min;
    }
    min.min(0.8 * (len as f64).log2())
}

/// Is `buf[start..end]` a quoted string literal: the same quote character right before and after?
fn is_quoted(buf: &[u8], start: usize, end: usize) -> bool {
    start > 0
        && matches!(buf.get(end), Some(&q) if q == buf[start - 1] && matches!(q, b'"' | b'\'' | b'`'))
}

/// Apply the filters every rule shares to a captured secret and keep it if it passes.
fn accept(rules: &RuleSet, ri: u32, buf: &[u8], start: usize, end: usize, out: &mut Vec<Match>) {
    let rule = rules.rule(ri);
    let secret = &buf[start..end];
    if rule
        .min_entropy
        .is_some_and(|min| shannon_entropy(secret) < entropy_needed(min, secret.len()))
        || (rule.mixed && !is_mixed(secret))
        || is_placeholder(secret)
        || rule
            .allowlist
            .as_ref()
            .is_some_and(|a| a.allows_secret(secret, is_quoted(buf, start, end)))
    {
        return;
    }
    out.push(Match {
        rule: ri,
        start,
        end,
        decoded: None,
        allowed: has_allow_marker(buf, start, end),
    });
}

/// Collected matches past which each finished rule's matches are merged into the resolved set
/// at once (and keyword windows and anchored starts are merged as they pile up), so that no
/// intermediate list grows with the number of rules matching a buffer.
const COMPACT_AT: usize = 1 << 16;

/// Sort windows by (rule, start) and merge the overlapping windows of each rule.
fn merge_windows(windows: &mut Vec<(u32, usize, usize)>) {
    windows.sort_unstable();
    let mut merged: Vec<(u32, usize, usize)> = Vec::with_capacity(windows.len() / 2);
    for &(rule, ws, we) in windows.iter() {
        match merged.last_mut() {
            Some(last) if last.0 == rule && ws <= last.2 => last.2 = last.2.max(we),
            _ => merged.push((rule, ws, we)),
        }
    }
    *windows = merged;
}

/// Once `kept` and `run` together pass [`COMPACT_AT`], resolve `run` (one rule's matches) into
/// `kept` (already resolved) in one linear merge; below that, leave both for the final pass.
fn absorb(rules: &RuleSet, kept: &mut Vec<Match>, run: &mut Vec<Match>) {
    if kept.len() + run.len() < COMPACT_AT {
        if kept.is_empty() {
            std::mem::swap(kept, run);
        } else {
            kept.append(run);
        }
        return;
    }
    let mut resolved = std::mem::take(kept);
    if !is_resolved(&resolved) {
        resolved = resolve_overlaps(rules, resolved);
    }
    let mut fresh = std::mem::take(run);
    fresh.sort_by(match_order);
    // Two sorted lists into one, then the same keep-the-best pass as a full resolution.
    let mut merged = Vec::with_capacity(resolved.len() + fresh.len());
    let (mut a, mut b) = (
        resolved.into_iter().peekable(),
        fresh.into_iter().peekable(),
    );
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if match_order(x, y).is_le() => a.next(),
            (Some(_), Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(m) => merged.push(m),
            None => break,
        }
    }
    merged.dedup();
    *kept = keep_best(rules, merged);
}

/// Sorted by position, and no two overlapping.
fn is_resolved(matches: &[Match]) -> bool {
    matches.windows(2).all(|w| w[0].end <= w[1].start)
}

fn match_order(a: &Match, b: &Match) -> std::cmp::Ordering {
    (a.start, a.end, a.rule)
        .cmp(&(b.start, b.end, b.rule))
        .then(a.decoded.cmp(&b.decoded))
}

/// Sort matches and drop duplicates and overlaps, keeping the best rule for each secret.
fn resolve_overlaps(rules: &RuleSet, mut matches: Vec<Match>) -> Vec<Match> {
    if matches.len() < 2 {
        return matches;
    }
    matches.sort_by(match_order);
    matches.dedup();
    keep_best(rules, matches)
}

/// For sorted, deduplicated matches: where matches overlap, keep the more confident (then more
/// severe, more specific, longer, then smaller rule id) one. Where a rule is written never
/// matters ([`crate::rules::Specificity`]).
fn keep_best(rules: &RuleSet, matches: Vec<Match>) -> Vec<Match> {
    // A shadow rule (disabled, or replaced by a config file) only counts what the rules in
    // effect miss: it loses every overlap. The rule's index only separates the shadows of one
    // id (replaced in two config files), which are in the order the files were read.
    let rank = |m: &Match| {
        let r = rules.rule(m.rule);
        (
            r.shadow.is_none(),
            r.confidence,
            r.severity,
            r.specificity,
            m.end - m.start,
            std::cmp::Reverse(r.id.as_str()),
            std::cmp::Reverse(m.rule),
        )
    };
    let mut kept: Vec<Match> = Vec::with_capacity(matches.len());
    for m in matches {
        match kept.last_mut() {
            Some(last) if m.start < last.end => {
                if rank(&m) > rank(last) {
                    *last = m;
                }
            }
            _ => kept.push(m),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{LoadedFile, RuleSet};

    fn set(extra: &str) -> Engine {
        Engine::new(
            RuleSet::build(vec![LoadedFile::parse("t.toml", extra, true).unwrap()]).unwrap(),
        )
        .unwrap()
    }

    const RULE: &str = r#"
[[rule]]
id = "demo"
provider = "Demo"
description = "demo token"
severity = "high"
keywords = ["dmo_"]
regex = '''\b(?P<secret>dmo_[a-zA-Z0-9]{20})\b'''
min_entropy = 3.0
"#;

    fn token() -> String {
        format!("dmo_{}", "aB3dE5gH7jK9mN1pQ2rS")
    }

    #[test]
    fn finds_secret_in_invalid_utf8() {
        let s = set(RULE);
        let mut buf = vec![0xff, 0xfe, b'\n'];
        buf.extend_from_slice(format!("key = {}\n", token()).as_bytes());
        buf.extend_from_slice(&[0xc3, 0x28]);
        let m = Scanner::new(&s).scan(&buf);
        assert_eq!(m.len(), 1);
        assert_eq!(&buf[m[0].start..m[0].end], token().as_bytes());
    }

    #[test]
    fn unquoted_allowlist_regexes_skip_quoted_values() {
        let s = set(r#"
[[rule]]
id = "demo-assign"
provider = "Demo"
description = "demo assignment"
severity = "high"
keywords = ["pw"]
regex = '''pw = ["']?(?P<secret>[A-Za-z0-9]{8,})'''
[rule.allowlist]
unquoted_regexes = ['^Kind[0-9]+[A-Za-z]+$']
"#);
        let found = |text: &str| Scanner::new(&s).scan(text.as_bytes()).len();
        assert_eq!(found("pw = Kind2Secret\n"), 0, "an unquoted identifier");
        assert_eq!(found("pw = \"Kind2Secret\"\n"), 1, "a quoted literal");
        assert_eq!(found("pw = 'Kind2Secret'\n"), 1);
        assert_eq!(found("pw = \"Kind2Secret'\n"), 0, "mismatched quotes");
    }

    #[test]
    fn keyword_is_case_insensitive_but_regex_decides() {
        let s = set(RULE);
        let upper = token().to_uppercase();
        assert!(Scanner::new(&s).scan(upper.as_bytes()).is_empty());
    }

    #[test]
    fn word_boundary_sees_bytes_outside_the_window() {
        let s = set(RULE);
        // A long run of word characters before the token: the window starts inside it,
        // but `\b` must still see that the token is glued to a word.
        let text = format!("{}{}", "a".repeat(2000), token());
        assert!(Scanner::new(&s).scan(text.as_bytes()).is_empty());
    }

    #[test]
    fn short_secrets_need_entropy_relative_to_their_length() {
        // 8 bytes with one repeat: 2.75 bits, below a 3.0 threshold but above 80% of log2(8).
        assert!(shannon_entropy(b"rp7!vq2r") >= entropy_needed(3.0, 8));
        assert!(shannon_entropy(b"aaaabbbb") < entropy_needed(3.0, 8));
        // Below 8 bytes the rule's threshold stands; long secrets keep it too.
        assert_eq!(entropy_needed(2.0, 5), 2.0);
        assert_eq!(entropy_needed(3.5, 40), 3.5);
    }

    #[test]
    fn a_provider_name_counts_only_at_the_start_of_a_word() {
        let s = set(
            "[[rule]]\nid = \"b\"\nprovider = \"Box\"\ndescription = \"d\"\nseverity = \"low\"\nnames = [\"box\"]\ncontext = [\"box.com\"]\ntoken = '[a-f0-9]{12}'\n",
        );
        let found = |t: &str| !Scanner::new(&s).scan(t.as_bytes()).is_empty();
        for hit in [
            "BOX_API_KEY=1a2b3c4d5e6f",
            "MY_BOX_TOKEN: 1a2b3c4d5e6f",
            "box SECRET 1a2b3c4d5e6f",
            "https://api.box.com/x?k=1a2b3c4d5e6f",
        ] {
            assert!(found(hit), "{hit}");
        }
        for miss in [
            "INBOX_KEY=1a2b3c4d5e6f",
            "sandbox_token 1a2b3c4d5e6f",
            "box = 1a2b3c4d5e6f",
        ] {
            assert!(!found(miss), "{miss}");
        }
    }

    #[test]
    fn the_secret_is_the_first_secret_group_that_took_part() {
        let s = set(concat!(
            "[[rule]]\nid = \"q\"\nprovider = \"P\"\ndescription = \"d\"\nseverity = \"low\"\n",
            "keywords = [\"pw=\"]\n",
            r#"regex = '(?:pw=(?:"(?P<secret_dq>[^"]+)"|(?P<secret>[a-z0-9]+)))'"#,
            "\n"
        ));
        let secrets = |t: &str| {
            Scanner::new(&s)
                .scan(t.as_bytes())
                .iter()
                .map(|m| t[m.start..m.end].to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            secrets(r#"pw="k9;L(2)x,Q" and pw=r7kq2m"#),
            ["k9;L(2)x,Q", "r7kq2m"]
        );
        assert!(secrets(r#"pw="""#).is_empty());
    }

    #[test]
    fn allow_markers_and_placeholders_suppress() {
        let s = set(RULE);
        for marker in [
            "leakgate:allow",
            "gitleaks:allow",
            "pragma: allowlist secret",
        ] {
            let text = format!("x = {} # {marker}\n", token());
            let m = Scanner::new(&s).scan(text.as_bytes());
            assert!(m.len() == 1 && m[0].allowed, "{marker}");
        }
        let text = format!("x = {}\n", token());
        assert!(!Scanner::new(&s).scan(text.as_bytes())[0].allowed);
        let text = "x = dmo_EXAMPLEaaaaaaaaaaaaa\n";
        assert!(Scanner::new(&s).scan(text.as_bytes()).is_empty());
    }

    #[test]
    fn overlapping_keywords_all_trigger_their_rules() {
        let rules = r#"
[[rule]]
id = "short"
provider = "P"
description = "d"
severity = "low"
keywords = ["ab-"]
regex = '''(?P<secret>ab-[0-9]{6})'''

[[rule]]
id = "long"
provider = "P"
description = "d"
severity = "low"
keywords = ["ab-cd-"]
regex = '''(?P<secret>ab-cd-[0-9]{6})'''

[[rule]]
id = "inner"
provider = "P"
description = "d"
severity = "low"
keywords = ["cd-9"]
regex = '''(?P<secret>cd-9[0-9]{5}x)'''
"#;
        let s = set(rules);
        // "ab-cd-" matches at 0; "ab-" (a prefix of it) and "cd-9" (starting inside it) must
        // still route to their rules.
        let m = Scanner::new(&s).scan(b"ab-123456 ab-cd-912345x");
        let ids: Vec<&str> = m
            .iter()
            .map(|m| s.rules().rule(m.rule).id.as_str())
            .collect();
        assert_eq!(ids, ["short", "long"]);
        let m = Scanner::for_rule(&s, 2).scan(b"ab-cd-912345x");
        assert_eq!(m.len(), 1, "keyword starting inside a longer keyword hit");
    }

    /// A rule for the overlap tests: `body` gives its regex or token.
    fn overlap_rule(id: &str, provider: &str, body: &str) -> String {
        format!(
            "[[rule]]\nid = \"{id}\"\nprovider = \"{provider}\"\ndescription = \"d\"\nseverity = \"high\"\n{body}\n"
        )
    }

    /// Where two rules of equal confidence and severity capture overlapping secrets, the more
    /// specific rule wins, then the longer secret, then the smaller id; in whichever order the
    /// rules are written.
    #[test]
    fn overlaps_are_decided_by_specificity_never_by_rule_order() {
        let acme = r#"keywords = ["acme_"]
regex = '''(?P<secret>acme_[a-z0-9]{16})'''"#;
        let assignment = r#"keywords = ["key"]
regex = '''key = (?P<secret>[a-z0-9_]{8,40})'''"#;
        let named = r#"names = ["acme"]
assignment = true
token = '[a-z0-9_]{8,40}'"#;
        let beta_token = r#"context = ["beta"]
token = '[a-z0-9]{16}'"#;
        let beta_regex = r#"keywords = ["beta"]
regex = '''beta_key = (?P<secret>[a-z0-9]{16})'''"#;
        let short = r#"keywords = ["gm_"]
regex = '''(?P<secret>gm_[a-z0-9]{8})'''"#;
        let long = r#"keywords = ["gm_"]
regex = '''(?P<secret>gm_[a-z0-9]{16})'''"#;
        let fallback = format!("fallback = true\n{assignment}");
        let cases = [
            // A provider's rule before a generic one.
            (
                ("zz-acme", "Acme", acme),
                ("aa-generic", "Generic", assignment),
                "key = acme_k3x9p2m7q4w8z1v6",
            ),
            // A generic regex rule before a generic token rule.
            (
                ("zz-assignment", "Generic", assignment),
                ("aa-named", "Generic", named),
                "acme_key = q7k3x9p2m7q4w8z1",
            ),
            // A provider's own regex before a token rule (a context word and a shape).
            (
                ("zz-beta-regex", "Beta", beta_regex),
                ("aa-beta-token", "Beta", beta_token),
                "beta_key = k3x9p2m7q4w8z1v6",
            ),
            // Any rule before one that says it is a fallback.
            (
                ("zz-named", "Generic", named),
                ("aa-fallback", "Generic", fallback.as_str()),
                "acme_key = q7k3x9p2m7q4w8z1",
            ),
            // The longer secret.
            (
                ("zz-long", "Gamma", long),
                ("aa-short", "Gamma", short),
                "t = gm_k3x9p2m7q4w8z1v6",
            ),
            // Everything else equal: the smaller id.
            (
                ("aa-first", "Gamma", long),
                ("zz-second", "Gamma", long),
                "t = gm_k3x9p2m7q4w8z1v6",
            ),
        ];
        for ((win_id, win_provider, win_body), (lose_id, lose_provider, lose_body), text) in cases {
            let winner = overlap_rule(win_id, win_provider, win_body);
            let loser = overlap_rule(lose_id, lose_provider, lose_body);
            for file in [format!("{winner}{loser}"), format!("{loser}{winner}")] {
                let s = set(&file);
                let ids: Vec<&str> = Scanner::new(&s)
                    .scan(text.as_bytes())
                    .iter()
                    .map(|m| s.rules().rule(m.rule).id.as_str())
                    .collect();
                assert_eq!(
                    ids,
                    [win_id],
                    "{text:?} with the rules in this order:\n{file}"
                );
                // Both rules do match on their own: the winner was chosen, not the only match.
                for ri in 0..2 {
                    assert_eq!(Scanner::for_rule(&s, ri).scan(text.as_bytes()).len(), 1);
                }
            }
        }
    }

    #[test]
    fn many_keyword_hits_merge_into_one_window() {
        let s = set(RULE);
        let text = "dmo_ ".repeat(200_000) + &token();
        let m = Scanner::new(&s).scan(text.as_bytes());
        assert_eq!(m.len(), 1);
    }
}
