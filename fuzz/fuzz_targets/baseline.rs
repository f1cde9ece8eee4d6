//! Fuzz the baseline reader: arbitrary bytes are a valid baseline or a clear error, never a panic.
#![no_main]

use leakgate::baseline::Baseline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(b) = Baseline::parse("fuzz.json", text) {
        // A parsed baseline serializes and parses back to itself.
        let again = Baseline::parse("again.json", &b.to_json()).expect("round trip");
        assert_eq!(again, b);
    }
});
