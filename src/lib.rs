//! leakgate: find secrets in git repositories before and after they leak.
//!
//! Data flows one way: a [`source`] yields bytes with provenance, the [`engine`] yields matches
//! against the [`rules`], [`finding`] turns matches into findings (exposure, fingerprint,
//! allowlists), and a [`report`] writes them.

pub mod app;
pub mod audit;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod content;
pub mod engine;
pub mod finding;
pub mod history;
pub mod lines;
pub mod log;
pub mod progress;
pub mod report;
pub mod rules;
pub mod safe_fs;
pub mod source;

/// Lock a mutex, taking the data even if another thread panicked holding it (a scan's
/// counters and lists stay usable; the panic itself is reported where it happened).
pub fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
