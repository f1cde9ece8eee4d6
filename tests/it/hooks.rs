//! `leakgate staged`, `leakgate hook install|uninstall` and the pre-push hook, with real git.

use crate::support::{Gen, Run, TestRepo, field, git_with_hooks};
use std::process::Command;

fn staged(repo: &TestRepo) -> Run {
    repo.leakgate(&["staged", "--format", "json"])
}

#[test]
fn staged_secret_edited_out_of_the_working_copy_is_still_caught() {
    let repo = TestRepo::new();
    repo.write("a.py", "x = 1\n").commit_all("initial");
    let key = Gen::new(200).huggingface();
    repo.write("a.py", format!("x = 1\ntoken = '{key}'\n"));
    repo.git(&["add", "a.py"]);
    repo.write("a.py", "x = 1\ntoken = os.environ['T']\n");
    let run = staged(&repo);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let f = run.findings();
    assert_eq!(field(&f, "path"), ["a.py"]);
    assert_eq!(f[0]["line"], 2);
    assert_eq!(f[0]["exposure"], "staged");
    assert!(!run.stdout.contains(&key));
}

#[test]
fn unstaged_edits_and_untracked_files_do_not_block() {
    let repo = TestRepo::new();
    repo.write("a.py", "x = 1\n").commit_all("initial");
    let mut g = Gen::new(201);
    repo.write("a.py", format!("x = 1\ntoken = '{}'\n", g.huggingface()));
    repo.write("new.env", format!("T={}\n", g.huggingface()));
    assert_eq!(staged(&repo).code, 0);
}

#[test]
fn existing_secret_in_head_does_not_block_an_unrelated_change() {
    let repo = TestRepo::new();
    let key = Gen::new(202).aws_key_id();
    repo.write("cfg.py", format!("KEY = \"{key}\"\nDEBUG = False\n"))
        .commit_all("legacy");
    repo.write(
        "cfg.py",
        format!("KEY = \"{key}\"\nDEBUG = True\nPORT = 8080\n"),
    );
    repo.git(&["add", "cfg.py"]);
    assert_eq!(staged(&repo).code, 0);
    // A new secret on an added line in the same file does block.
    let other = Gen::new(203).aws_key_id();
    repo.write(
        "cfg.py",
        format!("KEY = \"{key}\"\nDEBUG = True\nOTHER = \"{other}\"\n"),
    );
    repo.git(&["add", "cfg.py"]);
    let run = staged(&repo);
    assert_eq!(run.code, 1);
    assert_eq!(run.findings()[0]["line"], 3);
}

#[test]
fn first_commit_renames_and_deletions() {
    let repo = TestRepo::new();
    let key = Gen::new(204).huggingface();
    repo.write("secret.env", format!("T={key}\n"));
    repo.git(&["add", "-A"]);
    assert_eq!(
        staged(&repo).code,
        1,
        "unborn HEAD: everything staged is new"
    );
    repo.git(&["commit", "-q", "--no-verify", "-m", "initial"]);
    repo.git(&["mv", "secret.env", "moved.env"]);
    assert_eq!(staged(&repo).code, 0, "a pure rename adds nothing");
    repo.git(&["commit", "-q", "--no-verify", "-m", "rename"]);
    repo.git(&["rm", "-q", "moved.env"]);
    assert_eq!(staged(&repo).code, 0, "a deletion adds nothing");
}

#[test]
fn binary_files_are_skipped_and_allow_markers_honoured() {
    let repo = TestRepo::new();
    repo.write("README", "x\n").commit_all("initial");
    let mut g = Gen::new(205);
    let mut bin = b"\x00\x01\x02".to_vec();
    bin.extend_from_slice(g.huggingface().as_bytes());
    repo.write("blob.bin", bin);
    repo.write(
        "ok.py",
        format!("t = '{}'  # leakgate:allow\n", g.huggingface()),
    );
    repo.git(&["add", "-A"]);
    let run = staged(&repo);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["summary"]["skipped_by_reason"]["binary"], 1);
}

