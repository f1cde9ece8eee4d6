//! Healthy oddities of a repository are not errors, broken ones are: a tag on a blob or a tree
//! (git/git's own history has one) is reachable content, not a missing object; a ref, HEAD or
//! object directory that cannot be read is an error naming it (exit 2), never skipped so that
//! what it reaches looks unreachable, absent or unborn; a SHA-256 repository is scanned.

use crate::support::{Gen, Run, TestRepo, leakgate};
use serde_json::Value;
use std::os::unix::process::CommandExt;

fn json(repo: &TestRepo, args: &[&str]) -> (Run, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let run = repo.leakgate(&all);
    let v = run.json();
    (run, v)
}

/// `(path, error)` of every error in a JSON report's summary.
fn errors(v: &Value) -> Vec<(String, String)> {
    v["summary"]["error_details"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                    (s("path"), s("error"))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn has_error(v: &Value, path: &str) -> bool {
    errors(v).iter().any(|(p, _)| p == path)
}

fn base_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "project\n").commit_all("initial");
    repo
}

/// A tag on a blob, a tag on a tree, a tag on a tag on a blob and a lightweight tag on a tree:
/// the tagged content is reachable, nothing is missing. A tag whose target is absent is still a
/// missing object.
#[test]
fn tags_on_blobs_and_trees_are_reachable_content_not_missing_objects() {
    let repo = base_repo();
    let mut g = Gen::new(601);
    let (in_blob, in_tree) = (g.huggingface(), g.huggingface());
    repo.write("loose.env", format!("HF_TOKEN={in_blob}\n"));
    let blob = repo
        .git(&["hash-object", "-w", "loose.env"])
        .trim()
        .to_string();
    std::fs::remove_file(repo.join("loose.env")).unwrap();
    repo.write("tagged/in-tree.env", format!("HF_TOKEN={in_tree}\n"));
    repo.git(&["add", "tagged/in-tree.env"]);
    let tree = repo.git(&["write-tree"]).trim().to_string();
    repo.git(&["rm", "-q", "--cached", "tagged/in-tree.env"]);
    std::fs::remove_dir_all(repo.join("tagged")).unwrap();
    repo.git(&["tag", "-a", "-m", "a key file", "blob-tag", &blob]);
    repo.git(&["tag", "-a", "-m", "a tree", "tree-tag", &tree]);
    repo.git(&[
        "-c",
        "advice.nestedTag=false",
        "tag",
        "-a",
        "-m",
        "nested",
        "nested-tag",
        "blob-tag",
    ]);
    repo.git(&["tag", "light-tree-tag", &tree]);

    for args in [&["history", "."][..], &["history", ".", "--branch", "main"]] {
        let (run, v) = json(&repo, args);
        assert_eq!(
            v["summary"]["missing_objects"],
            serde_json::json!([]),
            "{args:?}: {v}"
        );
        assert_eq!(v["summary"]["incomplete"], false, "{args:?}: {v}");
        assert!(errors(&v).is_empty(), "{args:?}: {v}");
        if args.len() == 2 {
            // Full mode scans the tagged content: reachable, the tree's file at its path.
            assert_eq!(run.code, 1, "{}", run.stderr);
            let mut got: Vec<(String, String)> = run
                .findings()
                .iter()
                .map(|f| {
                    (
                        f["path"].as_str().unwrap().into(),
                        f["exposure"].as_str().unwrap().into(),
                    )
                })
                .collect();
            got.sort();
            let want = [("", "reachable"), ("tagged/in-tree.env", "reachable")];
            assert_eq!(
                got,
                want.map(|(p, e)| (p.to_string(), e.to_string())),
                "{v}"
            );
        } else {
            // The range of main holds no secret.
            assert_eq!(run.code, 0, "{}", run.stderr);
        }
    }

    // A tag on an object that is not there: a missing object, as before.
    let ghost = "1234567890123456789012345678901234567890";
    let tag =
        format!("object {ghost}\ntype blob\ntag ghost\ntagger T <t@e> 1704153600 +0000\n\nghost\n");
    repo.write("ghost.tag", tag);
    let tag_id = repo
        .git(&["hash-object", "-t", "tag", "-w", "--literally", "ghost.tag"])
        .trim()
        .to_string();
    std::fs::remove_file(repo.join("ghost.tag")).unwrap();
    repo.git(&["update-ref", "refs/tags/ghost", &tag_id]);
    let (run, v) = json(&repo, &["history", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(v["summary"]["missing_objects"][0]["id"], ghost, "{v}");
    assert_eq!(v["summary"]["incomplete"], true);
}

/// A loose ref holding garbage, a `packed-refs` line that is not a record and a symbolic ref to
/// nothing used to be skipped (exit 0, and a secret only they reached looked unreachable). Each
/// is an error naming the ref; an unborn HEAD and a symbolic ref that resolves are not.
#[test]
fn unreadable_refs_are_errors_naming_the_ref() {
    // Garbage in a loose ref, on a clean repository: exit 2, full and range mode.
    let repo = base_repo();
    let first = repo.rev("HEAD");
    repo.write("b.txt", "b\n").commit_all("second");
    std::fs::write(repo.join(".git/refs/heads/broken"), "garbage\n").unwrap();
    for args in [&["history", "."][..], &["history", ".", "--since", &first]] {
        let (run, v) = json(&repo, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert!(has_error(&v, "refs/heads/broken"), "{args:?}: {v}");
        assert_eq!(v["summary"]["incomplete"], true);
    }
    let human = repo.leakgate(&["history", "."]);
    assert_eq!(human.code, 2);
    assert!(
        human.stdout.contains("refs/heads/broken"),
        "{}",
        human.stdout
    );

    // The branch held a secret: still found (exit 1, unreachable now), and the scan says why.
    let repo = base_repo();
    repo.git(&["checkout", "-q", "-b", "side"]);
    let key = Gen::new(602).huggingface();
    repo.write("side.env", format!("HF_TOKEN={key}\n"))
        .commit_all("side");
    repo.git(&["checkout", "-q", "main"]);
    std::fs::write(repo.join(".git/refs/heads/side"), "not a ref\n").unwrap();
    let (run, v) = json(&repo, &["history", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(has_error(&v, "refs/heads/side"), "{v}");
    assert_eq!(v["summary"]["incomplete"], true);

    // A packed-refs line that is not a record.
    let repo = base_repo();
    repo.git(&["branch", "side"]);
    repo.git(&["pack-refs", "--all"]);
    let packed = std::fs::read_to_string(repo.join(".git/packed-refs")).unwrap();
    let id = repo.rev("side");
    std::fs::write(
        repo.join(".git/packed-refs"),
        packed.replace(&format!("{id} refs/heads/side"), "zzzz refs/heads/side"),
    )
    .unwrap();
    let (run, v) = json(&repo, &["history", "."]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(has_error(&v, "refs/heads/side"), "{v}");

    // A symbolic ref to a ref that does not exist (`git fsck`: invalid pointer).
    let repo = base_repo();
    repo.git(&["symbolic-ref", "refs/heads/dangling", "refs/heads/nowhere"]);
    let (run, v) = json(&repo, &["history", "."]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(has_error(&v, "refs/heads/dangling"), "{v}");

    // Healthy: an orphan branch checked out (HEAD unborn) and a symbolic ref that resolves.
    let repo = base_repo();
    repo.git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        "refs/heads/main",
    ]);
    repo.git(&["checkout", "-q", "--orphan", "fresh"]);
    let (run, v) = json(&repo, &["history", "."]);
    assert_eq!(run.code, 0, "{v}");
}

/// A HEAD that cannot be read used to be taken for an unborn branch: every committed file then
/// looked `staged`. `scan`, `staged` and `audit` stop with an error naming HEAD; `history`
/// reports it and is incomplete.
#[test]
fn corrupt_head_is_an_error_not_an_unborn_branch() {
    let key = Gen::new(603).huggingface();
    for head in ["garbage\n", "0123456789012345678901234567890123456789\n"] {
        let repo = base_repo();
        repo.write("app.env", format!("HF_TOKEN={key}\n"))
            .commit_all("config");
        assert_eq!(
            repo.leakgate(&["scan", ".", "--format", "json"]).findings()[0]["exposure"],
            "committed"
        );
        std::fs::write(repo.join(".git/HEAD"), head).unwrap();
        for args in [&["scan", "."][..], &["staged"], &["audit", "."]] {
            let run = repo.leakgate(args);
            assert_eq!(run.code, 2, "{head:?} {args:?}: {}", run.stdout);
            assert!(
                run.stderr.contains("HEAD") && run.stderr.contains("cannot be read"),
                "{head:?} {args:?}: {}",
                run.stderr
            );
            assert!(!run.stdout.contains("staged"), "{}", run.stdout);
        }
        let (run, v) = json(&repo, &["history", "."]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(has_error(&v, "HEAD"), "{head:?}: {v}");
        assert_eq!(v["summary"]["incomplete"], true);
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn chmod(p: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A loose-object fan-out directory that cannot be listed made its objects look missing, which
/// `--allow-missing` accepts: exit 0. Unreadable is an error naming the directory, full and range
/// mode alike.
#[test]
fn unreadable_object_directory_is_an_error_even_with_allow_missing() {
    let repo = base_repo();
    let first = repo.rev("HEAD");
    repo.write("b.txt", "b\n").commit_all("second");
    let blob = repo.rev("HEAD:b.txt");
    let fan = repo.join(&format!(".git/objects/{}", &blob[..2]));
    chmod(repo.path(), 0o755);
    chmod(&fan, 0o000);
    // Root reads everything: run as nobody so the permission bits count.
    let run_as_reader = |args: &[&str]| {
        let mut c = leakgate();
        c.args(args).current_dir(repo.path());
        if is_root() {
            c.uid(65534).gid(65534);
        }
        Run::new(c.output().expect("leakgate runs"))
    };
    let cases: [&[&str]; 3] = [
        &["history", ".", "--allow-missing", "--format", "json"],
        &[
            "history",
            ".",
            "--since",
            &first,
            "--allow-missing",
            "--format",
            "json",
        ],
        &[
            "ci",
            "--base",
            &first,
            "--head",
            "HEAD",
            "--allow-missing",
            "--format",
            "json",
        ],
    ];
    for args in cases {
        let run = run_as_reader(args);
        let v = run.json();
        chmod(&fan, 0o755);
        assert_eq!(run.code, 2, "{args:?}: {}\n{}", run.stdout, run.stderr);
        let named = errors(&v).iter().any(|(p, e)| {
            p.ends_with(&format!("objects/{}", &blob[..2])) && e.contains("ermission denied")
        });
        assert!(named, "{args:?}: {v}");
        chmod(&fan, 0o000);
    }
    chmod(&fan, 0o755);
}

/// A SHA-256 repository (`git init --object-format=sha256`) used to fail with "configuration
/// could not be loaded". It is scanned like any other: loose and packed history, the exposure of
/// a committed file, staged changes and a CI range.
#[test]
fn sha256_repository_is_scanned() {
    let repo = TestRepo::plain();
    repo.git(&["init", "-q", "-b", "main", "--object-format=sha256"]);
    repo.git(&["config", "user.name", "Test User"]);
    repo.git(&["config", "user.email", "test@example.org"]);
    repo.write("README.md", "project\n").commit_all("initial");
    let mut g = Gen::new(604);
    repo.write("app.env", format!("HF_TOKEN={}\n", g.huggingface()))
        .commit_all("config");
    let introducing = repo.rev("HEAD");
    assert_eq!(introducing.len(), 64);
    for packed in [false, true] {
        if packed {
            repo.git(&["gc", "-q"]);
        }
        let (run, v) = json(&repo, &["history", "."]);
        assert_eq!(run.code, 1, "packed {packed}: {}", run.stderr);
        assert_eq!(v["summary"]["incomplete"], false, "{v}");
        let f = run.findings();
        assert_eq!(f.len(), 1, "{v}");
        assert_eq!(f[0]["path"], "app.env");
        assert_eq!(f[0]["commit"]["id"], introducing.as_str());
        assert_eq!(f[0]["commit"]["in_head"], true);
    }
    let (run, _) = json(&repo, &["scan", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings()[0]["exposure"], "committed");
    let (run, _) = json(&repo, &["ci", "--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings()[0]["commit"]["id"], introducing.as_str());
    repo.write("new.env", format!("HF_TOKEN={}\n", g.huggingface()));
    repo.git(&["add", "new.env"]);
    let (run, _) = json(&repo, &["staged"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.findings();
    assert_eq!(f.len(), 1, "{}", run.stdout);
    assert_eq!(f[0]["path"], "new.env");
    assert_eq!(f[0]["exposure"], "staged");
}
