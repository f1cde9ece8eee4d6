//! `leakgate rules`: the built-in rules pass their own examples; config errors are precise.

use crate::support::TestRepo;

#[test]
fn builtin_rules_pass_their_examples() {
    let dir = TestRepo::plain();
    let run = dir.leakgate(&["rules", "check"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains(" 0 failures"), "{}", run.stdout);
}

#[test]
fn every_builtin_rule_has_rotation_guidance_and_examples() {
    let dir = TestRepo::plain();
    let run = dir.leakgate(&["rules", "list", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rules = doc["rules"].as_array().unwrap();
    assert!(rules.len() >= 60, "{}", rules.len());
    for r in rules {
        assert!(
            r["rotation"]["url"]
                .as_str()
                .unwrap()
                .starts_with("https://"),
            "{r}"
        );
        assert!(r["rotation"]["steps"].as_array().unwrap().len() >= 2, "{r}");
    }
}

#[test]
fn user_config_rules_are_checked() {
    let dir = TestRepo::plain();
    dir.write(
        "extra.toml",
        r#"
[[rule]]
id = "acme-token"
provider = "Acme"
description = "Acme internal token"
severity = "high"
keywords = ["acme_"]
regex = '''\b(?P<secret>acme_[0-9a-f]{32})\b'''
examples = ["ACME=acme_0123456789abcdef0123456789abcdef"]
negative_examples = ["acme_0123"]
rotate.url = "https://acme.invalid/tokens"
rotate.steps = ["Revoke it", "Issue a new one"]

[[rule]]
id = "acme-broken"
provider = "Acme"
description = "a rule whose example does not match"
severity = "low"
keywords = ["acmb_"]
regex = '''(?P<secret>acmb_[0-9]{4})'''
examples = ["acmb_12"]
rotate.url = "https://acme.invalid/tokens"
rotate.steps = ["Revoke it"]
"#,
    );
    let run = dir.leakgate(&["rules", "check", "--config", "extra.toml"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("rule 'acme-broken' example not matched"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("'acme-token'"), "{}", run.stdout);
    // The user rule is live in scans.
    dir.write("x.cfg", "ACME=acme_0123456789abcdef0123456789abcdef\n");
    let run = dir.leakgate(&[
        "scan",
        "x.cfg",
        "--config",
        "extra.toml",
        "--format",
        "json",
    ]);
    assert_eq!(run.findings()[0]["rule_id"], "acme-token");
}

#[test]
fn malformed_config_names_file_line_and_rule() {
    let dir = TestRepo::plain();
    dir.write(
        "bad.toml",
        "# comment\n\n[[rule]]\nid = \"bad-regex\"\nprovider = \"X\"\ndescription = \"x\"\nseverity = \"low\"\nkeywords = [\"xx\"]\nregex = '(?P<secret>xx('\n",
    );
    let run = dir.leakgate(&["scan", ".", "--config", "bad.toml"]);
    assert_eq!(run.code, 2);
    let line = run.stderr.trim();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.contains("bad.toml:3:1: rule 'bad-regex': regex:"),
        "{line}"
    );

    dir.write(
        "syntax.toml",
        "[[rule]]\nid = \"x\"\nseverity = \"urgent\"\n",
    );
    let run = dir.leakgate(&["scan", ".", "--config", "syntax.toml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("syntax.toml:3:"), "{}", run.stderr);

    // An unknown id is located, not echoed: anything in its place may be a secret.
    dir.write("unknown.toml", "disabled_rules = [\"no-such-rule\"]\n");
    let run = dir.leakgate(&["scan", ".", "--config", "unknown.toml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown.toml:1:19: `disabled_rules`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("no-such-rule"), "{}", run.stderr);
}

#[test]
fn disabled_rules_do_not_report() {
    let dir = TestRepo::plain();
    dir.write(
        "off.toml",
        "disabled_rules = [\"huggingface-access-token\"]\n",
    );
    let tok = crate::support::Gen::new(30).huggingface();
    dir.write("t.env", format!("T={tok}\n"));
    assert_eq!(dir.leakgate(&["scan", "t.env"]).code, 1);
    assert_eq!(
        dir.leakgate(&["scan", "t.env", "--config", "off.toml"])
            .code,
        0
    );
}

#[test]
fn explain_shows_rotation() {
    let dir = TestRepo::plain();
    let run = dir.leakgate(&["rules", "explain", "anthropic-api-key"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("rotate: https://"), "{}", run.stdout);
    assert_eq!(dir.leakgate(&["rules", "explain", "nope"]).code, 2);
}
