//! Hostile inputs (issue #8, parts 2 and 5): leakgate on files, trees, repositories and rules
//! built to make a scanner crash, hang or eat the machine's memory. Every case asserts the outcome
//! and the exit code (0 clean, 1 findings, 2 error or incomplete), runs the binary under a
//! deadline (a hang fails the test instead of hanging CI) and asserts the child's peak resident
//! set size stays under 512 MiB.
//!
//! Peak memory comes from `wait4(2)`'s `ru_maxrss` for the one leakgate child, so it does not
//! depend on `/usr/bin/time` and is not mixed with other tests' children. It is an upper bound:
//! Linux keeps, across `exec`, the high-water mark of the memory the child had before it, so the
//! figure is the larger of leakgate's own peak and this test process's resident size when the
//! child forked (children are forked, not vforked, so it is not this process's all-time peak).
//!
//! Run with `cargo test --test it hostile -- --nocapture` to see each case's exit code, wall time
//! and peak RSS.

#![cfg(target_os = "linux")]

use crate::support::{Gen, TestRepo, leakgate};
use std::ffi::{CString, OsStr};
use std::io::{Read, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The memory budget of every case.
const MAX_RSS: u64 = 512 * 1024 * 1024;

/// Deadline for runs that should take well under a second even in a debug build: long enough
/// for a loaded CI machine, short enough that a hang fails instead of stalling the job.
pub(crate) const QUICK: Duration = Duration::from_secs(60);

/// Deadline for the runs that read 100 MB or walk tens of thousands of commits.
pub(crate) const SLOW: Duration = Duration::from_secs(180);

/// A finished leakgate run with its wall time and peak memory.
pub(crate) struct Measured {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub wall: Duration,
    /// Peak resident set size, in bytes.
    pub max_rss: u64,
}

impl Measured {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}\nstderr: {}",
                head(&self.stdout),
                self.stderr
            )
        })
    }

    /// stdout and stderr together, for "names X somewhere in its output" checks.
    fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// The first 2,000 characters of `s`, for failure messages about huge outputs.
fn head(s: &str) -> &str {
    match s.char_indices().nth(2000) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Run `cmd` to completion (or kill it at `deadline` and fail), measuring it with `wait4`.
/// Asserts the peak RSS budget and prints one line for the report.
pub(crate) fn measure(case: &str, mut cmd: Command, deadline: Duration) -> Measured {
    let mut out = tempfile::tempfile().expect("tempfile");
    let mut err = tempfile::tempfile().expect("tempfile");
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup"))
        .stderr(err.try_clone().expect("dup"));
    // A `pre_exec` hook makes std fork instead of vfork: a vforked child shares this process's
    // memory until `exec` and would inherit its all-time peak RSS as its own.
    // SAFETY: the hook does nothing, so it is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| Ok(()));
    }
    let start = Instant::now();
    #[expect(
        clippy::zombie_processes,
        reason = "reaped below with wait4, for its rusage"
    )]
    let mut child = cmd.spawn().expect("leakgate starts");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut nap = Duration::from_millis(1);
    let timed_out = loop {
        // SAFETY: valid pointers to locals; `pid` is our own unreaped child.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break false;
        }
        if r == -1 {
            let e = std::io::Error::last_os_error();
            assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "wait4: {e}");
            continue;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            // SAFETY: as above; blocks until the killed child is reaped.
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            break true;
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    };
    let wall = start.elapsed();
    let read = |f: &mut std::fs::File| {
        let mut buf = Vec::new();
        f.rewind().expect("rewind");
        f.read_to_end(&mut buf).expect("read output");
        String::from_utf8(buf).unwrap_or_else(|e| {
            panic!("{case}: leakgate wrote output that is not UTF-8: {e}");
        })
    };
    let (stdout, stderr) = (read(&mut out), read(&mut err));
    assert!(
        !timed_out,
        "{case}: leakgate did not finish within {deadline:?} (hang?)\nstdout: {}\nstderr: {}",
        head(&stdout),
        head(&stderr)
    );
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        // Killed by a signal (a stack overflow aborts): never a valid exit code.
        -libc::WTERMSIG(status)
    };
    // Linux reports ru_maxrss in KiB.
    let max_rss = usage.ru_maxrss.max(0) as u64 * 1024;
    eprintln!(
        "hostile | {case:<44} | exit {code:>2} | {:>8.2} s | peak RSS {:>6.1} MiB",
        wall.as_secs_f64(),
        max_rss as f64 / (1024.0 * 1024.0)
    );
    assert!(
        max_rss < MAX_RSS,
        "{case}: peak RSS {} MiB is over the {} MiB budget",
        max_rss / (1024 * 1024),
        MAX_RSS / (1024 * 1024)
    );
    Measured {
        code,
        stdout,
        stderr,
        wall,
        max_rss,
    }
}

/// leakgate with `args`, run in `dir`.
pub(crate) fn lg(dir: &Path, args: &[&str]) -> Command {
    let mut c = leakgate();
    c.args(args).current_dir(dir);
    c
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn cstr(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).expect("no NUL in path")
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Write a file whose name is arbitrary bytes (not necessarily UTF-8).
fn write_raw(dir: &Path, name: &[u8], content: &[u8]) {
    std::fs::write(dir.join(OsStr::from_bytes(name)), content).expect("write");
}

#[test]
fn measurement_works() {
    // The floor every other figure includes: leakgate printing its version.
    let dir = TestRepo::plain();
    let run = measure("baseline: --version", lg(dir.path(), &["--version"]), QUICK);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("leakgate"));
    assert!(run.max_rss > 1024 * 1024, "ru_maxrss was not reported");
}

