//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding.

use super::escape::lines;
use super::{Level, Report};
use crate::rules::Severity;
use std::io::Write;

/// Escape a workflow-command property value (control characters and bidi overrides shown
/// visibly first: the Actions log is a terminal too).
fn prop(s: &str) -> String {
    lines(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(':', "%3A")
        .replace(',', "%2C")
}

/// Escape a workflow-command message.
fn data(s: &str) -> String {
    lines(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub fn write(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    for f in &report.findings {
        let cmd = match f.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "notice",
        };
        let mut msg = format!(
            "{} ({}): {} — {}",
            f.description,
            f.rule_id,
            f.secret,
            f.exposure.explain()
        );
        if let Some(c) = &f.commit {
            msg.push_str(&format!(
                "; introduced in {} by {}",
                &c.id[..c.id.len().min(12)],
                c.author
            ));
        }
        if !f.rotation.url.is_empty() {
            msg.push_str(&format!(". Rotate: {}", f.rotation.url));
        }
        if f.path.is_empty() {
            writeln!(
                out,
                "::{cmd} title={}::{}",
                prop(&format!("Secret in {}", f.source_label())),
                data(&msg)
            )?;
        } else {
            writeln!(
                out,
                "::{cmd} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                prop(&f.path),
                f.line,
                f.column,
                f.end_line,
                f.end_column,
                prop(&format!("Secret: {}", f.rule_id)),
                data(&msg)
            )?;
        }
    }
    let s = &report.summary;
    for n in s.notices() {
        let cmd = match n.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "notice",
        };
        match &n.location {
            Some((path, line)) => writeln!(
                out,
                "::{cmd} file={},line={line},title=leakgate::{}",
                prop(path),
                data(&n.text)
            )?,
            None => writeln!(out, "::{cmd} title=leakgate::{}", data(&n.text))?,
        }
    }
    writeln!(
        out,
        "leakgate: {} finding(s), {} file(s)/blob(s) scanned{}",
        s.findings,
        s.files_scanned,
        if s.incomplete {
            ", INCOMPLETE scan"
        } else {
            ""
        }
    )
}
