//! What reaches the terminal and the documents leakgate writes: a repository chooses its file
//! names, commit summaries, author names and ref names, and control characters in them (`ESC ]0;`
//! retitles the terminal, `ESC [2J` clears it, `\r` overwrites a line, C1 controls, bidi
//! overrides that make a name read backwards) must never reach stdout as themselves in the
//! human, markdown and SARIF formats; they are shown visibly (`\x1b`, `\r`, `\u{202e}`). The
//! commands leakgate suggests are shell-quoted, and a config or baseline error names the file,
//! line, column and key, never the value.

use crate::support::{Gen, TestRepo};

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