// 1. A 1 GB sparse file.
#[test]
fn sparse_gigabyte_files_are_read_in_bounded_memory_or_skipped_by_name() {
    let dir = TestRepo::plain();
    dir.write("small.txt", "nothing to see\n");
    // All hole: binary (NUL bytes) to the probe of its first 8 KiB, so never read further.
    let f = std::fs::File::create(dir.join("zeros.img")).unwrap();
    f.set_len(1 << 30).unwrap();
    // 8 KiB of text, then a 256 MiB hole: text to the probe, so streamed to its end.
    let mut f = std::fs::File::create(dir.join("text-then-hole.log")).unwrap();
    f.write_all(&b"log line without secrets\n".repeat(400))
        .unwrap();
    f.set_len(256 << 20).unwrap();
    drop(f);

    let run = measure(
        "1 GB sparse binary + 256 MB sparse text, no limit",
        lg(dir.path(), &["scan", ".", "--format", "json"]),
        SLOW,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = &run.json()["summary"];
    assert_eq!(s["files_scanned"], 2, "{s}");
    assert_eq!(s["skipped_by_reason"]["binary"], 1, "{s}");
    assert!(s["bytes_scanned"].as_u64().unwrap() > 256 << 20, "{s}");
    assert_eq!(s["incomplete"], false);
    assert!(
        run.max_rss < 128 * 1024 * 1024,
        "a streamed file was held in memory"
    );

    // With an explicit limit, the large files are skipped and named, without being opened
    // for reading beyond their size.
    let run = measure(
        "sparse files, --max-file-size 1M",
        lg(
            dir.path(),
            &["scan", ".", "--format", "json", "--max-file-size", "1M"],
        ),
        QUICK,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = &run.json()["summary"];
    assert_eq!(s["skipped_by_reason"]["too_large"], 2, "{s}");
    let named = s["skipped_files"].to_string();
    assert!(
        named.contains("zeros.img") && named.contains("text-then-hole.log"),
        "{named}"
    );
    assert!(run.wall < Duration::from_secs(30), "took {:?}", run.wall);
}

// 2. A 100 MB single line.
#[test]
fn hundred_megabyte_single_line_with_a_secret_near_the_end() {
    let dir = TestRepo::plain();
    let secret = Gen::new(801).huggingface();
    let filler = b"lorem ipsum dolor sit amet consectetur adipiscing elit ".repeat(20_000);
    let total: usize = 100 * 1024 * 1024;
    let mut f =
        std::io::BufWriter::new(std::fs::File::create(dir.join("one-line.min.js")).unwrap());
    let mut written = 0;
    while written + filler.len() <= total - 4096 {
        f.write_all(&filler).unwrap();
        written += filler.len();
    }
    f.write_all(&filler[..total - 4096 - written]).unwrap();
    written = total - 4096;
    let prefix = b" HF_TOKEN=";
    f.write_all(prefix).unwrap();
    let column = written + prefix.len() + 1;
    f.write_all(secret.as_bytes()).unwrap();
    f.write_all(b" lorem ipsum").unwrap(); // no newline at the end either
    f.flush().unwrap();
    drop(f);

    // Over an explicit limit: skipped and named, not an error.
    let run = measure(
        "100 MB single line, --max-file-size 25M",
        lg(
            dir.path(),
            &["scan", ".", "--format", "json", "--max-file-size", "25M"],
        ),
        QUICK,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = &run.json()["summary"];
    assert_eq!(s["skipped_by_reason"]["too_large"], 1);
    assert_eq!(s["skipped_files"][0]["path"], "one-line.min.js", "{s}");

    // By default it is scanned, in windows: the column is counted across them.
    let run = measure(
        "100 MB single line, no limit",
        lg(dir.path(), &["scan", ".", "--format", "json"]),
        SLOW,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{}", head(&run.stdout));
    assert_eq!(findings[0]["rule_id"], "huggingface-access-token");
    assert_eq!(findings[0]["line"], 1);
    assert_eq!(findings[0]["column"], column as u64);
    assert!(!run.stdout.contains(&secret), "secret printed unredacted");
}

// 3. A million keyword hits and no secret: time stays linear.
#[test]
fn a_million_keyword_hits_scan_in_linear_time() {
    // Real prefilter literals of several rules, none followed by a secret-shaped value.
    const KEYWORDS: &[&str] = &[
        "AKIA",
        "ghp_",
        "hf_",
        "xoxb-",
        "glpat-",
        "npm_",
        "eyJ",
        "sk-ant-api",
    ];
    let write = |dir: &TestRepo, hits: usize| {
        let mut s = String::with_capacity(hits * 8);
        for i in 0..hits {
            s.push_str(KEYWORDS[i % KEYWORDS.len()]);
            s.push(if i % 16 == 15 { '\n' } else { ' ' });
        }
        dir.write("hits.txt", s);
    };
    // Fastest of three runs, to keep scheduler noise out of the ratio.
    let time = |dir: &TestRepo, case: &str| {
        (0..3)
            .map(|_| {
                let run = measure(
                    case,
                    lg(dir.path(), &["scan", "hits.txt", "--format", "json"]),
                    QUICK,
                );
                assert_eq!(run.code, 0, "{case}: {}", head(&run.stdout));
                assert_eq!(run.json()["summary"]["findings"], 0);
                run.wall
            })
            .min()
            .unwrap()
    };
    let small = TestRepo::plain();
    write(&small, 250_000);
    let big = TestRepo::plain();
    write(&big, 1_000_000);
    let t_small = time(&small, "250k keyword hits, no secret");
    let t_big = time(&big, "1M keyword hits, no secret");
    let ratio = t_big.as_secs_f64() / t_small.as_secs_f64();
    eprintln!("hostile | keyword hits: 1M/250k wall-time ratio {ratio:.2} (linear: ~4)");
    // Linear is ~4 (less with start-up cost); quadratic would be ~16.
    assert!(
        ratio < 8.0,
        "4x the keyword hits took {ratio:.1}x the time ({t_small:?} -> {t_big:?})"
    );
}

/// Create `levels` nested directories named `name` under `root`, then `file` with `content` at
/// the bottom, using `*at` calls so the total path may exceed PATH_MAX.
fn make_deep(root: &Path, levels: usize, name: &str, file: &str, content: &[u8]) {
    let name = CString::new(name).unwrap();
    let file = CString::new(file).unwrap();
    // SAFETY: plain syscalls on NUL-terminated strings and descriptors this function owns.
    unsafe {
        let mut fd = libc::open(cstr(root).as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
        assert!(fd >= 0, "open {}", root.display());
        for _ in 0..levels {
            assert_eq!(libc::mkdirat(fd, name.as_ptr(), 0o755), 0, "mkdirat");
            let next = libc::openat(fd, name.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
            assert!(next >= 0, "openat");
            libc::close(fd);
            fd = next;
        }
        let f = libc::openat(
            fd,
            file.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
            0o644,
        );
        assert!(f >= 0, "create file");
        assert_eq!(
            libc::write(f, content.as_ptr().cast(), content.len()),
            content.len() as isize
        );
        libc::close(f);
        libc::close(fd);
    }
}

// 4. Deep directory nesting.
#[test]
fn deep_directory_nesting() {
    let mut g = Gen::new(804);
    // 300 levels: the path (~600 bytes) is fine; the secret at the bottom is found.
    let dir = TestRepo::plain();
    let secret = g.huggingface();
    make_deep(
        dir.path(),
        300,
        "d",
        "deep.env",
        format!("HF_TOKEN={secret}\n").as_bytes(),
    );
    let run = measure(
        "300 nested directories, secret at the bottom",
        lg(dir.path(), &["scan", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    let path = json["findings"][0]["path"].as_str().unwrap().to_string();
    assert_eq!(path.matches("d/").count(), 300, "{path}");
    assert!(path.ends_with("/deep.env"));

    // 2,100 levels: ~6,300 bytes, past PATH_MAX (4096). No stack overflow, no silent pass: the
    // file that cannot be reached is reported and the scan is incomplete (exit 2).
    let dir = TestRepo::plain();
    make_deep(
        dir.path(),
        2100,
        "dd",
        "deeper.env",
        format!("HF_TOKEN={}\n", g.huggingface()).as_bytes(),
    );
    let run = measure(
        "2,100 nested directories (path > PATH_MAX)",
        lg(dir.path(), &["scan", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 2, "{}", head(&run.stdout));
    let s = &run.json()["summary"];
    assert_eq!(s["incomplete"], true);
    assert_eq!(s["errors"], 1);
    let detail = &s["error_details"][0];
    assert!(
        detail["error"].as_str().unwrap().contains("name too long"),
        "{detail}"
    );
    assert!(detail["path"].as_str().unwrap().starts_with("./dd/dd/dd/"));
}

// 5. Symlink loops.
#[test]
fn symlink_loops_do_not_hang() {
    use std::os::unix::fs::symlink;
    let repo = TestRepo::new();
    repo.write("clean.txt", "nothing\n");
    std::fs::create_dir(repo.join("sub")).unwrap();
    symlink("b", repo.join("a")).unwrap(); // a -> b -> a
    symlink("a", repo.join("b")).unwrap();
    symlink(".", repo.join("self")).unwrap();
    symlink("..", repo.join("sub/up")).unwrap();
    symlink(repo.path(), repo.join("sub/root")).unwrap();
    repo.commit_all("symlinks, committed as links");

    let run = measure(
        "symlink loops in the tree",
        lg(repo.path(), &["scan", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = &run.json()["summary"];
    assert_eq!(s["skipped_by_reason"]["not_regular"], 5, "{s}");
    assert_eq!(s["files_scanned"], 1);

    // A root given on the command line is followed once; the walk below it does not follow.
    for root in ["self", "sub/up", "sub/root"] {
        let run = measure(
            &format!("symlink loop as the root ({root})"),
            lg(repo.path(), &["scan", root, "--format", "json"]),
            QUICK,
        );
        assert_eq!(run.code, 0, "{root}: {}", run.stderr);
    }
    // A root that cannot be resolved at all is an error, not a hang.
    let run = measure(
        "symlink loop a -> b -> a as the root",
        lg(repo.path(), &["scan", "a"]),
        QUICK,
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.all_output().contains("symbolic links"),
        "{}",
        run.all_output()
    );

    let run = measure(
        "symlink loops: audit",
        lg(repo.path(), &["audit", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

// 6. A FIFO and a device node.
#[test]
fn fifo_socket_and_device_node_are_skipped_not_opened() {
    let repo = TestRepo::new();
    repo.write("clean.txt", "nothing\n").commit_all("init");
    let fifo = repo.join("pipe");
    // SAFETY: NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(cstr(&fifo).as_ptr(), 0o644) }, 0);
    // A listening unix socket (this process holds it; leakgate must not connect to it).
    let _sock = std::os::unix::net::UnixListener::bind(repo.join("sock")).unwrap();
    let mut special = vec!["pipe", "sock"];
    // A character device like /dev/zero (reading it never ends) needs CAP_MKNOD.
    let dev = repo.join("zero");
    // SAFETY: NUL-terminated path.
    let made = unsafe {
        libc::mknod(
            cstr(&dev).as_ptr(),
            libc::S_IFCHR | 0o644,
            libc::makedev(1, 5),
        )
    } == 0;
    if made {
        special.push("zero");
    } else {
        eprintln!(
            "hostile | note: mknod failed ({}): device-node sub-case skipped (needs root / CAP_MKNOD)",
            std::io::Error::last_os_error()
        );
    }

    let run = measure(
        &format!("special files in the tree ({})", special.join(", ")),
        lg(repo.path(), &["scan", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = &run.json()["summary"];
    assert_eq!(s["skipped_by_reason"]["not_regular"], special.len(), "{s}");
    assert_eq!(s["files_scanned"], 1);

    // Named on the command line, they are still not opened.
    for name in &special {
        let run = measure(
            &format!("special file as the root ({name})"),
            lg(repo.path(), &["scan", name, "--format", "json"]),
            QUICK,
        );
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_eq!(run.json()["summary"]["files_scanned"], 0);
    }
    let run = measure(
        "special files: audit",
        lg(repo.path(), &["audit", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

// 7. A permission-denied file and directory.
#[test]
fn permission_denied_file_and_directory_are_reported_and_the_scan_goes_on() {
    let dir = TestRepo::plain();
    let mut g = Gen::new(807);
    dir.write("clean.txt", "nothing\n");
    dir.write("locked.env", format!("HF_TOKEN={}\n", g.huggingface()));
    dir.write(
        "sealed/inner.env",
        format!("HF_TOKEN={}\n", g.huggingface()),
    );
    dir.write("sealed/more/deeper.env", "nothing\n");
    chmod(dir.path(), 0o755);
    chmod(&dir.join("locked.env"), 0o000);
    chmod(&dir.join("sealed"), 0o000);
    // Root reads everything: run as nobody so the permission bits count.
    let as_reader = |args: &[&str]| {
        let mut c = lg(dir.path(), args);
        if is_root() {
            c.uid(65534).gid(65534);
        }
        c
    };
    let run = measure(
        "unreadable file + directory, no findings",
        as_reader(&["scan", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let s = &run.json()["summary"];
    assert_eq!(s["incomplete"], true);
    assert_eq!(s["errors"], 2, "{s}");
    assert_eq!(s["files_scanned"], 1);
    let paths: Vec<&str> = s["error_details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["./locked.env", "./sealed"], "{s}");
    for e in s["error_details"].as_array().unwrap() {
        assert!(
            e["error"].as_str().unwrap().contains("ermission denied"),
            "{e}"
        );
    }
    // The human report says so too.
    let run = measure(
        "unreadable file + directory, human",
        as_reader(&["scan", "."]),
        QUICK,
    );
    assert_eq!(run.code, 2);
    let out = run.all_output();
    assert!(
        out.contains("locked.env") && out.contains("sealed"),
        "{out}"
    );
    assert!(out.contains("incomplete"), "{out}");

    // With a finding as well, findings win: exit 1, errors still reported.
    let secret = g.huggingface();
    dir.write("open.env", format!("HF_TOKEN={secret}\n"));
    let run = measure(
        "unreadable file + directory, one finding",
        as_reader(&["scan", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["summary"]["errors"], 2);
    assert_eq!(json["summary"]["incomplete"], true);
    assert_eq!(json["findings"][0]["path"], "open.env");

    // Let the temporary directory be removed when not running as root.
    chmod(&dir.join("sealed"), 0o755);
    chmod(&dir.join("locked.env"), 0o644);
}

// 8. Non-UTF-8 file names.
#[test]
fn non_utf8_file_names_are_found_and_reported_lossily() {
    let dir = TestRepo::plain();
    let mut g = Gen::new(808);
    let (a, b) = (g.huggingface(), g.aws_key_id());
    write_raw(
        dir.path(),
        b"bad\xff\xfename.env",
        format!("HF_TOKEN={a}\n").as_bytes(),
    );
    std::fs::create_dir(dir.path().join(OsStr::from_bytes(b"dir\xc3\x28"))).unwrap();
    write_raw(
        dir.path(),
        b"dir\xc3\x28/k\x80.txt",
        format!("aws_access_key_id = {b}\n").as_bytes(),
    );

    let run = measure(
        "non-UTF-8 file names, json",
        lg(dir.path(), &["scan", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    let mut paths: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        ["bad\u{fffd}\u{fffd}name.env", "dir\u{fffd}(/k\u{fffd}.txt"]
    );

    // Every other format stays well-formed and names both files.
    let run = measure(
        "non-UTF-8 file names, jsonl",
        lg(dir.path(), &["scan", ".", "--format", "jsonl"]),
        QUICK,
    );
    assert_eq!(run.code, 1);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl line"))
        .collect();
    assert_eq!(lines.len(), 3, "two findings and a summary");
    let run = measure(
        "non-UTF-8 file names, sarif",
        lg(dir.path(), &["scan", ".", "--format", "sarif"]),
        QUICK,
    );
    assert_eq!(run.code, 1);
    let sarif = run.json();
    let uris: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(uris.len(), 2);
    assert!(uris.iter().all(|u| u.contains("%EF%BF%BD")), "{uris:?}");
    for format in ["human", "github", "markdown"] {
        let run = measure(
            &format!("non-UTF-8 file names, {format}"),
            lg(dir.path(), &["scan", ".", "--format", format]),
            QUICK,
        );
        assert_eq!(run.code, 1, "{format}");
        assert!(
            run.stdout.contains("name.env") && run.stdout.contains(".txt"),
            "{format}: {}",
            run.stdout
        );
        assert!(!run.stdout.contains(&a) && !run.stdout.contains(&b));
    }
}

/// The exposure of a committed file whose name is not UTF-8 is looked up with the name's bytes
/// (a lossy conversion would match nothing in the index and say `untracked`).
#[test]
fn non_utf8_file_names_in_a_repository_keep_their_exposure() {
    let repo = TestRepo::new();
    let secret = Gen::new(818).huggingface();
    write_raw(
        repo.path(),
        b"bad\xffname.env",
        format!("HF_TOKEN={secret}\n").as_bytes(),
    );
    repo.commit_all("add");
    let run = measure(
        "non-UTF-8 committed file name: exposure",
        lg(repo.path(), &["scan", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["findings"][0]["exposure"], "committed");
}

fn object_path(repo: &TestRepo, id: &str) -> std::path::PathBuf {
    repo.join(&format!(".git/objects/{}/{}", &id[..2], &id[2..]))
}

// 9. A corrupt loose object and a truncated pack.
#[test]
fn corrupt_loose_object_and_truncated_pack_make_history_incomplete() {
    // Loose object: overwritten with bytes that are not zlib.
    let repo = TestRepo::new();
    for i in 1..=3 {
        repo.write(&format!("f{i}.txt"), format!("file {i}\n").repeat(200))
            .commit_all(&format!("c{i}"));
    }
    let blob = repo.rev("HEAD:f3.txt");
    let p = object_path(&repo, &blob);
    chmod(&p, 0o644);
    std::fs::write(&p, b"this is not a zlib stream").unwrap();
    let run = measure(
        "corrupt loose object: history",
        lg(repo.path(), &["history", "."]),
        QUICK,
    );
    assert_eq!(run.code, 2, "{}", run.all_output());
    assert!(run.all_output().contains(&blob), "{}", run.all_output());
    assert!(run.all_output().contains("incomplete"));
    let run = measure(
        "corrupt loose object: history json",
        lg(repo.path(), &["history", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 2);
    let s = &run.json()["summary"];
    assert_eq!(s["incomplete"], true);
    assert_eq!(s["missing_objects"][0]["id"], blob.as_str(), "{s}");
    assert_eq!(s["missing_objects"][0]["path"], "f3.txt", "{s}");
    let run = measure(
        "corrupt loose object: audit",
        lg(repo.path(), &["audit", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);

    // Truncated zlib stream, and a finding elsewhere: findings win (exit 1), the error stays.
    let secret = Gen::new(809).huggingface();
    repo.write("key.env", format!("HF_TOKEN={secret}\n"))
        .commit_all("key");
    let good = std::fs::read(object_path(&repo, &repo.rev("HEAD:f1.txt"))).unwrap();
    std::fs::write(&p, &good[..good.len() / 2]).unwrap();
    let run = measure(
        "truncated loose object + a finding: history",
        lg(repo.path(), &["history", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["summary"]["incomplete"], true);
    assert_eq!(json["findings"][0]["path"], "key.env");
    assert!(run.stdout.contains(&blob));

    // Pack: everything packed, then the pack file cut in half.
    let repo = TestRepo::new();
    for i in 1..=5 {
        repo.write(&format!("f{i}.txt"), format!("line {i}\n").repeat(3000))
            .commit_all(&format!("c{i}"));
    }
    repo.git(&["gc", "-q"]);
    let pack = std::fs::read_dir(repo.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .expect("a pack");
    let name = pack.file_name().unwrap().to_str().unwrap().to_string();
    let len = std::fs::metadata(&pack).unwrap().len();
    chmod(&pack, 0o644);
    let f = std::fs::OpenOptions::new().write(true).open(&pack).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let run = measure(
        "truncated pack: history",
        lg(repo.path(), &["history", "."]),
        QUICK,
    );
    assert_eq!(run.code, 2, "{}", run.all_output());
    assert!(run.all_output().contains(&name), "{}", run.all_output());
    let run = measure(
        "truncated pack: history json",
        lg(repo.path(), &["history", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 2);
    let s = &run.json()["summary"];
    assert_eq!(s["incomplete"], true);
    assert!(
        s["error_details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"].as_str().unwrap().ends_with(&name)),
        "{s}"
    );
    let run = measure(
        "truncated pack: audit",
        lg(repo.path(), &["audit", "."]),
        QUICK,
    );
    assert_eq!(run.code, 2, "{}", run.all_output());
}

/// A one-object pack (with its index) whose blob entry declares `declared` bytes but holds a
/// 12-byte zlib stream. Checksums are zero: leakgate skips pack checksum verification.
fn pack_with_declared_size(repo: &TestRepo, declared: u64) {
    let data = b"hello world\n";
    let mut entry = Vec::new();
    let (mut size, mut byte) = (declared >> 4, (3u8 << 4) | (declared & 0x0f) as u8); // blob
    while size > 0 {
        entry.push(byte | 0x80);
        byte = (size & 0x7f) as u8;
        size >>= 7;
    }
    entry.push(byte);
    // zlib: header, one stored block, Adler-32.
    let (mut a, mut b) = (1u32, 0u32);
    for &c in data {
        a = (a + u32::from(c)) % 65521;
        b = (b + a) % 65521;
    }
    let len = data.len() as u16;
    entry.extend([0x78, 0x01, 0x01]);
    entry.extend(len.to_le_bytes());
    entry.extend((!len).to_le_bytes());
    entry.extend(data);
    entry.extend(((b << 16) | a).to_be_bytes());
    let mut pack = b"PACK".to_vec();
    pack.extend(2u32.to_be_bytes());
    pack.extend(1u32.to_be_bytes());
    pack.extend(&entry);
    pack.extend([0u8; 20]);
    let oid = [0x3bu8; 20];
    let mut idx = b"\xfftOc".to_vec();
    idx.extend(2u32.to_be_bytes());
    for i in 0..256u32 {
        idx.extend(u32::from(i >= u32::from(oid[0])).to_be_bytes());
    }
    idx.extend(oid);
    idx.extend([0u8; 4]); // CRC-32
    idx.extend(12u32.to_be_bytes()); // offset of the entry
    idx.extend([0u8; 40]); // pack and index checksums
    let dir = repo.join(".git/objects/pack");
    std::fs::create_dir_all(&dir).unwrap();
    let name = "pack-".to_string() + &"ab".repeat(20);
    std::fs::write(dir.join(format!("{name}.pack")), pack).unwrap();
    std::fs::write(dir.join(format!("{name}.idx")), idx).unwrap();
}

/// Pack traversal used to run with `alloc_limit_bytes: None`, and gix zero-fills an entry's
/// *declared* size before inflating it: a 60-byte pack declaring a 1 GiB blob made `history`
/// allocate and touch 1 GiB (2 GiB: 2.1 GB RSS; 8 GiB: 7+ GB and more than a minute), then report
/// "1.0 GiB scanned, 1 skipped (too large)" and exit 0. Entry sizes are now checked against the
/// entry's compressed size before anything is allocated: such an entry is a corrupt object, named
/// in the output, and the scan is incomplete.
#[test]
fn pack_entry_declaring_a_huge_size_is_bounded() {
    let repo = TestRepo::new();
    for (declared, case) in [
        (1 << 30, "60-byte pack declaring a 1 GiB blob: history"),
        (1 << 36, "60-byte pack declaring a 64 GiB blob: history"),
    ] {
        pack_with_declared_size(&repo, declared);
        let run = measure(
            case,
            lg(repo.path(), &["history", ".", "--format", "json"]),
            SLOW,
        );
        assert_eq!(run.code, 2, "a corrupt pack is an incomplete scan");
        assert_eq!(run.json()["summary"]["incomplete"], true);
        assert!(run.stdout.contains(&"3b".repeat(20)), "{}", run.stdout);
    }
}

/// A packed blob over `--max-file-size` is skipped as too large without being decoded (it is not
/// an error), and a blob under the limit stored as a delta against it is still scanned.
#[test]
fn large_packed_blob_is_skipped_and_its_delta_still_scanned() {
    let repo = TestRepo::new();
    let rows: String = (0..40_000u64)
        .map(|i| format!("row {i} {}\n", i * 7919 % 10_007))
        .collect();
    repo.write("data.csv", &rows).commit_all("data");
    let secret = Gen::new(823).huggingface();
    repo.write(
        "data.csv",
        format!("{}HF_TOKEN={secret}\n", &rows[..rows.len() / 3]),
    )
    .commit_all("trim it");
    repo.git(&["gc", "-q"]);
    let small = repo.rev("HEAD:data.csv");
    let pack = std::fs::read_dir(repo.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("an index");
    let verify = repo.git(&["verify-pack", "-v", pack.to_str().unwrap()]);
    let line = verify.lines().find(|l| l.starts_with(&small)).unwrap();
    assert_eq!(line.split_whitespace().count(), 7, "not a delta: {line}");

    let run = measure(
        "packed blob over the limit, delta under it",
        lg(
            repo.path(),
            &[
                "history",
                ".",
                "--max-file-size",
                "300K",
                "--format",
                "json",
            ],
        ),
        QUICK,
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    let json = run.json();
    assert_eq!(json["summary"]["incomplete"], false, "{}", json["summary"]);
    assert_eq!(json["summary"]["skipped_by_reason"]["too_large"], 1);
    assert_eq!(json["findings"][0]["path"], "data.csv");
    assert_eq!(json["findings"][0]["blob"], small.as_str());

    let run = measure(
        "packed blob and its delta over the limit",
        lg(
            repo.path(),
            &[
                "history",
                ".",
                "--max-file-size",
                "100K",
                "--format",
                "json",
            ],
        ),
        QUICK,
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let s = &run.json()["summary"];
    assert_eq!(s["incomplete"], false, "{s}");
    assert_eq!(s["skipped_by_reason"]["too_large"], 2, "{s}");
}

/// Range modes (`history --range/--since`, `ci`, the pre-push hook) do not enumerate the object
/// database: they read the commits, trees and blobs of the range. One that exists but cannot be
/// read (here a corrupt loose object) is an error, even with `--allow-missing`; an absent one is a
/// missing object, which `--allow-missing` accepts. (It used to be skipped silently: exit 0.)
#[test]
fn corrupt_object_in_a_ci_range_fails_closed() {
    let repo = TestRepo::new();
    repo.write("a.txt", "a\n").commit_all("base");
    repo.write("b.txt", "b\n".repeat(100)).commit_all("head");
    let blob = repo.rev("HEAD:b.txt");
    let p = object_path(&repo, &blob);
    chmod(&p, 0o644);
    std::fs::write(&p, b"this is not a zlib stream").unwrap();
    for args in [
        &[
            "history",
            ".",
            "--range",
            "HEAD~1..HEAD",
            "--format",
            "json",
        ][..],
        &[
            "ci", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
        ][..],
    ] {
        let run = measure(
            &format!("corrupt blob in range: {}", args[0]),
            lg(repo.path(), args),
            QUICK,
        );
        assert_eq!(run.code, 2, "{:?}: {}", args, run.stdout);
        assert!(run.stdout.contains(&blob));
    }
    // Absent rather than corrupt: a missing object, accepted by --allow-missing.
    std::fs::remove_file(&p).unwrap();
    let run = measure(
        "absent blob in range, --allow-missing: ci",
        lg(
            repo.path(),
            &[
                "ci",
                "--base",
                "HEAD~1",
                "--head",
                "HEAD",
                "--allow-missing",
                "--format",
                "json",
            ],
        ),
        QUICK,
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.json()["summary"]["missing_objects"][0]["id"],
        blob.as_str()
    );

    // A corrupt tree or commit in the range is an error too: it hides everything below it.
    let repo = TestRepo::new();
    repo.write("a.txt", "a\n").commit_all("base");
    repo.write("d/b.txt", "b\n").commit_all("middle");
    repo.write("c.txt", "c\n").commit_all("head");
    let base = repo.rev("HEAD~2");
    let range = format!("{base}..HEAD");
    for rev in ["HEAD~1:d", "HEAD~1"] {
        let id = repo.rev(rev);
        let p = object_path(&repo, &id);
        let good = std::fs::read(&p).unwrap();
        chmod(&p, 0o644);
        std::fs::write(&p, b"this is not a zlib stream").unwrap();
        let run = measure(
            &format!("corrupt {rev} in range: history"),
            lg(
                repo.path(),
                &[
                    "history",
                    ".",
                    "--range",
                    &range,
                    "--allow-missing",
                    "--format",
                    "json",
                ],
            ),
            QUICK,
        );
        assert_eq!(run.code, 2, "{rev}: {}", run.stdout);
        assert!(run.stdout.contains(&id), "{rev}: {}", run.stdout);
        std::fs::write(&p, good).unwrap();
    }
}

// 10. A shallow clone.
#[test]
fn shallow_clone_is_scanned_as_far_as_it_goes() {
    let origin = TestRepo::new();
    let mut g = Gen::new(810);
    let old = g.huggingface();
    origin.write("a.txt", "a\n").commit_all("c1");
    origin
        .write("old.env", format!("HF_TOKEN={old}\n"))
        .commit_all("c2: add a key");
    origin.git(&["rm", "-q", "old.env"]);
    origin.commit_all("c3: remove it");
    let url = format!("file://{}", origin.path().display());
    let clone = |case: &str| {
        let c = TestRepo::plain();
        c.git(&["clone", "-q", "--depth", "1", &url, "."]);
        assert!(c.join(".git/shallow").is_file(), "{case}: not shallow");
        c
    };

    // The key lives only below the shallow boundary: not there to scan. As designed, that is
    // not an error; the summary says the history was shallow.
    let c = clone("clean tip");
    let run = measure(
        "shallow clone (depth 1), clean tip: history",
        lg(c.path(), &["history", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = &run.json()["summary"];
    assert_eq!(s["shallow"], true, "{s}");
    assert_eq!(s["incomplete"], false);
    assert_eq!(s["commits"], 1);

    // A key in the tip commit is found and attributed to the (shallow) tip.
    let new = g.huggingface();
    origin
        .write("new.env", format!("HF_TOKEN={new}\n"))
        .commit_all("c4: another key");
    let tip = origin.rev("HEAD");
    let c = clone("secret at tip");
    let run = measure(
        "shallow clone (depth 1), key at tip: history",
        lg(c.path(), &["history", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["summary"]["shallow"], true);
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{}", run.stdout);
    assert_eq!(findings[0]["path"], "new.env");
    assert_eq!(findings[0]["commit"]["id"], tip.as_str());
    let run = measure(
        "shallow clone (depth 1), key at tip: audit",
        lg(c.path(), &["audit", ".", "--format", "json"]),
        QUICK,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
}

/// A fast-import stream: `commits` commits on a line, each on its own branch `bNNNNN` (the first
/// one adds `secret_file`), `main` at the tip, and lightweight tags up to `refs` refs in all.
fn fast_import_stream(commits: usize, refs: usize, secret_file: &str) -> String {
    let mut s = String::new();
    for i in 0..commits {
        let data = if i == 0 {
            secret_file.to_string()
        } else {
            format!("line {i}\n")
        };
        let msg = format!("commit {i}\n");
        s.push_str(&format!(
            "commit refs/heads/b{i:05}\nmark :{}\ncommitter T <t@example.org> {} +0000\ndata {}\n{msg}",
            i + 1,
            1_700_000_000 + i,
            msg.len()
        ));
        if i > 0 {
            s.push_str(&format!("from :{i}\n"));
        }
        s.push_str(&format!(
            "M 100644 inline f{}.txt\ndata {}\n{data}\n",
            i % 50,
            data.len()
        ));
    }
    for t in commits..refs {
        s.push_str(&format!(
            "reset refs/tags/t{t:05}\nfrom :{}\n\n",
            t % commits + 1
        ));
    }
    s.push_str(&format!("reset refs/heads/main\nfrom :{commits}\n\n"));
    s
}

// 11. A repository with 20,000 refs.
#[test]
fn twenty_thousand_refs() {
    let repo = TestRepo::new();
    let secret = Gen::new(811).huggingface();
    let stream = fast_import_stream(5_000, 20_000, &format!("HF_TOKEN={secret}\n"));
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(repo.path())
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let refs = repo.git(&["for-each-ref", "--format=%(refname)"]);
    assert_eq!(refs.lines().count(), 20_001, "b*, t* and main");

    for layout in ["loose refs", "packed-refs"] {
        if layout == "packed-refs" {
            repo.git(&["pack-refs", "--all"]);
        }
        let run = measure(
            &format!("20,000 refs ({layout}), 5,000 commits: history"),
            lg(repo.path(), &["history", ".", "--format", "json"]),
            SLOW,
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        let json = run.json();
        assert_eq!(json["summary"]["commits"], 5_000);
        assert_eq!(json["summary"]["incomplete"], false);
        let findings = json["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 1);
        // Every ref reaches the first commit.
        assert_eq!(
            findings[0]["commit"]["refs"].as_array().unwrap().len(),
            20_001
        );
    }
    let run = measure(
        "20,000 refs: audit",
        lg(repo.path(), &["audit", ".", "-q"]),
        SLOW,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
}

// 12. A 10 MB commit message.
#[test]
fn ten_megabyte_commit_message_with_a_secret() {
    let repo = TestRepo::new();
    let secret = Gen::new(812).huggingface();
    let body_line = "lorem ipsum dolor sit amet consectetur adipiscing elit ".repeat(18) + "\n";
    let lines = 10 * 1024 * 1024 / body_line.len();
    let mut msg = String::with_capacity(11 << 20);
    msg.push_str("a normal subject\n\n");
    for _ in 0..lines {
        msg.push_str(&body_line);
    }
    msg.push_str(&format!("HF_TOKEN={secret}\n"));
    let msg_line = lines + 3; // subject, blank line, body
    let msg_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(msg_file.path(), &msg).unwrap();
    drop(msg);
    repo.write("a.txt", "a\n").commit_all("base");
    repo.write("b.txt", "b\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-F", msg_file.path().to_str().unwrap()]);

    let run = measure(
        "10 MB commit message, key near the end: history",
        lg(repo.path(), &["history", ".", "--format", "json"]),
        SLOW,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["source"], "commit-message");
    assert_eq!(findings[0]["line"], msg_line as u64);
    assert_eq!(findings[0]["commit"]["summary"], "a normal subject");
    assert!(!run.stdout.contains(&secret));
    // The CI gate scans the messages of the commits in its range.
    let run = measure(
        "10 MB commit message, key near the end: ci",
        lg(
            repo.path(),
            &[
                "ci", "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
            ],
        ),
        SLOW,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["findings"][0]["source"], "commit-message");
    assert_eq!(json["findings"][0]["line"], msg_line as u64);
}

/// A commit's summary (its whole first line, however long) used to be copied into every finding
/// the commit introduced, and `scrub_commit_text` searched each summary for every found secret: a
/// 10 MB one-line subject on a commit that adds 100 keys made `history` use ~1.1 GB and ~40 s
/// (debug build) and print ~1 GB. Summaries are now redacted once per commit, then cut to 200
/// characters; a key in the subject that straddles the cut is still found, and never shown.
#[test]
fn huge_commit_subject_is_bounded_per_finding() {
    let repo = TestRepo::new();
    let mut g = Gen::new(822);
    for i in 0..100 {
        repo.write(
            &format!("k{i}.env"),
            format!("HF_TOKEN={}\n", g.huggingface()),
        );
    }
    // The key spans characters 196 to 232 of the subject: across the 200-character cut.
    let subject_key = g.huggingface();
    let msg_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        msg_file.path(),
        format!("{} HF_TOKEN={subject_key} ", "x".repeat(185))
            + &"lorem ipsum dolor sit amet ".repeat(400_000)
            + "\n",
    )
    .unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-F", msg_file.path().to_str().unwrap()]);
    let run = measure(
        "10 MB one-line subject, 100 keys: history",
        lg(repo.path(), &["history", ".", "-q"]),
        SLOW,
    );
    assert_eq!(run.code, 1);
    let run = measure(
        "10 MB one-line subject, 100 keys: json",
        lg(repo.path(), &["history", ".", "--format", "json"]),
        SLOW,
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.len() < 1 << 20, "{} bytes", run.stdout.len());
    let json = run.json();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 101);
    assert!(
        findings
            .iter()
            .any(|f| f["source"] == "commit-message" && f["line"] == 1)
    );
    for f in findings {
        let summary = f["commit"]["summary"].as_str().unwrap();
        assert_eq!(summary.chars().count(), 201, "{summary}");
        assert!(summary.starts_with("xxxxx") && summary.ends_with('…'));
        assert!(summary.contains("HF_TOKEN=hf_"), "{summary}");
        assert!(!summary.contains(&subject_key[..8]), "{summary}");
    }
    assert!(!run.stdout.contains(&subject_key));
}

/// A config file with one rule per regex, all triggered by the keyword `aa`.
fn evil_rules(dir: &TestRepo, name: &str, regexes: &[(&str, &str)]) {
    let mut s = String::new();
    for (id, re) in regexes {
        s.push_str(&format!(
            "[[rule]]\nid = \"{id}\"\nprovider = \"Test\"\ndescription = \"pathological\"\n\
             severity = \"high\"\nkeywords = [\"aa\"]\nregex = '''{re}'''\n\
             rotate.url = \"https://example.org/rotate\"\nrotate.steps = [\"rotate it\"]\n\n"
        ));
    }
    dir.write(name, s);
}

// 13. A user rule with a pathological regex.
#[test]
fn pathological_user_regexes_are_rejected_or_bounded() {
    let dir = TestRepo::plain();
    // 1 MB of `a`: a keyword hit at every byte, so the whole file is one regex window.
    dir.write("input.txt", "a".repeat(1 << 20) + "\n");

    // Huge counted repetition: over the regex compiler's size limit, rejected up front.
    for (i, re) in [
        "(?P<secret>a{100000}{1000})",
        "(?P<secret>(?:a{1000}){1000}{1000})",
    ]
    .iter()
    .enumerate()
    {
        let cfg = format!("huge-{i}.toml");
        evil_rules(&dir, &cfg, &[("huge-repetition", re)]);
        let run = measure(
            &format!("regex {re}: rejected"),
            lg(dir.path(), &["scan", "input.txt", "--config", &cfg]),
            QUICK,
        );
        assert_eq!(run.code, 2, "{}", run.all_output());
        let err = run.stderr.trim();
        assert_eq!(err.lines().count(), 1, "one-line error: {err}");
        assert!(
            err.contains(&cfg) && err.contains("huge-repetition") && err.contains("regex"),
            "error names the file, the rule and the regex: {err}"
        );
    }

    // Catastrophic-backtracking shapes: the regex engine is a finite automaton, so each one is
    // linear in the input and the scan completes (nothing matches: there is no `b`).
    evil_rules(
        &dir,
        "backtrack.toml",
        &[
            ("nested-star", "(?P<secret>(a*)*b)"),
            ("alternation", "(?P<secret>(a|aa)+)$"),
            ("nested-plus", "(?P<secret>(a+)+b)"),
        ],
    );
    let run = measure(
        "regexes (a*)*b, (a|aa)+$, (a+)+b on 1 MB of a",
        lg(
            dir.path(),
            &[
                "scan",
                "input.txt",
                "--config",
                "backtrack.toml",
                "--format",
                "json",
            ],
        ),
        SLOW,
    );
    // `(a|aa)+$` matches the whole line: bounded, and a (low-entropy) match or none is fine.
    assert!(run.code == 0 || run.code == 1, "{}", run.all_output());
    assert_eq!(run.json()["summary"]["incomplete"], false);
}

/// Known bug: a large bounded repetition over a class (`\w{1,10000}`) compiles (under the NFA
/// size limit) but makes the lazy DFA give up, and the fallback is O(input x repetition): on
/// 100 KB of `a` it takes ~14 s in a release build, ~85 s on 400 KB, minutes on 1 MB. A
/// repository's own `.leakgate.toml` can carry such a rule, so a hostile repository can stall a
/// CI gate that does not pass `--no-repo-config`. Rules should be rejected above a repetition or
/// NFA-size bound, or the regex search bounded.
/// A large counted repetition of a class cannot be searched in linear time by the regex engine
/// (`\w{1,10000}Z` took minutes on 1 MB): user rules are rejected with a clear error, and the
/// suggested rewrite (`{1,}` with `max_len`) is fast.
#[test]
fn large_bounded_repetition_in_a_user_rule_is_bounded() {
    let dir = TestRepo::plain();
    dir.write("input.txt", "a".repeat(1 << 20) + "\n");
    evil_rules(
        &dir,
        "rep.toml",
        &[("wide-repetition", "(?P<secret>\\w{1,10000}Z)")],
    );
    let run = measure(
        "regex \\w{1,10000}Z on 1 MB of a",
        lg(dir.path(), &["scan", "input.txt", "--config", "rep.toml"]),
        QUICK,
    );
    assert_eq!(run.code, 2, "{}", run.all_output());
    assert!(
        run.all_output().contains("rep.toml")
            && run.all_output().contains("wide-repetition")
            && run.all_output().contains("counted repetition {1,10000}"),
        "{}",
        run.all_output()
    );
    dir.write(
        "rep.toml",
        "[[rule]]\nid = \"wide\"\nprovider = \"Test\"\ndescription = \"d\"\nseverity = \"high\"\n\
         keywords = [\"aa\"]\nregex = '(?P<secret>\\w{1,}Z)'\nmax_len = 10000\n\
         rotate.url = \"https://example.org/rotate\"\nrotate.steps = [\"rotate it\"]\n",
    );
    let run = measure(
        "regex \\w{1,}Z (max_len 10000) on 1 MB of a",
        lg(dir.path(), &["scan", "input.txt", "--config", "rep.toml"]),
        QUICK,
    );
    assert_eq!(run.code, 0, "{}", run.all_output());
}

/// What the no-network check runs: every command that reads a repository.
const NETWORK_CHECK_COMMANDS: &[&[&str]] = &[
    &["scan", "."],
    &["history", "."],
    &["audit", "."],
    &["staged"],
    &["ci", "--base", "HEAD~1", "--head", "HEAD"],
    &["rules", "check"],
    &["baseline", "create"],
];

/// A repository with a committed key, a staged key and a working-tree key.
fn network_check_repo() -> TestRepo {
    let repo = TestRepo::new();
    let mut g = Gen::new(815);
    repo.write("a.txt", "a\n").commit_all("base");
    repo.write("old.env", format!("HF_TOKEN={}\n", g.huggingface()))
        .commit_all("key");
    repo.write("staged.env", format!("HF_TOKEN={}\n", g.huggingface()));
    repo.git(&["add", "staged.env"]);
    repo.write(".envrc", format!("export HF_TOKEN={}\n", g.huggingface()));
    repo
}

fn strace_usable() -> bool {
    Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=%network,execve",
            "-o",
            "/dev/null",
        ])
        .arg("true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn unshare_usable() -> bool {
    Command::new("unshare")
        .args(["-rn", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

// 14. Memory does not grow with the input or the rule count.

/// Write `lines` lines made by `line(i)` to `path`, buffered.
fn write_lines(path: &Path, lines: usize, mut line: impl FnMut(usize) -> String) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..lines {
        f.write_all(line(i).as_bytes()).unwrap();
    }
    f.flush().unwrap();
}

#[test]
fn three_hundred_megabytes_of_keyword_lines_scan_in_bounded_memory() {
    // Every line starts with a keyword dozens of rules listen for; none holds a secret.
    let dir = TestRepo::plain();
    let line = "password = \"x\"\n";
    write_lines(&dir.join("pw.txt"), (300 << 20) / line.len(), |_| {
        line.to_string()
    });
    let run = measure(
        "300 MB of `password = \"x\"` lines",
        lg(dir.path(), &["scan", ".", "--format", "json"]),
        SLOW,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.json()["summary"]["bytes_scanned"].as_u64().unwrap() > 300_000_000);
}

#[test]
fn a_file_of_real_findings_is_capped_and_counted_in_bounded_memory() {
    // 700,000 generated passwords, one per line: far more findings than one file lists.
    let dir = TestRepo::plain();
    let mut g = Gen::new(1530);
    write_lines(&dir.join("pw.txt"), 700_000, |_| {
        format!("password = \"{}\"\n", g.chars(crate::support::ALNUM, 14))
    });
    let run = measure(
        "700k password findings in one file",
        lg(dir.path(), &["scan", ".", "--format", "json"]),
        SLOW,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["summary"]["findings"], 1_000);
    let not_listed = json["summary"]["not_listed"][0]["findings"]
        .as_u64()
        .unwrap();
    assert!(not_listed > 600_000, "{}", json["summary"]);
}

#[test]
fn six_hundred_user_rules_matching_every_line_stay_in_bounded_memory() {
    let dir = TestRepo::plain();
    let mut rules = String::new();
    for i in 0..600 {
        rules.push_str(&format!(
            "[[rule]]\nid = \"u{i}\"\nprovider = \"P\"\ndescription = \"d\"\nseverity = \"low\"\n\
             keywords = [\"password\"]\nregex = '''password = \"(?P<secret>[A-Za-z0-9]{{8,}})\"'''\n"
        ));
    }
    dir.write("rules.toml", rules);
    let mut g = Gen::new(1531);
    write_lines(&dir.join("pw.txt"), 11_000, |_| {
        format!("password = \"{}\"\n", g.chars(crate::support::ALNUM, 14))
    });
    let run = measure(
        "600 user rules x 11k matching lines",
        lg(
            dir.path(),
            &[
                "scan",
                "pw.txt",
                "--config",
                "rules.toml",
                "--format",
                "json",
            ],
        ),
        SLOW,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["findings"], 1_000);
}

// Part 5: leakgate opens no sockets.
#[test]
fn no_command_opens_a_socket() {
    let repo = network_check_repo();
    let exe = env!("CARGO_BIN_EXE_leakgate");
    if strace_usable() {
        for args in NETWORK_CHECK_COMMANDS {
            let trace = tempfile::NamedTempFile::new().unwrap();
            let mut c = Command::new("strace");
            c.args(["-f", "-qq", "-e", "trace=%network,execve", "-o"])
                .arg(trace.path())
                .arg("--")
                .arg(exe)
                .args(*args)
                .current_dir(repo.path())
                .env_remove("NO_COLOR")
                .env_remove("GIT_DIR");
            let case = format!("no network (strace): {}", args.join(" "));
            let run = measure(&case, c, SLOW);
            assert!(
                (0..=1).contains(&run.code),
                "{case}: exit {}: {}",
                run.code,
                run.stderr
            );
            let log = std::fs::read_to_string(trace.path()).unwrap();
            assert!(
                log.contains("execve(") && log.contains("leakgate"),
                "{case}: strace recorded nothing: {log}"
            );
            // Every network syscall (socket, socketpair, connect, bind, sendto, ...) of any
            // address family, AF_UNIX included; execve lines are the only ones allowed.
            let network: Vec<&str> = log
                .lines()
                .filter(|l| !l.contains("execve(") && !l.contains("--- SIG"))
                .collect();
            assert!(
                network.is_empty(),
                "{case}: network syscalls:\n{}",
                network.join("\n")
            );
        }
    } else if unshare_usable() {
        // No tracer: run every command in an empty network namespace and check it behaves
        // exactly as with the network. This shows leakgate needs no network, not that it never
        // tries; see README "No network" for the strace check.
        eprintln!("hostile | note: strace unusable; checking under `unshare -rn` instead");
        for args in NETWORK_CHECK_COMMANDS {
            let normal = measure(
                &format!("with network: {}", args.join(" ")),
                lg(repo.path(), args),
                SLOW,
            );
            let mut c = Command::new("unshare");
            c.args(["-rn", "--"])
                .arg(exe)
                .args(*args)
                .current_dir(repo.path())
                .env_remove("NO_COLOR")
                .env_remove("GIT_DIR");
            let isolated = measure(
                &format!("no network (unshare): {}", args.join(" ")),
                c,
                SLOW,
            );
            assert_eq!(isolated.code, normal.code, "{args:?}: {}", isolated.stderr);
        }
    } else {
        eprintln!(
            "hostile | SKIPPED no_command_opens_a_socket: neither strace nor `unshare -rn` works \
             here; see README \"No network\" for the manual check"
        );
    }
}
