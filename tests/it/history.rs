//! `leakgate history`: enumeration of every object, attribution to the first exposing commit,
//! reachability, refs, messages, missing objects and scope options.

use crate::support::{Gen, Run, TestRepo, field};
use serde_json::Value;

fn history(repo: &TestRepo, extra: &[&str]) -> Run {
    let mut args = vec!["history", ".", "--format", "json"];
    args.extend_from_slice(extra);
    repo.leakgate(&args)
}

fn base_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "project\n").commit_all("initial");
    repo
}

fn commit_of(f: &Value) -> &Value {
    &f["commit"]
}

#[test]
fn secret_added_then_deleted_is_found_in_history_only() {
    let repo = base_repo();
    let key = Gen::new(100).aws_key_id();
    repo.write("config.py", format!("KEY = \"{key}\"\n"))
        .commit_all("add config");
    let introducing = repo.rev("HEAD");
    repo.write("config.py", "KEY = None\n")
        .commit_all("remove key");
    assert_eq!(repo.leakgate(&["scan", ".", "--format", "json"]).code, 0);
    let run = history(&repo, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["path"], "config.py");
    assert_eq!(f[0]["line"], 1);
    assert_eq!(f[0]["source"], "blob");
    assert_eq!(f[0]["exposure"], "reachable");
    let c = commit_of(&f[0]);
    assert_eq!(c["id"], introducing.as_str());
    assert_eq!(c["summary"], "add config");
    assert_eq!(c["author"], "Test User");
    assert_eq!(c["email"], "test@example.org");
    assert_eq!(c["in_head"], false);
    assert_eq!(c["pushed"], false);
    assert_eq!(c["refs"], serde_json::json!(["refs/heads/main"]));
    assert!(!run.stdout.contains(&key));
}

#[test]
fn secret_only_on_an_unmerged_branch() {
    let repo = base_repo();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("f.env", format!("T={}\n", Gen::new(101).huggingface()))
        .commit_all("feature work");
    repo.git(&["checkout", "-q", "main"]);
    let f = history(&repo, &[]).findings();
    assert_eq!(f.len(), 1);
    assert_eq!(
        commit_of(&f[0])["refs"],
        serde_json::json!(["refs/heads/feature"])
    );
    assert_eq!(commit_of(&f[0])["in_head"], false);
}

#[test]
fn secret_only_reachable_from_a_tag() {
    let repo = base_repo();
    repo.git(&["checkout", "-q", "--detach"]);
    repo.write("t.env", format!("T={}\n", Gen::new(102).huggingface()))
        .commit_all("release build");
    repo.git(&["tag", "v1.0"]);
    repo.git(&["checkout", "-q", "main"]);
    let f = history(&repo, &[]).findings();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["exposure"], "reachable");
    assert_eq!(
        commit_of(&f[0])["refs"],
        serde_json::json!(["refs/tags/v1.0"])
    );
}

#[test]
fn secret_only_in_a_merge_commit_is_attributed_to_the_merge() {
    let repo = base_repo();
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("side.txt", "side\n").commit_all("side work");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("main.txt", "main\n").commit_all("main work");
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    // An "evil merge": content that is in neither parent.
    repo.write("merged.env", format!("T={}\n", Gen::new(103).huggingface()));
    repo.git(&["add", "merged.env"]);
    repo.git(&["commit", "-q", "-m", "Merge branch 'side'"]);
    let merge = repo.rev("HEAD");
    let f = history(&repo, &[]).findings();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(commit_of(&f[0])["id"], merge.as_str());
    assert_eq!(commit_of(&f[0])["summary"], "Merge branch 'side'");
    assert_eq!(commit_of(&f[0])["in_head"], true);
}

