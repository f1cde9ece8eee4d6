//! Progress on stderr, when stderr is a terminal (or `LEAKGATE_PROGRESS=always`): objects scanned, MB/s and an ETA,
//! redrawn in place a few times a second. Never prints anything from a scanned object.

use crate::source::odb::Progress;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A running progress line; stops and clears itself on drop.
pub struct ProgressLine {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl ProgressLine {
    /// Start drawing `progress` if stderr is a terminal and `enabled`.
    pub fn start(progress: Arc<Progress>, label: &'static str, enabled: bool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        // `LEAKGATE_PROGRESS=always` draws it even when stderr is not a terminal (CI logs, tests).
        let forced = std::env::var("LEAKGATE_PROGRESS").is_ok_and(|v| v == "always");
        if !enabled || !(forced || std::io::stderr().is_terminal()) {
            return ProgressLine { stop, handle: None };
        }
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let start = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let done = progress.objects.load(Ordering::Relaxed);
                let total = progress.total_objects.load(Ordering::Relaxed);
                let bytes = progress.bytes.load(Ordering::Relaxed) as f64 / 1e6;
                let secs = start.elapsed().as_secs_f64().max(1e-3);
                let eta = if done > 0 && total > done {
                    format!(", ETA {:.0}s", secs * (total - done) as f64 / done as f64)
                } else {
                    String::new()
                };
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[2K{label}: {done}/{total} objects, {bytes:.0} MB, {:.0} MB/s{eta}",
                    bytes / secs
                );
                let _ = err.flush();
            }
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        });
        ProgressLine {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
