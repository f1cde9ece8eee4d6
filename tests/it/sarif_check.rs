//! SARIF 2.1.0 validation for tests: a typed round trip through `serde-sarif` (types generated
//! from the OASIS JSON schema: a document that deserializes has every required property with the
//! right type, and nothing is lost re-serializing it), plus the constraints of the specification
//! the schema cannot express (rule references, 1-based regions, relative URIs).

use serde_json::Value;

/// Drop nulls so a round trip can be compared structurally.
fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

pub fn validate(text: &str) {
    let doc: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let typed: serde_sarif::sarif::Sarif =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not SARIF 2.1.0: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(
        strip_nulls(&back),
        strip_nulls(&doc),
        "SARIF round trip lost or changed data"
    );

    assert_eq!(doc["version"], "2.1.0");
    let runs = doc["runs"].as_array().expect("runs");
    assert!(!runs.is_empty());
    for run in runs {
        let driver = &run["tool"]["driver"];
        assert!(driver["name"].is_string());
        let rules = driver["rules"].as_array().cloned().unwrap_or_default();
        let mut ids = std::collections::HashSet::new();
        for r in &rules {
            assert!(
                ids.insert(r["id"].as_str().unwrap().to_string()),
                "duplicate rule id"
            );
            if let Some(u) = r["helpUri"].as_str() {
                assert!(u.starts_with("https://") || u.starts_with("http://"), "{u}");
            }
        }
        for res in run["results"].as_array().expect("results") {
            assert!(
                res["message"]["text"].is_string(),
                "§3.27.11: result.message is required"
            );
            let level = res["level"].as_str().unwrap_or("warning");
            assert!(
                ["none", "note", "warning", "error"].contains(&level),
                "§3.27.10"
            );
            let rule_id = res["ruleId"].as_str().expect("ruleId");
            if let Some(i) = res["ruleIndex"].as_u64() {
                assert_eq!(
                    rules[i as usize]["id"], rule_id,
                    "§3.27.6: ruleIndex must point at ruleId"
                );
            }
            for fp in res["partialFingerprints"].as_object().into_iter().flatten() {
                assert!(fp.1.is_string());
            }
            for loc in res["locations"].as_array().expect("locations") {
                if let Some(p) = loc.get("physicalLocation") {
                    let uri = p["artifactLocation"]["uri"].as_str().expect("uri");
                    assert!(
                        !uri.starts_with('/') && !uri.contains(' ') && !uri.contains('\\'),
                        "§3.4.3 relative URI reference: {uri}"
                    );
                    let r = &p["region"];
                    let (sl, sc) = (
                        r["startLine"].as_u64().unwrap(),
                        r["startColumn"].as_u64().unwrap(),
                    );
                    let (el, ec) = (
                        r["endLine"].as_u64().unwrap(),
                        r["endColumn"].as_u64().unwrap(),
                    );
                    assert!(sl >= 1 && sc >= 1, "§3.30.5: 1-based");
                    assert!(
                        el > sl || (el == sl && ec >= sc),
                        "§3.30: region end after start"
                    );
                } else {
                    assert!(
                        loc["logicalLocations"].is_array(),
                        "a location needs physical or logical"
                    );
                }
            }
        }
    }
}