#[test]
fn merge_in_progress_does_not_report_the_other_branch_existing_secrets() {
    let repo = TestRepo::new();
    repo.write("README", "x\n").commit_all("initial");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("side.env", format!("T={}\n", Gen::new(206).huggingface()));
    repo.git(&["add", "-A"]);
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        "side secret (already reviewed)",
    ]);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("main.txt", "m\n").commit_all("main work");
    repo.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
    assert_eq!(staged(&repo).code, 0);
    // But a secret the merge itself adds is caught.
    repo.write("evil.env", format!("T={}\n", Gen::new(207).huggingface()));
    repo.git(&["add", "evil.env"]);
    assert_eq!(field(&staged(&repo).findings(), "path"), ["evil.env"]);
}

#[test]
fn installed_hook_blocks_a_real_commit_and_commit_a() {
    let repo = TestRepo::new();
    repo.write("a.py", "x = 1\n").commit_all("initial");
    let run = repo.leakgate(&["hook", "install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let hook = repo.join(".git/hooks/pre-commit");
    assert!(hook.exists());
    // Clean commits go through.
    repo.write("b.py", "y = 2\n");
    repo.git(&["add", "b.py"]);
    assert!(
        git_with_hooks(&repo, &["commit", "-q", "-m", "clean"])
            .status
            .success()
    );
    // A staged secret is blocked.
    repo.write("c.py", format!("t = '{}'\n", Gen::new(208).huggingface()));
    repo.git(&["add", "c.py"]);
    let out = git_with_hooks(&repo, &["commit", "-q", "-m", "leak"]);
    assert!(!out.status.success());
    // git runs hooks with their stdout sent to stderr.
    assert!(String::from_utf8_lossy(&out.stderr).contains("git restore --staged -- c.py"));
    repo.git(&["reset", "-q"]);
    std::fs::remove_file(repo.join("c.py")).unwrap();
    // `git commit -a` commits from a temporary index: still blocked.
    repo.write(
        "a.py",
        format!("x = 1\nt = '{}'\n", Gen::new(209).huggingface()),
    );
    let out = git_with_hooks(&repo, &["commit", "-q", "-a", "-m", "leak via -a"]);
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(repo.git(&["log", "--format=%s", "-1"]).trim(), "clean");
}

#[test]
fn hook_without_leakgate_on_path_says_so() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    repo.leakgate(&["hook", "install"]);
    repo.write("b.py", "y\n");
    repo.git(&["add", "b.py"]);
    let out = Command::new("git")
        .args(["commit", "-q", "-m", "x"])
        .current_dir(repo.path())
        .env("PATH", "/usr/bin:/bin")
        .env("LEAKGATE", "leakgate-not-installed")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not on PATH"));
}

#[test]
fn install_respects_core_hooks_path() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    repo.git(&["config", "core.hooksPath", "githooks"]);
    assert_eq!(repo.leakgate(&["hook", "install", "--pre-push"]).code, 0);
    assert!(repo.join("githooks/pre-commit").exists());
    assert!(repo.join("githooks/pre-push").exists());
    assert!(!repo.join(".git/hooks/pre-commit").exists());
}

#[test]
fn existing_hook_is_chained_and_restored_on_uninstall() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    let hooks = repo.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let original = "#!/bin/sh\necho ran-original >> \"$(git rev-parse --git-dir)/original.log\"\n";
    std::fs::write(hooks.join("pre-commit"), original).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            hooks.join("pre-commit"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    assert_eq!(repo.leakgate(&["hook", "install"]).code, 0);
    assert!(hooks.join("pre-commit.leakgate-orig").exists());
    repo.write("b.py", "y\n");
    repo.git(&["add", "b.py"]);
    assert!(
        git_with_hooks(&repo, &["commit", "-q", "-m", "clean"])
            .status
            .success()
    );
    let log = std::fs::read_to_string(repo.join(".git/original.log")).unwrap();
    assert_eq!(log.trim(), "ran-original", "the chained hook still runs");
    // A second foreign hook cannot be chained over the first without --force.
    assert_eq!(
        repo.leakgate(&["hook", "install"]).code,
        0,
        "reinstalling our own hook is fine"
    );
    assert_eq!(repo.leakgate(&["hook", "uninstall"]).code, 0);
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        original
    );
    assert!(!hooks.join("pre-commit.leakgate-orig").exists());
}

