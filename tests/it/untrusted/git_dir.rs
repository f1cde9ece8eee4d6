//! What a git directory can point leakgate at: files under `/proc`, `/sys` and `/dev` that
//! `stat` calls regular but never end, include directives in the repository's configuration, and
//! FIFOs in the places git reaches through the git directory (alternates, a linked worktree's
//! common directory, a `.git` symlink). Each is refused or ignored, never read or waited on. A
//! working-tree secret whose committed version sits in a blob of hundreds of megabytes gets its
//! exposure in bounded memory.

use super::mkfifo;
use crate::support::{Gen, Run, TestRepo, field, leakgate};
use std::os::unix::process::CommandExt;
use std::path::Path;

/// A file that is "regular" to `stat` (size 0) and reads without end: 8 bytes for every page of
/// the reader's address space.
const ENDLESS: &str = "/proc/self/pagemap";

/// Run leakgate as [`super::run_bounded`] does, with `env` set and its address space limited to
/// 4 GiB: reading a file that never ends makes it fail instead of eating the machine's memory.
fn run_limited(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut c = leakgate();
    c.args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    // SAFETY: setrlimit is async-signal-safe and the closure touches nothing else.
    unsafe {
        c.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 4 << 30,
                rlim_max: 4 << 30,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    super::wait_bounded(c, args)
}

/// The arguments of `cmd` run on the current directory (`staged` takes none).
fn here(cmd: &str) -> Vec<&str> {
    if cmd == "staged" {
        vec![cmd]
    } else {
        vec![cmd, "."]
    }
}

/// A repository with one committed secret and an untracked one (which needs the ignore rules).
fn repo_with_secrets(seed: u64) -> TestRepo {
    let repo = TestRepo::new();
    let mut g = Gen::new(seed);
    repo.write("deploy.env", format!("HF_TOKEN={}\n", g.huggingface()))
        .commit_all("initial");
    repo.write("local.env", format!("HF_TOKEN={}\n", g.huggingface()));
    repo
}

/// Replace `rel` (a file or directory of the repository) with a symlink to `target`.
fn replace_with_symlink(repo: &TestRepo, rel: &str, target: &str) {
    let p = repo.join(rel);
    if p.is_dir() {
        std::fs::rename(&p, repo.join(&format!("{rel}.moved"))).unwrap();
    } else if p.symlink_metadata().is_ok() {
        std::fs::remove_file(&p).unwrap();
    }
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, &p).unwrap();
}

