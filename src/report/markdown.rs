//! Markdown: a table of findings for a ticket, a PR comment or `$GITHUB_STEP_SUMMARY`.

use super::Report;
use std::io::Write;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn write(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let s = &report.summary;
    writeln!(
        out,
        "## leakgate: {} secret{} found",
        s.findings,
        if s.findings == 1 { "" } else { "s" }
    )?;
    writeln!(out)?;
    if s.incomplete {
        writeln!(
            out,
            "> **Incomplete scan**: {} error(s); this does not prove the absence of secrets.",
            s.errors
        )?;
        writeln!(out)?;
    }
    if !report.findings.is_empty() {
        writeln!(
            out,
            "| severity | rule | location | secret | exposure | commit | rotate |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|")?;
        for f in &report.findings {
            let loc = if f.path.is_empty() {
                f.source_label().to_string()
            } else {
                format!("`{}:{}`", f.path, f.line)
            };
            let commit = f.commit.as_ref().map_or(String::new(), |c| {
                format!("`{}` {}", &c.id[..c.id.len().min(10)], cell(&c.author))
            });
            let rotate = if f.rotation.url.is_empty() {
                String::new()
            } else {
                format!("[rotate]({})", f.rotation.url)
            };
            writeln!(
                out,
                "| {} | `{}` | {} | `{}` | {} | {} | {} |",
                f.severity.as_str(),
                f.rule_id,
                cell(&loc),
                cell(&f.secret),
                f.exposure.as_str(),
                commit,
                rotate
            )?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} file(s) or blob(s) scanned, {} bytes; {} skipped; {} rule(s).",
        s.files_scanned, s.bytes_scanned, s.skipped, s.rules
    )?;
    if let Some(b) = &s.baseline {
        writeln!(
            out,
            "Baseline `{}`: {} finding(s) suppressed, {} stale entr{}.",
            b.file,
            b.suppressed,
            b.stale.len(),
            if b.stale.len() == 1 { "y" } else { "ies" }
        )?;
    }
    for (label, n) in &s.suppressed_by_allowlist {
        writeln!(
            out,
            "Allowlist '{}' suppressed {n} finding(s).",
            cell(label)
        )?;
    }
    Ok(())
}
