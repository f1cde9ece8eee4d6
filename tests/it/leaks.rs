//! Secrets never leak: every command and output format, with debug logging and the progress line
//! on and errors forced, shows a secret only redacted unless `--show-secrets`.

use crate::support::{Gen, TestRepo};

#[test]
fn no_output_format_of_any_command_prints_a_secret() {
    let repo = TestRepo::new();
    let mut g = Gen::new(500);
    let (a, b, c) = (g.anthropic(), g.huggingface(), g.aws_key_id());
    repo.write(".gitignore", ".envrc\n")
        .write("app.py", format!("KEY = \"{c}\"\n"));
    repo.commit_all("add key");
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        &format!("debug with {b}"),
    ]);
    repo.write(".envrc", format!("export ANTHROPIC_API_KEY={a}\n"));
    repo.write("staged.env", format!("T={b}\n"));
    repo.git(&["add", "staged.env"]);
    // An unreadable file and a corrupt baseline force error paths too.
    repo.write("bad-baseline.json", "{ not json");
    let head = repo.rev("HEAD");
    let formats = ["human", "json", "jsonl", "sarif", "github", "markdown"];
    let mut runs = Vec::new();
    for f in formats {
        runs.push(vec!["scan", ".", "--format", f, "--color", "always"]);
        runs.push(vec!["history", ".", "--format", f, "--color", "always"]);
        runs.push(vec!["staged", "--format", f]);
        runs.push(vec!["audit", ".", "--format", f]);
        runs.push(vec![
            "ci", "--base", "HEAD~2", "--head", "HEAD", "--format", f,
        ]);
    }
    runs.push(vec!["audit", ".", "--format", "html"]);
    runs.push(vec!["scan", ".", "--baseline", "bad-baseline.json"]);
    runs.push(vec!["history", ".", "--since", "no-such-rev"]);
    let mut debug_lines = 0;
    for args in &runs {
        // Debug logging and the progress line on, as in a CI log.
        let run = crate::support::Run::new(
            crate::support::leakgate()
                .args(args)
                .current_dir(repo.path())
                .env("LEAKGATE_LOG", "debug")
                .env("LEAKGATE_PROGRESS", "always")
                .output()
                .expect("leakgate runs"),
        );
        debug_lines += run.stderr.matches("leakgate: debug:").count();
        assert!(run.code == 1 || run.code == 2, "{args:?}: {}", run.stderr);
        for secret in [&a, &b, &c] {
            assert!(
                !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
                "{args:?} printed a secret"
            );
        }
    }
    assert!(debug_lines > runs.len() * 3, "debug logging was on");
    // Written files: the report and the baseline hold no secret; both are private or hashed.
    assert_eq!(
        repo.leakgate(&["scan", ".", "--format", "sarif", "--output", "r.sarif"])
            .code,
        1
    );
    assert_eq!(repo.leakgate(&["baseline", "create"]).code, 0);
    for file in ["r.sarif", ".leakgate-baseline.json"] {
        let text = std::fs::read_to_string(repo.join(file)).unwrap();
        for secret in [&a, &b, &c] {
            assert!(!text.contains(secret.as_str()), "{file} holds a secret");
        }
    }
    // And --show-secrets does show them.
    let run = repo.leakgate(&[
        "scan",
        ".",
        "--format",
        "json",
        "--show-secrets",
        "--no-repo-config",
    ]);
    assert!(run.stdout.contains(&a) && run.stdout.contains(&c));
    let _ = head;
}
