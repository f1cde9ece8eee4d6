//! Untrusted repositories (issue: leakgate can never be turned against its user): what leakgate
//! writes, what a repository's own configuration may decide, what it reads, and what reaches the
//! terminal. Every case is a repository (or file tree) built to mislead or harm the person
//! running leakgate; secrets are generated at run time.

mod history_oddities;
mod output_escaping;
