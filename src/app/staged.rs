//! `leakgate staged`: the pre-commit check. Scans the staged blobs that differ from HEAD and
//! reports only secrets on lines the commit adds (for a secret over several lines: any of them).

use super::{Completion, Outcome, complete};
use crate::cli::StagedArgs;
use crate::config::{self, OutputConfig};
use crate::content::{self, Target};
use crate::engine::{Match, Scanner};
use crate::finding::{self, Finding};
use crate::report::{NotListed, Report, Skipped, Summary};
use crate::source::staged::LineKind;
use crate::source::worktree::{BINARY_PROBE, FileError};
use crate::source::{Exposure, SourceKind};
use crate::source::{blob, git, staged};
use anyhow::{Result, anyhow};
use std::path::PathBuf;

/// The span of the line containing byte `pos`, without its `\n`.
fn line_range(buf: &[u8], pos: usize) -> std::ops::Range<usize> {
    let start = memchr::memrchr(b'\n', &buf[..pos]).map_or(0, |p| p + 1);
    let end = memchr::memchr(b'\n', &buf[pos..]).map_or(buf.len(), |p| pos + p);
    start..end
}

/// Which of a multi-line secret's line kinds decides: added over reintroduced over old.
fn added_rank(kind: LineKind) -> u8 {
    match kind {
        LineKind::Old => 0,
        LineKind::Reintroduced => 1,
        LineKind::New => 2,
    }
}

pub(super) fn run(args: StagedArgs) -> Result<Outcome> {
    let out = OutputConfig::from_args(&args.output);
    let start = args.repo.clone().unwrap_or_else(|| PathBuf::from("."));
    let repo = git::discover(&start)?
        .ok_or_else(|| anyhow!("'{}' is not inside a git repository", start.display()))?;
    super::hook::warn_if_inactive(&repo);
    let rules = config::load_rules(&args.config, repo.workdir())?;
    let staged = staged::read(&repo)?;
    let mut scanner = Scanner::new(&rules);
    let mut tally = Tally::default();
    let mut head = Vec::new();
    for file in &staged.files {
        scan_file(
            &repo,
            &mut scanner,
            file,
            &args,
            &out,
            &mut head,
            &mut tally,
        )?;
    }
    let Tally {
        findings,
        bytes,
        binary,
        binary_paths,
        scanned,
        too_large,
        not_listed,
        errors,
    } = tally;
    let (findings, suppressed) =
        finding::apply_suppressions(rules.rules(), findings, out.finding.honour_inline);
    // A hook must never call clean what it did not read: skipped and unreadable files make
    // the check incomplete (exit 2 unless there are findings).
    let incomplete = !too_large.is_empty() || !errors.is_empty();
    let mut report = Report {
        findings,
        summary: Summary {
            files_scanned: scanned,
            bytes_scanned: bytes,
            skipped: binary + staged.skipped_submodules + too_large.len() as u64,
            skipped_by_reason: [
                ("binary".to_string(), binary),
                ("submodule".to_string(), staged.skipped_submodules),
                ("too_large".to_string(), too_large.len() as u64),
            ]
            .into_iter()
            .collect(),
            skipped_files: Skipped::too_large(&too_large),
            skipped_binary_files: binary_paths,
            not_listed,
            error_details: errors,
            incomplete,
            ..Summary::default()
        },
        ..Report::default()
    };
    report.summary.set_suppressions(suppressed);
    // Only added lines are scanned: every marker that suppressed something is new.
    super::gate::inline_added_by_change(&repo, None, &mut report.summary);
    complete(
        report,
        Completion {
            command: "staged",
            rules: rules.rules(),
            config: &args.config,
            root: repo.workdir(),
            commit_files: None,
            full_coverage: false,
        },
        &out,
    )
}

/// What the staged files gave.
#[derive(Default)]
struct Tally {
    findings: Vec<Finding>,
    bytes: u64,
    binary: u64,
    /// The first [`crate::history::MAX_NAMED`] of them.
    binary_paths: Vec<String>,
    scanned: u64,
    too_large: Vec<(String, u64)>,
    not_listed: Vec<NotListed>,
    errors: Vec<FileError>,
}

/// Scan one staged file (read whole or streamed, whatever its size), keeping the secrets on
/// lines its base versions do not have.
fn scan_file(
    repo: &gix::Repository,
    scanner: &mut Scanner<'_>,
    file: &staged::StagedFile,
    args: &StagedArgs,
    out: &OutputConfig,
    head: &mut Vec<u8>,
    tally: &mut Tally,
) -> Result<()> {
    let size = blob::size(repo, file.id)?;
    if let (Some(max), Some(size)) = (args.max_file_size, size)
        && size > max
    {
        tally.too_large.push((file.path.clone(), size));
        return Ok(());
    }
    let unreadable = |e: &dyn std::fmt::Display| FileError {
        path: file.path.clone(),
        error: e.to_string(),
    };
    let blob = match blob::open(repo, file.id) {
        Ok(b) => b,
        Err(e) if e.is_missing() => return Err(e.into()),
        Err(e) => {
            tally.errors.push(unreadable(&e));
            return Ok(());
        }
    };
    let base = staged::base_lines(repo, file);
    let target = Target {
        path: &file.path,
        source: SourceKind::File,
        exposure: Exposure::Staged,
        opts: &out.finding,
    };
    // Matches come in order: the line of the last one is kept, so many matches on one long line
    // cost one pass over it, not one each.
    let mut last: Option<(*const u8, std::ops::Range<usize>, LineKind)> = None;
    let classify = |line: &[u8]| base.classify(line.strip_suffix(b"\r").unwrap_or(line));
    let keep = |w: &[u8], m: &Match| {
        let (first_end, mut kind) = match &last {
            Some((ptr, range, kind)) if *ptr == w.as_ptr() && range.contains(&m.start) => {
                (range.end, *kind)
            }
            _ => {
                let range = line_range(w, m.start);
                let kind = classify(&w[range.clone()]);
                last = Some((w.as_ptr(), range.clone(), kind));
                (range.end, kind)
            }
        };
        // A secret over several lines (a PEM key) is added when any of its lines is: a new key
        // between the BEGIN and END lines of a committed template is not old.
        let mut next = first_end + 1;
        while kind != LineKind::New && next < m.end {
            let range = line_range(w, next);
            let line_kind = classify(&w[range.clone()]);
            if added_rank(line_kind) > added_rank(kind) {
                kind = line_kind;
            }
            next = range.end + 1;
        }
        match kind {
            LineKind::Old => None,
            LineKind::New => Some(Exposure::Staged),
            LineKind::Reintroduced => Some(Exposure::Reintroduced),
        }
    };
    let scanned = match content::scan_blob(scanner, blob, head, BINARY_PROBE, &target, keep) {
        Ok(Some(s)) => s,
        Ok(None) => {
            tally.binary += 1;
            if tally.binary_paths.len() < crate::history::MAX_NAMED {
                tally.binary_paths.push(file.path.to_string());
            }
            return Ok(());
        }
        Err(e) => {
            tally.errors.push(unreadable(&e));
            return Ok(());
        }
    };
    tally.scanned += 1;
    tally.bytes += scanned.bytes;
    if scanned.not_listed > 0 {
        tally.not_listed.push(NotListed {
            path: file.path.clone(),
            findings: scanned.not_listed,
        });
    }
    for mut f in scanned.findings {
        f.repo_path = Some(file.path.clone());
        f.blob = Some(file.id.to_string());
        tally.findings.push(f);
    }
    Ok(())
}
