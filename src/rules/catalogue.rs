//! The layout of `patterns.toml`, which reads as a catalogue (see the file's header): sections by
//! category in a fixed order, each introduced by the same banner; rules ordered by provider, then
//! id; one quoting style. A rule added in the wrong place or style fails
//! `builtin_rules_form_a_catalogue` with the line to fix.

/// The sections, in file order. Every rule is in one of them.
const SECTIONS: &[&str] = &[
    "AI and ML providers",
    "Cloud providers",
    "Source hosting and CI/CD",
    "Package registries",
    "Payments and commerce",
    "Messaging and communication",
    "Email and marketing",
    "Monitoring and observability",
    "Databases and data platforms",
    "Productivity and SaaS",
    "Data and web APIs",
    "Identity and security",
    "Private keys and certificates",
    "Generic credential formats",
];

/// The first and last line of a section banner; the line between is `# <section>`.
const BANNER_LINE: &str = "# ---------------------------------------------------------------------------------------------";

/// The provider of rules about no provider: last in its section.
const GENERIC: &str = super::Specificity::GENERIC_PROVIDER;

/// Keys whose strings are regexes, written '''...'''.
const REGEX_KEYS: &[&str] = &["regex", "token", "regexes", "unquoted_regexes"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// `'...'`
    Literal,
    /// `'''...'''` on one line
    Triple,
    /// `"..."`
    Basic,
    /// `"""..."""`, or `'''...'''` over several lines
    MultiLine,
}

/// How a value is written: '''...''' for a regex, '...' otherwise, and "..." where that cannot
/// hold it (a single quote, or a character that needs an escape).
fn quote_for(value: &str, regex: bool) -> Quote {
    let plain = !value.chars().any(|c| (c as u32) < 0x20 || c == '\x7f');
    if regex {
        let fits =
            plain && !value.contains("'''") && !value.starts_with('\'') && !value.ends_with('\'');
        if fits { Quote::Triple } else { Quote::Basic }
    } else if plain && !value.contains('\'') {
        Quote::Literal
    } else {
        Quote::Basic
    }
}

