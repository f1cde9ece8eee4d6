//! Match filters shared by every rule: Shannon entropy, placeholder values and inline allow
//! markers.

use memchr::memmem;

/// Shannon entropy of `bytes` in bits per byte.
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Substrings that mark a value as a placeholder rather than a credential (lowercase).
const PLACEHOLDER_MARKERS: &[&str] = &[
    "example",
    "xxxx",
    "placeholder",
    "${",
    "{{",
    "your_",
    "your-",
    "yourkey",
    "changeme",
    "change_me",
    "replace_me",
    "replaceme",
    "redacted",
    "dummy",
    // The word "password" in leetspeak: documentation's and tests' stock password.
    "p4ssw0rd",
    "p4ssword",
    "passw0rd",
    "p@ssw0rd",
    "p@55w0rd",
    "pa55w0rd",
    "pa55word",
    "****",
    "....",
    "\u{2026}",
];

/// Is this value a placeholder: a documented example, a template variable, a masked value,
/// or a run of one repeated character?
pub fn is_placeholder(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    if PLACEHOLDER_MARKERS
        .iter()
        .any(|m| memmem::find(&lower, m.as_bytes()).is_some())
        || has_angle_placeholder(&lower)
        || is_format_field(&lower)
    {
        return true;
    }
    // One character repeated (after a prefix such as `sk-`): e.g. sk-aaaaaaaaaaaaaaaa.
    let tail = match lower.iter().rposition(|&b| b == b'-' || b == b'_') {
        Some(p) if lower.len() - p > 8 => &lower[p + 1..],
        _ => &lower[..],
    };
    tail.len() >= 4 && tail.iter().all(|&b| b == tail[0])
}

/// Is the value wholly one format or f-string field: `{password}`, `{cfg.db_password}`,
/// `{pw()}`, `{secrets["db"]}`? (An ODBC value in braces, `{p;w}`, holds characters a name
/// cannot.)
fn is_format_field(value: &[u8]) -> bool {
    let Some(inner) = value.strip_prefix(b"{").and_then(|v| v.strip_suffix(b"}")) else {
        return false;
    };
    let name = inner
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        .count();
    name > 0 && !inner[0].is_ascii_digit() && matches!(inner.get(name), None | Some(b'(' | b'['))
}

/// Does the value start with `<` or hold a `<name>` tag (`<password>`, `Bearer <YOUR TOKEN>`)? A
/// `<` elsewhere is an ordinary symbol of a generated password.
fn has_angle_placeholder(value: &[u8]) -> bool {
    if value.first() == Some(&b'<') {
        return true;
    }
    memchr::memchr_iter(b'<', value).any(|at| {
        let name = value[at + 1..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b"_-. ".contains(&b))
            .count();
        name > 0 && value.get(at + 1 + name) == Some(&b'>')
    })
}

/// Does the value contain at least one ASCII letter and one ASCII digit? Random tokens of
/// 16+ characters almost always do; identifiers, words and numbers do not.
pub fn is_mixed(secret: &[u8]) -> bool {
    secret.iter().any(u8::is_ascii_digit) && secret.iter().any(u8::is_ascii_alphabetic)
}

const ALLOW_MARKERS: &[&str] = &[
    "leakgate:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

/// Does any line that the span `start..end` touches carry an inline allow marker?
pub fn has_allow_marker(buf: &[u8], start: usize, end: usize) -> bool {
    // Markers are comments next to the secret: look at most 4 KiB each way, and only that far
    // for the line's ends too (a search to the start of a 100 MB line for every match on it
    // would make a long line cost quadratic time).
    let lo_bound = start.saturating_sub(4096);
    let hi_bound = end.saturating_add(4096).min(buf.len());
    let lo = memchr::memrchr(b'\n', &buf[lo_bound..start]).map_or(lo_bound, |p| lo_bound + p + 1);
    let hi = memchr::memchr(b'\n', &buf[end..hi_bound]).map_or(hi_bound, |p| end + p);
    let line = &buf[lo..hi];
    ALLOW_MARKERS
        .iter()
        .any(|m| memmem::find(line, m.as_bytes()).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_bounds() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder(b"AKIAIOSFODNN7EXAMPLE"));
        assert!(is_placeholder(b"sk-aaaaaaaaaaaaaaaaaaaaaa"));
        assert!(is_placeholder(b"${OPENAI_API_KEY}"));
        assert!(is_placeholder(b"<your-key>"));
        assert!(is_placeholder(b"Bearer-<TOKEN>"));
        assert!(is_placeholder(b"prefix<api key>suffix"));
        assert!(!is_placeholder(b"Hq#7v^Lr(2@w<N;b_Tq8M0c"));
        assert!(!is_placeholder(b"9kQ<>w<2z"));
        assert!(is_placeholder(b"{make_password()}"));
        assert!(!is_placeholder(b"{SSHA}q7Hw2kPz9xLm4vRt"));
        assert!(is_placeholder(b"{cfg.db_password}"));
        assert!(!is_placeholder(b"{_WuyCEENxSVi;2}"));
        assert!(is_placeholder(b"P4ssw0rd!"));
        assert!(!is_placeholder(b"sk-proj-4fGh8Jk2Lm9Np3Qr"));
    }

    #[test]
    fn allow_marker_on_same_line_only() {
        let buf = b"a = 1 # leakgate:allow\nb = SECRET\n";
        let s = buf.len() - 7;
        assert!(!has_allow_marker(buf, s, s + 6));
        assert!(has_allow_marker(buf, 4, 5));
    }
}
