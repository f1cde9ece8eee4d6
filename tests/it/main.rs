//! Integration tests: the leakgate binary run against temporary directories and git repositories
//! built with the git CLI.

mod accuracy;
mod audit;
mod ci;
mod gates;
mod gates_hooks;
mod history;
mod hooks;
mod hostile;
mod leaks;
mod rules;
mod sarif_check;
mod scan;
mod support;
mod untrusted;