/// The value of a basic string's body (between the quotes).
fn unescape(body: &str) -> String {
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some(u @ ('u' | 'U')) => {
                let hex: String = chars.by_ref().take(if u == 'u' { 4 } else { 8 }).collect();
                let code = u32::from_str_radix(&hex, 16).unwrap_or(0xFFFD);
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// A rule as the layout check sees it.
struct Entry {
    line: usize,
    id: String,
    provider: String,
}

/// Every departure from the catalogue layout, as `patterns.toml:LINE: problem`.
fn problems(text: &str) -> Vec<String> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    header_problems(&lines, &mut out);
    let rules = section_problems(&lines, &mut out);
    order_problems(&rules, &mut out);
    quoting_problems(text, &mut out);
    out.sort_by_key(|p| p.0);
    out.into_iter()
        .map(|(line, msg)| format!("patterns.toml:{line}: {msg}"))
        .collect()
}

/// The file starts by saying what it is.
fn header_problems(lines: &[&str], out: &mut Vec<(usize, String)>) {
    let mut problem = |line: usize, msg: String| out.push((line, msg));
    let header: Vec<&str> = lines
        .iter()
        .take_while(|l| l.starts_with('#'))
        .copied()
        .collect();
    let header = header.join("\n");
    if !(header.contains("built-in rules")
        && header.contains("README.md")
        && header.contains("Rules"))
    {
        problem(
            1,
            "the file starts with a comment saying what it is (the built-in rules) and pointing to README.md, \"Rules\"".into(),
        );
    }
}

/// Sections in order, every rule in one, a provider in one section only; returns the rules with
/// their section.
fn section_problems(lines: &[&str], out: &mut Vec<(usize, String)>) -> Vec<(usize, Entry)> {
    let mut problem = |line: usize, msg: String| out.push((line, msg));
    // Sections and rules, line by line (strings spanning lines are reported by the quoting pass).
    let mut section: Option<usize> = None;
    let mut rules: Vec<(usize, Entry)> = Vec::new();
    let mut provider_section: std::collections::HashMap<String, usize> = Default::default();
    let mut i = 0;
    while i < lines.len() {
        let (n, line) = (i + 1, lines[i]);
        i += 1;
        if line.starts_with('#') {
            let lower = line.to_ascii_lowercase();
            let word = |w: &str| {
                lower
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|x| x == w)
            };
            if lower.contains("rules-wip") || lower.contains("format.md") || word("batch") {
                problem(
                    n,
                    "a comment about how the rules were written (a batch, a rules-wip file): say what the rules do instead".into(),
                );
            }
        }
        if line == BANNER_LINE {
            let title = lines.get(i).and_then(|t| t.strip_prefix("# "));
            let closed = lines.get(i + 1) == Some(&BANNER_LINE);
            let next = section.map_or(0, |s| s + 1);
            match (title, closed) {
                (Some(t), true) if SECTIONS.get(next) == Some(&t) => section = Some(next),
                (Some(t), true) => {
                    problem(
                        n + 1,
                        format!(
                            "section '{t}' where '{}' comes next (sections, in order: {})",
                            SECTIONS
                                .get(next)
                                .unwrap_or(&"(none: the last section was reached)"),
                            SECTIONS.join("; ")
                        ),
                    );
                    if let Some(k) = SECTIONS.iter().position(|s| *s == t) {
                        section = Some(k);
                    }
                }
                _ => problem(
                    n,
                    "a section banner is three lines: the dash line, `# <section>`, the dash line"
                        .into(),
                ),
            }
            i += 2;
            continue;
        }
        if line.trim() == "[[rule]]" {
            let mut entry = Entry {
                line: n,
                id: String::new(),
                provider: String::new(),
            };
            for l in lines[i..].iter().take_while(|l| l.trim() != "[[rule]]") {
                let value = |key: &str| {
                    let v = l.strip_prefix(key)?.trim_start().strip_prefix('=')?.trim();
                    let inner = v.get(1..v.len().checked_sub(1)?)?;
                    Some(if v.starts_with('"') {
                        unescape(inner)
                    } else {
                        inner.to_string()
                    })
                };
                if let Some(v) = value("id") {
                    entry.id = v;
                } else if let Some(v) = value("provider") {
                    entry.provider = v;
                }
            }
            match section {
                None => problem(
                    n,
                    format!("rule '{}' is before the first section banner", entry.id),
                ),
                Some(s) => {
                    let first = *provider_section.entry(entry.provider.clone()).or_insert(s);
                    if first != s {
                        problem(
                            n,
                            format!(
                                "rule '{}': provider '{}' already has a section, '{}'",
                                entry.id, entry.provider, SECTIONS[first]
                            ),
                        );
                    }
                    rules.push((s, entry));
                }
            }
        }
    }
    if let Some(s) = section
        && s + 1 < SECTIONS.len()
    {
        problem(
            lines.len(),
            format!(
                "missing sections after '{}': {}",
                SECTIONS[s],
                SECTIONS[s + 1..].join("; ")
            ),
        );
    }
    rules
}

/// In a section, rules by provider (case-insensitive, `Generic` last), then id.
fn order_problems(rules: &[(usize, Entry)], out: &mut Vec<(usize, String)>) {
    let mut problem = |line: usize, msg: String| out.push((line, msg));
    let order = |e: &Entry| {
        (
            e.provider == GENERIC,
            e.provider.to_lowercase(),
            e.id.clone(),
        )
    };
    for pair in rules.windows(2) {
        let ((s, a), (t, b)) = (&pair[0], &pair[1]);
        if s == t && order(b) < order(a) {
            problem(
                b.line,
                format!(
                    "rule '{}' (provider '{}') belongs before '{}' (provider '{}', line {}): in a section, rules go by provider (case-insensitive, '{GENERIC}' last), then id",
                    b.id, b.provider, a.id, a.provider, a.line
                ),
            );
        }
    }
}

