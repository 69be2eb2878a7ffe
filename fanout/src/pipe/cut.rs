//! Blocks of a size, cut as GNU parallel's `--pipe --block` cuts them:
//! the most whole records that fit in the size (a record longer than the
//! size is a block of its own), found from the end of the size backwards.

use memchr::memmem;

/// Cuts a stream into blocks of at most `size` bytes of whole records.
pub(super) struct BySize {
    size: usize,
    end: Vec<u8>,
    start: Vec<u8>,
    /// `end` then `start`: what a boundary looks like.
    boundary: Vec<u8>,
    buf: Vec<u8>,
}

impl BySize {
    /// Records end with `end` and start with `start` (not both empty).
    pub(super) fn new(size: usize, end: &[u8], start: &[u8]) -> BySize {
        BySize {
            size: size.max(1),
            end: end.to_vec(),
            start: start.to_vec(),
            boundary: [end, start].concat(),
            buf: Vec::new(),
        }
    }

    /// Takes the next chunk; hands each block it completes to `block`.
    pub(super) fn push(&mut self, chunk: &[u8], mut block: impl FnMut(&[u8])) {
        self.buf.extend_from_slice(chunk);
        let mut cut = 0;
        // Enough bytes to see a boundary at the size, its start marker
        // included, whatever the chunks.
        while self.buf.len() - cut > self.size + self.start.len() {
            let Some(at) = self.boundary_in(cut) else {
                break;
            };
            block(&self.buf[cut..at]);
            cut = at;
        }
        self.buf.drain(..cut);
    }

    /// The stream ended: what is left, if anything, as it is.
    pub(super) fn finish(&mut self, mut block: impl FnMut(&[u8])) {
        if !self.buf.is_empty() {
            block(&self.buf);
        }
        self.buf.clear();
    }

    /// Where the block starting at `from` ends: the last boundary within
    /// the size, else (one long record) the first after it; `None` while
    /// that record has not ended.
    fn boundary_in(&self, from: usize) -> Option<usize> {
        let rest = &self.buf[from..];
        // A boundary at `at` needs `start` to be seen after it.
        let window = &rest[..(self.size + self.start.len()).min(rest.len())];
        let offset = self.end.len();
        let last = memmem::rfind(window, &self.boundary)
            .map(|found| found + offset)
            .filter(|&at| at > 0 && at <= self.size);
        let at = match last {
            Some(at) => at,
            None => {
                let first = memmem::find(&rest[1..], &self.boundary)? + 1;
                let at = first + offset;
                // The end of a record found, the start of the next must
                // be there too.
                (at + self.start.len() <= rest.len()).then_some(at)?
            }
        };
        Some(from + at)
    }
}

#[cfg(test)]
mod tests {
    use super::BySize;

    fn cut(size: usize, end: &[u8], start: &[u8], input: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let mut blocks = Vec::new();
        let mut by_size = BySize::new(size, end, start);
        for piece in input.chunks(chunk.max(1)) {
            by_size.push(piece, |b| blocks.push(b.to_vec()));
        }
        by_size.finish(|b| blocks.push(b.to_vec()));
        blocks
    }

    #[test]
    fn the_most_whole_lines_that_fit() {
        let blocks = cut(8, b"\n", b"", b"aa\nbb\ncc\ndddddddddd\ne", 100);
        assert_eq!(blocks, [&b"aa\nbb\n"[..], b"cc\n", b"dddddddddd\n", b"e"]);
    }

    #[test]
    fn a_start_marker() {
        let blocks = cut(6, b"", b">", b">a\n>b\n>c\n", 100);
        assert_eq!(blocks, [&b">a\n>b\n"[..], b">c\n"]);
    }

    #[test]
    fn chunks_do_not_change_the_blocks() {
        // Pseudo-random bytes, a few separators among them.
        let mut x: u32 = 12345;
        let input: Vec<u8> = (0..20_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % 7) as u8
            })
            .collect();
        for (end, start) in [
            (&b"\x01"[..], &b""[..]),
            (b"\x01\x02", b""),
            (b"", b"\x03"),
            (b"\x01", b"\x02"),
        ] {
            for size in [1, 5, 100, 3000] {
                let whole = cut(size, end, start, &input, input.len());
                assert_eq!(whole.concat(), input);
                for chunk in [1, 7, 64, 999] {
                    assert_eq!(
                        cut(size, end, start, &input, chunk),
                        whole,
                        "{size} {chunk}"
                    );
                }
            }
        }
    }
}
