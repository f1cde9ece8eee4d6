//! Scanning one piece of content (a file, a blob) into findings: the glue between what a source
//! yields (bytes in memory, or a stream for large content), the engine's windows and the finding
//! sink. Content of any size is scanned in bounded memory.

use crate::engine::{Match, Scanner};
use crate::finding::{Finding, FindingOptions, Suppression, fingerprint, redact};
use crate::lines::LineCursor;
use crate::rules::{Confidence, Rule, RuleSet};
use crate::source::blob::Blob;
use crate::source::{Exposure, SourceKind};
use std::io::Read;

/// Where the findings go and how they are labelled.
pub struct Target<'a> {
    pub path: &'a str,
    pub source: SourceKind,
    pub exposure: Exposure,
    pub opts: &'a FindingOptions,
}

impl Target<'_> {
    /// A `classify` that keeps every match with the target's exposure.
    pub fn keep_all(&self) -> impl FnMut(&[u8], &Match) -> Option<Exposure> + use<> {
        let exposure = self.exposure;
        move |_, _| Some(exposure)
    }
}

/// What scanning one piece of content gave.
#[derive(Debug, Default)]
pub struct Scanned {
    pub findings: Vec<Finding>,
    /// Findings past [`MAX_FINDINGS_PER_SOURCE`], counted only.
    pub not_listed: u64,
    pub bytes: u64,
}

/// Scan a stream whose first bytes are already in `head`. `classify` decides, for each match
/// (given its window), whether it is reported and with which exposure (`None`: dropped).
pub fn scan_stream(
    scanner: &mut Scanner<'_>,
    head: &mut Vec<u8>,
    rest: &mut (impl Read + ?Sized),
    target: &Target<'_>,
    mut classify: impl FnMut(&[u8], &Match) -> Option<Exposure>,
) -> std::io::Result<Scanned> {
    let mut sink = FindingSink::new(
        scanner.rules(),
        target.path,
        target.source,
        target.exposure,
        target.opts,
    );
    let bytes = scanner.scan_reader(rest, head, |w, base, settled, m| {
        let kept = m.iter().filter_map(|m| classify(w, m).map(|e| (m, e)));
        sink.window_as(w, base, settled, kept);
    })?;
    let (findings, not_listed) = sink.finish();
    Ok(Scanned {
        findings,
        not_listed,
        bytes,
    })
}

/// Scan bytes in memory (see [`scan_stream`] for `classify`).
pub fn scan_bytes(
    scanner: &mut Scanner<'_>,
    data: &[u8],
    target: &Target<'_>,
    mut classify: impl FnMut(&[u8], &Match) -> Option<Exposure>,
) -> Scanned {
    let mut sink = FindingSink::new(
        scanner.rules(),
        target.path,
        target.source,
        target.exposure,
        target.opts,
    );
    scanner.scan_windows(data, |w, base, settled, m| {
        let kept = m.iter().filter_map(|m| classify(w, m).map(|e| (m, e)));
        sink.window_as(w, base, settled, kept);
    });
    let (findings, not_listed) = sink.finish();
    Scanned {
        findings,
        not_listed,
        bytes: data.len() as u64,
    }
}

/// Scan a blob, whole or streamed; `None` when it is binary (a NUL byte in its first `probe`
/// bytes). `head` is a reusable buffer.
pub fn scan_blob(
    scanner: &mut Scanner<'_>,
    mut blob: Blob,
    head: &mut Vec<u8>,
    probe: usize,
    target: &Target<'_>,
    classify: impl FnMut(&[u8], &Match) -> Option<Exposure>,
) -> std::io::Result<Option<Scanned>> {
    if blob.probe(head, probe)? {
        return Ok(None);
    }
    match blob {
        Blob::Whole(data) => Ok(Some(scan_bytes(scanner, &data, target, classify))),
        Blob::Stream { mut reader, .. } => {
            scan_stream(scanner, head, &mut reader, target, classify).map(Some)
        }
    }
}

/// Build findings for the matches in one buffer. Matches below the confidence floor are dropped.
pub fn from_matches(
    rules: &RuleSet,
    buf: &[u8],
    matches: &[Match],
    path: &str,
    source: SourceKind,
    exposure: Exposure,
    opts: &FindingOptions,
) -> Vec<Finding> {
    let mut sink = FindingSink::new(rules, path, source, exposure, opts);
    sink.window(buf, 0, buf.len(), matches);
    sink.finish().0
}

/// Scan `content` of any size (in windows, with bounded memory) and build its findings; also
/// returns how many findings were past [`MAX_FINDINGS_PER_SOURCE`].
pub fn scan_content(
    scanner: &mut crate::engine::Scanner<'_>,
    content: &[u8],
    path: &str,
    source: SourceKind,
    exposure: Exposure,
    opts: &FindingOptions,
) -> (Vec<Finding>, u64) {
    let mut sink = FindingSink::new(scanner.rules(), path, source, exposure, opts);
    scanner.scan_windows(content, |w, base, settled, m| {
        sink.window(w, base, settled, &m)
    });
    sink.finish()
}