#[test]
fn git_files_leading_into_proc_are_refused_not_read() {
    for rel in [
        ".git/config",
        ".git/HEAD",
        ".git/packed-refs",
        ".git/info/exclude",
        ".git/objects/info/alternates",
        ".git",
    ] {
        let repo = repo_with_secrets(1601);
        replace_with_symlink(&repo, rel, ENDLESS);
        for cmd in ["scan", "audit", "staged"] {
            let run = run_limited(repo.path(), &here(cmd), &[]);
            assert_eq!(run.code, 2, "{rel} {cmd}: {}", run.stderr);
            assert!(
                run.stderr.contains(rel) && run.stderr.contains("/proc/"),
                "{rel} {cmd}: {}",
                run.stderr
            );
        }
    }
    // The excludes file the repository names: the ignore rules cannot be evaluated, which is
    // reported for the file that needed them; the rest of the scan goes on.
    let repo = repo_with_secrets(1602);
    replace_with_symlink(&repo, "ignore-list", ENDLESS);
    let list = repo.join("ignore-list");
    repo.git(&["config", "core.excludesFile", list.to_str().unwrap()]);
    let run = run_limited(repo.path(), &["scan", ".", "--format", "json"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let errors = run.json()["summary"]["error_details"].to_string();
    assert!(
        errors.contains("local.env") && errors.contains("/proc/"),
        "{errors}"
    );
    let mut paths = field(&run.findings(), "path");
    paths.sort();
    assert_eq!(paths, ["deploy.env", "local.env"]);
}

#[test]
fn include_directives_in_the_repository_config_are_not_followed() {
    let repo = repo_with_secrets(1603);
    let elsewhere = TestRepo::plain();
    let fifo = elsewhere.join("fifo-config");
    mkfifo(&fifo);
    // Included, these would read without end and block forever (written by hand: git itself
    // follows them).
    let config = repo.join(".git/config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "[include]\n\tpath = {ENDLESS}\n[includeIf \"gitdir:/\"]\n\tpath = {}\n",
        fifo.display()
    ));
    std::fs::write(&config, text).unwrap();
    for cmd in ["scan", "audit", "history", "staged"] {
        let mut args = here(cmd);
        args.extend(["--format", "json"]);
        let run = run_limited(repo.path(), &args, &[]);
        let want = if cmd == "staged" { 0 } else { 1 };
        assert_eq!(run.code, want, "{cmd}: {}", run.stderr);
        assert_eq!(run.json()["summary"]["incomplete"], false, "{cmd}");
    }
}

#[test]
fn includes_in_the_users_own_config_are_still_followed() {
    let repo = repo_with_secrets(1604);
    let home = TestRepo::plain();
    // ~/.gitconfig includes a file that names the global excludes file, which ignores local.env.
    home.write(".gitconfig", "[include]\n\tpath = ~/.gitconfig-extra\n")
        .write(
            ".gitconfig-extra",
            "[core]\n\texcludesFile = ~/global-ignore\n",
        )
        .write("global-ignore", "local.env\n");
    let env = [
        ("HOME", home.path()),
        ("XDG_CONFIG_HOME", &home.join("xdg")),
    ];
    let run = run_limited(repo.path(), &["scan", ".", "--format", "json"], &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let local = run
        .findings()
        .into_iter()
        .find(|f| f["path"] == "local.env")
        .expect("local.env reported");
    assert_eq!(local["exposure"], "ignored", "{}", run.stdout);
}

/// A clone of `origin` made with `--shared`: its objects are in `origin`'s object directory,
/// lent through `objects/info/alternates`.
fn shared_clone(origin: &Path, home: &TestRepo, name: &str) -> std::path::PathBuf {
    let clone = home.join(name);
    let out = std::process::Command::new("git")
        .args(["clone", "-q", "--shared"])
        .arg(origin)
        .arg(&clone)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    clone
}

#[test]
fn object_directories_lent_by_alternates_are_vetted() {
    let origin = repo_with_secrets(1605);
    let home = TestRepo::plain();
    let clone = shared_clone(origin.path(), &home, "clone");
    // Alternates of alternates: the second clone borrows from the first, which borrows from
    // origin.
    let clone2 = shared_clone(&clone, &home, "clone2");
    // A pack index and a loose object that are FIFOs, in origin's object directory.
    let objects = origin.join(".git/objects");
    let idx = objects.join("pack/pack-0000000000000000000000000000000000000000.idx");
    mkfifo(&idx);
    for dir in [&clone, &clone2] {
        for cmd in ["history", "audit"] {
            let run = run_limited(dir, &[cmd, "."], &[]);
            assert_eq!(run.code, 2, "{cmd}: {}", run.stderr);
            assert!(
                run.stderr.contains(".idx") && run.stderr.contains("FIFO"),
                "{cmd}: {}",
                run.stderr
            );
        }
    }
    std::fs::remove_file(&idx).unwrap();
    let loose = objects.join("ee").join("e".repeat(38));
    std::fs::create_dir_all(loose.parent().unwrap()).unwrap();
    mkfifo(&loose);
    for dir in [&clone, &clone2] {
        let run = run_limited(dir, &["history", "."], &[]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(&"e".repeat(38)), "{}", run.stderr);
    }
}

#[test]
fn a_linked_worktrees_common_directory_is_vetted_before_it_is_read() {
    let main = repo_with_secrets(1606);
    let home = TestRepo::plain();
    let wt = home.join("wt");
    main.git(&["worktree", "add", "-q", wt.to_str().unwrap()]);
    // The main repository's config and packed-refs, read through the worktree's `commondir`.
    for name in ["config", "packed-refs"] {
        let p = main.join(&format!(".git/{name}"));
        let saved = std::fs::read(&p).ok();
        let _ = std::fs::remove_file(&p);
        mkfifo(&p);
        for cmd in ["scan", "staged", "history"] {
            let run = run_limited(&wt, &here(cmd), &[]);
            assert_eq!(run.code, 2, "{name} {cmd}: {}", run.stderr);
            assert!(
                run.stderr.contains(&format!(".git/{name}")) && run.stderr.contains("FIFO"),
                "{name} {cmd}: {}",
                run.stderr
            );
        }
        std::fs::remove_file(&p).unwrap();
        if let Some(saved) = saved {
            std::fs::write(&p, saved).unwrap();
        }
    }
}

#[test]
fn a_git_directory_reached_through_a_symlink_is_vetted() {
    let repo = repo_with_secrets(1607);
    let elsewhere = TestRepo::plain();
    let real = elsewhere.join("real.git");
    std::fs::rename(repo.join(".git"), &real).unwrap();
    std::os::unix::fs::symlink(&real, repo.join(".git")).unwrap();
    assert_eq!(run_limited(repo.path(), &["scan", "."], &[]).code, 1);
    std::fs::remove_file(real.join("HEAD")).unwrap();
    mkfifo(&real.join("HEAD"));
    for cmd in ["scan", "audit", "staged"] {
        let run = run_limited(repo.path(), &here(cmd), &[]);
        assert_eq!(run.code, 2, "{cmd}: {}", run.stderr);
        assert!(
            run.stderr.contains("HEAD") && run.stderr.contains("FIFO"),
            "{cmd}: {}",
            run.stderr
        );
    }
}

/// A loose-object fan-out directory that is a symlink to a directory holding a FIFO named like
/// an object: the history scan would block reading it.
#[test]
fn a_symlinked_object_directory_is_vetted_too() {
    let repo = repo_with_secrets(1608);
    let elsewhere = TestRepo::plain();
    let dir = elsewhere.join("fanout");
    std::fs::create_dir(&dir).unwrap();
    mkfifo(&dir.join("0".repeat(38).as_str()));
    std::os::unix::fs::symlink(&dir, repo.join(".git/objects/00")).unwrap();
    for cmd in ["history", "audit"] {
        let run = run_limited(repo.path(), &here(cmd), &[]);
        assert_eq!(run.code, 2, "{cmd}: {}", run.stderr);
        assert!(run.stderr.contains("FIFO"), "{cmd}: {}", run.stderr);
    }
}

/// Write `mib` MiB of log lines with `secret` on the last line to `path`, a piece at a time: the
/// test process itself stays small, as its resident size when it forks counts in the child's peak.
fn write_big_text(path: &Path, mib: usize, secret: &str) {
    use std::io::Write;
    let line = b"2024-01-02T03:04:05Z INFO request served in 12 ms path=/api/v1/items\n";
    let piece = line.repeat((1 << 20) / line.len());
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for _ in 0..mib {
        f.write_all(&piece).unwrap();
    }
    writeln!(f, "HF_TOKEN={secret}").unwrap();
    f.flush().unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn the_exposure_of_a_secret_in_a_huge_committed_file_is_found_in_bounded_memory() {
    use crate::hostile::{SLOW, lg, measure};
    let repo = TestRepo::new();
    let secret = Gen::new(1608).huggingface();
    // 200 MiB: over the 128 MiB leakgate reads whole, so HEAD's blob is streamed.
    write_big_text(&repo.join("dump.log"), 200, &secret);
    repo.commit_all("add dump");
    for cmd in ["scan", "audit"] {
        let run = measure(
            &format!("{cmd}: 200 MB committed file, exposure"),
            lg(repo.path(), &[cmd, ".", "--format", "json"]),
            SLOW,
        );
        assert_eq!(run.code, 1, "{cmd}: {}", run.stderr);
        let doc = run.json();
        let file = doc["findings"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["source"] == "file"))
            .unwrap_or_else(|| panic!("{cmd}: no working-tree finding"));
        assert_eq!(file["path"], "dump.log", "{cmd}");
        assert_eq!(file["exposure"], "committed", "{cmd}");
        assert_eq!(doc["summary"]["incomplete"], false, "{cmd}");
        // Reading HEAD's and the index's versions whole took two copies of the file.
        assert!(
            run.max_rss < 160 << 20,
            "{cmd}: peak RSS {} MiB",
            run.max_rss >> 20
        );
    }
}
