//! Scanning input of any size with bounded memory: in overlapping windows.
//!
//! Input larger than [`CHUNK`] is scanned as windows of at most `CHUNK + 2 * overlap` bytes that
//! step by `CHUNK`. The overlap is wider than anything the engine looks at around one position
//! (twice the widest rule window plus the longest keyword, and the reach of the decoders), so
//! a match is found in the window where it starts exactly as it would be in the whole input. Each
//! window *owns* the matches that start in its middle part, so no match is reported twice, and a
//! match overlapping one already reported by the previous window (which saw it in its look-ahead
//! and chose between them) is dropped. Input up to [`CHUNK`] is one window: the same code path as
//! a plain [`Scanner::scan`].

use super::{Match, Scanner};
use std::io::Read;

/// Bytes each window owns. Large enough that the overlap costs little, small enough that a
/// window's keyword hits, regex windows and matches stay a few tens of megabytes at most.
pub const CHUNK: usize = 8 << 20;

/// How far the decoders look around one position (hex runs and escaped lines: 64 KiB each
/// way; base64 values after their labels: 8 KiB plus the value).
const DECODE_REACH: usize = 128 << 10;

impl Scanner<'_> {
    /// Bytes each window shares with its neighbours, on each side.
    pub fn overlap(&self) -> usize {
        (2 * self.rules.widest_window() + self.index.keywords().max_len()).max(DECODE_REACH) + 4096
    }

    /// Scan `data` window by window: `emit(window, offset_of_window, settled, owned_matches)`,
    /// windows in order, match offsets relative to the window; no later window owns a match
    /// starting before window offset `settled`.
    pub fn scan_windows(
        &mut self,
        data: &[u8],
        mut emit: impl FnMut(&[u8], u64, usize, Vec<Match>),
    ) {
        if data.len() <= CHUNK {
            let matches = self.scan(data);
            emit(data, 0, data.len(), matches);
            return;
        }
        let overlap = self.overlap();
        let mut owner = Owner::default();
        let mut own_start = 0;
        while own_start < data.len() {
            let own_end = (own_start + CHUNK).min(data.len());
            let ws = own_start.saturating_sub(overlap);
            let we = (own_end + overlap).min(data.len());
            let window = &data[ws..we];
            let matches = self.scan(window);
            let owned = owner.take(matches, ws as u64, own_start - ws, own_end - ws);
            emit(window, ws as u64, own_end - ws, owned);
            own_start = own_end;
        }
    }

    /// Scan everything `reader` yields, with `buf` (which may already hold the first bytes of
    /// the input, read by the caller) as the window buffer. Returns the input's length.
    pub fn scan_reader(
        &mut self,
        reader: &mut (impl Read + ?Sized),
        buf: &mut Vec<u8>,
        mut emit: impl FnMut(&[u8], u64, usize, Vec<Match>),
    ) -> std::io::Result<u64> {
        let overlap = self.overlap();
        let mut owner = Owner::default();
        // `buf` holds the input from `base`; the window owns what follows its `pre` bytes of
        // context from the previous window.
        let (mut base, mut pre) = (0u64, 0usize);
        loop {
            let want = pre + CHUNK + overlap;
            let eof = fill(reader, buf, want)?;
            let own_end = if eof { buf.len() } else { pre + CHUNK };
            if base == 0 && eof && buf.len() <= CHUNK {
                // Small input: one plain scan, as for an in-memory buffer.
                let matches = self.scan(buf);
                emit(buf, 0, buf.len(), matches);
                return Ok(buf.len() as u64);
            }
            let matches = self.scan(buf);
            let owned = owner.take(matches, base, pre, own_end);
            emit(buf, base, own_end, owned);
            if eof {
                return Ok(base + buf.len() as u64);
            }
            // Keep the context the next window needs before what it owns.
            let keep_from = own_end - overlap.min(own_end);
            buf.drain(..keep_from);
            base += keep_from as u64;
            pre = own_end - keep_from;
        }
    }
}

