//! Audit reports: the rotation plan as a terminal report, as markdown for a ticket or PR
//! comment, and as one self-contained HTML page (inline CSS and SVG, no external assets, no
//! scripts) with a summary, the plan and a timeline of exposures.

use super::escape::text;
use super::markdown::{cell, code, link, prose};
use super::{Level, RenderOptions, Report};
use crate::audit::{AuditSecret, Risk};
use colored::Colorize;
use std::io::Write;

fn secrets(report: &Report) -> &[AuditSecret] {
    report.secrets.as_deref().unwrap_or(&[])
}

fn counts(report: &Report) -> Vec<(Risk, usize)> {
    [
        Risk::Pushed,
        Risk::Committed,
        Risk::LocalOnly,
        Risk::Unreachable,
    ]
    .into_iter()
    .map(|r| (r, secrets(report).iter().filter(|s| s.risk == r).count()))
    .collect()
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// One line on where a secret has been, in words (repository text shown safely: [`text`]).
pub fn exposure_sentence(s: &AuditSecret) -> String {
    let mut parts = Vec::new();
    match &s.first_exposure {
        Some(fe) => parts.push(format!(
            "first committed {} by {} in {} ({})",
            text(&fe.date),
            text(&fe.author),
            text(short(&fe.commit)),
            if fe.path.is_empty() {
                "a commit message".into()
            } else {
                text(&fe.path)
            }
        )),
        None => parts.push("never committed".to_string()),
    }
    if s.on_disk {
        parts.push("present on disk".to_string());
    }
    if s.ever_committed {
        parts.push(
            if s.in_head {
                "still in HEAD"
            } else {
                "no longer in HEAD"
            }
            .to_string(),
        );
        if s.pushed {
            parts.push("pushed to a remote".to_string());
        }
    }
    parts.join("; ")
}

pub fn write_human(
    report: &Report,
    opts: RenderOptions,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let list = secrets(report);
    let c: Vec<String> = counts(report)
        .iter()
        .map(|(r, n)| format!("{n} {}", r.as_str()))
        .collect();
    writeln!(
        out,
        "{} {}: {} secret{} ({})",
        "leakgate audit".bold(),
        text(&report.target),
        list.len(),
        if list.len() == 1 { "" } else { "s" },
        c.join(", ")
    )?;
    if !opts.quiet {
        for (i, s) in list.iter().enumerate() {
            writeln!(out)?;
            let risk = match s.risk {
                Risk::Pushed => s.risk.as_str().to_uppercase().red().bold(),
                Risk::Committed => s.risk.as_str().to_uppercase().red(),
                Risk::LocalOnly => s.risk.as_str().to_uppercase().yellow(),
                Risk::Unreachable => s.risk.as_str().to_uppercase().normal(),
            };
            writeln!(
                out,
                "{}. [{risk}] {} {} {} ({})",
                i + 1,
                s.severity.as_str(),
                text(&s.rule_id).cyan(),
                text(&s.secret).magenta(),
                text(&s.provider)
            )?;
            writeln!(out, "   {}", s.risk.explain())?;
            writeln!(out, "   {}", exposure_sentence(s))?;
            for l in &s.locations {
                let commit = l
                    .commit
                    .as_ref()
                    .map_or(String::new(), |c| format!(" in {}", text(short(&c.id))));
                let path = if l.path.is_empty() {
                    l.source.to_string()
                } else {
                    format!("{}:{}", text(&l.path), l.line)
                };
                writeln!(
                    out,
                    "   - {} {path} ({}){commit}",
                    l.kind,
                    l.exposure.as_str()
                )?;
            }
            writeln!(out, "   {} {}", "rotate:".bold(), text(&s.rotation.url))?;
            for (n, step) in s.rotation.steps.iter().enumerate() {
                writeln!(out, "     {}. {}", n + 1, text(step))?;
            }
            writeln!(
                out,
                "   {} {}",
                "afterwards:".bold(),
                text(&s.rotation.check_afterwards)
            )?;
            if !s.rotation.cleanup.is_empty() {
                writeln!(
                    out,
                    "   {} {}",
                    "clean history:".bold(),
                    text(&s.rotation.cleanup_note)
                )?;
                for line in &s.rotation.cleanup {
                    writeln!(out, "     {}", text(line))?;
                }
            }
        }
    }
    writeln!(out)?;
    if let Some(f) = &report.replacements_file {
        writeln!(
            out,
            "replacements file for git filter-repo / BFG: {} (mode 0600; it holds the secrets: delete it when done)",
            text(f)
        )?;
    } else if list.iter().any(|s| s.ever_committed) {
        writeln!(
            out,
            "no replacements file written: `leakgate audit --replacements FILE` writes the one the clean-up commands read (mode 0600; it holds the secrets in clear: delete it when done)"
        )?;
    }
    let s = &report.summary;
    writeln!(
        out,
        "{} working-tree files and {} git objects scanned; {} finding location(s)",
        s.files_scanned,
        s.objects_scanned.unwrap_or(0),
        s.findings
    )?;
    let notices = s.notices();
    for n in notices.iter().filter(|n| n.level == Level::Error) {
        writeln!(out, "{} {}", "error:".red().bold(), text(&n.text))?;
    }
    super::human::write_notices(&notices, out)
}

pub fn write_markdown(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let list = secrets(report);
    writeln!(out, "# leakgate audit: {}", cell(&report.target))?;
    writeln!(out)?;
    let c: Vec<String> = counts(report)
        .iter()
        .map(|(r, n)| format!("**{n}** {}", r.as_str()))
        .collect();
    writeln!(
        out,
        "{} secret{}: {}.",
        list.len(),
        if list.len() == 1 { "" } else { "s" },
        c.join(", ")
    )?;
    if report.summary.incomplete {
        writeln!(
            out,
            "\n> **Incomplete audit**: {} error(s); this does not prove the absence of secrets.",
            report.summary.errors
        )?;
    }
    super::markdown::write_notices(&report.summary.notices(), out)?;
    writeln!(out)?;
    writeln!(out, "## Rotation plan\n")?;
    writeln!(
        out,
        "| # | risk | severity | secret | provider | exposure |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for (i, s) in list.iter().enumerate() {
        writeln!(
            out,
            "| {} | {} | {} | {} {} | {} | {} |",
            i + 1,
            s.risk.as_str(),
            s.severity.as_str(),
            code(&s.rule_id, true),
            code(&s.secret, true),
            cell(&s.provider),
            cell(&exposure_sentence(s))
        )?;
    }
    for (i, s) in list.iter().enumerate() {
        writeln!(
            out,
            "\n### {}. {} {} ({})\n",
            i + 1,
            cell(&s.description),
            code(&s.secret, false),
            s.risk.as_str()
        )?;
        writeln!(out, "{}\n", s.risk.explain())?;
        writeln!(out, "Locations:\n")?;
        for l in &s.locations {
            let commit = l.commit.as_ref().map_or(String::new(), |c| {
                format!(" in {}", code(short(&c.id), false))
            });
            let path = if l.path.is_empty() {
                l.source.to_string()
            } else {
                code(&format!("{}:{}", l.path, l.line), false)
            };
            writeln!(out, "- {} {path} ({}){commit}", l.kind, l.exposure.as_str())?;
        }
        writeln!(
            out,
            "\nRotate ({}):\n",
            link(&s.provider, &s.rotation.url, false)
        )?;
        for (n, step) in s.rotation.steps.iter().enumerate() {
            writeln!(out, "{}. {}", n + 1, prose(step))?;
        }
        writeln!(out, "\nAfterwards: {}", prose(&s.rotation.check_afterwards))?;
        if !s.rotation.cleanup.is_empty() {
            writeln!(
                out,
                "\nHistory clean-up: {}\n",
                prose(&s.rotation.cleanup_note)
            )?;
            for line in &s.rotation.cleanup {
                writeln!(out, "- {}", code(line, false))?;
            }
        }
    }
    Ok(())
}

/// HTML-escaped, with control characters and bidirectional controls shown as text first (see
/// [`super::escape::text`]): a browser renders neither, so a name could read as another.
fn esc(s: &str) -> String {
    super::escape::text(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn risk_color(r: Risk) -> &'static str {
    match r {
        Risk::Pushed => "#b91c1c",
        Risk::Committed => "#ea580c",
        Risk::LocalOnly => "#ca8a04",
        Risk::Unreachable => "#64748b",
    }
}

/// Days since the epoch of an RFC 3339 date's calendar day (UTC offset ignored).
fn day_number(date: &str) -> Option<i64> {
    let y: i64 = date.get(0..4)?.parse().ok()?;
    let m: i64 = date.get(5..7)?.parse().ok()?;
    let d: i64 = date.get(8..10)?.parse().ok()?;
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// An SVG timeline: one row per committed secret, from its first exposure to today.
fn timeline(list: &[AuditSecret], today: i64) -> String {
    let rows: Vec<(&AuditSecret, i64)> = list
        .iter()
        .filter_map(|s| {
            s.first_exposure
                .as_ref()
                .and_then(|f| day_number(&f.date))
                .map(|d| (s, d))
        })
        .collect();
    if rows.is_empty() {
        return "<p>No secret was ever committed, so there is no history timeline.</p>".to_string();
    }
    let start = rows.iter().map(|r| r.1).min().unwrap_or(today);
    let end = today.max(start + 1);
    let (w, left, row_h) = (860.0_f64, 230.0_f64, 26.0_f64);
    let x = |d: i64| left + (w - left - 20.0) * ((d - start) as f64 / (end - start) as f64);
    let h = 40.0 + row_h * rows.len() as f64;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Exposure timeline\" viewBox=\"0 0 {w} {h}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, (s, d)) in rows.iter().enumerate() {
        let y = 20.0 + row_h * i as f64;
        let color = risk_color(s.risk);
        let date = s
            .first_exposure
            .as_ref()
            .map_or("", |f| f.date.get(0..10).unwrap_or(""));
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"12\" fill=\"#0f172a\">{}</text>",
            y + 4.0,
            esc(&format!("{} {}", s.rule_id, s.secret))
        ));
        svg.push_str(&format!(
            "<line x1=\"{:.1}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"6\" stroke-linecap=\"round\" opacity=\"0.75\"/>",
            x(*d),
            x(end)
        ));
        svg.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{y}\" r=\"6\" fill=\"{color}\"><title>{}</title></circle>",
            x(*d),
            esc(&format!("first exposed {date}"))
        ));
    }
    let axis_y = h - 8.0;
    svg.push_str(&format!(
        "<text x=\"{left}\" y=\"{axis_y}\" font-size=\"11\" fill=\"#475569\">{}</text><text x=\"{:.1}\" y=\"{axis_y}\" font-size=\"11\" fill=\"#475569\" text-anchor=\"end\">today</text></svg>",
        esc(&crate::source::graph::rfc3339(start * 86_400, 0)[..10]),
        w - 20.0
    ));
    svg
}