#[test]
fn merged_branch_secret_is_attributed_to_the_branch_commit_not_the_merge() {
    let repo = base_repo();
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("side.env", format!("T={}\n", Gen::new(104).huggingface()))
        .commit_all("side adds key");
    let side = repo.rev("HEAD");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("main.txt", "main\n").commit_all("main work");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    let f = history(&repo, &[]).findings();
    assert_eq!(f.len(), 1);
    assert_eq!(commit_of(&f[0])["id"], side.as_str());
    let refs = commit_of(&f[0])["refs"].as_array().unwrap().clone();
    assert!(refs.contains(&"refs/heads/main".into()) && refs.contains(&"refs/heads/side".into()));
}

#[test]
fn secret_in_a_commit_message() {
    let repo = base_repo();
    let tok = Gen::new(105).huggingface();
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    repo.git(&[
        "commit",
        "-q",
        "-m",
        "debugging",
        "-m",
        &format!("used token {tok} to test"),
    ]);
    let id = repo.rev("HEAD");
    let run = history(&repo, &[]);
    let f = run.findings();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["source"], "commit-message");
    assert_eq!(f[0]["path"], "");
    assert_eq!(f[0]["line"], 3);
    assert_eq!(commit_of(&f[0])["id"], id.as_str());
    assert!(!run.stdout.contains(&tok));
}

#[test]
fn secret_in_an_annotated_tag_message() {
    let repo = base_repo();
    let tok = Gen::new(106).huggingface();
    let head = repo.rev("HEAD");
    repo.git(&[
        "tag",
        "-a",
        "v2",
        "-m",
        &format!("release\n\ndeploy with {tok}"),
    ]);
    let run = history(&repo, &[]);
    let f = run.findings();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["source"], "tag-message");
    assert_eq!(f[0]["exposure"], "reachable");
    assert_eq!(commit_of(&f[0])["id"], head.as_str());
    assert_eq!(commit_of(&f[0])["refs"][0], "refs/tags/v2");
    assert!(!run.stdout.contains(&tok));
}

#[test]
fn commit_undone_by_reset_hard_is_unreachable() {
    let repo = base_repo();
    repo.write("oops.env", format!("T={}\n", Gen::new(107).huggingface()))
        .commit_all("oops");
    let oops = repo.rev("HEAD");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let f = history(&repo, &[]).findings();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["exposure"], "unreachable");
    assert_eq!(f[0]["path"], "oops.env");
    assert_eq!(commit_of(&f[0])["id"], oops.as_str());
    assert_eq!(commit_of(&f[0])["refs"], serde_json::json!([]));
    // --reachable-only leaves it out.
    assert_eq!(history(&repo, &["--reachable-only"]).code, 0);
}

#[test]
fn dangling_blob_is_unreachable() {
    let repo = base_repo();
    repo.write("loose.env", format!("T={}\n", Gen::new(108).huggingface()));
    repo.git(&["add", "loose.env"]);
    repo.git(&["rm", "-q", "--cached", "loose.env"]);
    std::fs::remove_file(repo.join("loose.env")).unwrap();
    let f = history(&repo, &[]).findings();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["exposure"], "unreachable");
    assert_eq!(f[0]["commit"], Value::Null);
    assert!(f[0]["blob"].as_str().unwrap().len() == 40);
}

#[test]
fn file_edited_later_keeps_the_introducing_commit() {
    let repo = base_repo();
    let key = Gen::new(109).aws_key_id();
    repo.write("settings.py", format!("DEBUG = True\nKEY = \"{key}\"\n"))
        .commit_all("introduce key");
    let introducing = repo.rev("HEAD");
    repo.write(
        "settings.py",
        format!("# settings\nDEBUG = False\nKEY = \"{key}\"\nX = 1\n"),
    )
    .commit_all("tweak settings");
    let f = history(&repo, &[]).findings();
    assert_eq!(f.len(), 1, "one location, not one per commit: {f:#?}");
    assert_eq!(commit_of(&f[0])["id"], introducing.as_str());
    assert_eq!(f[0]["line"], 2);
    assert_eq!(commit_of(&f[0])["in_head"], true);
}

