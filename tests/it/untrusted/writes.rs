//! What leakgate writes: never through a planted symlink, never into a FIFO, secrets-holding
//! files 0600, and nothing at all inside an audited repository unless asked.

use super::mkfifo;
use crate::support::{Gen, TestRepo, leakgate};
use std::path::Path;

/// A repository with one committed key (so an audit has something to write about).
fn committed_key() -> (TestRepo, String) {
    let repo = TestRepo::new();
    let key = Gen::new(1501).anthropic();
    // A value shaped like a shell payload: written into a shell start-up file it would run.
    repo.write("deploy.env", format!("ANTHROPIC_API_KEY={key}\n"))
        .commit_all("add deploy config");
    (repo, key)
}

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

/// Every file under `dir` (but `.git/index`-independent): path, length and modification time.
fn tree_state(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.path().symlink_metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            }
            out.push((
                e.path().display().to_string(),
                m.len(),
                m.modified().unwrap(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn audit_writes_nothing_into_the_repository_and_never_through_a_planted_symlink() {
    let (repo, key) = committed_key();
    // The planted link: where leakgate used to write its replacements file by default.
    let home = TestRepo::plain();
    let bashrc = home.join(".bashrc");
    std::fs::write(&bashrc, "# auditor's shell start-up file\n").unwrap();
    symlink(&bashrc, &repo.join(".git/leakgate-replacements.txt"));
    let before = tree_state(repo.path());
    let run = repo.leakgate(&["audit", ".", "--color", "never"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("anthropic-api-key"), "{}", run.stdout);
    assert!(
        run.stdout.contains("--replacements FILE"),
        "says how to get the replacements file: {}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_to_string(&bashrc).unwrap(),
        "# auditor's shell start-up file\n"
    );
    assert_eq!(
        before,
        tree_state(repo.path()),
        "audit wrote into the repository"
    );
    // Asked for explicitly, through the planted link: refused, one line, exit 2.
    let run = repo.leakgate(&[
        "audit",
        ".",
        "--replacements",
        ".git/leakgate-replacements.txt",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("symlink"), "{}", run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert!(!std::fs::read_to_string(&bashrc).unwrap().contains(&key));
}

/// Run `leakgate args` in `dir` with `dir` read-only: by permissions for an ordinary user, by a
/// read-only bind mount in a user namespace for root (whom permissions do not stop). `None` when
/// neither is possible here.
fn run_read_only(dir: &Path, args: &[&str]) -> Option<crate::support::Run> {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        let dirs = [dir.to_path_buf(), dir.join(".git")];
        for d in &dirs {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o555)).unwrap();
        }
        let mut c = leakgate();
        c.args(args).current_dir(dir);
        let run = crate::support::Run::new(c.output().unwrap());
        for d in &dirs {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        return Some(run);
    }
    let script = r#"mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && cd "$0" && ! touch .git/probe 2>/dev/null && exec "$@""#;
    let mut c = std::process::Command::new("unshare");
    c.args(["-rm", "sh", "-c", script])
        .arg(dir)
        .arg(env!("CARGO_BIN_EXE_leakgate"))
        .args(args)
        .env_remove("GIT_DIR");
    let run = crate::support::Run::new(c.output().ok()?);
    if run.code == 1 && run.stdout.is_empty() && !run.stderr.contains("leakgate") {
        return None; // no user namespace here
    }
    Some(run)
}

#[test]
fn audit_of_a_read_only_repository_prints_its_full_report() {
    let (repo, _) = committed_key();
    let Some(run) = run_read_only(repo.path(), &["audit", ".", "--format", "json"]) else {
        eprintln!("skipped: cannot make a directory read-only for root here (no unshare)");
        return;
    };
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.json()["secrets"].as_array().unwrap().len(), 1);
}

#[test]
fn output_file_planted_as_a_symlink_or_fifo_is_refused() {
    let (repo, key) = committed_key();
    let elsewhere = TestRepo::plain();
    let target = elsewhere.join("victim.txt");
    std::fs::write(&target, "precious\n").unwrap();
    // Committed by a pull request: `leakgate.sarif -> ../victim.txt`.
    symlink(&target, &repo.join("leakgate.sarif"));
    mkfifo(&repo.join("report.json"));
    // A hard link to the victim (a checkout unpacked from an archive can hold one).
    std::fs::hard_link(&target, repo.join("report.sarif")).unwrap();
    for (out, what) in [
        ("leakgate.sarif", "symlink"),
        ("report.json", "FIFO"),
        ("report.sarif", "hard links"),
    ] {
        for cmd in [
            vec!["scan", ".", "--format", "sarif", "--output", out],
            vec!["history", ".", "--format", "sarif", "--output", out],
            vec!["audit", ".", "--format", "json", "--output", out],
        ] {
            let mut c = leakgate();
            c.args(&cmd).current_dir(repo.path());
            let run = crate::support::Run::new(c.output().unwrap());
            assert_eq!(run.code, 2, "{cmd:?}: {}", run.stderr);
            assert!(run.stderr.contains(what), "{cmd:?}: {}", run.stderr);
        }
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    // A regular output file is created 0600, and replaced wholesale when it existed.
    let out = elsewhere.join("out.json");
    std::fs::write(&out, "x".repeat(100_000)).unwrap();
    let run = repo.leakgate(&[
        "scan",
        ".",
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    assert!(!text.contains(&key));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn baseline_hooks_and_step_summary_never_follow_a_symlink() {
    let (repo, _) = committed_key();
    let elsewhere = TestRepo::plain();
    let target = elsewhere.join("victim.txt");
    std::fs::write(&target, "precious\n").unwrap();
    // The baseline leakgate writes by default, planted as a link.
    symlink(&target, &repo.join(".leakgate-baseline.json"));
    let run = repo.leakgate(&["baseline", "create"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("symlink"), "{}", run.stderr);
    std::fs::remove_file(repo.join(".leakgate-baseline.json")).unwrap();
    // The step summary the CI gate appends to.
    let summary = repo.join("summary.md");
    symlink(&target, &summary);
    let base = repo.rev("HEAD");
    repo.write("notes.txt", "nothing secret\n")
        .commit_all("notes");
    let mut c = leakgate();
    c.args(["ci", "--base", &base, "--head", "HEAD"])
        .current_dir(repo.path())
        .env("GITHUB_STEP_SUMMARY", &summary);
    let run = crate::support::Run::new(c.output().unwrap());
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    // A hook that is a link to a file that looks like leakgate's own hook.
    std::fs::write(&target, "#!/bin/sh\n# leakgate-hook: pre-commit\n").unwrap();
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    symlink(&target, &hook);
    let marker = std::fs::read_to_string(repo.join(".git/hooks/pre-commit")).unwrap();
    let run = repo.leakgate(&["hook", "install"]);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), marker);
    assert!(
        run.code == 2 || hook.symlink_metadata().is_ok_and(|m| m.is_file()),
        "either refused or the link itself replaced: {}",
        run.stderr
    );
}
