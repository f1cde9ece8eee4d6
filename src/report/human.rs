//! The terminal report: findings grouped by file, redacted secret, rule, exposure, one rotation
//! hint, then a summary line with counts by exposure. Colour is decided by the caller.

use super::escape::{shell, text};
use super::{Level, Notice, RenderOptions, Report, Summary};
use crate::finding::Finding;
use crate::rules::Severity;
use crate::source::SourceKind;
use colored::Colorize;
use std::io::Write;

pub fn write(report: &Report, opts: RenderOptions, out: &mut impl Write) -> std::io::Result<()> {
    let mut current: Option<&str> = None;
    for f in &report.findings {
        if opts.quiet {
            break;
        }
        if current != Some(f.path.as_str()) {
            if current.is_some() {
                writeln!(out)?;
            }
            let name = if f.path.is_empty() {
                "(message)"
            } else {
                &f.path
            };
            writeln!(out, "{}", text(name).bold().underline())?;
            current = Some(f.path.as_str());
        }
        write_finding(f, out)?;
    }
    if !report.findings.is_empty() && !opts.quiet {
        writeln!(out)?;
    }
    write_staged_advice(report, opts, out)?;
    write_summary(&report.summary, out)
}

/// One finding, below its file's name.
fn write_finding(f: &Finding, out: &mut impl Write) -> std::io::Result<()> {
    let sev = match f.severity {
        Severity::Critical => f.severity.as_str().red().bold(),
        Severity::High => f.severity.as_str().red(),
        Severity::Medium => f.severity.as_str().yellow(),
        Severity::Low => f.severity.as_str().normal(),
    };
    writeln!(
        out,
        "  {:>5}:{:<3} {:<8} {}  {}",
        f.line,
        f.column,
        sev,
        text(&f.rule_id).cyan(),
        text(&f.secret).magenta()
    )?;
    let mut detail = format!(
        "{} ({} confidence)",
        text(&f.description),
        f.confidence.as_str()
    );
    if let Some(enc) = &f.encoding {
        detail.push_str(&format!(", {}-encoded", text(enc)));
    }
    writeln!(out, "              {detail}")?;
    // The explanation names the exposure itself ("committed: HEAD contains it").
    writeln!(out, "              {}", f.exposure.explain())?;
    if let Some(c) = &f.commit {
        writeln!(
            out,
            "              commit {} by {} <{}> on {}: {}",
            text(&c.id[..c.id.len().min(12)]),
            text(&c.author),
            text(&c.email),
            text(&c.date),
            text(&c.summary)
        )?;
    }
    if !f.rotation.url.is_empty() {
        writeln!(
            out,
            "              rotate: {}",
            text(&f.rotation.url).dimmed()
        )?;
    }
    Ok(())
}

/// Errors, the counts line, skipped folders, then every other notice (what was not scanned or
/// not listed, warnings, the incomplete warning, what suppressed how many findings).
fn write_summary(s: &Summary, out: &mut impl Write) -> std::io::Result<()> {
    let notices = s.notices();
    for n in notices.iter().filter(|n| n.level == Level::Error) {
        writeln!(out, "{} {}", "error:".red().bold(), text(&n.text))?;
    }
    writeln!(out, "{}", counts_line(s))?;
    if !s.skipped_dirs.is_empty() {
        writeln!(
            out,
            "skipped {} dependency/cache folder{}: {} (scan them with --include-deps)",
            s.skipped_dirs.len(),
            if s.skipped_dirs.len() == 1 { "" } else { "s" },
            text(&folder_summary(&s.skipped_dirs))
        )?;
    }
    write_notices(&notices, out)
}

/// The warnings and notes of a report, one per line (errors are shown first, elsewhere).
pub(super) fn write_notices(notices: &[Notice], out: &mut impl Write) -> std::io::Result<()> {
    for n in notices {
        match n.level {
            Level::Error => {}
            Level::Warning => writeln!(out, "{}", text(&n.text).yellow().bold())?,
            Level::Note => writeln!(out, "{}", text(&n.text))?,
        }
    }
    Ok(())
}

/// "N secrets found (by exposure) · files, bytes scanned · skipped · unreadable".
fn counts_line(s: &Summary) -> String {
    let by_exp: Vec<String> = s
        .by_exposure
        .iter()
        // `file` (not inside a repository) reads as a count of files here; say what it means.
        .map(|(k, v)| match k.as_str() {
            "file" => format!("{v} outside git"),
            _ => format!("{v} {k}"),
        })
        .collect();
    let mut line = match s.findings {
        0 => "no secrets found".green().bold().to_string(),
        1 => "1 secret found".red().bold().to_string(),
        n => format!("{n} secrets found").red().bold().to_string(),
    };
    if !by_exp.is_empty() {
        line.push_str(&format!(" ({})", by_exp.join(", ")));
    }
    line.push_str(&format!(
        " · {} file{}, {} scanned",
        s.files_scanned,
        if s.files_scanned == 1 { "" } else { "s" },
        human_bytes(s.bytes_scanned)
    ));
    if s.skipped > 0 {
        let reasons: Vec<String> = s
            .skipped_by_reason
            .iter()
            .filter(|(_, v)| **v > 0)
            .map(|(k, v)| format!("{v} {}", k.replace('_', " ")))
            .collect();
        line.push_str(&format!(
            " · {} skipped ({})",
            s.skipped,
            reasons.join(", ")
        ));
    }
    if s.errors > 0 {
        line.push_str(&format!(" · {} unreadable", s.errors));
    }
    line
}

/// What to do about secrets that are about to be committed.
fn write_staged_advice(
    report: &Report,
    opts: RenderOptions,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut files: Vec<&str> = report
        .findings
        .iter()
        // A staged file's finding; a commit message's (the commit-msg check) says its own.
        .filter(|f| f.exposure == crate::source::Exposure::Staged && f.source == SourceKind::File)
        .map(|f| f.path.as_str())
        .collect();
    if files.is_empty() || opts.quiet {
        return Ok(());
    }
    files.dedup();
    writeln!(
        out,
        "{}",
        "The next commit would contain these secrets. To keep them out:".bold()
    )?;
    for f in &files {
        writeln!(
            out,
            "  git restore --staged -- {}   # unstage (your working copy is kept)",
            shell(f)
        )?;
    }
    writeln!(
        out,
        "  then move each value into an ignored env file (e.g. .env, listed in .gitignore) and read it from the environment."
    )?;
    writeln!(
        out,
        "  False positive? Add `leakgate:allow` on the line (reviewers see it: every gate reports markers a change adds), or accept it into a baseline (`leakgate baseline`)."
    )?;
    writeln!(
        out,
        "  If a secret was ever pushed, shared or pasted elsewhere, rotate it: follow its `rotate:` link above."
    )?;
    writeln!(out)
}

/// "node_modules, target" for a few folders; "__pycache__ ×2950, node_modules ×3" for many.
fn folder_summary(dirs: &[String]) -> String {
    if dirs.len() <= 3 {
        return dirs.join(", ");
    }
    let mut by_name: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for d in dirs {
        let name = d.rsplit(['/', '\\']).next().unwrap_or(d);
        *by_name.entry(name).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = by_name.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(n, c)| format!("{n} \u{d7}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
