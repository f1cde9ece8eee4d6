//! Byte offsets to 1-based line and column numbers: for text held whole ([`LineIndex`],
//! [`line_col`]) and for content seen window by window ([`LineCursor`]).

/// Byte position -> (line, column), both 1-based, for positions visited in increasing order.
pub struct LineIndex<'a> {
    buf: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
}

impl<'a> LineIndex<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        LineIndex {
            buf,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// Line and column of `offset`. Offsets must not decrease between calls (else it restarts).
    pub fn locate(&mut self, offset: usize) -> (usize, usize) {
        if offset < self.pos {
            *self = LineIndex::new(self.buf);
        }
        let offset = offset.min(self.buf.len());
        for p in memchr::memchr_iter(b'\n', &self.buf[self.pos..offset]) {
            self.line += 1;
            self.line_start = self.pos + p + 1;
        }
        self.pos = offset;
        (self.line, offset - self.line_start + 1)
    }
}

/// Line and column (both 1-based) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text.as_bytes()).locate(offset)
}

/// Absolute byte offset -> (line, column), both 1-based, over content seen window by window.
#[derive(Debug, Clone, Copy)]
pub struct LineCursor {
    /// Absolute offset counted up to, the line it is on, and where that line starts.
    pos: u64,
    line: usize,
    line_start: u64,
}

impl Default for LineCursor {
    fn default() -> Self {
        LineCursor {
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }
}

impl LineCursor {
    /// Line and column of `offset`, counting through `window` (content from absolute offset
    /// `base`), which must hold every byte between the cursor and `offset`.
    pub fn locate(&mut self, window: &[u8], base: u64, offset: u64) -> (usize, usize) {
        let rel = |abs: u64| (abs.saturating_sub(base) as usize).min(window.len());
        if offset >= self.pos {
            let from = rel(self.pos);
            let to = rel(offset);
            for p in memchr::memchr_iter(b'\n', &window[from..to]) {
                self.line += 1;
                self.line_start = base + (from + p + 1) as u64;
            }
        } else {
            // Backwards (a match that ends past where the next one starts, decoded spans).
            let (from, to) = (rel(offset), rel(self.pos));
            let back = memchr::memchr_iter(b'\n', &window[from..to]).count();
            if back > 0 {
                self.line -= back;
                self.line_start =
                    memchr::memrchr(b'\n', &window[..from]).map_or(base, |p| base + p as u64 + 1);
            }
        }
        self.pos = offset;
        (self.line, (offset - self.line_start) as usize + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index() {
        let buf = b"a\nbc\nd";
        let mut li = LineIndex::new(buf);
        assert_eq!(li.locate(0), (1, 1));
        assert_eq!(li.locate(3), (2, 2));
        assert_eq!(li.locate(5), (3, 1));
        assert_eq!(li.locate(1), (1, 2));
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }
}
