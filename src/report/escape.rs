//! Text a repository controls, made safe to show and to paste. A repository chooses its file
//! names, commit summaries, author names, ref names and config text; control characters in them
//! (C0, DEL, C1: `ESC ]0;title BEL` retitles a terminal, `ESC [2J` clears it, `\r` overwrites a
//! line) and Unicode bidirectional overrides and isolates (which make a path read differently
//! from what it is) are rendered visibly by [`text`]: `\x1b`, `\r`, `\u{202e}`. Every text
//! format (human, markdown, SARIF) shows repository text through it. [`shell`] quotes a word
//! for the commands leakgate suggests (`git restore --staged -- …`, `git filter-repo …`).

use std::borrow::Cow;
use std::fmt::Write;

/// Characters that must not reach a terminal or a rendered document as themselves: C0 controls,
/// DEL and C1 controls (Unicode's `Cc`), the bidirectional embeddings, overrides and isolates
/// U+202A..U+202E and U+2066..U+2069, and the bidirectional marks U+200E, U+200F and U+061C.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
}

/// `s` with every [unsafe](is_unsafe) character written out: `\n`, `\r`, `\t`, `\x1b` for the
/// other ASCII controls, `\u{9b}` and `\u{202e}` for the rest. Borrowed when nothing needs it.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && is_unsafe(c) => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`text`] line by line: line breaks stay (multi-line text such as SARIF's rule help), every
/// other unsafe character is shown.
pub fn lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.split('\n').map(text).collect::<Vec<_>>().join("\n"))
}

/// Bytes a POSIX shell word may hold unquoted.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b)
}

/// `s` as one shell word: unchanged when it needs no quoting, else single-quoted (`'` as
/// `'\''`); a word holding [unsafe](is_unsafe) characters is written `$'…'` with those as
/// `\xHH` bytes (POSIX.1-2024, bash, zsh, ksh), so the command shows no control character and
/// still names the file.
pub fn shell(s: &str) -> Cow<'_, str> {
    if !s.is_empty() && s.bytes().all(plain) {
        return Cow::Borrowed(s);
    }
    if !s.chars().any(is_unsafe) {
        return Cow::Owned(format!("'{}'", s.replace('\'', "'\\''")));
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if is_unsafe(c) => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_shows_controls_and_bidi_visibly() {
        assert_eq!(text("plain/path.rs"), "plain/path.rs");
        assert!(matches!(text("ok"), Cow::Borrowed(_)));
        assert_eq!(text("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(text("x\r\n\ty\x7f"), "x\\r\\n\\ty\\x7f");
        assert_eq!(text("c1\u{9b}2J"), "c1\\u{9b}2J");
        assert_eq!(text("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(text("\u{2066}i\u{2069}"), "\\u{2066}i\\u{2069}");
        assert_eq!(
            text("a\u{200f}b\u{61c}c\u{200e}"),
            "a\\u{200f}b\\u{61c}c\\u{200e}"
        );
        assert_eq!(text("é ✓ \u{fffd}"), "é ✓ \u{fffd}");
        assert_eq!(lines("a\nb\x1bc\r\n"), "a\nb\\x1bc\\r\n");
        assert!(matches!(lines("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn shell_quotes_only_what_needs_it() {
        assert_eq!(shell("src/app.env"), "src/app.env");
        assert_eq!(shell("FILE"), "FILE");
        assert_eq!(shell(""), "''");
        assert_eq!(shell("my file"), "'my file'");
        assert_eq!(shell("it's"), "'it'\\''s'");
        assert_eq!(shell("$(rm -rf ~)"), "'$(rm -rf ~)'");
        assert_eq!(shell("a\x1b[2Jb"), "$'a\\x1b[2Jb'");
        assert_eq!(shell("x'\\\r"), "$'x\\'\\\\\\x0d'");
        assert_eq!(shell("r\u{202e}l"), "$'r\\xe2\\x80\\xael'");
        for s in ["a\x1b[2Jb", "it's", "r\u{202e}l"] {
            assert!(!shell(s).chars().any(is_unsafe));
        }
    }
}