#[test]
fn same_secret_in_two_files_is_two_locations() {
    let repo = base_repo();
    let tok = Gen::new(110).huggingface();
    repo.write("a.env", format!("T={tok}\n"))
        .write("b.env", format!("T={tok}\n"))
        .commit_all("two copies");
    repo.write("c.txt", "more\n").commit_all("unrelated");
    let f = history(&repo, &[]).findings();
    assert_eq!(field(&f, "path"), ["a.env", "b.env"]);
    assert_eq!(f[0]["fingerprint"], f[1]["fingerprint"]);
}

#[test]
fn missing_blob_makes_the_scan_incomplete() {
    let repo = base_repo();
    repo.write("k.env", format!("T={}\n", Gen::new(111).huggingface()))
        .commit_all("key");
    repo.write("gone.txt", "this blob will be deleted\n")
        .commit_all("gone");
    let blob = repo.git(&["rev-parse", "HEAD:gone.txt"]).trim().to_string();
    std::fs::remove_file(repo.join(&format!(".git/objects/{}/{}", &blob[..2], &blob[2..])))
        .unwrap();
    let run = history(&repo, &[]);
    // Findings win over partial errors (exit 1), and the scan says it is incomplete.
    assert_eq!(run.code, 1, "{}", run.stdout);
    let s = &run.json()["summary"];
    assert_eq!(s["incomplete"], true);
    assert_eq!(s["missing_objects"][0]["id"], blob.as_str());
    assert_eq!(s["missing_objects"][0]["path"], "gone.txt");
    // Without findings: exit 2; with --allow-missing: 0, still reported.
    repo.write(
        "x.toml",
        "disabled_rules = [\"huggingface-access-token\"]\n",
    );
    let run = history(&repo, &["--config", "x.toml"]);
    assert_eq!(run.code, 2);
    let run = history(&repo, &["--config", "x.toml", "--allow-missing"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.json()["summary"]["missing_objects"][0]["id"],
        blob.as_str()
    );
    let run = history(&repo, &["--allow-missing"]);
    assert_eq!(run.code, 1);
}

#[test]
fn bare_repository() {
    let repo = base_repo();
    repo.write("k.env", format!("T={}\n", Gen::new(112).huggingface()))
        .commit_all("key");
    let bare = TestRepo::plain();
    let target = bare.join("r.git");
    repo.git(&["clone", "-q", "--bare", ".", target.to_str().unwrap()]);
    let run = crate::support::Run::new(
        crate::support::leakgate()
            .args(["history", target.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(field(&run.findings(), "path"), ["k.env"]);
}

#[test]
fn since_excludes_older_secrets() {
    let repo = base_repo();
    let mut g = Gen::new(113);
    repo.write("old.env", format!("T={}\n", g.huggingface()))
        .commit_all("old secret");
    repo.git(&["tag", "checkpoint"]);
    repo.write("new.env", format!("T={}\n", g.huggingface()))
        .commit_all("new secret");
    let all = history(&repo, &[]).findings();
    assert_eq!(field(&all, "path"), ["new.env", "old.env"]);
    let run = history(&repo, &["--since", "checkpoint"]);
    assert_eq!(field(&run.findings(), "path"), ["new.env"]);
    let run = history(&repo, &["--range", "checkpoint..main"]);
    assert_eq!(field(&run.findings(), "path"), ["new.env"]);
    assert_eq!(history(&repo, &["--range", "main..main"]).code, 0);
    assert_eq!(history(&repo, &["--since", "no-such-rev"]).code, 2);
}

#[test]
fn range_mode_scans_evil_merge_contributions() {
    let repo = base_repo();
    repo.git(&["tag", "base"]);
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("side.txt", "s\n").commit_all("side");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("m.txt", "m\n").commit_all("main");
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    repo.write("evil.env", format!("T={}\n", Gen::new(114).huggingface()));
    repo.git(&["add", "evil.env"]);
    repo.git(&["commit", "-q", "-m", "merge"]);
    let merge = repo.rev("HEAD");
    let f = history(&repo, &["--since", "base"]).findings();
    assert_eq!(f.len(), 1);
    assert_eq!(commit_of(&f[0])["id"], merge.as_str());
}

#[test]
fn pushed_secret_is_marked_pushed() {
    let repo = base_repo();
    let remote = TestRepo::plain();
    let target = remote.join("origin.git");
    repo.git(&["init", "-q", "--bare", target.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", target.to_str().unwrap()]);
    repo.write("k.env", format!("T={}\n", Gen::new(115).huggingface()))
        .commit_all("key");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.write("l.env", format!("T={}\n", Gen::new(116).huggingface()))
        .commit_all("local only");
    let f = history(&repo, &[]).findings();
    let by_path: std::collections::HashMap<String, &Value> = f
        .iter()
        .map(|x| (x["path"].as_str().unwrap().to_string(), x))
        .collect();
    assert_eq!(commit_of(by_path["k.env"])["pushed"], true);
    assert_eq!(commit_of(by_path["l.env"])["pushed"], false);
}

#[test]
fn packed_and_loose_objects_are_each_scanned_once() {
    let repo = base_repo();
    repo.write("k.env", format!("T={}\n", Gen::new(117).huggingface()))
        .commit_all("key");
    repo.git(&["gc", "-q"]);
    repo.write("l.env", format!("T={}\n", Gen::new(118).huggingface()))
        .commit_all("loose");
    let run = history(&repo, &[]);
    assert_eq!(field(&run.findings(), "path"), ["k.env", "l.env"]);
    let objects = run.json()["summary"]["objects_scanned"].as_u64().unwrap();
    let count = repo.git(&["count-objects", "-v"]);
    let total: u64 = count
        .lines()
        .filter_map(|l| l.strip_prefix("count: ").or(l.strip_prefix("in-pack: ")))
        .map(|n| n.trim().parse::<u64>().unwrap())
        .sum();
    assert_eq!(objects, total);
}

#[test]
fn not_a_repository_is_an_error() {
    let dir = TestRepo::plain();
    let run = dir.leakgate(&["history", "."]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not inside a git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn shallow_clone_is_scanned_as_far_as_it_goes_and_says_so() {
    let repo = base_repo();
    let mut g = Gen::new(119);
    repo.write("old.env", format!("T={}\n", g.huggingface()))
        .commit_all("old");
    repo.write("old.env", "T=\n").commit_all("remove old");
    repo.write("new.env", format!("T={}\n", g.huggingface()))
        .commit_all("new");
    let dir = TestRepo::plain();
    let target = dir.join("shallow");
    let url = format!("file://{}", repo.path().display());
    repo.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        target.to_str().unwrap(),
    ]);
    let run = crate::support::Run::new(
        crate::support::leakgate()
            .args(["history", target.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(field(&run.findings(), "path"), ["new.env"]);
    let s = &run.json()["summary"];
    assert_eq!(s["shallow"], true);
    assert_eq!(
        s["incomplete"], false,
        "the shallow boundary is not a missing object"
    );
    assert_eq!(s["missing_objects"], serde_json::json!([]));
}

#[test]
fn linked_worktree_and_branch_scope() {
    let repo = base_repo();
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("topic.env", format!("T={}\n", Gen::new(120).huggingface()))
        .commit_all("topic");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("main.env", format!("T={}\n", Gen::new(121).huggingface()))
        .commit_all("main");
    let wt = TestRepo::plain();
    let wt_path = wt.join("wt");
    repo.git(&["worktree", "add", "-q", wt_path.to_str().unwrap(), "topic"]);
    let run = crate::support::run_in(&wt_path, &["history", ".", "--format", "json"]);
    assert_eq!(field(&run.findings(), "path"), ["main.env", "topic.env"]);
    let run = history(&repo, &["--branch", "topic"]);
    assert_eq!(field(&run.findings(), "path"), ["topic.env"]);
}
