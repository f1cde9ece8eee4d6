//! Large content passes no gate unread: a staged file, a pushed commit or a CI range holding a
//! file of tens of megabytes with a token at its end is blocked, and one leakgate was told to
//! skip (`--max-file-size`) is named and makes the gate exit 2. History reads blobs of any size.

use crate::support::{Gen, Run, TestRepo, field, git_with_hooks};

/// `mib` MiB of log lines, then a line with `secret`.
fn big_text(mib: usize, secret: &str) -> Vec<u8> {
    let line = b"2024-01-02T03:04:05Z INFO request served in 12 ms path=/api/v1/items\n";
    let mut out = Vec::with_capacity(mib << 20);
    while out.len() < mib << 20 {
        out.extend_from_slice(line);
    }
    out.extend_from_slice(format!("GITHUB_TOKEN={secret}\n").as_bytes());
    out
}

fn pushed(repo: &TestRepo, stdin: String) -> Run {
    crate::support::pre_push(repo, &stdin)
}

#[test]
fn a_30_mb_staged_file_ending_in_a_token_is_blocked_by_every_gate() {
    let repo = TestRepo::new();
    repo.write("README.md", "x\n").commit_all("initial");
    let base = repo.rev("HEAD");
    let token = Gen::new(1510).github();
    repo.write("logs/server.log", big_text(30, &token));
    repo.git(&["add", "-A"]);
    // Pre-commit.
    let run = repo.leakgate(&["staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(field(&run.findings(), "path"), ["logs/server.log"]);
    assert_eq!(run.findings()[0]["line"], (30u64 << 20) / 69 + 2);
    // Told to skip it: named, and the hook does not call the commit clean.
    let run = repo.leakgate(&["staged", "--max-file-size", "1M"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("logs/server.log"), "{}", run.stdout);
    // A real commit through the installed hook.
    assert_eq!(repo.leakgate(&["hook", "install"]).code, 0);
    let out = git_with_hooks(&repo, &["commit", "-q", "-m", "add logs"]);
    assert!(!out.status.success(), "the commit went through");
    // Committed anyway (no hook): the CI range, --range and pre-push.
    repo.git(&["commit", "-q", "--no-verify", "-m", "add logs"]);
    let head = repo.rev("HEAD");
    for args in [
        vec!["ci", "--base", &base, "--head", &head, "--format", "json"],
        vec![
            "history",
            "--range",
            &format!("{base}..{head}"),
            "--format",
            "json",
        ],
    ] {
        let run = repo.leakgate(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert_eq!(field(&run.findings(), "path"), ["logs/server.log"]);
    }
    let run = pushed(
        &repo,
        format!("refs/heads/main {head} refs/heads/main {base}\n"),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    // With a limit, the gates name the file and exit 2.
    let run = repo.leakgate(&[
        "ci",
        "--base",
        &base,
        "--head",
        &head,
        "--max-file-size",
        "1M",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // Named by its path, with the blob id.
    let skipped = run.json()["summary"]["skipped_files"].to_string();
    assert!(skipped.contains("logs/server.log (blob "), "{skipped}");
}

#[test]
fn history_reads_blobs_of_any_size_loose_or_packed() {
    let repo = TestRepo::new();
    let token = Gen::new(1511).github();
    // Over the in-memory limit (128 MiB): streamed from the loose object, then from the pack.
    repo.write("dump.sql", big_text(130, &token))
        .commit_all("add dump");
    repo.git(&["rm", "-q", "dump.sql"]);
    repo.git(&["commit", "-q", "-m", "remove dump"]);
    let check = |case: &str| {
        let run = repo.leakgate(&["history", ".", "--format", "json"]);
        assert_eq!(run.code, 1, "{case}: {}", run.stderr);
        let f = run.findings();
        assert_eq!(field(&f, "path"), ["dump.sql"], "{case}");
        assert_eq!(run.json()["summary"]["incomplete"], false, "{case}");
    };
    check("loose");
    repo.git(&["gc", "-q"]);
    assert!(
        std::fs::read_dir(repo.join(".git/objects/pack"))
            .unwrap()
            .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "pack"))
    );
    check("packed");
}
