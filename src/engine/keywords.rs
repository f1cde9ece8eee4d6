//! The keyword prefilter: one Aho-Corasick automaton over every rule keyword and decode label,
//! searched for every occurrence, overlapping ones included.
//!
//! Small jobs (a pre-commit run over a few files) use a contiguous NFA, which builds in a
//! fraction of the DFA's time. Once a run has scanned [`DFA_THRESHOLD`] bytes it switches to a
//! DFA, walked as [`STREAMS`] interleaved streams over four parts of each buffer. A DFA step is
//! one table load that depends on the previous one; with a few thousand keywords the states that
//! ordinary text visits no longer fit in the L1 cache, so a single walk spends most of its time
//! waiting for loads. Independent streams keep several loads in flight (BENCHMARKS.md §10).

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Anchored, MatchKind};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes after which a run switches to the DFA.
pub const DFA_THRESHOLD: u64 = 4 << 20;

/// Interleaved DFA walks per buffer.
const STREAMS: usize = 4;

/// Buffers shorter than this many bytes per stream are walked as one stream.
const MIN_STREAM: usize = 256;

/// The keyword automaton of a rule set.
#[derive(Debug)]
pub struct Keywords {
    patterns: Vec<Vec<u8>>,
    nfa: AhoCorasick,
    /// Built on first use by a run that has scanned enough bytes to repay it; `None` when the
    /// DFA cannot be built (the NFA is used instead).
    dfa: OnceLock<Option<DFA>>,
    /// Longest pattern: a stream starts this many bytes (less one) before its part.
    max_len: usize,
    bytes_seen: AtomicU64,
}

impl Keywords {
    /// An ASCII case-insensitive automaton over `patterns` (standard match semantics, so every
    /// occurrence can be reported).
    pub fn new(patterns: Vec<Vec<u8>>) -> Result<Self, aho_corasick::BuildError> {
        let nfa = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&patterns)
            .or_else(|_| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
            })?;
        let max_len = patterns.iter().map(Vec::len).max().unwrap_or(1).max(1);
        Ok(Keywords {
            patterns,
            nfa,
            dfa: OnceLock::new(),
            max_len,
            bytes_seen: AtomicU64::new(0),
        })
    }

    pub fn patterns(&self) -> &[Vec<u8>] {
        &self.patterns
    }

    /// Call `f(pattern, start, end)` for every keyword occurrence in `buf`, overlapping ones
    /// included. The order is unspecified.
    pub fn for_each(&self, buf: &[u8], mut f: impl FnMut(usize, usize, usize)) {
        if self.patterns.is_empty() {
            return;
        }
        let len = buf.len() as u64;
        let seen = self.bytes_seen.fetch_add(len, Ordering::Relaxed);
        let dfa = if seen + len > DFA_THRESHOLD {
            self.dfa.get_or_init(|| self.build_dfa()).as_ref()
        } else {
            None
        };
        match dfa {
            Some(dfa) if buf.len() >= STREAMS * MIN_STREAM.max(4 * self.max_len) => {
                interleaved(dfa, self.max_len, buf, &mut f);
            }
            Some(dfa) => walk(dfa, buf, &mut f),
            None => {
                for m in self.nfa.find_overlapping_iter(buf) {
                    f(m.pattern().as_usize(), m.start(), m.end());
                }
            }
        }
    }

    fn build_dfa(&self) -> Option<DFA> {
        DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(aho_corasick::StartKind::Unanchored)
            .prefilter(false)
            .build(&self.patterns)
            .ok()
    }
}

/// Report every pattern that ends at `end` in match state `sid`.
#[inline(always)]
fn report(dfa: &DFA, sid: StateID, end: usize, f: &mut impl FnMut(usize, usize, usize)) {
    for i in 0..dfa.match_len(sid) {
        let pid = dfa.match_pattern(sid, i);
        f(pid.as_usize(), end - dfa.pattern_len(pid), end);
    }
}

