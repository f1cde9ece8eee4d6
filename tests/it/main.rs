//! Integration tests: the leakgate binary run against temporary directories and git repositories
//! built with the git CLI.

mod history;
mod hooks;
mod rules;
mod scan;
mod support;