/// Read into `buf` until it holds `want` bytes or the input ends; `true` at the end of input.
fn fill(
    reader: &mut (impl Read + ?Sized),
    buf: &mut Vec<u8>,
    want: usize,
) -> std::io::Result<bool> {
    while buf.len() < want {
        let n = (&mut *reader)
            .take((want - buf.len()) as u64)
            .read_to_end(buf)?;
        if n == 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Which matches a window owns, and the end of the last match reported (absolute offset).
#[derive(Default)]
struct Owner {
    last_end: u64,
}

impl Owner {
    /// The matches of a window at `base` that start in `own_start..own_end` (window offsets)
    /// and do not overlap a match an earlier window reported.
    fn take(
        &mut self,
        matches: Vec<Match>,
        base: u64,
        own_start: usize,
        own_end: usize,
    ) -> Vec<Match> {
        let mut owned = Vec::with_capacity(matches.len());
        for m in matches {
            if m.start < own_start || m.start >= own_end {
                continue;
            }
            if base + (m.start as u64) < self.last_end {
                continue;
            }
            self.last_end = base + m.end as u64;
            owned.push(m);
        }
        owned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::rules::{LoadedFile, RuleSet};

    fn set() -> Engine {
        let rule = r#"
[[rule]]
id = "demo"
provider = "Demo"
description = "demo token"
severity = "high"
keywords = ["dmo_"]
regex = '''\b(?P<secret>dmo_[a-zA-Z0-9]{20})\b'''
"#;
        Engine::new(RuleSet::build(vec![LoadedFile::parse("t.toml", rule, true).unwrap()]).unwrap())
            .unwrap()
    }

    /// Tokens at every distance from the window boundaries, found once each, in order.
    #[test]
    fn windows_find_every_match_once_across_boundaries() {
        let s = set();
        let mut scanner = Scanner::new(&s);
        let overlap = scanner.overlap();
        let token = |i: usize| format!("dmo_{:0>20}", format!("aB{i}"));
        let mut data = Vec::new();
        let mut expected = Vec::new();
        // Place tokens around each multiple of CHUNK and of CHUNK +- overlap.
        let mut marks: Vec<usize> = (1..=3)
            .flat_map(|k| [k * CHUNK, k * CHUNK - overlap, k * CHUNK + overlap])
            .collect();
        marks.sort_unstable();
        for (i, mark) in marks.iter().enumerate() {
            for delta in [30usize, 12, 3, 0] {
                let at = mark - delta;
                if at < data.len() + 1 {
                    continue;
                }
                data.resize(at - 1, b'.');
                data.push(b' ');
                let t = token(i * 10 + delta);
                expected.push((data.len() as u64, t.clone()));
                data.extend_from_slice(t.as_bytes());
            }
        }
        data.resize(3 * CHUNK + 2 * overlap + 100, b'.');
        let mut got = Vec::new();
        scanner.scan_windows(&data, |w, base, _, ms| {
            for m in ms {
                got.push((
                    base + m.start as u64,
                    String::from_utf8_lossy(&w[m.start..m.end]).into_owned(),
                ));
            }
        });
        assert_eq!(got, expected);
        // The same through a reader, with the first bytes already in the buffer.
        let mut got2 = Vec::new();
        let mut buf = data[..100].to_vec();
        let mut rest = &data[100..];
        let n = scanner
            .scan_reader(&mut rest, &mut buf, |w, base, _, ms| {
                for m in ms {
                    got2.push((
                        base + m.start as u64,
                        String::from_utf8_lossy(&w[m.start..m.end]).into_owned(),
                    ));
                }
            })
            .unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(got2, expected);
    }

    #[test]
    fn small_input_is_one_window() {
        let s = set();
        let mut scanner = Scanner::new(&s);
        let text = b"x = dmo_aB3dE5gH7jK9mN1pQ2rS\n";
        let mut calls = 0;
        let mut buf = Vec::new();
        scanner
            .scan_reader(&mut &text[..], &mut buf, |w, base, _, ms| {
                calls += 1;
                assert_eq!((w.len(), base, ms.len()), (text.len(), 0, 1));
            })
            .unwrap();
        assert_eq!(calls, 1);
    }
}
