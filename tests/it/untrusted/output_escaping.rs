//! What reaches the terminal and the documents leakgate writes: a repository chooses its file
//! names, commit summaries, author names and ref names, and control characters in them (`ESC ]0;`
//! retitles the terminal, `ESC [2J` clears it, `\r` overwrites a line, C1 controls, bidi
//! overrides that make a name read backwards) must never reach stdout as themselves in the
//! human, markdown and SARIF formats; they are shown visibly (`\x1b`, `\r`, `\u{202e}`). The
//! commands leakgate suggests are shell-quoted, and a config or baseline error names the file,
//! line, column and key, never the value.

use crate::support::{Gen, Run, TestRepo};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// Names a repository can give its files: OSC (retitle), CSI (clear), `\r`, a C1 control,
/// a bidi override and a bidi isolate.
const HOSTILE_NAMES: [&str; 7] = [
    "osc\x1b]0;pwned\x07.env",
    "clear\x1b[2J.env",
    "cr\rover.env",
    "c1\u{9b}31m.env",
    "bidi\u{202e}vne.txt",
    "iso\u{2066}late\u{2069}.env",
    "marks\u{200f}x\u{61c}y\u{200e}.env",
];

/// What [`HOSTILE_NAMES`] look like once escaped.
const SHOWN: [&str; 7] = [
    "osc\\x1b]0;pwned\\x07.env",
    "clear\\x1b[2J.env",
    "cr\\rover.env",
    "c1\\u{9b}31m.env",
    "bidi\\u{202e}vne.txt",
    "iso\\u{2066}late\\u{2069}.env",
    "marks\\u{200f}x\\u{61c}y\\u{200e}.env",
];

/// The first character of `out` that must never be printed raw, with its position.
fn raw_control(out: &str) -> Option<(usize, char)> {
    out.char_indices().find(|&(_, c)| {
        (c.is_control() && c != '\n')
            || matches!(
                c,
                '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}'
            )
    })
}

fn assert_clean(what: &str, run: &Run) {
    if let Some((at, c)) = raw_control(&run.stdout) {
        let from = run.stdout[..at]
            .char_indices()
            .rev()
            .nth(60)
            .map_or(0, |(i, _)| i);
        panic!(
            "{what}: raw {c:?} at byte {at}, after {:?}",
            &run.stdout[from..at]
        );
    }
}

/// A repository whose files have hostile names and hold secrets, committed by an author with a
/// hostile name and summary, on a branch and a tag whose names hold what git allows (bytes of
/// bidi and C1 characters: git refuses ASCII controls in ref names).
fn hostile_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "project\n").commit_all("initial");
    let mut g = Gen::new(901);
    for name in HOSTILE_NAMES {
        std::fs::write(
            repo.path().join(OsStr::from_bytes(name.as_bytes())),
            format!("HF_TOKEN={}\n", g.huggingface()),
        )
        .unwrap();
    }
    repo.git(&["checkout", "-q", "-b", "evil\u{202e}hcnarb\u{9b}2J"]);
    repo.git(&["add", "-A"]);
    repo.git(&[
        "-c",
        "user.name=Mallory \x1b]0;owned\x07\x1b[2J\u{202e}",
        "commit",
        "-q",
        "-m",
        "innocent \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \r\u{202e}yrammus",
    ]);
    repo.git(&["tag", "-a", "-m", "release", "v1\u{202e}1v"]);
    repo
}