/// Most findings kept for one file, blob or message: past it they are counted, not listed (a
/// generated file can hold millions of matches, and holding them all would exhaust memory).
pub const MAX_FINDINGS_PER_SOURCE: usize = 1_000;

/// Turns the matches of content seen window by window (see [`crate::engine::Scanner::scan_windows`])
/// into findings, with line numbers that run across windows.
pub struct FindingSink<'a> {
    rules: &'a RuleSet,
    path: &'a str,
    source: SourceKind,
    exposure: Exposure,
    opts: &'a FindingOptions,
    lines: LineCursor,
    out: Vec<Finding>,
    /// Findings past [`MAX_FINDINGS_PER_SOURCE`], counted only.
    not_listed: u64,
}

impl<'a> FindingSink<'a> {
    pub fn new(
        rules: &'a RuleSet,
        path: &'a str,
        source: SourceKind,
        exposure: Exposure,
        opts: &'a FindingOptions,
    ) -> Self {
        FindingSink {
            rules,
            path,
            source,
            exposure,
            opts,
            lines: LineCursor::default(),
            out: Vec::new(),
            not_listed: 0,
        }
    }

    /// One window: content from absolute offset `base`, the matches it owns (offsets within the
    /// window), and `settled`: the window offset before which no later match will start.
    pub fn window(&mut self, window: &[u8], base: u64, settled: usize, matches: &[Match]) {
        let exposure = self.exposure;
        self.window_as(window, base, settled, matches.iter().map(|m| (m, exposure)));
    }

    /// [`Self::window`] with an exposure per match (a gate that tells reintroduced lines apart).
    pub fn window_as<'m>(
        &mut self,
        window: &[u8],
        base: u64,
        settled: usize,
        matches: impl Iterator<Item = (&'m Match, Exposure)>,
    ) {
        for (m, exposure) in matches {
            let rule: &Rule = self.rules.rule(m.rule);
            let raw = m.secret(window);
            let confidence = confidence(self.rules, m, raw);
            let mut suppressed = match &rule.shadow {
                Some(shadow) => Some(Suppression::Rule(shadow.label(&rule.id))),
                None if m.allowed => Some(Suppression::Inline),
                None => None,
            };
            if confidence < self.opts.min_confidence {
                // A replacement rule's finding below the floor is what the replaced rule would
                // have reported: counted as suppressed by the file that replaced it.
                match &rule.replaces_in {
                    Some(file) if suppressed.is_none() => {
                        suppressed = Some(Suppression::Rule(format!(
                            "{file}: rule {} replaced (its findings fall below the confidence floor)",
                            rule.id
                        )));
                    }
                    _ => continue,
                }
            }
            if self.out.len() >= MAX_FINDINGS_PER_SOURCE {
                self.not_listed += 1;
                continue;
            }
            let raw = raw.to_vec();
            let (line, column) = self.lines.locate(window, base, base + m.start as u64);
            let (end_line, end_column) = self.lines.locate(window, base, base + m.end as u64);
            let opts = self.opts;
            self.out.push(Finding {
                rule_id: rule.id.clone(),
                provider: rule.provider.clone(),
                description: rule.description.clone(),
                severity: rule.severity,
                confidence,
                path: self.path.to_string(),
                line,
                column,
                end_line,
                end_column,
                secret: if opts.show_secrets {
                    String::from_utf8_lossy(&raw).into_owned()
                } else {
                    redact(&raw)
                },
                fingerprint: fingerprint(&rule.id, &raw, opts.fingerprint_key.as_deref()),
                exposure,
                source: self.source,
                encoding: m.decoded.as_ref().map(|(_, e)| e.as_str().to_string()),
                commit: None,
                also_in_history: None,
                rotation: rule.rotate.clone(),
                blob: None,
                raw_secret: raw,
                repo_path: None,
                matched: window[m.start..m.end].to_vec(),
                suppressed,
            });
        }
        self.lines
            .locate(window, base, base + settled.min(window.len()) as u64);
    }

    /// The findings, and how many more there were past [`MAX_FINDINGS_PER_SOURCE`].
    pub fn finish(self) -> (Vec<Finding>, u64) {
        (self.out, self.not_listed)
    }
}

/// Confidence of a match of `secret`: a verified checksum makes it high, a failed one low;
/// otherwise the rule's own confidence.
pub fn confidence(rules: &RuleSet, m: &Match, secret: &[u8]) -> Confidence {
    let rule = rules.rule(m.rule);
    match rule.checksum {
        Some(c) if c.verify(secret) => Confidence::High,
        Some(_) => Confidence::Low,
        None => rule.confidence,
    }
}
