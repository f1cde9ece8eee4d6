//! `leakgate ci`, SARIF and GitHub outputs, and value-based baselines.

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
        "GITHUB_STEP_SUMMARY",
        "GITLAB_CI",
        "CI_COMMIT_SHA",
        "CI_COMMIT_BEFORE_SHA",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA",
    ] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    Run::new(c.output().unwrap())
}

/// A repository with `main` and a PR branch of three commits, the second adding a secret.
fn pr_repo() -> (TestRepo, String, String) {
    let repo = TestRepo::new();
    repo.write("README.md", "x\n").commit_all("initial");
    let base = repo.rev("HEAD");
    repo.git(&["checkout", "-q", "-b", "pr"]);
    repo.write("a.py", "a = 1\n").commit_all("one");
    repo.write("b.env", format!("T={}\n", Gen::new(300).huggingface()))
        .commit_all("two");
    repo.write("c.py", "c = 3\n").commit_all("three");
    let head = repo.rev("HEAD");
    (repo, base, head)
}

fn github_event(repo: &TestRepo, name: &str, payload: Value) -> (String, Vec<(String, String)>) {
    let path = repo.join(".git/event.json");
    std::fs::write(&path, payload.to_string()).unwrap();
    let p = path.to_str().unwrap().to_string();
    (
        p.clone(),
        vec![
            ("GITHUB_ACTIONS".into(), "true".into()),
            ("GITHUB_EVENT_NAME".into(), name.into()),
            ("GITHUB_EVENT_PATH".into(), p),
        ],
    )
}

