//! Converts the built-in `patterns.toml` to JSON at build time: the binary then deserializes
//! JSON (a fraction of a millisecond) instead of parsing TOML on every start, which matters for a
//! pre-commit hook. Each rule keeps the line of its `[[rule]]` header for error messages.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=patterns.toml");
    let text = std::fs::read_to_string("patterns.toml").expect("patterns.toml is readable");
    let doc: toml::Table = match toml::from_str(&text) {
        Ok(d) => d,
        Err(e) => panic!("patterns.toml does not parse: {e}"),
    };
    for key in doc.keys() {
        assert_eq!(
            key, "rule",
            "patterns.toml may only hold [[rule]] tables, found '{key}'"
        );
    }
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[rule]]")
        .map(|(i, _)| i + 1)
        .collect();
    let rules = doc
        .get("rule")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        rules.len(),
        lines.len(),
        "every rule starts with a `[[rule]]` line"
    );
    let entries: Vec<serde_json::Value> = rules
        .iter()
        .zip(lines)
        .map(|(r, line)| {
            serde_json::json!({
                "line": line,
                "column": 1,
                "spec": serde_json::to_value(r).expect("TOML values convert to JSON"),
            })
        })
        .collect();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("patterns.json");
    std::fs::write(out, serde_json::to_string(&entries).expect("JSON"))
        .expect("write patterns.json");
}
