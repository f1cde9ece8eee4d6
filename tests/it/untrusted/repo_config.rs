//! What the repository may decide: its own configuration never moves the scan elsewhere or
//! hides the working tree, and special files planted where git keeps its data never hang it.

use super::{mkfifo, run_bounded};
use crate::support::{Gen, TestRepo, field};

/// A repository with a committed key and another key in a gitignored `.envrc`.
fn repo_with_envrc() -> (TestRepo, String) {
    let repo = TestRepo::new();
    let mut g = Gen::new(1502);
    let (committed, local) = (g.anthropic(), g.anthropic());
    repo.write(".gitignore", ".envrc\n")
        .write("deploy.env", format!("ANTHROPIC_API_KEY={committed}\n"))
        .commit_all("initial");
    repo.write(".envrc", format!("export ANTHROPIC_API_KEY={local}\n"));
    (repo, local)
}

fn paths(run: &crate::support::Run) -> Vec<String> {
    let mut p = field(&run.findings(), "path");
    p.sort();
    p.dedup();
    p
}

#[test]
fn core_worktree_and_core_bare_do_not_move_or_hide_the_working_tree() {
    let (repo, _) = repo_with_envrc();
    let elsewhere = TestRepo::plain();
    // Somewhere else on the auditor's machine: an empty directory, or one with a file that
    // would be reported under the repository's name.
    elsewhere.write("decoy.txt", "nothing\n");
    let elsewhere_path = elsewhere.path().to_str().unwrap();
    for (key, value) in [("core.worktree", elsewhere_path), ("core.bare", "true")] {
        repo.git(&["config", key, value]);
        for cmd in ["audit", "scan"] {
            let run = run_bounded(repo.path(), &[cmd, ".", "--format", "json"]);
            assert_eq!(run.code, 1, "{key} {cmd}: {}", run.stderr);
            let p = paths(&run);
            assert!(p.contains(&".envrc".to_string()), "{key} {cmd}: {p:?}");
            let envrc = run
                .findings()
                .into_iter()
                .find(|f| f["path"] == ".envrc")
                .unwrap();
            assert_eq!(envrc["exposure"], "ignored", "{key} {cmd}");
        }
        repo.git(&["config", "--unset", key]);
    }
}

#[test]
fn a_bare_repository_cannot_claim_a_working_tree() {
    let (repo, _) = repo_with_envrc();
    let bare = TestRepo::plain();
    let bare_git = bare.join("b.git");
    repo.git(&["clone", "-q", "--bare", ".", bare_git.to_str().unwrap()]);
    // The bare repository's config points at another directory as its working tree.
    let decoy = TestRepo::plain();
    decoy.write(".envrc", format!("K={}\n", Gen::new(1503).huggingface()));
    let cfg = bare_git.join("config");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("bare = true", "bare = false");
    std::fs::write(
        &cfg,
        format!("{text}[core]\n\tworktree = {}\n", decoy.path().display()),
    )
    .unwrap();
    let run = run_bounded(&bare_git, &["audit", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        paths(&run),
        ["deploy.env"],
        "only the bare repository's history"
    );
}

#[test]
fn special_files_where_git_keeps_its_data_are_refused_not_waited_on() {
    let (repo, _) = repo_with_envrc();
    // The repository's config replaced by a FIFO: gix would block opening it.
    let config = repo.join(".git/config");
    let saved = std::fs::read(&config).unwrap();
    std::fs::remove_file(&config).unwrap();
    mkfifo(&config);
    for cmd in ["audit", "history", "scan", "staged"] {
        let run = run_bounded(repo.path(), &[cmd]);
        assert_eq!(run.code, 2, "{cmd}: {}", run.stderr);
        assert!(
            run.stderr.contains(".git/config") && run.stderr.contains("FIFO"),
            "{cmd}: {}",
            run.stderr
        );
    }
    std::fs::remove_file(&config).unwrap();
    std::fs::write(&config, saved).unwrap();
    // A loose object replaced by a FIFO: the history commands refuse the repository.
    let blob = repo.git(&["rev-parse", "HEAD:deploy.env"]);
    let blob = blob.trim();
    let obj = repo.join(&format!(".git/objects/{}/{}", &blob[..2], &blob[2..]));
    std::fs::remove_file(&obj).unwrap();
    mkfifo(&obj);
    for cmd in ["audit", "history"] {
        let run = run_bounded(repo.path(), &[cmd]);
        assert_eq!(run.code, 2, "{cmd}: {}", run.stderr);
        assert!(run.stderr.contains(&blob[2..]), "{cmd}: {}", run.stderr);
    }
}

#[test]
fn special_gitignore_files_are_reported_and_the_scan_goes_on() {
    let (repo, _) = repo_with_envrc();
    let fifo = TestRepo::plain();
    let global = fifo.join("ignore");
    mkfifo(&global);
    // A FIFO as a subdirectory's .gitignore, and as the global excludes file.
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    repo.write(
        "sub/app.env",
        format!("K={}\n", Gen::new(1504).huggingface()),
    );
    mkfifo(&repo.join("sub/.gitignore"));
    let run = run_bounded(repo.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = run.json();
    let errors = doc["summary"]["error_details"].to_string();
    assert!(errors.contains("sub/.gitignore"), "{errors}");
    assert!(paths(&run).contains(&"sub/app.env".to_string()));
    std::fs::remove_file(repo.join("sub/.gitignore")).unwrap();
    repo.git(&["config", "core.excludesFile", global.to_str().unwrap()]);
    let run = run_bounded(repo.path(), &["audit", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.json()["summary"]["error_details"]
            .to_string()
            .contains("FIFO")
    );
}

#[test]
fn objects_lent_by_alternates_are_scanned_and_named() {
    let (origin, _) = repo_with_envrc();
    let home = TestRepo::plain();
    let clone = home.join("clone");
    origin.git(&["clone", "-q", "--shared", ".", clone.to_str().unwrap()]);
    let run = run_bounded(&clone, &["history", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(paths(&run), ["deploy.env"]);
    let warnings = run.json()["summary"]["warnings"].to_string();
    assert!(warnings.contains("alternates"), "{warnings}");
}
