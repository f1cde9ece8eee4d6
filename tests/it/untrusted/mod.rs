//! Untrusted repositories (issue: leakgate can never be turned against its user): what leakgate
//! writes, what a repository's own configuration may decide, what it reads, and what reaches the
//! terminal. Every case is a repository (or file tree) built to mislead or harm the person
//! running leakgate; secrets are generated at run time.

mod git_dir;
mod history_oddities;
mod large;
mod output_escaping;
mod repo_config;
mod suppression;
mod toctou;
mod writes;

use crate::support::{Run, leakgate};
use std::path::Path;
use std::time::{Duration, Instant};

/// Run leakgate with `args` in `dir`, killing it (and failing the test) if it has not finished
/// within a minute: a hostile repository must never hang a scan.
pub fn run_bounded(dir: &Path, args: &[&str]) -> Run {
    let mut c = leakgate();
    c.args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    wait_bounded(c, args)
}

/// Run `c` (leakgate with `args`), failing the test if it has not ended within a minute.
pub fn wait_bounded(mut c: std::process::Command, args: &[&str]) -> Run {
    let mut child = c.spawn().expect("leakgate starts");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("leakgate {args:?} hung (killed after 60 s)");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Run::new(child.wait_with_output().expect("output"))
}

/// Make a FIFO at `p`.
pub fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().expect("UTF-8 path")).expect("no NUL");
    // SAFETY: a valid C string; mkfifo has no other preconditions.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}
