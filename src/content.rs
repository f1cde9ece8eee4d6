//! Scanning one piece of content (a file, a blob) into findings: the glue between what a source
//! yields (bytes in memory, or a stream for large content), the engine's windows and the finding
//! sink. Content of any size is scanned in bounded memory.

use crate::engine::{Match, Scanner};
use crate::finding::{Exposure, Finding, FindingOptions, FindingSink, SourceKind};
use crate::source::blob::Blob;
use std::io::Read;

/// Where the findings go and how they are labelled.
pub struct Target<'a> {
    pub path: &'a str,
    pub source: SourceKind,
    pub exposure: Exposure,
    pub opts: &'a FindingOptions,
}

impl Target<'_> {
    /// A `classify` that keeps every match with the target's exposure.
    pub fn keep_all(&self) -> impl FnMut(&[u8], &Match) -> Option<Exposure> + use<> {
        let exposure = self.exposure;
        move |_, _| Some(exposure)
    }
}

/// What scanning one piece of content gave.
#[derive(Debug, Default)]
pub struct Scanned {
    pub findings: Vec<Finding>,
    /// Findings past [`crate::finding::MAX_FINDINGS_PER_SOURCE`], counted only.
    pub not_listed: u64,
    pub bytes: u64,
}

/// Scan a stream whose first bytes are already in `head`. `classify` decides, for each match
/// (given its window), whether it is reported and with which exposure (`None`: dropped).
pub fn scan_stream(
    scanner: &mut Scanner<'_>,
    head: &mut Vec<u8>,
    rest: &mut (impl Read + ?Sized),
    target: &Target<'_>,
    mut classify: impl FnMut(&[u8], &Match) -> Option<Exposure>,
) -> std::io::Result<Scanned> {
    let mut sink = FindingSink::new(
        scanner.rules(),
        target.path,
        target.source,
        target.exposure,
        target.opts,
    );
    let bytes = scanner.scan_reader(rest, head, |w, base, settled, m| {
        let kept = m.iter().filter_map(|m| classify(w, m).map(|e| (m, e)));
        sink.window_as(w, base, settled, kept);
    })?;
    let (findings, not_listed) = sink.finish();
    Ok(Scanned {
        findings,
        not_listed,
        bytes,
    })
}

/// Scan bytes in memory (see [`scan_stream`] for `classify`).
pub fn scan_bytes(
    scanner: &mut Scanner<'_>,
    data: &[u8],
    target: &Target<'_>,
    mut classify: impl FnMut(&[u8], &Match) -> Option<Exposure>,
) -> Scanned {
    let mut sink = FindingSink::new(
        scanner.rules(),
        target.path,
        target.source,
        target.exposure,
        target.opts,
    );
    scanner.scan_windows(data, |w, base, settled, m| {
        let kept = m.iter().filter_map(|m| classify(w, m).map(|e| (m, e)));
        sink.window_as(w, base, settled, kept);
    });
    let (findings, not_listed) = sink.finish();
    Scanned {
        findings,
        not_listed,
        bytes: data.len() as u64,
    }
}

/// Scan a blob, whole or streamed; `None` when it is binary (a NUL byte in its first `probe`
/// bytes). `head` is a reusable buffer.
pub fn scan_blob(
    scanner: &mut Scanner<'_>,
    mut blob: Blob,
    head: &mut Vec<u8>,
    probe: usize,
    target: &Target<'_>,
    classify: impl FnMut(&[u8], &Match) -> Option<Exposure>,
) -> std::io::Result<Option<Scanned>> {
    if blob.probe(head, probe)? {
        return Ok(None);
    }
    match blob {
        Blob::Whole(data) => Ok(Some(scan_bytes(scanner, &data, target, classify))),
        Blob::Stream { mut reader, .. } => {
            scan_stream(scanner, head, &mut reader, target, classify).map(Some)
        }
    }
}
