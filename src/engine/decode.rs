//! Encoded secrets, decoded and scanned again so a key stored encoded is found like the plain one:
//! - base64 values near the places they are usually found (Kubernetes Secret `data:`, HTTP
//!   basic-auth headers, Docker `auths`, anything labelled base64);
//! - hex runs that contain the hex form of a distinctive token prefix (`6768705f` is `ghp_`):
//!   the rule set adds those hex forms to the keyword automaton, so no extra pass is needed;
//! - percent-encoded lines (`%2B`, `%2F`, `%3D`, `%40`...): the line is decoded, keeping a map
//!   back to the original bytes so a finding points at the encoded secret;
//! - lines with backslash-escaped quotes (`\"`): code stored inside a string, above all the
//!   JSON of Jupyter notebooks (`"db_password = \"…\"\n"`), unescaped the same way, so every
//!   rule reads the code as written.

use base64::Engine as _;

/// Labels that announce base64 values (matched ASCII case-insensitively by the keyword
/// automaton), and how far before and after them values are looked for.
pub const LABELS: &[(&str, usize, usize)] = &[
    ("kind: secret", 8192, 8192),
    ("\"kind\": \"secret\"", 8192, 8192),
    ("basic ", 0, 256),
    ("base64", 64, 512),
    (".dockerconfigjson", 0, 8192),
    ("\"auths\"", 0, 8192),
];
/// The escaped quote that marks code inside a string (JSON, notebooks, string literals).
const ESCAPED_QUOTE: &str = "\\\"";
/// Percent escapes of the characters that make a secret unreadable in a URL or form body.
const PERCENT_ESCAPES: &[&str] = &[
    "%2b", "%2f", "%3d", "%40", "%3a", "%21", "%24", "%26", "%23", "%25", "%2a", "%5e", "%7e",
];

/// What a keyword-automaton hit announces to the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trigger {
    /// A label of [`LABELS`] (its index): base64 values may be near.
    Label(u8),
    /// The hex form of a distinctive token prefix (`6768705f` is `ghp_`).
    Hex,
    /// A percent escape.
    Percent,
    /// A backslash-escaped quote.
    Escape,
}

/// How a secret found by decoding was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Encoding {
    Base64,
    Hex,
    Percent,
    /// Backslash escapes of a string literal.
    Escaped,
}

impl Encoding {
    /// The name reports give it.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Hex => "hex",
            Encoding::Percent => "percent",
            Encoding::Escaped => "escaped",
        }
    }
}

/// The decoder's own trigger patterns (lowercase), to ride on the keyword automaton: the base64
/// labels, percent escapes and the escaped quote. Hex prefixes depend on the rules: see
/// [`hex_trigger`].
pub fn trigger_patterns() -> impl Iterator<Item = (Vec<u8>, Trigger)> {
    let labels = LABELS.iter().enumerate().map(|(i, label)| {
        (
            label.0.to_ascii_lowercase().into_bytes(),
            Trigger::Label(i as u8),
        )
    });
    let escapes = PERCENT_ESCAPES
        .iter()
        .map(|e| (e.as_bytes().to_vec(), Trigger::Percent))
        .chain(std::iter::once((
            ESCAPED_QUOTE.as_bytes().to_vec(),
            Trigger::Escape,
        )));
    labels.chain(escapes)
}

/// The trigger pattern that finds a hex-encoded token starting with `prefix`.
pub fn hex_trigger(prefix: &str) -> (Vec<u8>, Trigger) {
    (hex::encode(prefix).into_bytes(), Trigger::Hex)
}
/// Longest hex run or percent-encoded stretch decoded around one hit.
const MAX_DECODE: usize = 64 * 1024;

/// Shortest encoded token worth decoding.
const MIN_TOKEN: usize = 16;

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'=')
}

/// A decoded value: where its encoded form is in the buffer, and the decoded bytes.
pub struct Decoded {
    pub start: usize,
    pub end: usize,
    pub bytes: Vec<u8>,
    pub encoding: Encoding,
    /// How decoded offsets map back to the buffer.
    pub map: Map,
}

/// Offsets of decoded bytes in the original buffer.
pub enum Map {
    /// Only the whole encoded token is known (base64: bits do not align with bytes).
    Whole,
    /// Decoded byte `i` is the two hex digits at `base + 2 * i`.
    Hex { base: usize },
    /// Decoded byte `i` starts at `offsets[i]`; `offsets` has one extra entry for the end.
    Table(Vec<usize>),
}

impl Decoded {
    /// The span in the original buffer of the decoded bytes `start..end`.
    pub fn span(&self, start: usize, end: usize) -> (usize, usize) {
        match &self.map {
            Map::Whole => (self.start, self.end),
            Map::Hex { base } => (base + 2 * start, base + 2 * end),
            Map::Table(offsets) => (offsets[start], offsets[end]),
        }
    }
}

