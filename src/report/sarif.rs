//! SARIF 2.1.0 for code scanning: one reporting descriptor per rule in effect (help URI = the
//! rotation page), one result per finding with its physical location (and, for history findings,
//! the commit in `properties`), and the leakgate fingerprint in `partialFingerprints`. Secrets are
//! whatever the finding carries: redacted unless `--show-secrets`.

use super::escape;
use super::{Level, Report};
use crate::finding::Finding;
use crate::rules::Severity;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub code scanning's 0.0-10.0 severity scale.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn result(f: &Finding, rule_index: Option<usize>) -> Value {
    let where_ = if f.path.is_empty() {
        format!(" in a {}", f.source_label())
    } else {
        String::new()
    };
    let mut r = json!({
        "ruleId": f.rule_id,
        "level": level(f.severity),
        "message": {"text": format!("{} found{where_}: {} (exposure: {})", f.description, f.secret, f.exposure.as_str())},
        "partialFingerprints": {"leakgate/v1": f.fingerprint},
        "properties": {
            "exposure": f.exposure.as_str(),
            "confidence": f.confidence.as_str(),
            "source": f.source_label(),
            "secret": f.secret,
        }
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    if f.path.is_empty() {
        let id = f.commit.as_ref().map_or("unknown", |c| c.id.as_str());
        r["locations"] = json!([{"logicalLocations": [{"name": id, "kind": "commit", "fullyQualifiedName": format!("{}:{id}", f.source_label())}]}]);
    } else {
        r["locations"] = json!([{
            "physicalLocation": {
                "artifactLocation": {"uri": uri_reference(&f.path), "uriBaseId": "%SRCROOT%"},
                "region": {
                    "startLine": f.line.max(1),
                    "startColumn": f.column.max(1),
                    "endLine": f.end_line.max(f.line).max(1),
                    "endColumn": f.end_column.max(1),
                }
            }
        }]);
    }
    if let Some(c) = &f.commit {
        r["properties"]["commit"] = json!({
            "id": c.id, "author": c.author, "email": c.email, "date": c.date,
            "summary": c.summary, "refs": c.refs, "in_head": c.in_head, "pushed": c.pushed,
        });
    }
    if let Some(b) = &f.blob {
        r["properties"]["blob"] = json!(b);
    }
    r
}

/// A path as a relative URI reference: `/` separators, everything outside RFC 3986's unreserved
/// set percent-encoded.
fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SARIF document as a JSON value.
pub fn document(report: &Report) -> Value {
    let index: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|r| {
            let mut help = format!("Rotate an exposed {}:\n", r.description);
            for (i, s) in r.rotation.steps.iter().enumerate() {
                help.push_str(&format!("{}. {s}\n", i + 1));
            }
            let mut d = json!({
                "id": r.id,
                "name": r.id.split(['-', '_', '.']).map(|w| {
                    let mut c = w.chars();
                    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
                }).collect::<String>(),
                "shortDescription": {"text": r.description},
                "fullDescription": {"text": format!("{} ({})", r.description, r.provider)},
                "help": {"text": help},
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {
                    "tags": ["security", "secret", r.provider],
                    "security-severity": security_severity(r.severity),
                    "precision": "high"
                }
            });
            if r.rotation.url.starts_with("http") {
                d["helpUri"] = json!(r.rotation.url);
            }
            d
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, index.get(f.rule_id.as_str()).copied()))
        .collect();
    let s = &report.summary;
    let mut doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "leakgate",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/leakgate/leakgate",
                "rules": rules,
            }},
            "automationDetails": {"id": format!("leakgate/{}/", if report.command.is_empty() { "scan" } else { &report.command })},
            "invocations": [{
                "executionSuccessful": !s.incomplete,
                "toolExecutionNotifications": s.notices().iter().map(|n| json!({
                    "level": match n.level {
                        Level::Error => "error",
                        Level::Warning => "warning",
                        Level::Note => "note",
                    },
                    "message": {"text": n.text}
                })).collect::<Vec<_>>(),
            }],
            "results": results,
            "properties": {"summary": serde_json::to_value(s).unwrap_or(Value::Null)},
        }]
    });
    escape_strings(&mut doc);
    doc
}

/// Every string in the document (keys too: allowlist labels are keys) with control characters
/// and bidi overrides shown visibly ([`escape::lines`]: line breaks, which JSON escapes and rule
/// help uses, stay): SARIF viewers display paths, commit summaries, author names and ref names as
/// they are. Artifact URIs are percent-encoded already.
fn escape_strings(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(e) = escape::lines(s) {
                *s = e;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(escape_strings),
        Value::Object(m) => {
            let entries = std::mem::take(m);
            for (k, mut v) in entries {
                escape_strings(&mut v);
                m.insert(escape::text(&k).into_owned(), v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

pub fn write(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(report))?;
    writeln!(out)
}
