//! Fuzz the rule/config parser and validator with arbitrary TOML text: every input is either a
//! valid rule set or a one-line error; never a panic.
#![no_main]

use leakgate::rules::{LoadedFile, RuleSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match LoadedFile::parse("fuzz.toml", text, true) {
        Ok(file) => {
            if let Ok(builtin) = LoadedFile::builtin() {
                let _ = RuleSet::build(vec![builtin, file]);
            }
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "error messages are one line"),
    }
});