/// One quoting style: every string, with the key it belongs to.
fn quoting_problems(text: &str, out: &mut Vec<(usize, String)>) {
    let mut problem = |line: usize, msg: String| out.push((line, msg));
    let bytes = text.as_bytes();
    let (mut at, mut line, mut depth) = (0usize, 1usize, 0usize);
    let mut key = String::new();
    let mut line_start = true;
    while at < bytes.len() {
        let c = bytes[at];
        if line_start && depth == 0 {
            let rest = &text[at..];
            let name_len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
                .unwrap_or(rest.len());
            if name_len > 0
                && rest[name_len..]
                    .trim_start_matches([' ', '\t'])
                    .starts_with('=')
            {
                key = rest[..name_len]
                    .rsplit('.')
                    .next()
                    .unwrap_or("")
                    .to_string();
            }
        }
        line_start = false;
        match c {
            b'\n' => {
                line += 1;
                line_start = true;
                at += 1;
            }
            b'#' => at = text[at..].find('\n').map_or(bytes.len(), |e| at + e),
            b'[' if depth == 0 && (at == 0 || bytes[at - 1] == b'\n') => {
                at = text[at..].find('\n').map_or(bytes.len(), |e| at + e);
            }
            b'[' => {
                depth += 1;
                at += 1;
            }
            b']' => {
                depth = depth.saturating_sub(1);
                at += 1;
            }
            b'\'' | b'"' => {
                let q = c as char;
                let triple = if q == '"' { "\"\"\"" } else { "'''" };
                let (quote, value, end) = if text[at..].starts_with(triple) {
                    let close = text[at + 3..]
                        .find(triple)
                        .map_or(bytes.len(), |e| at + 3 + e);
                    let mut end = close + 3;
                    while end < bytes.len() && bytes[end] == c {
                        end += 1;
                    }
                    let body = &text[at + 3..end.saturating_sub(3).max(at + 3)];
                    let quote = if q == '"' || body.contains('\n') {
                        Quote::MultiLine
                    } else {
                        Quote::Triple
                    };
                    (quote, body.to_string(), end.min(bytes.len()))
                } else if q == '\'' {
                    let close = text[at + 1..]
                        .find(['\'', '\n'])
                        .map_or(bytes.len(), |e| at + 1 + e);
                    (Quote::Literal, text[at + 1..close].to_string(), close + 1)
                } else {
                    let mut e = at + 1;
                    while e < bytes.len() && bytes[e] != b'"' && bytes[e] != b'\n' {
                        e += if bytes[e] == b'\\' { 2 } else { 1 };
                    }
                    let e = e.min(bytes.len());
                    (Quote::Basic, unescape(&text[at + 1..e]), e + 1)
                };
                let want = quote_for(&value, REGEX_KEYS.contains(&key.as_str()));
                if quote != want {
                    let how = match want {
                        Quote::Literal => "'...' (a single-quoted literal string)",
                        Quote::Triple => "'''...''' (a regex: a literal string in triple quotes)",
                        _ => {
                            "\"...\" (the value has a single quote or a character that needs an escape)"
                        }
                    };
                    let what = match quote {
                        Quote::MultiLine => {
                            "a string over several lines (write one line, with \\n)"
                        }
                        Quote::Basic => "a double-quoted string",
                        Quote::Triple => "a triple-quoted string",
                        Quote::Literal => "a single-quoted string",
                    };
                    problem(
                        line,
                        format!("`{key}`: {what} where the catalogue writes {how}"),
                    );
                }
                line += text[at..end.min(bytes.len())].matches('\n').count();
                at = end;
            }
            _ => at += 1,
        }
    }
}

