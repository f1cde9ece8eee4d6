//! The gates hold (issue: no way past pre-commit, pre-push and the CI gate that a developer could
//! stumble into): real commits, real pushes to a local bare remote and GitHub event payloads for
//! `leakgate ci`. Secrets are generated at run time.

use crate::support::{Gen, Run, TestRepo, field, leakgate};
use serde_json::Value;

/// Run `leakgate ci` with a clean CI environment plus `env`.
fn ci(repo: &TestRepo, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = leakgate();
    c.arg("ci").args(args).current_dir(repo.path());
    for v in [
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_NAME",
        "GITHUB_EVENT_PATH",
        "GITHUB_SHA",
        "GITHUB_REF",
        "GITHUB_HEAD_REF",
        "GITHUB_STEP_SUMMARY",
        "GITLAB_CI",
        "CI_COMMIT_SHA",
        "CI_COMMIT_BEFORE_SHA",
        "CI_COMMIT_BRANCH",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA",
        "CI_DEFAULT_BRANCH",
    ] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    Run::new(c.output().unwrap())
}

/// A GitHub event payload written outside the repository, and the environment that names it.
fn github(event: &str, payload: Value, dir: &TestRepo) -> Vec<(String, String)> {
    let path = dir.join("event.json");
    std::fs::write(&path, payload.to_string()).unwrap();
    vec![
        ("GITHUB_ACTIONS".into(), "true".into()),
        ("GITHUB_EVENT_NAME".into(), event.into()),
        ("GITHUB_EVENT_PATH".into(), path.to_str().unwrap().into()),
    ]
}

fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

