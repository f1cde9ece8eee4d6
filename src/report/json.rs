//! `json` (one document, DESIGN.md schema version 1) and `jsonl` (one finding per line, then the
//! summary) formats.

use super::Report;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

const TOOL: Tool = Tool {
    name: "leakgate",
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    summary: &'a super::Summary,
    findings: &'a [crate::finding::Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    secrets: Option<&'a [crate::audit::AuditSecret]>,
}

pub fn write(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let doc = Document {
        version: 1,
        tool: TOOL,
        summary: &report.summary,
        findings: &report.findings,
        secrets: report.secrets.as_deref(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

pub fn write_lines(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    for f in &report.findings {
        serde_json::to_writer(&mut *out, f)?;
        writeln!(out)?;
    }
    #[derive(Serialize)]
    struct Line<'a> {
        version: u32,
        tool: Tool,
        summary: &'a super::Summary,
    }
    serde_json::to_writer(
        &mut *out,
        &Line {
            version: 1,
            tool: TOOL,
            summary: &report.summary,
        },
    )?;
    writeln!(out)
}
