//! leakgate: find secrets in git repositories before and after they leak.
//!
//! Data flows one way. The [`rules`] (data: parsed and validated rule files) are compiled into
//! an [`engine::Engine`]. A [`source`] yields content with provenance (working-tree files, git
//! objects, staged blobs); [`history`] drives the object database and attributes what it finds
//! to commits. [`content`] runs the engine over one piece of content and turns its matches into
//! [`finding`]s, which sources give an exposure and [`finding::apply_suppressions`] filters.
//! A [`report`] writes them; [`app`] holds one module per command. See docs/architecture.md.

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