#[test]
fn install_in_a_linked_worktree_uses_the_common_hooks_dir() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    let wt = TestRepo::plain();
    let wt_path = wt.join("wt");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        wt_path.to_str().unwrap(),
        "-b",
        "wt",
    ]);
    let run = crate::support::run_in(&wt_path, &["hook", "install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(repo.join(".git/hooks/pre-commit").exists());
}

#[test]
fn pre_push_hook_blocks_a_real_push() {
    let repo = TestRepo::new();
    let remote = TestRepo::plain();
    let target = remote.join("origin.git");
    repo.git(&["init", "-q", "--bare", target.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", target.to_str().unwrap()]);
    repo.write("a.py", "x\n").commit_all("initial");
    assert_eq!(
        repo.leakgate(&["hook", "install", "--pre-push-only"]).code,
        0
    );
    assert!(
        git_with_hooks(&repo, &["push", "-q", "origin", "main"])
            .status
            .success()
    );
    // Committed without the pre-commit hook, then pushed: the pre-push hook stops it.
    repo.write("k.env", format!("T={}\n", Gen::new(210).huggingface()))
        .commit_all("add key");
    repo.write("c.txt", "more\n").commit_all("more");
    let out = git_with_hooks(&repo, &["push", "-q", "origin", "main"]);
    assert!(!out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("k.env") && all.contains("push blocked"),
        "{all}"
    );
    // A new branch whose commits are already on the remote publishes nothing new.
    repo.git(&["checkout", "-q", "-b", "clean", "HEAD~2"]);
    assert!(
        git_with_hooks(&repo, &["push", "-q", "origin", "clean"])
            .status
            .success()
    );
    // Deleting a remote branch publishes nothing.
    assert!(
        git_with_hooks(&repo, &["push", "-q", "origin", ":clean"])
            .status
            .success()
    );
}

#[test]
fn pre_push_reads_stdin_lines() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    let base = repo.rev("HEAD");
    repo.write("k.env", format!("T={}\n", Gen::new(211).huggingface()))
        .commit_all("key");
    let head = repo.rev("HEAD");
    let zero = "0".repeat(40);
    let run_with = |stdin: String| crate::support::pre_push(&repo, &stdin);
    let run = run_with(format!("refs/heads/main {head} refs/heads/main {base}\n"));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(field(&run.findings(), "path"), ["k.env"]);
    // New branch, no remote-tracking refs: everything reachable is published.
    assert_eq!(
        run_with(format!("refs/heads/x {head} refs/heads/x {zero}\n")).code,
        1
    );
    // Pushing the already-published base: nothing new.
    assert_eq!(
        run_with(format!("refs/heads/main {base} refs/heads/main {base}\n")).code,
        0
    );
    // Deletion.
    assert_eq!(
        run_with(format!("(delete) {zero} refs/heads/main {head}\n")).code,
        0
    );
}

#[test]
fn staged_honours_the_baseline() {
    let repo = TestRepo::new();
    let key = Gen::new(212).huggingface();
    repo.write("legacy.env", format!("T={key}\n"));
    repo.write(".gitignore", "legacy.env\n")
        .commit_all("initial");
    // The value is accepted in the baseline (it lives in an ignored file today).
    assert_eq!(repo.leakgate(&["baseline", "create"]).code, 0);
    repo.write("app.cfg", format!("token = {key}\n"));
    repo.git(&["add", "app.cfg"]);
    assert_eq!(staged(&repo).code, 0, "a baselined value does not block");
    let run = repo.leakgate(&["staged", "--format", "json", "--no-repo-config"]);
    assert_eq!(run.code, 1, "without the baseline it does");
    let other = Gen::new(213).huggingface();
    repo.write("app.cfg", format!("token = {key}\nother = {other}\n"));
    repo.git(&["add", "app.cfg"]);
    let run = staged(&repo);
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["summary"]["baseline"]["suppressed"], 1);
}