#[test]
fn builtin_rules_form_a_catalogue() {
    let found = problems(include_str!("../../patterns.toml"));
    assert!(
        found.is_empty(),
        "{} problem(s) with the layout of patterns.toml (see its header):\n{}",
        found.len(),
        found
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Test rules: (provider, id, the lines after `severity`).
type TestRules<'a> = &'a [(&'a str, &'a str, &'a str)];

/// A catalogue of the given sections, each holding the given rules.
fn catalogue(sections: &[(&str, TestRules)]) -> String {
    let mut text = String::from(
        "# leakgate built-in rules; format: README.md, \"Rules and configuration\".\n",
    );
    for (title, rules) in sections {
        text.push_str(&format!("\n{BANNER_LINE}\n# {title}\n{BANNER_LINE}\n"));
        for (provider, id, extra) in rules.iter() {
            text.push_str(&format!(
                "\n[[rule]]\nid = '{id}'\nprovider = '{provider}'\ndescription = 'd'\nseverity = 'high'\n{extra}"
            ));
        }
    }
    text
}

#[test]
fn the_layout_check_names_each_offending_line() {
    let all: Vec<(&str, TestRules)> = SECTIONS.iter().map(|s| (*s, &[][..])).collect();
    let regex = "keywords = ['ab']\nregex = '''(?P<secret>ab[0-9]{8})'''\n";
    let rules: TestRules = &[
        ("acme", "acme-key", regex),
        ("Beta", "beta-a", regex),
        ("beta", "beta-b", regex),
        ("Generic", "aa-generic", regex),
    ];
    let mut good = all.clone();
    good[0].1 = rules;
    assert_eq!(problems(&catalogue(&good)), Vec::<String>::new());

    let expect = |text: &str, line: usize, words: &str| {
        let found = problems(text);
        let prefix = format!("patterns.toml:{line}: ");
        assert!(
            found
                .iter()
                .any(|p| p.starts_with(&prefix) && p.contains(words)),
            "no problem '{words}' on line {line}: {found:#?}\n{text}"
        );
    };
    let good = catalogue(&good);
    // The line of a rule's `[[rule]]` header (the line above its id).
    let rule_line = |id: &str| {
        good.lines()
            .position(|l| l == format!("id = '{id}'"))
            .expect("id line")
    };
    // Out of order: the later rule is named, on its [[rule]] line.
    expect(
        &good.replace("beta-b", "acme-zz"),
        rule_line("beta-b"),
        "belongs before 'beta-a'",
    );
    // Not the next section.
    let swapped = good.replacen(SECTIONS[1], "Private keys and certificates", 1);
    let title_line = 1 + good
        .lines()
        .position(|l| l == format!("# {}", SECTIONS[1]))
        .unwrap();
    expect(&swapped, title_line, "comes next");
    // A rule before the first banner.
    let early = format!(
        "# leakgate built-in rules (README.md, Rules)\n\n[[rule]]\nid = 'x'\nprovider = 'P'\n{}",
        &good[good.find('\n').unwrap()..]
    );
    expect(&early, 3, "before the first section banner");
    // Quoting: a basic string that needs no escape, a regex in single quotes.
    expect(
        &good.replace("description = 'd'", "description = \"d\""),
        rule_line("acme-key") + 3,
        "double-quoted string where the catalogue writes '...'",
    );
    expect(
        &good.replacen(
            "regex = '''(?P<secret>ab[0-9]{8})'''",
            "regex = '(?P<secret>ab[0-9]{8})'",
            1,
        ),
        rule_line("acme-key") + 6,
        "'''...'''",
    );
    // Banners about how the rules were made.
    expect(
        &good.replacen("\n[[rule]]", "\n# batch 2\n[[rule]]", 1),
        rule_line("acme-key"),
        "a batch",
    );
    // A missing section.
    let short = catalogue(&all[..3]);
    expect(&short, short.lines().count(), "missing sections");
}