/// Decode a token with the standard or URL-safe alphabet, padded or not.
fn decode(token: &[u8]) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let trimmed = token
        .strip_suffix(b"==")
        .or_else(|| token.strip_suffix(b"="))
        .unwrap_or(token);
    [STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(trimmed).ok())
        .or_else(|| {
            [STANDARD, URL_SAFE]
                .iter()
                .find_map(|e| e.decode(token).ok())
        })
}

/// Mostly printable text: what a secret encoded for transport decodes to.
fn printable(bytes: &[u8]) -> bool {
    let ok = bytes
        .iter()
        .filter(|&&b| b.is_ascii_graphic() || b == b' ' || b == b'\n' || b == b'\r' || b == b'\t')
        .count();
    bytes.len() >= 8 && ok * 10 >= bytes.len() * 9
}

/// Encoded values around trigger hits (`hits`: trigger id and byte range, in order), decoded.
pub fn candidates(buf: &[u8], hits: &[(Trigger, usize, usize)]) -> Vec<Decoded> {
    let mut out = base64_candidates(buf, hits);
    let mut hex_done = 0;
    let mut percent_done = 0;
    let mut escape_done = 0;
    for &(trigger, s, e) in hits {
        match trigger {
            Trigger::Hex if s >= hex_done => {
                if let Some(d) = hex_run(buf, s, e) {
                    hex_done = d.end;
                    out.push(d);
                }
            }
            Trigger::Percent if s >= percent_done => {
                let (d, end) = decode_line(buf, s, Encoding::Percent, percent_escape);
                percent_done = end;
                out.extend(d);
            }
            Trigger::Escape if s >= escape_done => {
                let (d, end) = decode_line(buf, s, Encoding::Escaped, backslash_escape);
                escape_done = end;
                out.extend(d);
            }
            _ => {}
        }
    }
    out
}

/// A percent escape at the start of `rest`: the byte and the escape's length.
fn percent_escape(rest: &[u8]) -> Option<(u8, usize)> {
    match rest {
        [b'%', h, l, ..] => hex::decode([*h, *l]).ok().map(|b| (b[0], 3)),
        _ => None,
    }
}