/// Human, markdown and SARIF output of `scan`, `history`, `audit` and `ci` on the hostile
/// repository: no raw control or bidi character, and the names shown escaped.
#[test]
fn hostile_names_summaries_and_authors_are_escaped_in_text_formats() {
    let repo = hostile_repo();
    let commands: [&[&str]; 4] = [
        &["scan", "."],
        &["history", "."],
        &["audit", "."],
        &["ci", "--base", "HEAD~1", "--head", "HEAD"],
    ];
    for cmd in commands {
        for format in ["human", "markdown", "sarif"] {
            let mut args = cmd.to_vec();
            args.extend(["--format", format, "--color", "never"]);
            let run = repo.leakgate(&args);
            let what = format!("{cmd:?} {format}");
            assert_eq!(run.code, 1, "{what}: {}", run.stderr);
            assert_clean(&what, &run);
            // The names are there, escaped. SARIF has paths only as percent-encoded URIs; its
            // messages and properties (commit author and summary) are escaped.
            if format == "sarif" {
                if cmd[0] != "scan" {
                    assert!(run.stdout.contains("Mallory \\\\x1b]0;owned"), "{what}");
                }
            } else {
                let shown = SHOWN.iter().filter(|s| run.stdout.contains(*s)).count();
                assert!(shown >= 1, "{what}: {}", run.stdout);
            }
        }
    }
    // The audit's HTML report: a browser shows neither controls nor bidi characters as such.
    let run = repo.leakgate(&["audit", ".", "--format", "html"]);
    assert_eq!(run.code, 1, "html: {}", run.stderr);
    assert_clean("audit html", &run);
    for name in SHOWN {
        assert!(run.stdout.contains(name), "html {name}: {}", run.stdout);
    }
    // The author and summary are shown, escaped, where the format shows them.
    let run = repo.leakgate(&["history", ".", "--color", "never"]);
    assert!(
        run.stdout
            .contains("Mallory \\x1b]0;owned\\x07\\x1b[2J\\u{202e}"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("innocent \\x1b]8;;https://evil.example\\x07click")
    );
    for name in SHOWN {
        assert!(run.stdout.contains(name), "{name}: {}", run.stdout);
    }
    // Ref names: in SARIF's commit properties, escaped.
    let run = repo.leakgate(&["history", ".", "--format", "sarif"]);
    assert!(
        run.stdout.contains("evil\\\\u{202e}hcnarb\\\\u{9b}2J"),
        "{}",
        run.stdout
    );
    // JSON keeps the data as it is (JSON-escaped: no raw ESC either).
    let run = repo.leakgate(&["history", ".", "--format", "json"]);
    let f = run.findings();
    assert!(
        f.iter().any(|f| f["path"] == "osc\x1b]0;pwned\x07.env"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains('\x1b'));
}

/// A markdown table row keeps its seven cells whatever a path holds (`|`, backticks, `<`, `[`),
/// and a path with backticks is still one code span.
#[test]
fn markdown_cells_hold_pipes_backticks_and_markup() {
    let repo = TestRepo::new();
    repo.write("README.md", "project\n").commit_all("initial");
    let mut g = Gen::new(902);
    let name = "a|b`c``d<img src=x>[e](f).env";
    repo.write(name, format!("HF_TOKEN={}\n", g.huggingface()))
        .commit_all("add");
    for cmd in [&["scan", "."][..], &["history", "."]] {
        let mut args = cmd.to_vec();
        args.extend(["--format", "markdown"]);
        let run = repo.leakgate(&args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let rows: Vec<&str> = run
            .stdout
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| severity"))
            .collect();
        assert_eq!(rows.len(), 1, "{}", run.stdout);
        let row = rows[0];
        let cells = row
            .char_indices()
            .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
            .count();
        assert_eq!(cells, 8, "{row}");
        assert!(
            row.contains("```a\\|b`c``d<img src=x>[e](f).env:1```"),
            "{row}"
        );
    }
}

fn sh_single(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// `git restore --staged -- FILE` and the history clean-up commands name files a repository
/// (or the user) chose: quoted for the shell, control characters as `$'\xHH'`.
#[test]
fn suggested_commands_are_shell_quoted() {
    let repo = TestRepo::new();
    repo.write("README.md", "project\n").commit_all("initial");
    let mut g = Gen::new(903);
    for name in ["my file.env", "it's $(touch pwned).env", "esc\x1b[2J'.env"] {
        std::fs::write(
            repo.path().join(name),
            format!("HF_TOKEN={}\n", g.huggingface()),
        )
        .unwrap();
    }
    repo.git(&["add", "-A"]);
    let run = repo.leakgate(&["staged", "--color", "never"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_clean("staged advice", &run);
    for quoted in [
        "'my file.env'".to_string(),
        sh_single("it's $(touch pwned).env"),
        "$'esc\\x1b[2J\\'.env'".to_string(),
    ] {
        let line = format!("  git restore --staged -- {quoted}   # unstage");
        assert!(run.stdout.contains(&line), "{line}\n{}", run.stdout);
    }

    repo.git(&["commit", "-q", "-m", "oops"]);
    let file = repo.path().join("clean up's here.txt");
    let file = file.to_str().unwrap();
    let run = repo.leakgate(&["audit", ".", "--replacements", file, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let cleanup = &run.json()["secrets"][0]["rotation"]["cleanup"];
    assert_eq!(
        cleanup[0],
        format!("git filter-repo --replace-text {}", sh_single(file)),
        "{cleanup}"
    );
    assert!(
        cleanup[1]
            .as_str()
            .unwrap()
            .starts_with(&format!("bfg --replace-text {} && ", sh_single(file))),
        "{cleanup}"
    );
}

/// A malformed `.leakgate.toml` with a secret on the bad line, and a baseline holding a secret
/// where a fingerprint goes: the error names file:line:column and the key, never the value.
#[test]
fn config_and_baseline_errors_never_echo_values() {
    let secret = Gen::new(904).huggingface();
    let cases = [
        (format!("password = \"{secret}\n"), "1:", "`password`"),
        (
            format!("disabled_rules = \"{secret}\"\n"),
            "1:18",
            "`disabled_rules`",
        ),
        (
            format!("disabled_rules = [\"{secret}\"]\n"),
            "1:19",
            "`disabled_rules`",
        ),
        (
            format!(
                "[[rule]]\nid = \"x\"\nprovider = \"p\"\ndescription = \"d\"\nseverity = \"{secret}\"\nregex = '(?P<secret>ab)'\n"
            ),
            "5:12",
            "`severity`",
        ),
        (
            format!(
                "[[rule]]\nid = \"{secret} \"\nprovider = \"p\"\ndescription = \"d\"\nseverity = \"low\"\nkeywords = [\"ab\"]\nregex = '(?P<secret>ab)'\n"
            ),
            "1:1",
            "rule",
        ),
        // Allowlist regexes and globs may be the very secret they allow; a key may be one.
        (
            format!("[[allowlist]]\nregexes = ['{secret}(']\n"),
            "1:1",
            "regex entry 1: unclosed group",
        ),
        (
            format!("[[allowlist]]\npaths = ['{secret}[']\n"),
            "1:1",
            "`paths` entry 1: unclosed character class",
        ),
        (
            format!("[[allowlist]]\n{secret} = 1\n"),
            "2:1",
            "unknown field, expected",
        ),
        (
            format!(
                "[[rule]]\nid = \"x\"\nprovider = \"p\"\ndescription = \"d\"\nseverity = \"low\"\nkeywords = [\"ab\"]\nregex = '(?P<secret>{secret}('\n"
            ),
            "1:1",
            "regex: unclosed group",
        ),
    ];
    for (text, position, key) in cases {
        let repo = TestRepo::new();
        repo.write(".leakgate.toml", &text);
        let run = repo.leakgate(&["scan", "."]);
        assert_eq!(run.code, 2, "{text}: {}", run.stdout);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains(&secret), "{text}: {all}");
        assert!(!all.contains(&secret[..12]), "{text}: {all}");
        assert!(
            all.contains(&format!(".leakgate.toml:{position}")),
            "{text}: {all}"
        );
        assert!(all.contains(key), "{text}: {all}");
    }
    let repo = TestRepo::new();
    for body in [
        format!(
            r#"{{"version":1,"tool":"x","entries":[{{"fingerprint":"{secret}","rule_id":"r"}}]}}"#
        ),
        format!(
            r#"{{"version":1,"tool":"x","entries":[{{"fingerprint":"lg1:00","rule_id":"r","locations":"{secret}"}}]}}"#
        ),
    ] {
        repo.write("b.json", &body);
        let run = repo.leakgate(&["scan", ".", "--no-repo-config", "--baseline", "b.json"]);
        assert_eq!(run.code, 2, "{}", run.stdout);
        assert!(!run.stderr.contains(&secret[..12]), "{}", run.stderr);
        assert!(run.stderr.contains("b.json"), "{}", run.stderr);
    }
}