/// One secret's section of the HTML page: where it is, how to rotate it, how to clean history.
fn write_html_secret(n: usize, s: &AuditSecret, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "<section class=\"secret\"><h3>{}. {} <code>{}</code> <span class=\"risk\" style=\"background:{}\">{}</span></h3>",
        n,
        esc(&s.description),
        esc(&s.secret),
        risk_color(s.risk),
        s.risk.as_str()
    )?;
    writeln!(out, "<p>{}</p><ul>", esc(s.risk.explain()))?;
    for l in &s.locations {
        let commit = l.commit.as_ref().map_or(String::new(), |c| {
            format!(" in <code>{}</code>", esc(short(&c.id)))
        });
        let path = if l.path.is_empty() {
            esc(l.source)
        } else {
            format!("<code>{}:{}</code>", esc(&l.path), l.line)
        };
        writeln!(
            out,
            "<li>{} {path} ({}){commit}</li>",
            l.kind,
            l.exposure.as_str()
        )?;
    }
    writeln!(
        out,
        "</ul><p><b>Rotate</b> at <a href=\"{0}\">{0}</a>:</p><ol>",
        esc(&s.rotation.url)
    )?;
    for step in &s.rotation.steps {
        writeln!(out, "<li>{}</li>", esc(step))?;
    }
    writeln!(
        out,
        "</ol><p><b>Afterwards:</b> {}</p>",
        esc(&s.rotation.check_afterwards)
    )?;
    if !s.rotation.cleanup.is_empty() {
        writeln!(
            out,
            "<p><b>History clean-up.</b> {}</p><ul>",
            esc(&s.rotation.cleanup_note)
        )?;
        for line in &s.rotation.cleanup {
            writeln!(out, "<li><code>{}</code></li>", esc(line))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</section>")?;
    Ok(())
}

pub fn write_html(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let list = secrets(report);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let today = now.div_euclid(86_400);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>leakgate audit: {}</title><style>\
body{{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#0f172a;margin:2rem auto;max-width:60rem;padding:0 1rem}}\
h1{{font-size:1.6rem;margin-bottom:.2rem}} .muted{{color:#475569}}\
.cards{{display:flex;gap:.75rem;margin:1rem 0}} .card{{flex:1;border-radius:8px;padding:.7rem 1rem;color:#fff}}\
.card b{{font-size:1.6rem;display:block}}\
table{{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}} th,td{{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e2e8f0;vertical-align:top}}\
th{{background:#f8fafc}} code{{background:#f1f5f9;padding:0 .25rem;border-radius:3px}}\
.risk{{display:inline-block;border-radius:4px;color:#fff;padding:0 .4rem;font-size:.8rem;font-weight:600}}\
section.secret{{border:1px solid #e2e8f0;border-radius:8px;padding: .5rem 1rem;margin:1rem 0}}\
.warn{{background:#fef2f2;border-left:4px solid #b91c1c;padding:.4rem .8rem}}\
</style></head><body>\n",
        esc(&report.target)
    )?;
    writeln!(
        out,
        "<h1>leakgate audit</h1><p class=\"muted\">{} &middot; generated {} &middot; leakgate {}</p>",
        esc(&report.target),
        esc(&crate::source::graph::rfc3339(now, 0)),
        env!("CARGO_PKG_VERSION")
    )?;
    if report.summary.incomplete {
        writeln!(
            out,
            "<p class=\"warn\"><b>Incomplete audit:</b> {} error(s); this report does not prove the absence of secrets.</p>",
            report.summary.errors
        )?;
    }
    let notices = report.summary.notices();
    if !notices.is_empty() {
        writeln!(out, "<ul class=\"notices\">")?;
        for n in &notices {
            let class = match n.level {
                Level::Error | Level::Warning => " class=\"warn\"",
                Level::Note => "",
            };
            writeln!(out, "<li{class}>{}</li>", esc(&n.text))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "<div class=\"cards\">")?;
    for (r, n) in counts(report) {
        writeln!(
            out,
            "<div class=\"card\" style=\"background:{}\"><b>{n}</b>{}</div>",
            risk_color(r),
            r.as_str()
        )?;
    }
    writeln!(out, "</div>")?;
    writeln!(
        out,
        "<h2>Timeline of exposure</h2>{}",
        timeline(list, today)
    )?;
    writeln!(
        out,
        "<h2>Rotation plan</h2><p class=\"muted\">Ordered by risk (pushed &gt; committed &gt; local only &gt; unreachable), then severity. Rotate before rewriting history: a rewrite does not un-expose a pushed secret.</p>"
    )?;
    writeln!(
        out,
        "<table><tr><th>#</th><th>risk</th><th>severity</th><th>secret</th><th>provider</th><th>exposure</th></tr>"
    )?;
    for (i, s) in list.iter().enumerate() {
        writeln!(
            out,
            "<tr><td>{}</td><td><span class=\"risk\" style=\"background:{}\">{}</span></td><td>{}</td><td><code>{}</code><br><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            i + 1,
            risk_color(s.risk),
            s.risk.as_str(),
            s.severity.as_str(),
            esc(&s.rule_id),
            esc(&s.secret),
            esc(&s.provider),
            esc(&exposure_sentence(s))
        )?;
    }
    writeln!(out, "</table>")?;
    for (i, s) in list.iter().enumerate() {
        write_html_secret(i + 1, s, out)?;
    }
    let s = &report.summary;
    writeln!(
        out,
        "<p class=\"muted\">{} working-tree files and {} objects scanned. Secrets are redacted in this page.</p></body></html>",
        s.files_scanned,
        s.objects_scanned.unwrap_or(0)
    )
}
