//! Suppression is always visible: whatever suppressed findings (a repository's `.leakgate.toml`
//! allowlists, disabled or replaced rules, its baseline, inline allow markers) is counted in
//! every format, and a warning names what the scanned repository's own files suppressed.

use crate::support::{Gen, Run, TestRepo};

const FORMATS: &[&str] = &["human", "markdown", "html", "sarif", "github", "json"];

fn audit(repo: &TestRepo, format: &str, extra: &[&str]) -> Run {
    let mut args = vec!["audit", ".", "--format", format, "--color", "never"];
    args.extend_from_slice(extra);
    repo.leakgate(&args)
}

/// A repository whose own config hides its two keys (one committed, one in `.envrc`).
fn hiding_repo(config: &str) -> (TestRepo, Vec<String>) {
    let repo = TestRepo::new();
    let mut g = Gen::new(1520);
    let keys = vec![g.anthropic(), g.anthropic()];
    repo.write(".gitignore", ".envrc\n")
        .write(".leakgate.toml", config)
        .write("deploy.txt", format!("key {}\n", keys[0]))
        .commit_all("initial");
    repo.write(".envrc", format!("x {}\n", keys[1]));
    (repo, keys)
}

fn assert_visible(repo: &TestRepo, what: &str, n: usize) {
    for format in FORMATS {
        let run = audit(repo, format, &[]);
        assert_eq!(run.code, 0, "{what} {format}: {}", run.stderr);
        let all = format!("{}{}", run.stdout, run.stderr).replace("&#39;", "'");
        assert!(
            all.contains(&format!(
                "the scanned repository's own files suppressed {n} finding"
            )),
            "{what}: {format} does not warn:\n{all}"
        );
        assert!(all.contains("--no-repo-config"), "{what} {format}");
        if *format == "json" {
            let s = &run.json()["summary"];
            assert_eq!(s["suppressed_by_repository"], n, "{what}: {s}");
        }
    }
    // And the same repository with its own config ignored shows them.
    let run = audit(repo, "json", &["--no-repo-config", "--no-inline-allow"]);
    assert_eq!(run.code, 1, "{what}: {}", run.stderr);
}

#[test]
fn an_allowlist_matching_everything_is_counted_and_warned_about() {
    let (repo, _) = hiding_repo("[[allowlist]]\ndescription = \"everything\"\nregexes = ['.*']\n");
    assert_visible(&repo, "allowlist", 3);
    let run = audit(&repo, "human", &[]);
    assert!(
        run.stdout
            .contains("allowlist 'everything' suppressed 3 findings"),
        "{}",
        run.stdout
    );
}

#[test]
fn disabled_and_replaced_rules_count_what_they_would_have_found() {
    let (repo, _) = hiding_repo("disabled_rules = [\"anthropic-api-key\"]\n");
    assert_visible(&repo, "disabled rule", 3);
    let run = audit(&repo, "markdown", &[]);
    assert!(
        run.stdout
            .contains(".leakgate.toml: rule anthropic-api-key disabled: 3 findings not reported"),
        "{}",
        run.stdout
    );
    // The same id redefined with a regex that never matches.
    let replaced = concat!(
        "[[rule]]\nid = \"anthropic-api-key\"\nprovider = \"Anthropic\"\n",
        "description = \"d\"\nseverity = \"low\"\nkeywords = [\"zzqq\"]\n",
        "regex = '''(?P<secret>zzqq[0-9]{40})'''\n",
        "rotate.url = \"https://example.org\"\nrotate.steps = [\"x\"]\n",
    );
    let (repo, _) = hiding_repo(replaced);
    assert_visible(&repo, "replaced rule", 3);
}

#[test]
fn a_rule_redefined_with_a_low_confidence_counts_what_the_floor_drops() {
    // Same id, same regex, but `confidence = 'low'`: the default floor (medium) would drop every
    // finding of the replacement, and the replaced rule loses the overlap to it.
    let low = concat!(
        "[[rule]]\nid = \"anthropic-api-key\"\nprovider = \"Anthropic\"\n",
        "description = \"d\"\nseverity = \"low\"\nconfidence = \"low\"\n",
        "keywords = [\"sk-ant-api\"]\n",
        "regex = '''(?P<secret>sk-ant-api\\d{2,3}-[A-Za-z0-9_-]{93}AA)'''\n",
        "rotate.url = \"https://example.org\"\nrotate.steps = [\"x\"]\n",
    );
    let (repo, _) = hiding_repo(low);
    assert_visible(&repo, "rule redefined with low confidence", 3);
    let run = audit(&repo, "markdown", &[]);
    assert!(
        run.stdout.contains("rule anthropic-api-key replaced"),
        "{}",
        run.stdout
    );
}

#[test]
fn inline_markers_and_the_repository_baseline_are_counted() {
    let repo = TestRepo::new();
    let mut g = Gen::new(1521);
    let (a, b) = (g.anthropic(), g.anthropic());
    repo.write("one.txt", format!("key {a} # gitleaks:allow\n"))
        .write("two.txt", format!("key {b}\n"))
        .commit_all("initial");
    let run = repo.leakgate(&["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["summary"]["suppressed_inline"], 1);
    assert_eq!(run.findings().len(), 1);
    let run = repo.leakgate(&["scan", ".", "--format", "json", "--no-inline-allow"]);
    assert_eq!(run.findings().len(), 2, "--no-inline-allow reports it");
    // The repository's own baseline accepting the other key.
    assert_eq!(repo.leakgate(&["baseline", "create"]).code, 0);
    for format in FORMATS {
        let run = audit(&repo, format, &[]);
        assert_eq!(run.code, 0, "{format}: {}", run.stdout);
        let all = format!("{}{}", run.stdout, run.stderr).replace("&#39;", "'");
        assert!(
            all.contains("suppressed 4 findings")
                && all.contains("by inline allow markers")
                && all.contains(".leakgate-baseline.json"),
            "{format}:\n{all}"
        );
    }
}