fn env_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[test]
fn pull_request_range_with_a_secret_in_one_of_three_commits() {
    let (repo, base, head) = pr_repo();
    let (_, env) = github_event(
        &repo,
        "pull_request",
        serde_json::json!({"pull_request": {"base": {"sha": base}, "head": {"sha": head}}}),
    );
    let summary = repo.join("step-summary.md");
    let mut env = env_refs(&env);
    let summary_s = summary.to_str().unwrap().to_string();
    env.push(("GITHUB_STEP_SUMMARY", &summary_s));
    let run = ci(&repo, &["--format", "json"], &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    assert_eq!(field(&f, "path"), ["b.env"]);
    assert_eq!(f[0]["commit"]["summary"], "two");
    assert!(
        run.stderr.contains("GitHub pull_request event"),
        "{}",
        run.stderr
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("leakgate: 1 secret found") && md.contains("b.env"),
        "{md}"
    );
    assert!(!md.contains(&Gen::new(300).huggingface()));
}

#[test]
fn explicit_base_and_head_and_base_equal_head() {
    let (repo, base, head) = pr_repo();
    assert_eq!(ci(&repo, &["--base", &base, "--head", &head], &[]).code, 1);
    let run = ci(&repo, &["--base", &head, "--head", &head], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("nothing to scan"));
    let run = ci(&repo, &[], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--base REV --head REV"));
}

#[test]
fn push_with_all_zero_before_scans_the_new_branch() {
    let (repo, _base, head) = pr_repo();
    // The remote already has main: only the new branch's commits are scanned.
    let remote = TestRepo::plain();
    let target = remote.join("origin.git");
    repo.git(&["init", "-q", "--bare", target.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", target.to_str().unwrap()]);
    repo.git(&["push", "-q", "origin", "main", "pr"]);
    repo.git(&["fetch", "-q", "origin"]);
    let (_, env) = github_event(
        &repo,
        "push",
        serde_json::json!({"before": "0".repeat(40), "after": head, "forced": false}),
    );
    let run = ci(&repo, &["--format", "json"], &env_refs(&env));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(field(&run.findings(), "path"), ["b.env"]);
    assert!(run.stderr.contains("new branch"));
    assert_eq!(run.json()["summary"]["commits"], 3);
}

#[test]
fn force_push_scans_the_new_commits() {
    let (repo, base, old_head) = pr_repo();
    // Rewrite the branch: drop the secret commit, add a different secret.
    repo.git(&["reset", "-q", "--hard", &base]);
    repo.write("d.env", format!("T={}\n", Gen::new(301).huggingface()))
        .commit_all("rewritten");
    let new_head = repo.rev("HEAD");
    let (_, env) = github_event(
        &repo,
        "push",
        serde_json::json!({"before": old_head, "after": new_head, "forced": true}),
    );
    let run = ci(&repo, &["--format", "json"], &env_refs(&env));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(field(&run.findings(), "path"), ["d.env"]);
    // The old tip gone from the clone (it was never fetched): fall back, do not pass silently.
    let (_, env) = github_event(
        &repo,
        "push",
        serde_json::json!({"before": "1".repeat(40), "after": new_head, "forced": true}),
    );
    let run = ci(&repo, &["--format", "json"], &env_refs(&env));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("force-push"));
}

#[test]
fn merge_commit_that_introduces_a_secret() {
    let repo = TestRepo::new();
    repo.write("README.md", "x\n").commit_all("initial");
    let base = repo.rev("HEAD");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("s.txt", "s\n").commit_all("side");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("m.txt", "m\n").commit_all("main");
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    repo.write("merge.env", format!("T={}\n", Gen::new(302).huggingface()));
    repo.git(&["add", "merge.env"]);
    repo.git(&["commit", "-q", "-m", "merge side"]);
    let run = ci(
        &repo,
        &["--base", &base, "--head", "HEAD", "--format", "json"],
        &[],
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.findings()[0]["commit"]["summary"], "merge side");
}

#[test]
fn shallow_clone_without_the_base_fails_with_a_fetch_hint() {
    let (repo, base, _head) = pr_repo();
    let clone_dir = TestRepo::plain();
    let url = format!("file://{}", repo.path().display());
    let target = clone_dir.join("shallow");
    repo.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        "--branch",
        "pr",
        &url,
        target.to_str().unwrap(),
    ]);
    let run = crate::support::run_in(&target, &["ci", "--base", &base, "--head", "HEAD"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("not in this shallow clone"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
}

#[test]
fn gitlab_merge_request_and_push_variables() {
    let (repo, base, head) = pr_repo();
    let run = ci(
        &repo,
        &["--format", "json"],
        &[
            ("GITLAB_CI", "true"),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", &base),
            ("CI_COMMIT_SHA", &head),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("GitLab merge request pipeline"));
    let first = repo.rev("HEAD~1");
    let run = ci(
        &repo,
        &["--format", "json"],
        &[
            ("GITLAB_CI", "true"),
            ("CI_COMMIT_BEFORE_SHA", &first),
            ("CI_COMMIT_SHA", &head),
        ],
    );
    assert_eq!(
        run.code, 0,
        "only the last commit (clean) is new: {}",
        run.stderr
    );
}

#[test]
fn baseline_survives_a_rebase_that_moves_the_secret() {
    let repo = TestRepo::new();
    let key = Gen::new(303).aws_key_id();
    repo.write("README.md", "x\n").commit_all("initial");
    repo.write("old/config.py", format!("# legacy\nKEY = \"{key}\"\n"))
        .commit_all("legacy key");
    let run = repo.leakgate(&["baseline", "create"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(repo.join(".leakgate-baseline.json")).unwrap();
    assert!(
        !text.contains(&key),
        "a baseline holds fingerprints, not secrets"
    );
    repo.commit_all("accept baseline");
    assert_eq!(repo.leakgate(&["history", "."]).code, 0);
    // Move the secret to another file and line, and squash the history.
    repo.write(
        "new/settings.py",
        format!("import os\n\n\nAPI = 1\nKEY = \"{key}\"\n"),
    );
    std::fs::remove_dir_all(repo.join("old")).unwrap();
    repo.commit_all("move");
    repo.git(&["reset", "--soft", &repo.rev("HEAD~3")]);
    repo.git(&["commit", "-q", "-m", "squashed"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    repo.git(&["gc", "-q", "--prune=now"]);
    let run = repo.leakgate(&["history", ".", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let b = &run.json()["summary"]["baseline"];
    assert!(b["suppressed"].as_u64().unwrap() >= 1);
    assert_eq!(b["stale"], serde_json::json!([]));
    assert_eq!(repo.leakgate(&["scan", "."]).code, 0);
    // Without the baseline, the moved secret is reported.
    assert_eq!(repo.leakgate(&["history", ".", "--no-repo-config"]).code, 1);
}

#[test]
fn stale_baseline_entries_are_reported_and_update_drops_them() {
    let repo = TestRepo::new();
    let tok = Gen::new(304).huggingface();
    repo.write("k.env", format!("T={tok}\n"));
    repo.write(".gitignore", "k.env\n").commit_all("initial");
    assert_eq!(repo.leakgate(&["baseline", "create"]).code, 0);
    std::fs::remove_file(repo.join("k.env")).unwrap();
    let run = repo.leakgate(&["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 0);
    let stale = run.json()["summary"]["baseline"]["stale"].clone();
    assert_eq!(stale.as_array().unwrap().len(), 1, "{stale}");
    let run = repo.leakgate(&["baseline", "update"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("dropped 1 stale"), "{}", run.stdout);
}

#[test]
fn corrupt_or_unknown_baseline_is_an_error() {
    let repo = TestRepo::new();
    repo.write("a.txt", "a\n").commit_all("initial");
    repo.write("bad.json", "{\"version\": 1, \"entries\": [");
    let run = repo.leakgate(&["scan", ".", "--baseline", "bad.json"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bad.json"), "{}", run.stderr);
    repo.write(
        "future.json",
        "{\"version\": 9, \"tool\": \"x\", \"entries\": []}",
    );
    let run = repo.leakgate(&["scan", ".", "--baseline", "future.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unsupported version 9"),
        "{}",
        run.stderr
    );
    // The repository's own default baseline, corrupt, is an error too.
    repo.write(".leakgate-baseline.json", "garbage");
    assert_eq!(repo.leakgate(&["scan", "."]).code, 2);
    assert_eq!(repo.leakgate(&["scan", ".", "--no-repo-config"]).code, 0);
    assert_eq!(
        repo.leakgate(&["scan", ".", "--baseline", "missing.json"])
            .code,
        2
    );
}

#[test]
fn hmac_fingerprints_with_a_key() {
    let repo = TestRepo::new();
    repo.write("k.env", format!("T={}\n", Gen::new(305).huggingface()))
        .commit_all("k");
    let plain =
        repo.leakgate(&["scan", ".", "--format", "json"]).findings()[0]["fingerprint"].clone();
    let keyed = repo
        .leakgate(&[
            "scan",
            ".",
            "--format",
            "json",
            "--fingerprint-key",
            "team-secret",
        ])
        .findings()[0]["fingerprint"]
        .clone();
    assert!(plain.as_str().unwrap().starts_with("lg1:"));
    assert!(keyed.as_str().unwrap().starts_with("lg1h:"));
    assert_eq!(
        repo.leakgate(&["baseline", "create", "--fingerprint-key", "team-secret"])
            .code,
        0
    );
    assert_eq!(
        repo.leakgate(&["scan", ".", "--fingerprint-key", "team-secret"])
            .code,
        0
    );
    assert_eq!(
        repo.leakgate(&["scan", "."]).code,
        1,
        "unkeyed fingerprints do not match a keyed baseline"
    );
}

#[test]
fn no_repo_config_ignores_a_config_that_disables_every_rule() {
    let (repo, base, head) = pr_repo();
    let list = repo.leakgate(&["rules", "list", "--format", "json"]);
    let ids: Vec<String> = serde_json::from_str::<Value>(&list.stdout).unwrap()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("\"{}\"", r["id"].as_str().unwrap()))
        .collect();
    repo.write(".leakgate.toml", format!("disabled_rules = [{}]\n[[allowlist]]\ndescription = \"everything\"\npaths = [\"**\"]\n", ids.join(", ")));
    repo.commit_all("switch the gate off");
    let head2 = repo.rev("HEAD");
    assert_eq!(
        ci(&repo, &["--base", &base, "--head", &head2], &[]).code,
        1,
        "the change's own config does not apply: the base commit's does"
    );
    assert_eq!(
        ci(
            &repo,
            &["--base", &base, "--head", &head2, "--trust-head-config"],
            &[]
        )
        .code,
        0,
        "trusted, the change's config disables everything"
    );
    let run = ci(
        &repo,
        &[
            "--base",
            &base,
            "--head",
            &head2,
            "--no-repo-config",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("config: patterns.toml (built-in)"),
        "{}",
        run.stderr
    );
    let _ = head;
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let (repo, base, head) = pr_repo();
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        &format!("oops {}", Gen::new(306).huggingface()),
    ]);
    let run = ci(
        &repo,
        &["--base", &base, "--head", "HEAD", "--format", "sarif"],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    crate::sarif_check::validate(&run.stdout);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let file_result = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"].is_object())
        .unwrap();
    assert_eq!(
        file_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "b.env"
    );
    assert!(
        file_result["partialFingerprints"]["leakgate/v1"]
            .as_str()
            .unwrap()
            .starts_with("lg1:")
    );
    assert!(
        file_result["properties"]["commit"]["id"]
            .as_str()
            .unwrap()
            .len()
            == 40
    );
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let idx = file_result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], file_result["ruleId"]);
    assert!(
        rules[idx]["helpUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(!run.stdout.contains(&Gen::new(300).huggingface()));
    assert!(!run.stdout.contains(&Gen::new(306).huggingface()));
    let _ = head;
}

#[test]
fn sarif_and_github_formats_for_scan_match_snapshots() {
    let dir = TestRepo::plain();
    dir.write(
        "svc/.env",
        format!("HF_TOKEN={}\n", Gen::new(307).huggingface()),
    );
    let run = dir.leakgate(&["scan", ".", "--format", "sarif"]);
    assert_eq!(run.code, 1);
    crate::sarif_check::validate(&run.stdout);
    let mut doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let d = &mut doc["runs"][0]["tool"]["driver"];
    d["version"] = "[version]".into();
    d["semanticVersion"] = "[version]".into();
    let n = d["rules"].as_array().unwrap().len();
    // Keep the snapshot small: only the rules that have results.
    let used: Vec<Value> = d["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"] == "huggingface-access-token")
        .cloned()
        .collect();
    assert!(n > 50);
    d["rules"] = Value::Array(used);
    doc["runs"][0]["results"][0]["ruleIndex"] = "[index]".into();
    doc["runs"][0]["properties"]["summary"]["rules"] = "[rule count]".into();
    insta::assert_json_snapshot!("sarif_scan", doc);
    let run = dir.leakgate(&["scan", ".", "--format", "github"]);
    insta::assert_snapshot!("github_scan", run.stdout);
}

#[test]
fn staged_and_history_speak_sarif_too() {
    let repo = TestRepo::new();
    repo.write("a.txt", "a\n").commit_all("initial");
    repo.write("k.env", format!("T={}\n", Gen::new(308).huggingface()));
    repo.git(&["add", "k.env"]);
    let run = repo.leakgate(&["staged", "--format", "sarif"]);
    assert_eq!(run.code, 1);
    crate::sarif_check::validate(&run.stdout);
    repo.git(&["commit", "-q", "-m", "k"]);
    let run = repo.leakgate(&["history", ".", "--format", "sarif"]);
    assert_eq!(run.code, 1);
    crate::sarif_check::validate(&run.stdout);
}
