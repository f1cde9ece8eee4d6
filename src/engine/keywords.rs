//! The keyword prefilter: one Aho-Corasick automaton over every rule keyword and decode label,
//! searched for every occurrence, overlapping ones included.
//!
//! Small jobs (a pre-commit run over a few files) use a contiguous NFA, which builds in a
//! fraction of the DFA's time. Once a run has scanned [`DFA_THRESHOLD`] bytes it switches to a
//! DFA, walked as [`STREAMS`] interleaved streams over four parts of each buffer. A DFA step is
//! one table load that depends on the previous one; with a few thousand keywords the states that
//! ordinary text visits no longer fit in the L1 cache, so a single walk spends most of its time
//! waiting for loads. Independent streams keep several loads in flight (BENCHMARKS.md, "Engine throughput").
//! Past [`COMPACT_THRESHOLD`] bytes the streams walk a compact copy of the DFA instead: only
//! its reachable states, numbered breadth-first, as `u16` entries over byte classes, a quarter of
//! the size of the DFA's own table, so more of what the four streams touch stays in cache
//! (BENCHMARKS.md, "Engine throughput").

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Anchored, MatchKind};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes after which a run switches to the DFA.
pub const DFA_THRESHOLD: u64 = 4 << 20;

/// Bytes after which a run also builds the compact table (tens of milliseconds: repaid after
/// a few tens of MiB).
pub const COMPACT_THRESHOLD: u64 = 32 << 20;

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
    dfa: OnceLock<Option<Fast>>,
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

    /// Length of the longest keyword.
    pub fn max_len(&self) -> usize {
        self.max_len
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
            Some(fast) if buf.len() >= STREAMS * MIN_STREAM.max(4 * self.max_len) => {
                let compact = if seen + len > COMPACT_THRESHOLD {
                    fast.compact
                        .get_or_init(|| Compact::new(&fast.dfa, &self.patterns))
                        .as_ref()
                } else {
                    None
                };
                match compact {
                    Some(c) => interleaved(&c.walker(&fast.dfa), self.max_len, buf, &mut f),
                    None => interleaved(&fast.dfa, self.max_len, buf, &mut f),
                }
            }
            Some(fast) => walk(&fast.dfa, buf, &mut f),
            None => {
                for m in self.nfa.find_overlapping_iter(buf) {
                    f(m.pattern().as_usize(), m.start(), m.end());
                }
            }
        }
    }

    fn build_dfa(&self) -> Option<Fast> {
        let dfa = DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(aho_corasick::StartKind::Unanchored)
            .prefilter(false)
            .build(&self.patterns)
            .ok()?;
        Some(Fast {
            dfa,
            compact: OnceLock::new(),
        })
    }
}

/// The DFA, and its compact copy for the interleaved walk (built once a run has scanned
/// [`COMPACT_THRESHOLD`] bytes; `None` when it does not fit).
#[derive(Debug)]
struct Fast {
    dfa: DFA,
    compact: OnceLock<Option<Compact>>,
}

/// The reachable part of the DFA as a table of `u16` state numbers over byte classes, states
/// numbered breadth-first from the start state so the shallow states ordinary text lives in
/// sit together, match states last. With the built-in rules a quarter of the size of the
/// Aho-Corasick DFA's table (u32 entries, and states no unanchored walk reaches): fewer cache
/// misses when four walks share it. Reporting goes through the original DFA (`orig`).
#[derive(Debug)]
struct Compact {
    classes: [u8; 256],
    /// log2 of the row length (byte classes rounded up to a power of two).
    shift: u32,
    table: Vec<u16>,
    /// States numbered `first_match` or more are match states.
    first_match: u16,
    /// The DFA state of each compact state.
    orig: Vec<StateID>,
}

