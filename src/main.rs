//! Thin entry point: parse arguments, run the command, print the error chain once, and map the
//! outcome to the exit code (0 clean, 1 findings, 2 error or incomplete scan).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match leakgate::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match leakgate::app::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) => {
            // Errors name paths, refs and config text a repository chooses: shown safely.
            let message = format!("{e:#}");
            eprintln!(
                "leakgate: error: {}",
                leakgate::report::escape::text(&message)
            );
            ExitCode::from(2)
        }
    }
}
