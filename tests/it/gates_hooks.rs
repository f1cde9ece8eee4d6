//! The gates hold (issue 16): pre-push excludes only what the destination has, commit messages
//! are checked before the commit exists, hooks that git stopped running are reported, and
//! submodules are covered. Every test drives real `git commit` / `git push`.

use crate::support::{Gen, Run, TestRepo, path_with_leakgate};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run git in `dir` with leakgate on PATH (so installed hooks find it) and extra environment.
fn git_hooked(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new("git");
    c.args(args)
        .current_dir(dir)
        .env("PATH", path_with_leakgate())
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_DIR")
        .env_remove("GIT_EDITOR")
        .env_remove("LEAKGATE_HOOK");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("git runs")
}

fn both(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A bare repository `name` inside `dir`.
fn bare(dir: &TestRepo, name: &str) -> PathBuf {
    let p = dir.join(name);
    dir.git(&["init", "-q", "--bare", "-b", "main", p.to_str().unwrap()]);
    p
}

fn has_ref(bare: &Path, name: &str) -> bool {
    Command::new("git")
        .args([
            "--git-dir",
            bare.to_str().unwrap(),
            "rev-parse",
            "-q",
            "--verify",
        ])
        .arg(name)
        .output()
        .unwrap()
        .status
        .success()
}

fn has_object(git_dir: &Path, id: &str) -> bool {
    Command::new("git")
        .args(["--git-dir", git_dir.to_str().unwrap(), "cat-file", "-e", id])
        .output()
        .unwrap()
        .status
        .success()
}

use crate::support::pre_push as run_pre_push;

// ---------------------------------------------------------------------------------------------
// Item 3: pre-push excludes what the destination remote has, not what any remote has.

#[test]
fn pre_push_scans_a_branch_fetched_from_another_remote() {
    let repo = TestRepo::new();
    let remotes = TestRepo::plain();
    let origin = bare(&remotes, "origin.git");
    let alice = bare(&remotes, "alice.git");
    repo.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    repo.git(&["remote", "add", "alice", alice.to_str().unwrap()]);
    repo.write("a.py", "x\n").commit_all("initial");
    repo.git(&["push", "-q", "origin", "main"]);
    // Alice's fix carries a key; it reaches this clone through her remote, never through origin.
    repo.git(&["checkout", "-q", "-b", "fix"]);
    repo.write("k.env", format!("T={}\n", Gen::new(1600).huggingface()))
        .commit_all("alice: fix");
    repo.git(&["push", "-q", "alice", "fix"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "fix"]);
    repo.git(&["fetch", "-q", "alice"]);
    assert_eq!(
        repo.leakgate(&["hook", "install", "--pre-push-only"]).code,
        0
    );
    repo.git(&["checkout", "-q", "-b", "alice-fix", "alice/fix"]);
    let out = git_hooked(repo.path(), &["push", "-q", "origin", "alice-fix"], &[]);
    let all = both(&out);
    assert!(!out.status.success(), "published unscanned: {all}");
    assert!(
        all.contains("k.env") && all.contains("push blocked"),
        "{all}"
    );
    assert!(!has_ref(&origin, "refs/heads/alice-fix"));
    // Pushed back to alice, which has those commits, it publishes nothing new.
    let out = git_hooked(
        repo.path(),
        &["push", "-q", "alice", "alice-fix:refs/heads/fix-copy"],
        &[],
    );
    assert!(out.status.success(), "{}", both(&out));
}

#[test]
fn pre_push_to_a_url_scans_what_the_destination_does_not_have() {
    let repo = TestRepo::new();
    let remotes = TestRepo::plain();
    let origin = bare(&remotes, "origin.git");
    let mirror = bare(&remotes, "mirror.git");
    repo.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    repo.write("a.py", "x\n").commit_all("initial");
    repo.write("k.env", format!("T={}\n", Gen::new(1601).huggingface()))
        .commit_all("key (already on origin)");
    repo.git(&["push", "-q", "origin", "main"]);
    repo.write("b.py", "y\n").commit_all("more");
    assert_eq!(
        repo.leakgate(&["hook", "install", "--pre-push-only"]).code,
        0
    );
    // Pushed to origin, only the new commit counts: the key is already there.
    let out = git_hooked(repo.path(), &["push", "-q", "origin", "main"], &[]);
    assert!(out.status.success(), "{}", both(&out));
    // A push to a URL (no named remote) has no remote-tracking refs: origin's do not count.
    let url = format!("file://{}", mirror.display());
    let out = git_hooked(repo.path(), &["push", "-q", &url, "main"], &[]);
    let all = both(&out);
    assert!(!out.status.success(), "published unscanned: {all}");
    assert!(all.contains("k.env"), "{all}");
    assert!(!has_ref(&mirror, "refs/heads/main"));
}

#[test]
fn pre_push_of_several_refs_keeps_every_notice() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    repo.git(&["checkout", "-q", "-b", "a"]);
    repo.write("k.env", format!("T={}\n", Gen::new(1602).huggingface()))
        .commit_all("key");
    let a = repo.rev("HEAD");
    repo.git(&["checkout", "-q", "-b", "b", "main"]);
    repo.write("blob.bin", b"\x00\x01\x02binary\x00".as_slice());
    // More findings in one file than are listed per source.
    let mut g = Gen::new(1603);
    let many: String = (0..10_001)
        .map(|_| format!("T={}\n", g.huggingface()))
        .collect();
    repo.write("many.env", many)
        .commit_all("binary and many keys");
    let b = repo.rev("HEAD");
    let zero = "0".repeat(40);
    let run = run_pre_push(
        &repo,
        &format!("refs/heads/a {a} refs/heads/a {zero}\nrefs/heads/b {b} refs/heads/b {zero}\n"),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let s = &run.json()["summary"];
    assert_eq!(s["skipped_by_reason"]["binary"], 1, "{s}");
    assert_eq!(s["not_listed"].as_array().map(Vec::len), Some(1), "{s}");
    assert!(run.findings().iter().any(|f| f["path"] == "k.env"));
}

// ---------------------------------------------------------------------------------------------
// Item 6: commit messages are checked before the commit exists.

/// GIT_EDITOR value that replaces the message with `text` (written to a file in `dir`).
fn editor_writing(dir: &TestRepo, text: &str) -> String {
    let p = dir.join("message.txt");
    std::fs::write(&p, text).unwrap();
    format!("cp '{}'", p.display())
}

#[test]
fn commit_msg_hook_blocks_a_key_in_the_message() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    let run = repo.leakgate(&["hook", "install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(repo.join(".git/hooks/commit-msg").exists());
    let key = Gen::new(1610).huggingface();
    let commit = |msg: &str, env: &[(&str, &str)]| {
        repo.write("b.py", format!("y = {}\n", msg.len()));
        repo.git(&["add", "b.py"]);
        git_hooked(repo.path(), &["commit", "-q", "-m", msg], env)
    };
    assert!(commit("clean message", &[]).status.success());
    let out = commit(&format!("deploy\n\nused token {key} for now"), &[]);
    let all = both(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("commit message"), "{all}");
    assert!(!all.contains(&key), "redacted: {all}");
    // `git commit -m` keeps lines starting with '#': they are checked too.
    let out = commit(&format!("deploy\n\n# {key}"), &[]);
    assert!(!out.status.success(), "{}", both(&out));
    assert_eq!(
        repo.git(&["log", "--format=%s", "-1"]).trim(),
        "clean message"
    );
    // Edited in an editor, comment lines are stripped by git: not a finding.
    let tmp = TestRepo::plain();
    let editor = editor_writing(&tmp, &format!("subject\n\n# {key}\n"));
    let out = git_hooked(
        repo.path(),
        &["commit", "-q", "--allow-empty"],
        &[("GIT_EDITOR", &editor)],
    );
    assert!(out.status.success(), "{}", both(&out));
    assert!(!repo.git(&["log", "-1", "--format=%B"]).contains(&key));
    // With another comment character, '#' lines are message text.
    repo.git(&["config", "core.commentChar", ";"]);
    let editor = editor_writing(&tmp, &format!("subject\n\n# {key}\n"));
    let out = git_hooked(
        repo.path(),
        &["commit", "-q", "--allow-empty"],
        &[("GIT_EDITOR", &editor)],
    );
    assert!(!out.status.success(), "{}", both(&out));
    let editor = editor_writing(&tmp, &format!("subject\n\n; {key}\n"));
    let out = git_hooked(
        repo.path(),
        &["commit", "-q", "--allow-empty"],
        &[("GIT_EDITOR", &editor)],
    );
    assert!(out.status.success(), "{}", both(&out));
}

#[test]
fn commit_msg_check_reports_the_line_within_the_message() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    let mut g = Gen::new(1611);
    let (key, comment, below) = (g.huggingface(), g.huggingface(), g.huggingface());
    repo.write(
        "MSG",
        format!(
            "subject\n\nbody {key}\n# {comment}\n# ------------------------ >8 ------------------------\n+T={below}\n"
        ),
    );
    let run = repo.leakgate(&["hook", "run", "commit-msg", "MSG", "--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let f = run.findings();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["source"], "commit-message");
    assert_eq!(f[0]["path"], "");
    assert_eq!(f[0]["line"], 3);
    repo.write("MSG", "subject\n\nnothing secret\n");
    assert_eq!(repo.leakgate(&["hook", "run", "commit-msg", "MSG"]).code, 0);
}

#[test]
fn pre_commit_framework_manifest_has_a_commit_msg_stage() {
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let entry = manifest
        .split("\n- ")
        .find(|e| e.contains("stages: [commit-msg]"))
        .expect("a commit-msg stage entry");
    assert!(
        entry.contains("entry: leakgate hook run commit-msg"),
        "{entry}"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 7: hooks that git silently stopped running.

#[test]
fn hooks_path_set_after_install_is_reported_by_status_and_staged() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    assert_eq!(repo.leakgate(&["hook", "install"]).code, 0);
    let run = repo.leakgate(&["hook", "status"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(".git/hooks"), "{}", run.stdout);
    // What husky's `prepare` script does.
    std::fs::create_dir_all(repo.join(".husky/_")).unwrap();
    repo.git(&["config", "core.hooksPath", ".husky/_"]);
    let run = repo.leakgate(&["hook", "status"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("core.hooksPath")
            && run.stdout.contains(".husky/_")
            && run.stdout.contains("not run"),
        "{}",
        run.stdout
    );
    // Run by something other than the installed hook: one warning, however many files.
    let mut g = Gen::new(1620);
    repo.write("k1.env", format!("T={}\n", g.huggingface()));
    repo.write("k2.env", format!("T={}\n", g.huggingface()));
    repo.git(&["add", "-A"]);
    let run = repo.leakgate(&["staged"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.matches("is not run by git").count(),
        1,
        "{}",
        run.stderr
    );
    // Run by the installed hook (active again): no warning.
    repo.git(&["config", "--unset", "core.hooksPath"]);
    let out = git_hooked(repo.path(), &["commit", "-q", "-m", "keys"], &[]);
    let all = both(&out);
    assert!(!out.status.success(), "{all}");
    assert!(!all.contains("is not run by git"), "{all}");
    let run = repo.leakgate(&["staged"]);
    assert!(!run.stderr.contains("is not run by git"), "{}", run.stderr);
}

/// A husky v9 layout: `core.hooksPath=.husky/_`, whose scripts run `.husky/<hook>`.
fn husky(repo: &TestRepo) {
    repo.write(
        ".husky/_/h",
        "#!/bin/sh\nn=$(basename \"$0\")\ns=$(dirname \"$(dirname \"$0\")\")/$n\n[ ! -f \"$s\" ] && exit 0\nsh -e \"$s\" \"$@\"\n",
    );
    for hook in ["pre-commit", "commit-msg", "pre-push"] {
        let p = format!(".husky/_/{hook}");
        repo.write(&p, "#!/bin/sh\n. \"$(dirname \"$0\")/h\"\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(repo.join(&p), std::fs::Permissions::from_mode(0o755))
                .unwrap();
        }
    }
    repo.write(".husky/_/.gitignore", "*\n");
    repo.git(&["config", "core.hooksPath", ".husky/_"]);
}

#[test]
fn install_with_husky_prints_the_line_and_husky_then_runs_it() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    husky(&repo);
    let before = std::fs::read(repo.join(".husky/_/pre-commit")).unwrap();
    let run = repo.leakgate(&["hook", "install"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("husky") && run.stdout.contains(".husky/pre-commit"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("leakgate staged"), "{}", run.stdout);
    assert_eq!(
        std::fs::read(repo.join(".husky/_/pre-commit")).unwrap(),
        before,
        "nothing written where husky regenerates its scripts"
    );
    // The line added where husky reads it: commits are checked.
    repo.write(".husky/pre-commit", "leakgate staged\n");
    let run = repo.leakgate(&["hook", "status"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("husky"), "{}", run.stdout);
    repo.write("k.env", format!("T={}\n", Gen::new(1621).huggingface()));
    repo.git(&["add", "k.env"]);
    let out = git_hooked(repo.path(), &["commit", "-q", "-m", "key"], &[]);
    assert!(!out.status.success(), "{}", both(&out));
}

#[test]
fn install_with_lefthook_or_the_pre_commit_framework_prints_their_line() {
    for (file, expect) in [
        ("lefthook.yml", "leakgate staged"),
        (".pre-commit-config.yaml", "leakgate-system"),
    ] {
        let repo = TestRepo::new();
        repo.write(file, "# managed hooks\n");
        repo.write("a.py", "x\n").commit_all("initial");
        let run = repo.leakgate(&["hook", "install"]);
        assert_eq!(run.code, 2, "{file}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains(file) && run.stdout.contains(expect),
            "{file}: {}",
            run.stdout
        );
        assert!(!repo.join(".git/hooks/pre-commit").exists(), "{file}");
    }
}

#[test]
fn status_names_the_hooks_of_the_commands_it_checks() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    let run = repo.leakgate(&["hook", "status"]);
    assert_eq!(run.code, 2, "nothing installed: {}", run.stdout);
    assert!(
        run.stdout.contains("leakgate hook install"),
        "{}",
        run.stdout
    );
    assert_eq!(repo.leakgate(&["hook", "install", "--pre-push"]).code, 0);
    let run = repo.leakgate(&["hook", "status"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    for hook in ["pre-commit", "commit-msg", "pre-push"] {
        assert!(run.stdout.contains(hook), "{hook}: {}", run.stdout);
    }
    // A hook that is not executable is skipped by git.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            repo.join(".git/hooks/pre-commit"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let run = repo.leakgate(&["hook", "status"]);
        assert_eq!(run.code, 2, "{}", run.stdout);
        assert!(run.stdout.contains("not executable"), "{}", run.stdout);
    }
}

// ---------------------------------------------------------------------------------------------
// Item 9: submodules.

/// A superproject with remote `origin` and a submodule `lib` added from a local repository
/// that has its own bare remote. Returns (superproject, dir of the remotes, super.git, lib.git).
fn with_submodule() -> (TestRepo, TestRepo, PathBuf, PathBuf) {
    let remotes = TestRepo::plain();
    let super_git = bare(&remotes, "super.git");
    let lib_git = bare(&remotes, "lib.git");
    let seed = remotes.join("lib-seed");
    remotes.git(&["init", "-q", "-b", "main", seed.to_str().unwrap()]);
    remotes.git_in(&seed, &["config", "user.name", "Test User"]);
    remotes.git_in(&seed, &["config", "user.email", "test@example.org"]);
    std::fs::write(seed.join("lib.py"), "v = 1\n").unwrap();
    remotes.git_in(&seed, &["add", "-A"]);
    remotes.git_in(&seed, &["commit", "-q", "-m", "lib initial"]);
    remotes.git_in(&seed, &["push", "-q", lib_git.to_str().unwrap(), "main"]);
    let repo = TestRepo::new();
    repo.git(&["remote", "add", "origin", super_git.to_str().unwrap()]);
    repo.write("a.py", "x\n").commit_all("initial");
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        lib_git.to_str().unwrap(),
        "lib",
    ]);
    repo.git(&["commit", "-q", "-m", "add lib"]);
    for dir in [repo.path().to_path_buf(), repo.join("lib")] {
        repo.git_in(&dir, &["config", "user.name", "Test User"]);
        repo.git_in(&dir, &["config", "user.email", "test@example.org"]);
    }
    repo.git(&["push", "-q", "origin", "main"]);
    (repo, remotes, super_git, lib_git)
}

#[test]
fn install_recurse_submodules_covers_initialised_submodules() {
    let (repo, _remotes, _, _) = with_submodule();
    let run = repo.leakgate(&["hook", "install", "--recurse-submodules"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(repo.join(".git/hooks/pre-commit").exists());
    assert!(repo.join(".git/modules/lib/hooks/pre-commit").exists());
    assert!(repo.join(".git/modules/lib/hooks/commit-msg").exists());
    let lib = repo.join("lib");
    std::fs::write(
        lib.join("k.env"),
        format!("T={}\n", Gen::new(1630).huggingface()),
    )
    .unwrap();
    repo.git_in(&lib, &["add", "k.env"]);
    let out = git_hooked(&lib, &["commit", "-q", "-m", "key"], &[]);
    assert!(!out.status.success(), "{}", both(&out));
    assert!(both(&out).contains("k.env"));
    let run = repo.leakgate(&["hook", "uninstall", "--recurse-submodules"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!repo.join(".git/modules/lib/hooks/pre-commit").exists());
}

/// Commit a key in the submodule (no hook there) and record it in the superproject.
fn key_in_submodule(repo: &TestRepo, seed: u64) -> String {
    let lib = repo.join("lib");
    std::fs::write(
        lib.join("k.env"),
        format!("T={}\n", Gen::new(seed).huggingface()),
    )
    .unwrap();
    repo.git_in(&lib, &["add", "k.env"]);
    repo.git_in(&lib, &["commit", "-q", "-m", "lib: key"]);
    let id = repo.git_in(&lib, &["rev-parse", "HEAD"]).trim().to_string();
    repo.git(&["add", "lib"]);
    repo.git(&["commit", "-q", "-m", "bump lib"]);
    id
}

#[test]
fn superproject_pre_push_scans_the_submodule_commits_it_would_push() {
    let (repo, _remotes, super_git, lib_git) = with_submodule();
    assert_eq!(
        repo.leakgate(&["hook", "install", "--pre-push-only"]).code,
        0
    );
    let leaked = key_in_submodule(&repo, 1631);
    let push = ["-c", "protocol.file.allow=always", "push", "-q"];
    let args = [
        &push[..],
        &["--recurse-submodules=on-demand", "origin", "main"],
    ]
    .concat();
    let out = git_hooked(repo.path(), &args, &[]);
    let all = both(&out);
    assert!(!out.status.success(), "published unscanned: {all}");
    assert!(all.contains("lib/k.env"), "{all}");
    assert!(
        !has_object(&lib_git, &leaked),
        "the submodule was not pushed"
    );
    assert_eq!(repo.rev("origin/main"), repo.rev("HEAD~1"));
    // Fixed in the submodule: the push goes through, submodule first.
    let lib = repo.join("lib");
    repo.git_in(&lib, &["rm", "-q", "k.env"]);
    std::fs::write(lib.join("k.env.example"), "T=\n").unwrap();
    repo.git_in(&lib, &["add", "k.env.example"]);
    repo.git_in(&lib, &["commit", "-q", "--amend", "-m", "lib: no key"]);
    let fixed = repo.git_in(&lib, &["rev-parse", "HEAD"]).trim().to_string();
    repo.git(&["add", "lib"]);
    repo.git(&["commit", "-q", "--amend", "-m", "bump lib"]);
    let out = git_hooked(repo.path(), &args, &[]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(has_object(&lib_git, &fixed));
    assert!(has_ref(&super_git, "refs/heads/main"));
}

#[test]
fn superproject_pre_push_fails_loudly_when_submodule_content_cannot_be_read() {
    let (repo, _remotes, _, lib_git) = with_submodule();
    assert_eq!(
        repo.leakgate(&["hook", "install", "--pre-push-only"]).code,
        0
    );
    let leaked = key_in_submodule(&repo, 1632);
    // The key's blob is gone from the submodule's object database.
    let lib = repo.join("lib");
    let blob = repo
        .git_in(&lib, &["rev-parse", "HEAD:k.env"])
        .trim()
        .to_string();
    let loose = repo.join(&format!(
        ".git/modules/lib/objects/{}/{}",
        &blob[..2],
        &blob[2..]
    ));
    std::fs::remove_file(&loose).unwrap();
    // A plain push (the hook cannot see --recurse-submodules): the submodule commit it records
    // still has to be pushed, and could not be read.
    let out = git_hooked(repo.path(), &["push", "-q", "origin", "main"], &[]);
    let all = both(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains(&blob), "names the missing object: {all}");
    assert!(all.contains("lib/k.env"), "{all}");
    assert!(!has_object(&lib_git, &leaked));
    assert_eq!(repo.rev("origin/main"), repo.rev("HEAD~1"));
}

// ---------------------------------------------------------------------------------------------
// Second red team: input the pre-push check used to take as "nothing to push", and destinations
// whose remote-tracking refs do not describe them.

/// Make `rel` in `repo` an executable script with `text`.
fn script(repo: &TestRepo, rel: &str, text: &str) {
    repo.write(rel, text);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(repo.join(rel), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// What the pre-commit framework's pre-push hook does (pre-commit 4.x, `hook_impl._pre_push_ns`):
/// it reads git's lines itself and hands the hook only the first ref with commits the remote's
/// tracking refs lack, as `PRE_COMMIT_*` variables (no FROM/TO when that includes a root
/// commit); the hook's stdin is empty.
const PRE_COMMIT_FRAMEWORK_PRE_PUSH: &str = r#"#!/bin/sh
z=0000000000000000000000000000000000000000
while read -r lref lsha rref rsha; do
  [ "$lsha" = "$z" ] && continue
  from= to=
  if [ "$rsha" != "$z" ] && git cat-file -e "$rsha^{commit}" 2>/dev/null; then
    from=$rsha to=$lsha
  else
    first=$(git rev-list "$lsha" --topo-order --reverse --not --remotes="$1" | head -n 1)
    [ -z "$first" ] && continue
    if ! git rev-list --max-parents=0 "$lsha" | grep -qx "$first"; then
      from=$(git rev-parse "$first^") to=$lsha
    fi
  fi
  export PRE_COMMIT_REMOTE_NAME="$1" PRE_COMMIT_REMOTE_URL="$2"
  export PRE_COMMIT_LOCAL_BRANCH="$lref" PRE_COMMIT_REMOTE_BRANCH="$rref"
  if [ -n "$to" ]; then export PRE_COMMIT_FROM_REF="$from" PRE_COMMIT_TO_REF="$to"; fi
  exec leakgate hook run pre-push </dev/null
done
exit 0
"#;

#[test]
fn pre_push_run_by_the_pre_commit_framework_derives_what_is_pushed() {
    let repo = TestRepo::new();
    let remotes = TestRepo::plain();
    let origin = bare(&remotes, "origin.git");
    repo.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    script(&repo, ".git/hooks/pre-push", PRE_COMMIT_FRAMEWORK_PRE_PUSH);
    let mut g = Gen::new(1640);
    let push = |args: &[&str]| {
        let out = git_hooked(
            repo.path(),
            &[&["push", "-q", "origin"], args].concat(),
            &[],
        );
        (out.status.success(), both(&out))
    };
    // The repository's first push: the framework passes no FROM/TO at all.
    repo.write("a.py", "x\n").commit_all("initial");
    repo.write("k.env", format!("T={}\n", g.huggingface()))
        .commit_all("key");
    let (ok, all) = push(&["main"]);
    assert!(!ok, "first push published unscanned: {all}");
    assert!(
        all.contains("k.env") && all.contains("every local branch"),
        "{all}"
    );
    assert!(!has_ref(&origin, "refs/heads/main"));
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let (ok, all) = push(&["main"]);
    assert!(ok, "{all}");
    // An orphan branch: a root commit again.
    repo.git(&["checkout", "-q", "--orphan", "pages"]);
    repo.write("k.env", format!("T={}\n", g.huggingface()))
        .commit_all("pages");
    let (ok, all) = push(&["pages"]);
    assert!(!ok, "orphan branch published unscanned: {all}");
    assert!(!has_ref(&origin, "refs/heads/pages"));
    repo.git(&["checkout", "-q", "-f", "main"]);
    repo.git(&["branch", "-q", "-D", "pages"]);
    // Several refs in one push: the framework passes the first (clean) one only.
    repo.git(&["checkout", "-q", "-b", "feat"]);
    repo.write("k.env", format!("T={}\n", g.huggingface()))
        .commit_all("feat: key");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("b.py", "y\n").commit_all("main: more");
    let (ok, all) = push(&["main", "feat"]);
    assert!(!ok, "second ref published unscanned: {all}");
    assert!(all.contains("k.env"), "{all}");
    assert!(!has_ref(&origin, "refs/heads/feat"));
}

/// `leakgate hook run pre-push origin url` with `stdin`, outside git unless `git_ran`.
fn pre_push_input(repo: &TestRepo, stdin: &str, git_ran: bool) -> Run {
    use std::io::Write;
    let mut c = crate::support::leakgate();
    c.args(["hook", "run", "pre-push", "origin", "url"])
        .current_dir(repo.path())
        .env_remove("GIT_EXEC_PATH")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for v in [
        "REMOTE_NAME",
        "REMOTE_URL",
        "FROM_REF",
        "TO_REF",
        "LOCAL_BRANCH",
    ] {
        c.env_remove(format!("PRE_COMMIT_{v}"));
    }
    if git_ran {
        c.env("GIT_EXEC_PATH", "/usr/lib/git-core");
    }
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    Run::new(child.wait_with_output().unwrap())
}

#[test]
fn pre_push_input_that_is_missing_or_malformed_is_an_error() {
    let repo = TestRepo::new();
    repo.write("k.env", format!("T={}\n", Gen::new(1641).huggingface()))
        .commit_all("key");
    let head = repo.rev("HEAD");
    let zero = "0".repeat(40);
    let good = format!("refs/heads/main {head} refs/heads/main {zero}\n");
    assert_eq!(pre_push_input(&repo, &good, false).code, 1);
    for (stdin, line) in [
        (
            format!("refs/heads/main {head} refs/heads/main\n"),
            "line 1",
        ),
        (
            format!("{good}refs/heads/main main refs/heads/main {zero}\n"),
            "line 2",
        ),
        (format!("refs/heads/main {head} {zero}\n\nx y\n"), "line 1"),
    ] {
        let run = pre_push_input(&repo, &stdin, false);
        assert_eq!(run.code, 2, "{stdin:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("malformed") && run.stderr.contains(line),
            "{}",
            run.stderr
        );
    }
    // No lines, and git did not run the check: nothing can be told, nothing was checked.
    let run = pre_push_input(&repo, "", false);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("nothing was checked"), "{}", run.stderr);
    // No lines from git: nothing to push.
    let run = pre_push_input(&repo, "\n", true);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("nothing to scan"), "{}", run.stderr);
    // And so for a real push that is up to date (git runs the hook with no lines).
    let remotes = TestRepo::plain();
    let origin = bare(&remotes, "origin.git");
    repo.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    repo.git(&["push", "-q", "origin", "main"]);
    assert_eq!(
        repo.leakgate(&["hook", "install", "--pre-push-only"]).code,
        0
    );
    let out = git_hooked(repo.path(), &["push", "origin", "main"], &[]);
    assert!(out.status.success(), "{}", both(&out));
}

/// A pseudo-terminal: (controller, the terminal's path).
#[cfg(target_os = "linux")]
fn pty() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd, PathBuf) {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let (mut controller, mut terminal) = (-1, -1);
    let rc = unsafe {
        libc::openpty(
            &mut controller,
            &mut terminal,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    let (controller, terminal) = unsafe {
        (
            OwnedFd::from_raw_fd(controller),
            OwnedFd::from_raw_fd(terminal),
        )
    };
    let path = std::fs::read_link(format!("/proc/self/fd/{}", terminal.as_raw_fd())).unwrap();
    (controller, terminal, path)
}

/// lefthook runs a command without git's stdin unless `use_stdin: true`: the command gets a
/// terminal. The check says it got no input (exit 2) instead of waiting for lines forever.
#[cfg(target_os = "linux")]
#[test]
fn pre_push_with_a_terminal_for_stdin_says_it_got_no_input() {
    use std::os::unix::process::CommandExt;
    let repo = TestRepo::new();
    let remotes = TestRepo::plain();
    let origin = bare(&remotes, "origin.git");
    repo.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    repo.write("a.py", "x\n").commit_all("initial");
    let (_controller, _terminal, tty) = pty();
    script(
        &repo,
        ".git/hooks/pre-push",
        &format!(
            "#!/bin/sh\n# lefthook without use_stdin\nexec leakgate hook run pre-push \"$@\" < '{}'\n",
            tty.display()
        ),
    );
    let mut child = Command::new("git")
        .args(["push", "-q", "origin", "main"])
        .current_dir(repo.path())
        .env("PATH", path_with_leakgate())
        .env_remove("GIT_DIR")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            panic!("the pre-push check is still waiting on the terminal after 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let all = both(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("use_stdin: true"), "{all}");
    assert!(!has_ref(&origin, "refs/heads/main"));
}

/// `hook status` and `hook install` read lefthook's configuration for `use_stdin: true` on the
/// pre-push command.
#[test]
fn hook_status_checks_that_lefthook_gives_the_pre_push_check_its_stdin() {
    let repo = TestRepo::new();
    repo.write("a.py", "x\n").commit_all("initial");
    for hook in ["pre-commit", "commit-msg", "pre-push"] {
        script(
            &repo,
            &format!(".git/hooks/{hook}"),
            "#!/bin/sh\n# lefthook\n",
        );
    }
    let config = |pre_push: &str| {
        repo.write(
            "lefthook.yml",
            format!(
                "pre-commit:\n  commands:\n    leakgate:\n      run: leakgate staged\ncommit-msg:\n  commands:\n    leakgate:\n      run: leakgate hook run commit-msg {{1}}\npre-push:\n  commands:\n{pre_push}"
            ),
        );
        repo.leakgate(&["hook", "status"])
    };
    let run = config("    leakgate:\n      run: leakgate hook run pre-push {1} {2}\n");
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("use_stdin: true"), "{}", run.stdout);
    let run = repo.leakgate(&["hook", "install", "--pre-push"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("use_stdin: true"), "{}", run.stdout);
    let run = config(
        "    leakgate:\n      run: leakgate hook run pre-push {1} {2}\n      use_stdin: true\n",
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        repo.leakgate(&["hook", "install", "--pre-push"]).code,
        0,
        "all three configured"
    );
}

/// `remote.origin.pushurl` sends pushes somewhere origin's remote-tracking refs do not describe:
/// a branch fetched from origin (and never pushed to the push URL) is new there.
#[test]
fn pre_push_to_a_push_url_of_its_own_ignores_the_fetch_urls_refs() {
    let remotes = TestRepo::plain();
    let private = bare(&remotes, "private.git");
    let public = bare(&remotes, "public.git");
    let seed = TestRepo::new();
    seed.write("a.py", "x\n").commit_all("initial");
    seed.git(&["push", "-q", private.to_str().unwrap(), "main"]);
    seed.git(&["push", "-q", public.to_str().unwrap(), "main"]);
    seed.git(&["checkout", "-q", "-b", "wip"]);
    seed.write("k.env", format!("T={}\n", Gen::new(1642).huggingface()))
        .commit_all("wip");
    seed.git(&["push", "-q", private.to_str().unwrap(), "wip"]);
    let repo = TestRepo::new();
    repo.git(&["remote", "add", "origin", private.to_str().unwrap()]);
    repo.git(&["fetch", "-q", "origin"]);
    repo.git(&["reset", "-q", "--hard", "origin/main"]);
    repo.git(&[
        "remote",
        "set-url",
        "--push",
        "origin",
        public.to_str().unwrap(),
    ]);
    assert_eq!(
        repo.leakgate(&["hook", "install", "--pre-push-only"]).code,
        0
    );
    repo.git(&["merge", "-q", "--ff-only", "origin/wip"]);
    let out = git_hooked(repo.path(), &["push", "-q", "origin", "main"], &[]);
    let all = both(&out);
    assert!(!out.status.success(), "published unscanned: {all}");
    assert!(all.contains("k.env") && all.contains("pushurl"), "{all}");
    assert!(!has_object(&public, &repo.rev("HEAD")));
}

/// `git remote add --mirror=fetch` fetches into `refs/*`: local branches are not published.
#[test]
fn pre_push_with_a_mirror_fetch_refspec_still_scans_local_branches() {
    let repo = TestRepo::new();
    let remotes = TestRepo::plain();
    let origin = bare(&remotes, "origin.git");
    repo.git(&[
        "remote",
        "add",
        "--mirror=fetch",
        "origin",
        origin.to_str().unwrap(),
    ]);
    assert_eq!(
        repo.leakgate(&["hook", "install", "--pre-push-only"]).code,
        0
    );
    repo.write("a.py", "x\n").commit_all("initial");
    let out = git_hooked(repo.path(), &["push", "-q", "origin", "main"], &[]);
    assert!(out.status.success(), "{}", both(&out));
    repo.write("k.env", format!("T={}\n", Gen::new(1643).huggingface()))
        .commit_all("key");
    let out = git_hooked(repo.path(), &["push", "-q", "origin", "main"], &[]);
    let all = both(&out);
    assert!(!out.status.success(), "published unscanned: {all}");
    assert!(all.contains("k.env"), "{all}");
    assert!(!has_object(&origin, &repo.rev("HEAD")));
}