/// A backslash escape of a string literal at the start of `rest`: the byte and the length.
fn backslash_escape(rest: &[u8]) -> Option<(u8, usize)> {
    let byte = match rest {
        [b'\\', b @ (b'"' | b'\'' | b'\\' | b'/'), ..] => *b,
        [b'\\', b'n', ..] => b'\n',
        [b'\\', b't', ..] => b'\t',
        [b'\\', b'r', ..] => b'\r',
        _ => return None,
    };
    Some((byte, 2))
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// The hex run around a hit, decoded from the digit pair the hit starts on.
fn hex_run(buf: &[u8], s: usize, e: usize) -> Option<Decoded> {
    let lo = s.saturating_sub(MAX_DECODE);
    let hi = e.saturating_add(MAX_DECODE).min(buf.len());
    let mut start = s;
    while start > lo && is_hex(buf[start - 1]) {
        start -= 1;
    }
    let mut end = e;
    while end < hi && is_hex(buf[end]) {
        end += 1;
    }
    let base = start + (s - start) % 2;
    let len = (end - base) / 2 * 2;
    let bytes = hex::decode(&buf[base..base + len]).ok()?;
    if bytes.len() < MIN_TOKEN / 2 || !printable(&bytes) {
        return None;
    }
    Some(Decoded {
        start: base,
        end: base + len,
        bytes,
        encoding: Encoding::Hex,
        map: Map::Hex { base },
    })
}

/// The line around an escape at `at`, decoded with `escape` (which recognises an escape at the
/// start of a slice), and where the line ends.
fn decode_line(
    buf: &[u8],
    at: usize,
    encoding: Encoding,
    escape: fn(&[u8]) -> Option<(u8, usize)>,
) -> (Option<Decoded>, usize) {
    let lo = at.saturating_sub(MAX_DECODE / 2);
    let hi = at.saturating_add(MAX_DECODE / 2).min(buf.len());
    let start = memchr::memrchr(b'\n', &buf[lo..at]).map_or(lo, |p| lo + p + 1);
    let end = memchr::memchr(b'\n', &buf[at..hi]).map_or(hi, |p| at + p);
    let line = &buf[start..end];
    let mut bytes = Vec::with_capacity(line.len());
    let mut offsets = Vec::with_capacity(line.len() + 1);
    let mut i = 0;
    while i < line.len() {
        offsets.push(start + i);
        match escape(&line[i..]) {
            Some((b, len)) => {
                bytes.push(b);
                i += len;
            }
            None => {
                bytes.push(line[i]);
                i += 1;
            }
        }
    }
    offsets.push(end);
    let decoded = (bytes.len() < line.len()).then_some(Decoded {
        start,
        end,
        bytes,
        encoding,
        map: Map::Table(offsets),
    });
    (decoded, end)
}

/// Base64 values near label triggers, decoded.
fn base64_candidates(buf: &[u8], hits: &[(Trigger, usize, usize)]) -> Vec<Decoded> {
    let mut out = Vec::new();
    let mut next_free = 0;
    for &(trigger, hit_start, hit_end) in hits {
        let Trigger::Label(label) = trigger else {
            continue;
        };
        let Some(&(_, before, after)) = LABELS.get(label as usize) else {
            continue;
        };
        let mut start = hit_start.saturating_sub(before).max(next_free);
        // Do not start inside a token.
        while start > 0 && start < buf.len() && is_b64(buf[start - 1]) && is_b64(buf[start]) {
            start -= 1;
        }
        let end = hit_end.saturating_add(after).min(buf.len());
        if start >= end {
            continue;
        }
        let mut i = start;
        while i < end {
            if !is_b64(buf[i]) {
                i += 1;
                continue;
            }
            let t0 = i;
            while i < buf.len() && is_b64(buf[i]) {
                i += 1;
            }
            let token = &buf[t0..i];
            if token.len() >= MIN_TOKEN
                && let Some(bytes) = decode(token)
                && printable(&bytes)
            {
                out.push(Decoded {
                    start: t0,
                    end: i,
                    bytes,
                    encoding: Encoding::Base64,
                    map: Map::Whole,
                });
            }
        }
        next_free = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trigger hits found naively, for tests.
    fn candidates_in(buf: &[u8]) -> Vec<Decoded> {
        let lower = buf.to_ascii_lowercase();
        let mut hits = Vec::new();
        for i in 0..lower.len() {
            for (t, (label, _, _)) in LABELS.iter().enumerate() {
                if lower[i..].starts_with(label.as_bytes()) {
                    hits.push((Trigger::Label(t as u8), i, i + label.len()));
                }
            }
        }
        candidates(buf, &hits)
    }

    #[test]
    fn finds_values_after_labels_only() {
        let enc = base64::engine::general_purpose::STANDARD.encode("user:correct-horse-battery");
        let text = format!("Authorization: Basic {enc}\nother {enc}\n");
        let c = candidates_in(text.as_bytes());
        assert_eq!(c.len(), 2, "both are within the window after the label");
        let far = format!("Authorization: Basic x\n{}{enc}\n", " ".repeat(300));
        assert!(
            candidates_in(far.as_bytes()).is_empty(),
            "outside the label's window"
        );
        assert_eq!(c[0].bytes, b"user:correct-horse-battery");
        assert!(
            candidates_in(format!("x = {enc}").as_bytes()).is_empty(),
            "no label, no decoding"
        );
    }

    #[test]
    fn hex_runs_decode_from_the_hit_alignment() {
        let secret = b"token=ghp_abcdefghijklmnop";
        let text = format!("x = \"a{}\"\n", hex::encode(secret));
        let hit = text.find("6768705f").unwrap();
        let c = candidates(text.as_bytes(), &[(Trigger::Hex, hit, hit + 8)]);
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].bytes, secret,
            "decoded from the pair the hit starts on"
        );
        let at = 6;
        assert_eq!(
            c[0].span(at, at + 4),
            (hit, hit + 8),
            "maps back to the hex digits"
        );
    }

    #[test]
    fn percent_lines_map_back_to_the_encoded_bytes() {
        let text = b"first line\nurl=a%2Fb%3Dc&x=1\nlast\n";
        let at = 13;
        let c = candidates(text, &[(Trigger::Percent, at, at + 3)]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].bytes, b"url=a/b=c&x=1");
        assert_eq!(c[0].encoding, Encoding::Percent);
        // "b=c" is decoded bytes 6..9; in the buffer it runs from `b` to past `c`.
        assert_eq!(c[0].span(6, 9), (19, 24));
        assert!(
            candidates(b"100%", &[(Trigger::Percent, 3, 4)]).is_empty(),
            "a bare percent sign is not an escape"
        );
    }

    #[test]
    fn escaped_lines_unescape_quotes_and_map_back() {
        let text = br#"{"source": ["pw = \"a\\b\"\n", "x"]}"#;
        let at = text.windows(2).position(|w| w == b"\\\"").unwrap();
        let c = candidates(text, &[(Trigger::Escape, at, at + 2)]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].bytes, b"{\"source\": [\"pw = \"a\\b\"\n\", \"x\"]}");
        assert_eq!(c[0].encoding, Encoding::Escaped);
        // `a\b` is decoded bytes 19..22; in the buffer `a\\b` runs from 20 to 24.
        assert_eq!(&c[0].bytes[19..22], b"a\\b");
        assert_eq!(c[0].span(19, 22), (20, 24));
        assert!(
            candidates(br"C:\dir\file", &[(Trigger::Escape, 2, 4)]).is_empty(),
            "a backslash that escapes nothing is kept"
        );
    }

    #[test]
    fn binary_payloads_are_not_scanned() {
        let enc = base64::engine::general_purpose::STANDARD
            .encode([0u8, 1, 2, 3, 250, 251, 252, 253, 254, 255, 7, 8]);
        assert!(
            candidates_in(format!("kind: Secret\ndata:\n  blob: {enc}\n").as_bytes()).is_empty()
        );
    }
}
