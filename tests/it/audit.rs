//! `leakgate audit`: the motivating case and every kind of exposure, merged per secret.

use crate::support::{Gen, Run, TestRepo};
use serde_json::Value;

/// The fixture: a gitignored `.envrc` Anthropic key never committed; a Hugging Face token in a
/// gitignored `.env` that was also committed once; an AWS key pushed to a bare remote and later
/// edited around; an unreachable token from a reset commit.
fn fixture() -> (TestRepo, TestRepo, Vec<String>) {
    let repo = TestRepo::new();
    let remote = TestRepo::plain();
    let mut g = Gen::new(400);
    let (anthropic, hf, aws, lost) = (
        g.anthropic(),
        g.huggingface(),
        g.aws_key_id(),
        g.huggingface(),
    );
    let origin = remote.join("origin.git");
    repo.git(&["init", "-q", "--bare", origin.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    repo.write(".gitignore", ".envrc\n.env\n")
        .write("train.py", "import anthropic\n")
        .commit_all("initial");
    repo.write("config/settings.py", format!("KEY = \"{aws}\"\n"))
        .commit_all("add settings");
    repo.write(
        "config/settings.py",
        format!("# settings\nDEBUG = False\nKEY = \"{aws}\"\n"),
    )
    .commit_all("tweak settings");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.write("notebooks/hf.cfg", format!("token = {hf}\n"))
        .commit_all("try hf");
    repo.git(&["rm", "-q", "notebooks/hf.cfg"]);
    repo.git(&["commit", "-q", "-m", "remove hf token"]);
    repo.write("oops.env", format!("T={lost}\n"))
        .commit_all("oops");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.write(".envrc", format!("export ANTHROPIC_API_KEY={anthropic}\n"));
    repo.write(".env", format!("HF_TOKEN={hf}\n"));
    (repo, remote, vec![anthropic, hf, aws, lost])
}

fn audit(repo: &TestRepo, format: &str) -> Run {
    repo.leakgate(&["audit", ".", "--format", format, "--color", "never"])
}

#[test]
fn audit_merges_per_secret_and_orders_by_risk() {
    let (repo, _remote, secrets) = fixture();
    let run = audit(&repo, "json");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = run.json();
    let s = doc["secrets"].as_array().unwrap();
    let risks: Vec<&str> = s.iter().map(|x| x["risk"].as_str().unwrap()).collect();
    assert_eq!(risks, ["pushed", "committed", "local-only", "unreachable"]);
    // The motivating case: local only, never committed, present on disk.
    let ant = &s[2];
    assert_eq!(ant["rule_id"], "anthropic-api-key");
    assert_eq!(ant["ever_committed"], false);
    assert_eq!(ant["first_exposure"], Value::Null);
    assert_eq!(ant["locations"][0]["kind"], "worktree");
    assert_eq!(ant["locations"][0]["exposure"], "ignored");
    // In a gitignored .env and in history: the report says both.
    let hf = &s[1];
    assert_eq!(hf["ever_committed"], true);
    assert_eq!(hf["in_head"], false);
    let kinds: Vec<&str> = hf["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["history", "worktree"]);
    let env_finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == ".env")
        .unwrap();
    assert_eq!(env_finding["also_in_history"], true);
    // Pushed, with the introducing commit as first exposure (the file was edited later).
    let aws = &s[0];
    assert_eq!(aws["pushed"], true);
    assert_eq!(aws["in_head"], true);
    assert_eq!(aws["first_exposure"]["path"], "config/settings.py");
    let intro = repo.rev("HEAD~3");
    assert_eq!(aws["first_exposure"]["commit"], intro.as_str());
    let date = repo
        .git(&["show", "-s", "--format=%cI", &intro])
        .trim()
        .replace("+00:00", "Z");
    assert_eq!(
        aws["first_exposure"]["date"],
        date.as_str(),
        "the introducing commit's date, not the later edit's"
    );
    assert!(
        aws["rotation"]["cleanup"][0]
            .as_str()
            .unwrap()
            .starts_with("git filter-repo --replace-text")
    );
    assert!(
        aws["rotation"]["cleanup_note"]
            .as_str()
            .unwrap()
            .starts_with("Rotate first")
    );
    assert_eq!(s[3]["risk"], "unreachable");
    for secret in &secrets {
        assert!(
            !run.stdout.contains(secret.as_str()),
            "secret leaked into the JSON report"
        );
    }
    // The replacements file is written only when asked for: it holds the committed secrets,
    // and only the owner can read it.
    assert!(!repo.join(".git/leakgate-replacements.txt").exists());
    let out = TestRepo::plain();
    let path = out.join("replacements.txt");
    let run = repo.leakgate(&[
        "audit",
        ".",
        "--format",
        "json",
        "--replacements",
        path.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(&secrets[2]) && text.contains(&secrets[1]) && !text.contains(&secrets[0])
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

fn stable(mut doc: Value, repo: &TestRepo) -> Value {
    doc["tool"]["version"] = "[version]".into();
    doc["summary"]["rules"] = "[rule count]".into();
    let text = doc
        .to_string()
        .replace(&repo.path().display().to_string(), "[repo]");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn audit_json_and_markdown_snapshots() {
    let (repo, _remote, _) = fixture();
    let run = audit(&repo, "json");
    let doc = stable(run.json(), &repo);
    insta::assert_json_snapshot!("audit_json_secrets", doc["secrets"]);
    insta::assert_json_snapshot!("audit_json_summary", doc["summary"]);
    let run = audit(&repo, "markdown");
    let md = run
        .stdout
        .replace(&repo.path().display().to_string(), "[repo]");
    insta::assert_snapshot!("audit_markdown", md);
}

#[test]
fn audit_html_is_self_contained_and_redacted() {
    let (repo, _remote, secrets) = fixture();
    let run = audit(&repo, "html");
    assert_eq!(run.code, 1);
    let html = &run.stdout;
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(html.contains("<svg") && html.contains("Rotation plan"));
    for external in ["<script", "<link", "src=\"http", "@import"] {
        assert!(
            !html.contains(external),
            "external asset or script: {external}"
        );
    }
    for secret in &secrets {
        assert!(
            !html.contains(secret.as_str()),
            "secret in clear in the HTML"
        );
    }
    assert_eq!(
        repo.leakgate(&["scan", ".", "--format", "html"]).code,
        2,
        "html is for audit only"
    );
}

#[test]
fn audit_of_a_clean_repository_exits_zero() {
    let repo = TestRepo::new();
    repo.write("a.py", "x = 1\n").commit_all("initial");
    let run = audit(&repo, "human");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("0 secrets"));
    assert!(!repo.join(".git/leakgate-replacements.txt").exists());
}

#[test]
fn first_exposure_compares_instants_not_date_text() {
    // The same key committed twice: first (in history) at 22:00 UTC on the 1st, then in another
    // file by a commit dated 01:00 on the 2nd at +05:00, i.e. 20:00 UTC on the 1st: earlier.
    let repo = TestRepo::new();
    let key = Gen::new(1700).huggingface();
    let commit = |path: &str, date: &str| {
        repo.write(path, format!("T={key}\n"));
        repo.git(&["add", "-A"]);
        let out = std::process::Command::new("git")
            .args(["commit", "-q", "-m", path])
            .current_dir(repo.path())
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .unwrap();
        assert!(out.status.success());
    };
    commit("b.env", "2024-01-01T22:00:00+00:00");
    commit("a.env", "2024-01-02T01:00:00+05:00");
    let run = audit(&repo, "json");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let first = &run.json()["secrets"][0]["first_exposure"];
    assert_eq!(first["path"], "a.env", "{first}");
    assert_eq!(first["date"], "2024-01-02T01:00:00+05:00");
}
