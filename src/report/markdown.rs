//! Markdown: a table of findings for a ticket, a PR comment or `$GITHUB_STEP_SUMMARY`.

use super::escape::text;
use super::{Level, Notice, Report};
use std::io::Write;

/// Repository text on one markdown line: newlines as spaces, other control characters shown
/// visibly ([`text`]).
fn one_line(s: &str) -> String {
    text(&s.replace('\n', " ")).into_owned()
}

/// Repository text in a table cell or a sentence: nothing in it ends the cell (`|`), opens a
/// code span (`` ` ``), a link or image (`[`, `]`, `!`) or an HTML tag (`<`).
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        if matches!(c, '\\' | '|' | '`' | '[' | ']' | '!' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text written as markdown by its author (rotation steps and notes may use code spans), on one
/// line and with `|` escaped.
pub fn prose(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

/// Repository text as an inline code span, whatever backticks it holds (the fence is longer than
/// any run inside). `in_table`: `|` is escaped, as a table cell needs even inside code.
pub fn code(s: &str, in_table: bool) -> String {
    let mut s = one_line(s);
    if in_table {
        s = s.replace('|', "\\|");
    }
    let (mut run, mut longest) = (0, 0);
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A link to `url` when it is an http(s) URL (characters that would end the link
/// percent-encoded), else the URL as code.
pub fn link(label: &str, url: &str, in_table: bool) -> String {
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !web || url.chars().any(super::escape::is_unsafe) {
        return code(url, in_table);
    }
    let mut target = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' | '(' | ')' | '<' | '>' | '|' | '`' | '[' | ']' | '\\' => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    target.push_str(&format!("%{b:02X}"));
                }
            }
            c => target.push(c),
        }
    }
    format!("[{}]({target})", cell(label))
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
                code(&format!("{}:{}", f.path, f.line), true)
            };
            let commit = f.commit.as_ref().map_or(String::new(), |c| {
                format!(
                    "{} {}",
                    code(&c.id[..c.id.len().min(10)], true),
                    cell(&c.author)
                )
            });
            let rotate = if f.rotation.url.is_empty() {
                String::new()
            } else {
                link("rotate", &f.rotation.url, true)
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                f.severity.as_str(),
                code(&f.rule_id, true),
                loc,
                code(&f.secret, true),
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
            "Baseline {}: {} finding(s) suppressed, {} stale entr{}.",
            code(&b.file, false),
            b.suppressed,
            b.stale.len(),
            if b.stale.len() == 1 { "y" } else { "ies" }
        )?;
    }
    write_notices(&s.notices(), out)
}

/// Every notice of a report (errors, what was not scanned, warnings, suppressions) as a list.
pub fn write_notices(notices: &[Notice], out: &mut impl Write) -> std::io::Result<()> {
    if notices.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    for n in notices {
        let tag = match n.level {
            Level::Error => "**error**: ",
            Level::Warning => "**warning**: ",
            Level::Note => "",
        };
        writeln!(out, "- {tag}{}", cell(&n.text))?;
    }
    Ok(())
}
