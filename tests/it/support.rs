//! Test support: temporary git repositories built with the git CLI, the leakgate binary, and
//! secret generators. Secrets are generated at run time so the repository itself scans clean.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary directory, optionally a git repository, deleted on drop.
pub struct TestRepo {
    dir: tempfile::TempDir,
    /// Hours after 2024-01-02T00:00:00Z used for the next git command's dates.
    clock: std::cell::Cell<i64>,
}

impl TestRepo {
    /// An empty directory that is not a git repository.
    pub fn plain() -> Self {
        TestRepo {
            dir: tempfile::Builder::new()
                .prefix("leakgate-test-")
                .tempdir()
                .expect("tempdir"),
            clock: std::cell::Cell::new(0),
        }
    }

    /// A fresh repository with a deterministic identity.
    pub fn new() -> Self {
        let r = Self::plain();
        r.git(&["init", "-q", "-b", "main"]);
        r.git(&["config", "user.name", "Test User"]);
        r.git(&["config", "user.email", "test@example.org"]);
        r.git(&["config", "commit.gpgsign", "false"]);
        r
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Write a file (creating parent directories).
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Self {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, content).expect("write");
        self
    }

    /// Run git in the repository and return stdout; panics on failure. Every call advances
    /// the author and committer dates by one hour, so commits are ordered in time.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(self.path(), args)
    }

    /// Run git in another directory with this repository's clock.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let t = self.clock.get();
        self.clock.set(t + 1);
        let date = format!("{} +0000", 1_704_153_600 + t * 3600);
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn commit_all(&self, msg: &str) -> &Self {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", msg]);
        self
    }

    /// Full id of a revision.
    pub fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", rev]).trim().to_string()
    }

    /// Run leakgate with `args` in this directory.
    pub fn leakgate(&self, args: &[&str]) -> Run {
        Run::new(
            leakgate()
                .args(args)
                .current_dir(self.path())
                .output()
                .expect("leakgate runs"),
        )
    }
}

/// Run leakgate with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    Run::new(
        leakgate()
            .args(args)
            .current_dir(dir)
            .output()
            .expect("leakgate runs"),
    )
}

/// The leakgate binary under test, with a clean environment.
pub fn leakgate() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leakgate"));
    c.env_remove("NO_COLOR")
        .env_remove("GIT_DIR")
        .env_remove("LEAKGATE_LOG")
        .env_remove("LEAKGATE_PROGRESS");
    c
}

/// A finished leakgate run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn new(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }

    /// Findings of a JSON run.
    pub fn findings(&self) -> Vec<serde_json::Value> {
        self.json()["findings"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// Deterministic pseudo-random tokens (xorshift), so fixtures are stable across runs.
pub struct Gen(u64);

pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }

    /// An Anthropic API key in the real format.
    pub fn anthropic(&mut self) -> String {
        format!("{}-api03-{}AA", "sk-ant", self.chars(B64URL, 93))
    }

    /// An AWS access key id.
    pub fn aws_key_id(&mut self) -> String {
        format!(
            "{}{}",
            "AKIA",
            self.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        )
    }

    /// A GitHub classic personal access token with a valid CRC32 checksum.
    pub fn github(&mut self) -> String {
        github_token(&self.chars(ALNUM, 30), true)
    }

    /// A Hugging Face user token.
    pub fn huggingface(&mut self) -> String {
        format!("{}_{}", "hf", self.chars(&ALNUM[..52], 34))
    }
}

/// A GitHub-style token (`ghp_` + 30 random + 6 base62 CRC32 digits); `valid = false` breaks
/// the checksum.
pub fn github_token(random: &str, valid: bool) -> String {
    let mut n = u64::from(crc32fast::hash(random.as_bytes()));
    if !valid {
        n = (n + 1) % 62u64.pow(6);
    }
    format!("{}_{random}{}", "ghp", leakgate::rules::base62(n, 6))
}

/// Findings' `field` values, in order.
pub fn field(findings: &[serde_json::Value], field: &str) -> Vec<String> {
    findings
        .iter()
        .map(|f| f[field].as_str().unwrap_or_default().to_string())
        .collect()
}

/// PATH with the leakgate binary's directory first, for hooks run by git.
pub fn path_with_leakgate() -> String {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_leakgate"))
        .parent()
        .unwrap()
        .to_path_buf();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Run git with leakgate on PATH (so installed hooks find it); returns the output.
pub fn git_with_hooks(repo: &TestRepo, args: &[&str]) -> std::process::Output {
    std::process::Command::new("git")
        .args(args)
        .current_dir(repo.path())
        .env("PATH", path_with_leakgate())
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap()
}

/// Run leakgate's pre-push hook (`hook run pre-push origin url --format json`) in `repo` with
/// git's pre-push lines on stdin.
pub fn pre_push(repo: &TestRepo, stdin: &str) -> Run {
    use std::io::Write;
    let mut child = leakgate()
        .args([
            "hook", "run", "pre-push", "origin", "url", "--format", "json",
        ])
        .current_dir(repo.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    Run::new(child.wait_with_output().unwrap())
}
