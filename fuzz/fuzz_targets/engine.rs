//! Fuzz the matching engine: arbitrary bytes through the built-in rules (keyword automaton,
//! windows, regexes, filters, base64 decoding) and finding construction (line/column, redaction,
//! fingerprints). Must never panic, and every match must lie inside the input.
#![no_main]

use leakgate::engine::Scanner;
use leakgate::finding::{self, Exposure, FindingOptions, SourceKind};
use leakgate::rules::RuleSet;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::load(&[]).expect("built-in rules load"))
}

fuzz_target!(|data: &[u8]| {
    let rules = rules();
    let mut scanner = Scanner::new(rules);
    let matches = scanner.scan(data);
    for m in &matches {
        assert!(m.start <= m.end && m.end <= data.len());
    }
    let findings = finding::from_matches(
        rules,
        data,
        &matches,
        "fuzz",
        SourceKind::File,
        Exposure::File,
        &FindingOptions::default(),
    );
    assert!(findings.len() <= matches.len());
});
