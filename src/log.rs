//! Debug logging on stderr, switched on with `LEAKGATE_LOG=debug`: which rule files were loaded,
//! how much was walked or decoded, what was skipped or unreadable and how long each command took.
//! It names files, objects and rule ids, never anything read from them.

use std::sync::OnceLock;

/// Is debug logging on (`LEAKGATE_LOG=debug`)?
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("LEAKGATE_LOG").is_ok_and(|v| v.eq_ignore_ascii_case("debug")))
}

/// Write one debug line (use the [`debug!`](crate::debug) macro).
pub fn write(args: std::fmt::Arguments<'_>) {
    if enabled() {
        // Lines name files and refs a repository chooses: shown safely.
        eprintln!(
            "leakgate: debug: {}",
            crate::report::escape::text(&args.to_string())
        );
    }
}

/// `debug!("{} rules", n)`: a debug line when `LEAKGATE_LOG=debug`, nothing otherwise.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::enabled() {
            $crate::log::write(format_args!($($arg)*))
        }
    };
}