impl Compact {
    /// `None` when the DFA has more states than a `u16` can number.
    fn new(dfa: &DFA, patterns: &[Vec<u8>]) -> Option<Compact> {
        let start = dfa.start_state(Anchored::No).ok()?;
        // Bytes in no pattern (either case) are one class: from every state they lead where
        // any other such byte does. Only the pattern bytes and one other need exploring.
        let mut present = [false; 256];
        for &b in patterns.iter().flatten() {
            present[usize::from(b.to_ascii_lowercase())] = true;
            present[usize::from(b.to_ascii_uppercase())] = true;
        }
        let absent = (0..=255u8).find(|&b| !present[usize::from(b)]);
        let probes: Vec<u8> = (0..=255u8)
            .filter(|&b| present[usize::from(b)] || Some(b) == absent)
            .collect();
        // Breadth-first numbering of the reachable states; `index` is keyed by DFA state id.
        // Meanwhile each byte accumulates a signature of its column (the state it leads to
        // from every state, in visiting order): bytes with equal columns form a class.
        let mut index: Vec<u32> = Vec::new();
        let mut order = vec![start];
        let mut signature = vec![(0u64, 0u64); probes.len()];
        let slot = |index: &mut Vec<u32>, sid: StateID| -> usize {
            let i = sid.as_usize();
            if i >= index.len() {
                index.resize(i + 1, u32::MAX);
            }
            i
        };
        let i0 = slot(&mut index, start);
        index[i0] = 0;
        let mut at = 0;
        while at < order.len() {
            let sid = order[at];
            for (&b, sig) in probes.iter().zip(signature.iter_mut()) {
                let next = dfa.next_state(Anchored::No, sid, b);
                let i = slot(&mut index, next);
                if index[i] == u32::MAX {
                    index[i] = order.len() as u32;
                    order.push(next);
                }
                // Two independent 64-bit mixes: a merged pair of distinct columns would need
                // both to collide.
                let v = u64::from(index[i]);
                sig.0 = (sig.0.rotate_left(5) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                sig.1 = (sig.1.rotate_left(17) ^ v).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
            }
            at += 1;
            if order.len() > usize::from(u16::MAX) {
                return None;
            }
        }
        let mut reps: Vec<((u64, u64), u8)> = Vec::new();
        let mut probe_class = [0u8; 256];
        for (&b, sig) in probes.iter().zip(&signature) {
            let class = match reps.iter().position(|(s, _)| s == sig) {
                Some(c) => c,
                None => {
                    reps.push((*sig, b));
                    reps.len() - 1
                }
            };
            probe_class[usize::from(b)] = class as u8;
        }
        let mut classes = [0u8; 256];
        for b in 0..=255u8 {
            let probe = if present[usize::from(b)] {
                Some(b)
            } else {
                absent
            };
            classes[usize::from(b)] = probe.map_or(0, |p| probe_class[usize::from(p)]);
        }
        // Match states last, each group in breadth-first order.
        let (mut plain, matching): (Vec<StateID>, Vec<StateID>) =
            order.into_iter().partition(|&sid| !dfa.is_match(sid));
        let first_match = u16::try_from(plain.len()).ok()?;
        plain.extend(matching);
        let order = plain;
        for (n, &sid) in order.iter().enumerate() {
            index[sid.as_usize()] = n as u32;
        }
        let shift = reps.len().next_power_of_two().trailing_zeros();
        let mut table = vec![0u16; order.len() << shift];
        for (n, &sid) in order.iter().enumerate() {
            for (class, &(_, b)) in reps.iter().enumerate() {
                let next = dfa.next_state(Anchored::No, sid, b);
                table[(n << shift) | class] = index[next.as_usize()] as u16;
            }
        }
        Some(Compact {
            classes,
            shift,
            table,
            first_match,
            orig: order,
        })
    }

    fn walker<'a>(&'a self, dfa: &'a DFA) -> CompactWalk<'a> {
        CompactWalk { table: self, dfa }
    }
}

/// A walk over a [`Compact`] table that reports through its DFA.
struct CompactWalk<'a> {
    table: &'a Compact,
    dfa: &'a DFA,
}

/// A DFA the walks can step through.
trait Walker {
    type State: Copy;
    fn start(&self) -> Option<Self::State>;
    /// The next state, without reporting.
    fn next(&self, state: Self::State, b: u8) -> Self::State;
    /// One step on byte `b` at position `end - 1`, reporting the matches that end there.
    fn step(
        &self,
        state: Self::State,
        b: u8,
        end: usize,
        f: &mut impl FnMut(usize, usize, usize),
    ) -> Self::State;
}

impl Walker for DFA {
    type State = StateID;
    fn start(&self) -> Option<StateID> {
        self.start_state(Anchored::No).ok()
    }
    #[inline(always)]
    fn next(&self, sid: StateID, b: u8) -> StateID {
        self.next_state(Anchored::No, sid, b)
    }
    #[inline(always)]
    fn step(
        &self,
        sid: StateID,
        b: u8,
        end: usize,
        f: &mut impl FnMut(usize, usize, usize),
    ) -> StateID {
        step(self, sid, b, end, f)
    }
}

