//! Parse errors of files a repository supplies (`.leakgate.toml`, `.leakgate-baseline.json`)
//! without the values they quote. serde's messages echo the offending value (`invalid type:
//! string "…", expected a sequence`, ``unknown variant `…` ``), and a value in a config file may
//! be a secret pasted on the wrong line: errors name the file, line, column and key instead.

/// `message` without the values serde quotes in it: `string "…"` becomes `a string`,
/// ``character `…` `` `a character`, ``unknown variant `…` `` `unknown variant`. An unknown
/// field's name is the file's to choose (a secret pasted as a key): it stays only when it reads
/// as a key name ([`key_like`]). Expected field names are leakgate's and stay.
pub fn values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    loop {
        let next = [
            ("string \"", Quote::Debug, "a string"),
            ("character `", Quote::Backtick, "a character"),
            ("unknown variant `", Quote::Backtick, "unknown variant"),
            ("unknown field `", Quote::Backtick, "unknown field"),
        ]
        .into_iter()
        .filter_map(|(p, q, r)| rest.find(p).map(|at| (at, p, q, r)))
        .min_by_key(|(at, ..)| *at);
        let Some((at, prefix, quote, replacement)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        let value = &rest[at + prefix.len()..];
        let end = quote.end(value);
        match end {
            Some(end) if prefix == "unknown field `" && key_like(&value[..end - 1]) => {
                out.push_str(&rest[at..at + prefix.len() + end]);
            }
            _ => out.push_str(replacement),
        }
        rest = end.map_or("", |end| &value[end..]);
    }
}

/// A name that reads as a config key (`pasword`, `allow-list`), not a value: up to 32 lowercase
/// letters, `_`, `-` and `.`, with at most two digits.
fn key_like(name: &str) -> bool {
    name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b))
        && name.bytes().filter(u8::is_ascii_digit).count() <= 2
}

/// How serde quotes a value.
#[derive(Clone, Copy)]
enum Quote {
    /// `"…"` as Rust's `Debug` writes a string: `\"` and `\\` escaped.
    Debug,
    /// `` `…` `` with nothing escaped: up to ``…`, expected`` (serde's wording), else the last
    /// backtick.
    Backtick,
}

impl Quote {
    /// Where the text after the closing quote starts in `value` (which follows the opening one).
    fn end(self, value: &str) -> Option<usize> {
        match self {
            Quote::Debug => {
                let mut escaped = false;
                value.char_indices().find_map(|(i, c)| {
                    let close = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    close.then_some(i + 1)
                })
            }
            Quote::Backtick => value
                .find("`, expected")
                .or_else(|| value.rfind('`'))
                .map(|i| i + 1),
        }
    }
}

/// A regex syntax error without the pattern (regex-syntax's message quotes it, with a caret
/// under the error): the kind of error and its position in the pattern, in characters.
pub fn regex_syntax_error(e: &regex_syntax::Error) -> String {
    let (kind, at) = match e {
        regex_syntax::Error::Parse(e) => (e.kind().to_string(), e.span().start.column),
        regex_syntax::Error::Translate(e) => (e.kind().to_string(), e.span().start.column),
        _ => return "invalid regex".to_string(),
    };
    format!("{kind} (at character {at} of the pattern)")
}

/// A regex build error without the pattern: a syntax error as [`regex_syntax_error`]; others
/// (size limits) do not quote it.
pub fn regex_build_error(e: &regex_automata::meta::BuildError) -> String {
    match e.syntax_error() {
        Some(e) => regex_syntax_error(e),
        None => super::one_line(&e.to_string()),
    }
}

/// A glob error without the glob (globset's message quotes it).
pub fn glob_error(e: &globset::Error) -> String {
    e.kind().to_string()
}

/// The key of the `key = value` line holding byte `offset` of TOML `text`, when the offset is in
/// the value: a bare or dotted key, or a quoted one without quotes inside.
pub fn toml_key(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
    let (key, _) = text[start..offset].split_once('=')?;
    let key = key.trim();
    let bare = |k: &str| {
        !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
    };
    let unquoted = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .filter(|k| !k.contains(['"', '\\']));
    match unquoted {
        Some(k) => Some(k.to_string()),
        None => bare(key).then(|| key.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_dropped_keys_kept() {
        let v = "hf_AbCdEf\"GhIj\\";
        let m = format!("invalid type: string {v:?}, expected a sequence");
        assert_eq!(values(&m), "invalid type: a string, expected a sequence");
        assert_eq!(
            values("unknown variant `s3cr`et`, expected one of `low`, `high`"),
            "unknown variant, expected one of `low`, `high`"
        );
        assert_eq!(
            values("invalid value: character `x`, expected a digit at line 1 column 3"),
            "invalid value: a character, expected a digit at line 1 column 3"
        );
        assert_eq!(
            values("unknown field `password`, expected `rule`"),
            "unknown field `password`, expected `rule`"
        );
        assert_eq!(
            values("unknown field `hf_AbCdEfGh12345678`, expected `rule`"),
            "unknown field, expected `rule`"
        );
        assert_eq!(values("invalid basic string"), "invalid basic string");
    }

    #[test]
    fn regex_and_glob_errors_do_not_quote_the_pattern() {
        let pattern = "hf_SeCrEtVaLuE(";
        let e = regex_syntax::Parser::new().parse(pattern).unwrap_err();
        let m = regex_syntax_error(&e);
        assert!(!m.contains("SeCrEt"), "{m}");
        assert!(
            m.contains("unclosed group") && m.contains("character"),
            "{m}"
        );
        let e = regex_automata::meta::Regex::new(pattern).unwrap_err();
        assert!(!regex_build_error(&e).contains("SeCrEt"));
        let e = globset::Glob::new("hf_SeCrEt[").unwrap_err();
        let m = glob_error(&e);
        assert!(!m.contains("SeCrEt") && m.contains("unclosed"), "{m}");
    }

    #[test]
    fn key_of_the_error_line() {
        let text = "[x]\npassword = \"abc\nother = 1\n";
        let at = text.find("abc").unwrap();
        assert_eq!(toml_key(text, at).as_deref(), Some("password"));
        assert_eq!(toml_key("\"a.b\" = 1", 8).as_deref(), Some("a.b"));
        assert_eq!(toml_key("[[rule]]\n", 3), None);
        assert_eq!(toml_key("x y = 1", 6), None);
    }
}
