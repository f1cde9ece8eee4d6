//! `leakgate staged`: the pre-commit check. Scans the staged blobs that differ from HEAD and
//! reports only secrets on lines the commit adds.

use super::{Completion, Outcome, complete};
use crate::cli::StagedArgs;
use crate::config::{self, OutputConfig};
use crate::engine::Scanner;
use crate::finding::{self, Exposure, SourceKind};
use crate::report::{Report, Summary};
use crate::source::worktree::BINARY_PROBE;
use crate::source::{git, staged};
use anyhow::{Result, anyhow};
use std::path::PathBuf;

/// The line containing byte `pos`, without its terminator.
fn line_at(buf: &[u8], pos: usize) -> &[u8] {
    let start = memchr::memrchr(b'\n', &buf[..pos]).map_or(0, |p| p + 1);
    let end = memchr::memchr(b'\n', &buf[pos..]).map_or(buf.len(), |p| pos + p);
    let line = &buf[start..end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

pub(super) fn run(args: StagedArgs) -> Result<Outcome> {
    let out = OutputConfig::from_args(&args.output);
    let start = args.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let repo = git::discover(&start)?
        .ok_or_else(|| anyhow!("'{}' is not inside a git repository", start.display()))?;
    let rules = config::load_rules(&args.config, repo.workdir())?;
    let staged = staged::read(&repo, args.max_file_size)?;
    let mut scanner = Scanner::new(&rules);
    let mut findings = Vec::new();
    let (mut bytes, mut binary) = (0u64, 0u64);
    for file in &staged.files {
        let probe = &file.content[..file.content.len().min(BINARY_PROBE)];
        if memchr::memchr(0, probe).is_some() {
            binary += 1;
            continue;
        }
        bytes += file.content.len() as u64;
        let mut matches = scanner.scan(&file.content);
        matches.retain(|m| !file.base_lines.contains(line_at(&file.content, m.start)));
        let mut fs = finding::from_matches(
            &rules,
            &file.content,
            &matches,
            &file.path,
            SourceKind::File,
            Exposure::Staged,
            &out.finding,
        );
        for f in &mut fs {
            f.repo_path = Some(file.path.clone());
            f.blob = Some(file.id.to_string());
        }
        findings.extend(fs);
    }
    let (findings, suppressed) = finding::apply_allowlists(&rules, findings);
    let report = Report {
        findings,
        summary: Summary {
            files_scanned: staged.files.len() as u64 - binary,
            bytes_scanned: bytes,
            skipped: binary + staged.skipped_submodules,
            skipped_by_reason: [
                ("binary".to_string(), binary),
                ("submodule".to_string(), staged.skipped_submodules),
            ]
            .into_iter()
            .collect(),
            suppressed_by_allowlist: suppressed,
            ..Summary::default()
        },
        ..Report::default()
    };
    complete(
        report,
        Completion {
            command: "staged",
            rules: &rules,
            config: &args.config,
            root: repo.workdir(),
            full_coverage: false,
        },
        &out,
    )
}