impl Walker for CompactWalk<'_> {
    type State = u16;
    fn start(&self) -> Option<u16> {
        Some(0)
    }
    #[inline(always)]
    fn next(&self, state: u16, b: u8) -> u16 {
        let t = self.table;
        t.table[(usize::from(state) << t.shift) | usize::from(t.classes[usize::from(b)])]
    }
    #[inline(always)]
    fn step(&self, state: u16, b: u8, end: usize, f: &mut impl FnMut(usize, usize, usize)) -> u16 {
        let next = self.next(state, b);
        if next >= self.table.first_match {
            report(self.dfa, self.table.orig[usize::from(next)], end, f);
        }
        next
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
fn walk<W: Walker>(dfa: &W, buf: &[u8], f: &mut impl FnMut(usize, usize, usize)) {
    if let Some(start) = dfa.start() {
        walk_from(dfa, start, buf, 0, f);
    }
}

/// Continue a walk in state `sid` from `buf[from]` to the end of `buf`.
fn walk_from<W: Walker>(
    dfa: &W,
    mut sid: W::State,
    buf: &[u8],
    from: usize,
    f: &mut impl FnMut(usize, usize, usize),
) {
    for (p, &b) in buf.iter().enumerate().skip(from) {
        sid = dfa.step(sid, b, p + 1, f);
    }
}

/// [`STREAMS`] walks over consecutive parts of `buf`, one step of each per iteration. Stream
/// `k` first reads the `max_len - 1` bytes before its part without reporting, so it is in the
/// state a single walk would be in, and reports exactly the matches that end in its part.
fn interleaved<W: Walker>(
    dfa: &W,
    max_len: usize,
    buf: &[u8],
    f: &mut impl FnMut(usize, usize, usize),
) {
    let Some(start) = dfa.start() else {
        return;
    };
    let part = buf.len() / STREAMS;
    let lap = max_len - 1;
    let mut sid = [start; STREAMS];
    let mut from = [0usize; STREAMS];
    for k in 0..STREAMS {
        from[k] = k * part;
        for &b in &buf[from[k].saturating_sub(lap)..from[k]] {
            sid[k] = dfa.next(sid[k], b);
        }
    }
    let parts: [&[u8]; STREAMS] = std::array::from_fn(|k| &buf[from[k]..from[k] + part]);
    // One index steps every stream in lockstep; that is the point of the loop.
    #[allow(clippy::needless_range_loop)]
    for i in 0..part {
        for k in 0..STREAMS {
            sid[k] = dfa.step(sid[k], parts[k][i], from[k] + i + 1, f);
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
        let alphabet = b"abcdefghijk_-ySECRETpiy!z\n\xff";
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
            let fast = k.build_dfa().unwrap();
            let compact = Compact::new(&fast.dfa, &k.patterns).expect("fits in u16 states");
            let mut got = [Vec::new(), Vec::new()];
            let [by_dfa, by_compact] = &mut got;
            let walker = compact.walker(&fast.dfa);
            if len >= STREAMS * MIN_STREAM {
                interleaved(&fast.dfa, k.max_len, &buf, &mut |p, s, e| {
                    by_dfa.push((p, s, e))
                });
                interleaved(&walker, k.max_len, &buf, &mut |p, s, e| {
                    by_compact.push((p, s, e))
                });
            } else {
                walk(&fast.dfa, &buf, &mut |p, s, e| by_dfa.push((p, s, e)));
                walk(&walker, &buf, &mut |p, s, e| by_compact.push((p, s, e)));
            }
            for (name, mut g) in ["dfa", "compact"].into_iter().zip(got) {
                g.sort_unstable();
                assert_eq!(g, want, "{name}, len {len}");
            }
        }
        // Through the public entry point, past the DFA threshold, then past the compact one.
        let big = b"xx API_KEY sk-ij ".repeat(DFA_THRESHOLD as usize / 17 + 10);
        let want = nfa_hits(&k, &big);
        assert_eq!(hits_of(&k, &big), want);
        assert_eq!(want.len(), 5 * (big.len() / 17));
        let has_compact = |k: &Keywords| {
            let fast = k.dfa.get().and_then(Option::as_ref).expect("DFA built");
            fast.compact.get().is_some()
        };
        assert!(!has_compact(&k));
        k.bytes_seen.store(COMPACT_THRESHOLD, Ordering::Relaxed);
        assert_eq!(hits_of(&k, &big), want);
        assert!(has_compact(&k));
    }

    /// The compact table of the real keyword set walks exactly like the DFA, on text made of
    /// keywords in mixed case glued to random bytes of every value.
    #[test]
    fn compact_table_of_the_builtin_keywords_matches_the_dfa() {
        let engine = super::super::Engine::new(crate::rules::RuleSet::load(&[]).unwrap()).unwrap();
        let k = engine.index.keywords();
        let fast = k.build_dfa().unwrap();
        let compact = Compact::new(&fast.dfa, &k.patterns).expect("fits in u16 states");
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut buf = Vec::new();
        while buf.len() < 300_000 {
            let p = &k.patterns[(next() % k.patterns.len() as u64) as usize];
            buf.extend(p.iter().map(|&b| {
                if next() % 2 == 0 {
                    b.to_ascii_uppercase()
                } else {
                    b
                }
            }));
            for _ in 0..next() % 6 {
                buf.push(next() as u8);
            }
        }
        let (mut by_dfa, mut by_compact) = (Vec::new(), Vec::new());
        interleaved(&fast.dfa, k.max_len, &buf, &mut |p, s, e| {
            by_dfa.push((p, s, e))
        });
        let walker = compact.walker(&fast.dfa);
        interleaved(&walker, k.max_len, &buf, &mut |p, s, e| {
            by_compact.push((p, s, e))
        });
        by_dfa.sort_unstable();
        by_compact.sort_unstable();
        assert!(by_dfa.len() > 10_000, "{}", by_dfa.len());
        assert_eq!(by_compact, by_dfa);
    }
}
