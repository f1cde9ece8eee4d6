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