/// One DFA step on byte `b` at position `end - 1`, reporting the matches that end there.
#[inline(always)]
fn step(
    dfa: &DFA,
    sid: StateID,
    b: u8,
    end: usize,
    f: &mut impl FnMut(usize, usize, usize),
) -> StateID {
    let next = dfa.next_state(Anchored::No, sid, b);
    if dfa.is_special(next) && dfa.is_match(next) {
        report(dfa, next, end, f);
    }
    next
}

/// One DFA walk over all of `buf`.
fn walk(dfa: &DFA, buf: &[u8], f: &mut impl FnMut(usize, usize, usize)) {
    if let Ok(start) = dfa.start_state(Anchored::No) {
        walk_from(dfa, start, buf, 0, f);
    }
}

/// Continue a walk in state `sid` from `buf[from]` to the end of `buf`.
fn walk_from(
    dfa: &DFA,
    mut sid: StateID,
    buf: &[u8],
    from: usize,
    f: &mut impl FnMut(usize, usize, usize),
) {
    for (p, &b) in buf.iter().enumerate().skip(from) {
        sid = step(dfa, sid, b, p + 1, f);
    }
}

/// [`STREAMS`] walks over consecutive parts of `buf`, one step of each per iteration. Stream
/// `k` first reads the `max_len - 1` bytes before its part without reporting, so it is in the
/// state a single walk would be in, and reports exactly the matches that end in its part.
fn interleaved(dfa: &DFA, max_len: usize, buf: &[u8], f: &mut impl FnMut(usize, usize, usize)) {
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return;
    };
    let part = buf.len() / STREAMS;
    let lap = max_len - 1;
    let mut sid = [start; STREAMS];
    let mut from = [0usize; STREAMS];
    for k in 0..STREAMS {
        from[k] = k * part;
        for &b in &buf[from[k].saturating_sub(lap)..from[k]] {
            sid[k] = dfa.next_state(Anchored::No, sid[k], b);
        }
    }
    let parts: [&[u8]; STREAMS] = std::array::from_fn(|k| &buf[from[k]..from[k] + part]);
    // One index steps every stream in lockstep; that is the point of the loop.
    #[allow(clippy::needless_range_loop)]
    for i in 0..part {
        for k in 0..STREAMS {
            sid[k] = step(dfa, sid[k], parts[k][i], from[k] + i + 1, f);
        }
    }
    // The last stream also covers the remainder of the division.
    walk_from(dfa, sid[STREAMS - 1], buf, STREAMS * part, f);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nfa_hits(k: &Keywords, buf: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut v: Vec<_> = k
            .nfa
            .find_overlapping_iter(buf)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        v.sort_unstable();
        v
    }

    fn hits_of(k: &Keywords, buf: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut v = Vec::new();
        k.for_each(buf, |p, s, e| v.push((p, s, e)));
        v.sort_unstable();
        v
    }

    /// The interleaved DFA walk reports exactly what the NFA reports, including keywords that
    /// straddle the boundaries between streams and overlapping keywords.
    #[test]
    fn interleaved_walk_matches_the_nfa() {
        let pats: Vec<Vec<u8>> = ["key", "api_key", "secret", "sk-", "s", "abcdefghij", "ij"]
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect();
        let k = Keywords::new(pats).unwrap();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let alphabet = b"abcdefghijk_-ySECRETpiy";
        for len in [0usize, 1, 5, 1_023, 1_024, 1_027, 16_387, 70_001] {
            let buf: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            let want = nfa_hits(&k, &buf);
            let dfa = k.build_dfa().unwrap();
            let mut got = Vec::new();
            if len >= STREAMS * MIN_STREAM {
                interleaved(&dfa, k.max_len, &buf, &mut |p, s, e| got.push((p, s, e)));
            } else {
                walk(&dfa, &buf, &mut |p, s, e| got.push((p, s, e)));
            }
            got.sort_unstable();
            assert_eq!(got, want, "len {len}");
        }
        // Through the public entry point, past the DFA threshold.
        let big = b"xx API_KEY sk-ij ".repeat(DFA_THRESHOLD as usize / 17 + 10);
        let want = nfa_hits(&k, &big);
        assert_eq!(hits_of(&k, &big), want);
        assert_eq!(want.len(), 5 * (big.len() / 17));
    }
}