/// A repository with a bare `origin` remote.
fn with_origin() -> (TestRepo, TestRepo) {
    let repo = TestRepo::new();
    let remote = TestRepo::plain();
    let target = remote.join("origin.git");
    repo.git(&["init", "-q", "--bare", target.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", target.to_str().unwrap()]);
    (repo, remote)
}

#[test]
fn first_push_of_a_branch_that_origin_head_points_at_is_scanned() {
    let (repo, remote) = with_origin();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("a.py", "x = 1\n").commit_all("initial");
    repo.write("k.env", format!("T={}\n", Gen::new(1600).huggingface()))
        .commit_all("add key");
    let head = repo.rev("HEAD");
    // The repository's first push; CI's clone then has origin/HEAD -> origin/feature.
    repo.git(&["push", "-q", "-u", "origin", "feature"]);
    repo.git(&["remote", "set-head", "origin", "feature"]);
    let env = github(
        "push",
        serde_json::json!({"before": "0".repeat(40), "after": head, "ref": "refs/heads/feature"}),
        &remote,
    );
    let run = ci(&repo, &["--format", "json"], &refs(&env));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(field(&run.findings(), "path"), ["k.env"]);
}

/// Two new branches pushed together (stacked pull requests, `git push --all`): in CI's clone
/// each is a remote-tracking ref of the other's job. A new branch is compared with the default
/// branch only, so neither hides the other's commits; with no default branch the head's whole
/// history is scanned.
#[test]
fn ci_on_new_branches_pushed_together_compares_with_the_default_branch_only() {
    let (repo, remote) = with_origin();
    repo.write("a.py", "x = 1\n").commit_all("initial");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.git(&["checkout", "-q", "-b", "feat1"]);
    repo.write("k.env", format!("T={}\n", Gen::new(1612).huggingface()))
        .commit_all("key");
    repo.git(&["checkout", "-q", "-b", "feat2"]);
    repo.write("b.py", "y = 2\n").commit_all("more");
    repo.git(&["push", "-q", "origin", "feat1", "feat2"]);
    // CI's clone (actions/checkout with fetch-depth: 0): every branch is a remote-tracking ref.
    let clone = TestRepo::plain();
    let origin = remote.join("origin.git");
    clone.git(&["clone", "-q", origin.to_str().unwrap(), "."]);
    let zero = "0".repeat(40);
    let events = TestRepo::plain();
    let check = |branch: &str, payload: Value, expect: &str| {
        clone.git(&["checkout", "-q", "-B", branch, &format!("origin/{branch}")]);
        let env = github("push", payload, &events);
        let run = ci(&clone, &["--format", "json"], &refs(&env));
        assert_eq!(run.code, 1, "{branch}: {}{}", run.stdout, run.stderr);
        assert_eq!(field(&run.findings(), "path"), ["k.env"], "{branch}");
        assert!(run.stderr.contains(expect), "{branch}: {}", run.stderr);
    };
    for branch in ["feat1", "feat2"] {
        let head = clone.rev(&format!("origin/{branch}"));
        let payload = serde_json::json!({"before": zero, "after": head,
            "ref": format!("refs/heads/{branch}"), "created": true});
        check(
            branch,
            payload,
            "the default branch origin/main does not have",
        );
    }
    // The force-push fallback (old tip gone) does the same.
    let head = clone.rev("origin/feat2");
    let payload = serde_json::json!({"before": "1".repeat(40), "after": head,
        "ref": "refs/heads/feat2", "forced": true});
    check("feat2", payload, "force-push");
    // GitLab: an all-zero CI_COMMIT_BEFORE_SHA, the default branch named by CI_DEFAULT_BRANCH.
    let run = ci(
        &clone,
        &["--format", "json"],
        &[
            ("GITLAB_CI", "true"),
            ("CI_COMMIT_SHA", &head),
            ("CI_COMMIT_BEFORE_SHA", &zero),
            ("CI_COMMIT_BRANCH", "feat2"),
            ("CI_DEFAULT_BRANCH", "main"),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(field(&run.findings(), "path"), ["k.env"]);
    // No default branch to compare with: the head's whole history, said so.
    clone.git(&["update-ref", "-d", "refs/remotes/origin/HEAD"]);
    clone.git(&["update-ref", "-d", "refs/remotes/origin/main"]);
    let payload = serde_json::json!({"before": zero, "after": head, "ref": "refs/heads/feat2"});
    check("feat2", payload, "whole history");
}

/// A pull request from `main` (holding `base_config` as its `.leakgate.toml`, if any) that adds
/// a key in `path` together with `pr_files` (e.g. a new `.leakgate.toml`). Returns the repository,
/// the event environment's directory and the environment.
fn pull_request(
    base_config: Option<&str>,
    path: &str,
    pr_files: &[(&str, String)],
) -> (TestRepo, TestRepo, Vec<(String, String)>, String) {
    let repo = TestRepo::new();
    repo.write("README.md", "x\n");
    if let Some(c) = base_config {
        repo.write(".leakgate.toml", c);
    }
    repo.commit_all("initial");
    let base = repo.rev("HEAD");
    repo.git(&["checkout", "-q", "-b", "pr"]);
    let key = Gen::new(1601).huggingface();
    repo.write(path, format!("T={key}\n"));
    for (p, text) in pr_files {
        repo.write(p, text);
    }
    repo.commit_all("add config");
    let head = repo.rev("HEAD");
    let events = TestRepo::plain();
    let env = github(
        "pull_request",
        serde_json::json!({"pull_request": {"base": {"sha": base}, "head": {"sha": head}}}),
        &events,
    );
    (repo, events, env, key)
}

#[test]
fn a_pull_request_cannot_switch_the_gate_off_with_its_own_configuration() {
    let cases: Vec<(&str, String)> = vec![
        (
            "allowlist paths",
            "[[allowlist]]\npaths = [\"**\"]\n".to_string(),
        ),
        (
            "disabled_rules",
            "disabled_rules = [\"huggingface-access-token\", \"generic-credential-assignment\", \"env-entry-credential\"]\n".to_string(),
        ),
        (
            "rule redefined under the same id",
            concat!(
                "[[rule]]\nid = \"huggingface-access-token\"\nprovider = \"Hugging Face\"\n",
                "description = \"d\"\nseverity = \"low\"\nkeywords = [\"zzqq\"]\n",
                "regex = '''(?P<secret>zzqq[0-9]{40})'''\n",
                "rotate.url = \"https://example.org\"\nrotate.steps = [\"x\"]\n",
            )
            .to_string(),
        ),
    ];
    for (what, config) in cases {
        let (repo, _events, env, _) =
            pull_request(None, "app/k.env", &[(".leakgate.toml", config)]);
        let run = ci(&repo, &["--format", "json"], &refs(&env));
        assert_eq!(run.code, 1, "{what}: {}", run.stderr);
        let doc = run.json();
        let s = &doc["summary"];
        assert!(
            s["warnings"]
                .to_string()
                .contains("this change modifies .leakgate.toml"),
            "{what}: {s}"
        );
        let listed = s["suppressed_by_change_config"].to_string();
        assert!(listed.contains("app/k.env"), "{what}: {listed}");
        // Trusted explicitly, the change's configuration applies.
        let run = ci(
            &repo,
            &["--format", "json", "--trust-head-config"],
            &refs(&env),
        );
        assert_eq!(run.code, 0, "{what} trusted: {}", run.stdout);
    }
}

#[test]
fn a_pull_request_cannot_baseline_its_own_secret() {
    let (repo, _, _, _) = pull_request(None, "app/k.env", &[]);
    // The PR also commits a baseline accepting the key it adds.
    assert_eq!(repo.leakgate(&["baseline", "create"]).code, 0);
    repo.commit_all("accept it");
    let (base, head) = (repo.rev("main"), repo.rev("HEAD"));
    let events = TestRepo::plain();
    let env = github(
        "pull_request",
        serde_json::json!({"pull_request": {"base": {"sha": base}, "head": {"sha": head}}}),
        &events,
    );
    let run = ci(&repo, &["--format", "json"], &refs(&env));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let s = &run.json()["summary"];
    assert!(
        s["warnings"]
            .to_string()
            .contains(".leakgate-baseline.json"),
        "{s}"
    );
    assert!(
        s["suppressed_by_change_config"]
            .to_string()
            .contains("app/k.env")
    );
}

#[test]
fn the_base_commits_configuration_still_applies() {
    // Reviewed on main: fixtures are allowlisted. A pull request adding a fixture passes.
    let (repo, _events, env, _) = pull_request(
        Some("[[allowlist]]\ndescription = \"fixtures\"\npaths = [\"fixtures/**\"]\n"),
        "fixtures/sample.env",
        &[],
    );
    let run = ci(&repo, &["--format", "json"], &refs(&env));
    assert_eq!(run.code, 0, "{}", run.stdout);
    let s = &run.json()["summary"];
    assert_eq!(s["suppressed_by_allowlist"]["fixtures"], 1, "{s}");
    assert!(run.stderr.contains("base commit"), "{}", run.stderr);
}

#[test]
fn inline_markers_added_by_a_change_are_reported_by_every_gate() {
    let repo = TestRepo::new();
    let mut g = Gen::new(1602);
    let (old, new) = (g.huggingface(), g.huggingface());
    // A marker reviewed long ago keeps working silently.
    repo.write("old.env", format!("T={old} # gitleaks:allow\n"))
        .commit_all("initial");
    let base = repo.rev("HEAD");
    repo.write("new.env", format!("T={new} # leakgate:allow\n"));
    repo.git(&["add", "-A"]);
    // Pre-commit: exit 0 (markers work), but the marker is reported.
    let run = repo.leakgate(&["staged", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = run.json()["summary"]["suppressed_in_change"].clone();
    assert_eq!(listed[0]["path"], "new.env", "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let run = repo.leakgate(&["staged"]);
    assert!(
        run.stdout.contains("new.env:1") && run.stdout.contains("inline allow marker"),
        "{}",
        run.stdout
    );
    // --no-inline-allow makes it fail.
    assert_eq!(repo.leakgate(&["staged", "--no-inline-allow"]).code, 1);
    // CI: reported in JSON, as a PR annotation, and in the step summary.
    repo.commit_all("add new");
    let head = repo.rev("HEAD");
    let summary = TestRepo::plain();
    let step = summary.join("summary.md");
    let step_s = step.to_str().unwrap().to_string();
    let run = ci(
        &repo,
        &["--base", &base, "--head", &head, "--format", "github"],
        &[("GITHUB_STEP_SUMMARY", &step_s)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("::warning file=new.env,line=1,"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("old.env"), "{}", run.stdout);
    let md = std::fs::read_to_string(&step).unwrap();
    assert!(md.contains("new.env:1"), "{md}");
    let run = ci(
        &repo,
        &[
            "--base",
            &base,
            "--head",
            &head,
            "--no-inline-allow",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 1);
    assert_eq!(field(&run.findings(), "path"), ["new.env"]);
}

use crate::support::pre_push;

#[test]
fn a_key_in_a_pushed_tag_message_is_blocked() {
    let (repo, _remote) = with_origin();
    repo.write("a.py", "x = 1\n").commit_all("initial");
    repo.git(&["push", "-q", "origin", "main"]);
    let key = Gen::new(1603).huggingface();
    repo.git(&["tag", "-a", "v1.0", "-m", &format!("release, token {key}")]);
    let tag = repo.rev("v1.0");
    let zero = "0".repeat(40);
    // `git push --follow-tags` sends the tag as its own line.
    let run = pre_push(
        &repo,
        &format!("refs/tags/v1.0 {tag} refs/tags/v1.0 {zero}\n"),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    assert_eq!(f[0]["source"], "tag-message", "{f:?}");
    assert!(!run.stdout.contains(&key), "secret printed");
    // The real push through the installed hook.
    assert_eq!(
        repo.leakgate(&["hook", "install", "--pre-push-only"]).code,
        0
    );
    let out =
        crate::support::git_with_hooks(&repo, &["push", "-q", "--follow-tags", "origin", "main"]);
    assert!(!out.status.success(), "the tag went through");
}

#[test]
fn keys_in_branch_names_and_author_names_are_found_in_ci_ranges() {
    let repo = TestRepo::new();
    repo.write("a.py", "x = 1\n").commit_all("initial");
    let base = repo.rev("HEAD");
    let mut g = Gen::new(1604);
    let (in_name, in_author) = (g.huggingface(), g.huggingface());
    let branch = format!("fix-{in_name}");
    repo.git(&["checkout", "-q", "-b", &branch]);
    repo.write("b.py", "y = 2\n");
    repo.git(&["add", "-A"]);
    repo.git(&[
        "-c",
        &format!("user.name=deploy {in_author}"),
        "commit",
        "-q",
        "-m",
        "tweak",
    ]);
    let head = repo.rev("HEAD");
    let events = TestRepo::plain();
    let env = github(
        "push",
        serde_json::json!({"before": base, "after": head, "ref": format!("refs/heads/{branch}")}),
        &events,
    );
    let run = ci(&repo, &["--format", "json"], &refs(&env));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    let mut sources = field(&f, "source");
    sources.sort();
    assert_eq!(sources, ["commit-header", "ref-name"], "{f:?}");
    for secret in [&in_name, &in_author] {
        assert!(
            !run.stdout.contains(secret.as_str()),
            "secret printed: {}",
            run.stdout
        );
    }
    // The full-history audit reads names and identities too, and redacts them everywhere.
    let run = repo.leakgate(&["history", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut sources = field(&run.findings(), "source");
    sources.sort();
    assert_eq!(sources, ["commit-header", "ref-name"]);
    for secret in [&in_name, &in_author] {
        assert!(
            !run.stdout.contains(secret.as_str()),
            "secret printed: {}",
            run.stdout
        );
    }
}

#[test]
fn a_merge_that_brings_back_a_removed_secret_is_reintroduced_and_blocked() {
    let (repo, _remote) = with_origin();
    let key = Gen::new(1605).huggingface();
    repo.write("config.py", format!("DEBUG = False\nTOKEN = \"{key}\"\n"))
        .commit_all("config");
    repo.git(&["push", "-q", "origin", "main"]);
    // A branch from there, with work of its own.
    repo.git(&["checkout", "-q", "-b", "old"]);
    repo.write("notes.md", "notes\n").commit_all("notes");
    // Main removes the key (and it had been pushed).
    repo.git(&["checkout", "-q", "main"]);
    repo.write(
        "config.py",
        "DEBUG = False\nTOKEN = os.environ[\"TOKEN\"]\n",
    )
    .commit_all("read the token from the environment");
    let base = repo.rev("HEAD");
    // Merging `old`, someone takes its version of config.py back.
    repo.git(&["merge", "-q", "--no-commit", "--no-ff", "old"]);
    repo.git(&["checkout", "old", "--", "config.py"]);
    let run = repo.leakgate(&["staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    assert_eq!(field(&f, "path"), ["config.py"]);
    assert_eq!(f[0]["exposure"], "reintroduced");
    // Committed anyway: the CI range and pre-push see the merge bring it back.
    repo.git(&["commit", "-q", "--no-verify", "-m", "merge old"]);
    let head = repo.rev("HEAD");
    let run = ci(
        &repo,
        &["--base", &base, "--head", &head, "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    assert_eq!(field(&f, "path"), ["config.py"]);
    assert_eq!(f[0]["exposure"], "reintroduced");
    let run = pre_push(
        &repo,
        &format!("refs/heads/main {head} refs/heads/main {base}\n"),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    // An ordinary merge of the same branch (its own work only) passes.
    repo.git(&["reset", "-q", "--hard", &base]);
    repo.git(&["merge", "-q", "--no-commit", "--no-ff", "old"]);
    assert_eq!(repo.leakgate(&["staged"]).code, 0);
}

#[test]
fn pre_push_applies_what_the_destination_has_and_reads_ref_names() {
    let (repo, _remote) = with_origin();
    repo.write("a.py", "x = 1\n").commit_all("initial");
    repo.git(&["push", "-q", "origin", "main"]);
    let base = repo.rev("HEAD");
    // The pushed commit switches the gate off for itself.
    repo.write("k.env", format!("T={}\n", Gen::new(1606).huggingface()))
        .write(".leakgate.toml", "[[allowlist]]\npaths = [\"**\"]\n")
        .commit_all("add key and an allowlist");
    let head = repo.rev("HEAD");
    let run = pre_push(
        &repo,
        &format!("refs/heads/main {head} refs/heads/main {base}\n"),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.json()["summary"]["warnings"]
            .to_string()
            .contains("this change modifies .leakgate.toml"),
        "{}",
        run.stdout
    );
    // A branch whose name holds a key.
    let name = format!("refs/heads/{}", Gen::new(1607).huggingface());
    let zero = "0".repeat(40);
    repo.git(&["reset", "-q", "--hard", &base]);
    let run = pre_push(&repo, &format!("{name} {base} {name} {zero}\n"));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(field(&run.findings(), "source"), ["ref-name"]);
}

/// A change that edits another line of a file holding an old secret did not add it: the CI
/// range and pre-push pass (with a note), while a secret the change adds to the same file, or
/// adds in one commit and edits around in the next, is reported once, at the commit that added it.
#[test]
fn a_secret_already_in_an_edited_file_is_not_the_changes() {
    let (repo, _remote) = with_origin();
    let mut g = Gen::new(1610);
    let (old, new) = (g.huggingface(), g.anthropic());
    repo.write("settings.py", format!("DEBUG = True\nTOKEN = \"{old}\"\n"))
        .commit_all("settings");
    repo.git(&["push", "-q", "origin", "main"]);
    let base = repo.rev("HEAD");
    repo.write("settings.py", format!("DEBUG = False\nTOKEN = \"{old}\"\n"))
        .commit_all("turn debug off");
    let head = repo.rev("HEAD");
    let run = ci(
        &repo,
        &["--base", &base, "--head", &head, "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["summary"]["already_there"], 1, "{}", run.stdout);
    let run = ci(&repo, &["--base", &base, "--head", &head], &[]);
    assert!(
        run.stdout
            .contains("1 secret was already in files this range changed"),
        "{}",
        run.stdout
    );
    let push = format!("refs/heads/main {head} refs/heads/main {base}\n");
    assert_eq!(pre_push(&repo, &push).code, 0);
    // The full history still has it.
    assert_eq!(repo.leakgate(&["history", "."]).code, 1);
    // Now a new key in the same file, then another edit of the file.
    repo.write(
        "settings.py",
        format!("DEBUG = False\nTOKEN = \"{old}\"\nANTHROPIC = \"{new}\"\n"),
    )
    .commit_all("add anthropic");
    let added = repo.rev("HEAD");
    repo.write(
        "settings.py",
        format!("DEBUG = True\nTOKEN = \"{old}\"\nANTHROPIC = \"{new}\"\n"),
    )
    .commit_all("debug on again");
    let head = repo.rev("HEAD");
    let run = ci(
        &repo,
        &["--base", &base, "--head", &head, "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    assert_eq!(
        field(&f, "rule_id"),
        ["anthropic-api-key"],
        "{}",
        run.stdout
    );
    assert_eq!(f[0]["commit"]["id"], added.as_str(), "{}", run.stdout);
    let push = format!("refs/heads/main {head} refs/heads/main {base}\n");
    assert_eq!(pre_push(&repo, &push).code, 1);
}

/// A freshly generated RSA private key in PEM form: openssl's, else ssh-keygen's, else one of
/// the same shape (random base64 lines) when neither tool is installed.
fn rsa_private_key(dir: &TestRepo) -> String {
    use std::process::Command;
    if let Ok(o) = Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .output()
        && o.status.success()
    {
        return String::from_utf8_lossy(&o.stdout).into_owned();
    }
    let path = dir.join("id_rsa");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f"])
        .arg(&path)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        return std::fs::read_to_string(&path).unwrap();
    }
    let mut g = Gen::new(1613);
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body: String = (0..25).map(|_| format!("{}\n", g.chars(b64, 64))).collect();
    format!(
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA{}\n{body}-----END RSA PRIVATE KEY-----\n",
        g.chars(b64, 48)
    )
}

/// A key pasted between the BEGIN and END lines of a committed template: the secret's first
/// line is old, its body is not. The pre-commit check counts a secret over several lines as
/// added when any of its lines is.
#[test]
fn a_new_key_between_committed_begin_and_end_lines_is_blocked() {
    let tmp = TestRepo::plain();
    let key = rsa_private_key(&tmp);
    let repo = TestRepo::new();
    repo.write(
        "deploy_key",
        "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\n",
    )
    .commit_all("template");
    assert_eq!(repo.leakgate(&["hook", "install"]).code, 0);
    repo.write("deploy_key", &key);
    repo.git(&["add", "deploy_key"]);
    let run = repo.leakgate(&["staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let f = run.findings();
    assert_eq!(field(&f, "path"), ["deploy_key"], "{f:?}");
    assert_eq!(f[0]["exposure"], "staged");
    let out = crate::support::git_with_hooks(&repo, &["commit", "-q", "-m", "add deploy key"]);
    assert!(!out.status.success(), "committed: {out:?}");
    assert_eq!(repo.git(&["log", "--format=%s", "-1"]).trim(), "template");
    // Once committed, an edit elsewhere in the file adds no secret.
    repo.git(&["commit", "-q", "--no-verify", "-m", "key"]);
    repo.write("deploy_key", format!("{key}\n"));
    repo.git(&["add", "deploy_key"]);
    let run = repo.leakgate(&["staged", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

/// Binary files a change adds are not scanned, and every gate says which.
#[test]
fn every_gate_names_the_binary_files_it_did_not_scan() {
    let (repo, _remote) = with_origin();
    repo.write("README.md", "hello\n").commit_all("readme");
    repo.git(&["push", "-q", "origin", "main"]);
    let base = repo.rev("HEAD");
    std::fs::write(repo.join("logo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    std::fs::write(repo.join("model.bin"), [0u8, 1, 2, 3, 0, 9]).unwrap();
    repo.git(&["add", "-A"]);
    let run = repo.leakgate(&["staged", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let names = run.json()["summary"]["skipped_binary_files"].clone();
    assert_eq!(
        names,
        serde_json::json!(["logo.png", "model.bin"]),
        "{}",
        run.stdout
    );
    let run = repo.leakgate(&["staged", "--color", "never"]);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("2 binary files not scanned: logo.png, model.bin"),
        "{all}"
    );
    repo.git(&["commit", "-q", "-m", "images"]);
    let head = repo.rev("HEAD");
    let run = ci(
        &repo,
        &["--base", &base, "--head", &head, "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["skipped_binary_files"], names);
    let run = ci(
        &repo,
        &["--base", &base, "--head", &head, "--format", "sarif"],
        &[],
    );
    assert!(
        run.stdout.contains("2 binary files not scanned"),
        "{}",
        run.stdout
    );
    let run = pre_push(
        &repo,
        &format!("refs/heads/main {head} refs/heads/main {base}\n"),
    );
    assert_eq!(run.json()["summary"]["skipped_binary_files"], names);
}
