//! Encoded secrets: base64 values near the places they are usually found (Kubernetes Secret
//! `data:`, HTTP basic-auth headers, Docker `auths`, anything labelled base64) are decoded and
//! scanned again, so a key stored as `aGZf...` is found like the plain one.

use base64::Engine as _;

/// Labels that announce base64 values (matched ASCII case-insensitively by the rule set's
/// keyword automaton), and how far before and after them values are looked for.
pub const TRIGGERS: &[(&str, usize, usize)] = &[
    ("kind: secret", 8192, 8192),
    ("\"kind\": \"secret\"", 8192, 8192),
    ("basic ", 0, 256),
    ("base64", 64, 512),
    (".dockerconfigjson", 0, 8192),
    ("\"auths\"", 0, 8192),
];
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

/// Base64 values near trigger labels (`hits`: trigger index and byte range, in order), decoded.
pub fn candidates(buf: &[u8], hits: &[(u8, usize, usize)]) -> Vec<Decoded> {
    let mut out = Vec::new();
    let mut next_free = 0;
    for &(trigger, hit_start, hit_end) in hits {
        let (_, before, after) = TRIGGERS[trigger as usize];
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
            for (t, (label, _, _)) in TRIGGERS.iter().enumerate() {
                if lower[i..].starts_with(label.as_bytes()) {
                    hits.push((t as u8, i, i + label.len()));
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
    fn binary_payloads_are_not_scanned() {
        let enc = base64::engine::general_purpose::STANDARD
            .encode([0u8, 1, 2, 3, 250, 251, 252, 253, 254, 255, 7, 8]);
        assert!(
            candidates_in(format!("kind: Secret\ndata:\n  blob: {enc}\n").as_bytes()).is_empty()
        );
    }
}
