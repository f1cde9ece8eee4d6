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
