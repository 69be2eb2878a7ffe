//! [`Records`]: a byte stream, arriving in chunks of any size, cut into
//! blocks of whole records (GNU parallel's `--pipe`, `--recend`,
//! `--recstart`, `--block`, `-N`).

use std::fmt;

use memchr::memmem;

/// The block size [`Records`] aims at by default: 1 MiB.
pub const DEFAULT_BLOCK_SIZE: usize = 1 << 20;

/// How big a block is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    /// This many records (at least 1).
    Records(usize),
    /// The fewest whole records that reach this many bytes.
    Bytes(usize),
}

/// Cuts a byte stream into blocks at record boundaries, never inside a
/// record, however the stream arrives: the blocks are the same for any
/// cutting of the stream into chunks.
///
/// Records end with a separator ([`lines`](Records::lines): a newline;
/// [`separator`](Records::separator): any bytes), or begin with a marker
/// ([`record_start`](Records::record_start)), or both
/// ([`markers`](Records::markers): a boundary is where an end marker is
/// followed at once by a start marker). Matches are found from left to
/// right, each after the last boundary. A block holds
/// [`records_per_block`](Records::records_per_block) records, or the
/// fewest whole records that reach [`block_size`](Records::block_size)
/// bytes (1 MiB by default; one longer record is a block of its own). The
/// last block is whatever is left, kept exactly: a last record without its
/// separator is not given one.
///
/// Each byte is scanned once. Memory: one block and the record being
/// read (a record is never cut, so a record without end is held whole).
///
/// # Examples
///
/// ```
/// use procpump_adapters::Records;
///
/// let mut records = Records::lines().records_per_block(2);
/// let mut blocks: Vec<Vec<u8>> = Vec::new();
/// for chunk in [&b"one\ntw"[..], b"o\nthree\nfo", b"ur"] {
///     records.push(chunk, |block| blocks.push(block.to_vec()));
/// }
/// records.finish(|block| blocks.push(block.to_vec()));
/// assert_eq!(blocks, [&b"one\ntwo\n"[..], b"three\nfour"]);
/// ```
pub struct Records {
    end: Vec<u8>,
    start: Vec<u8>,
    block: Block,
    /// Searchers for `end` and `start`, made once.
    end_finder: memmem::Finder<'static>,
    start_finder: memmem::Finder<'static>,
    /// The block being gathered: whole records and the start of the next.
    buf: Vec<u8>,
    /// Where the search for the next boundary goes on in `buf`.
    scanned: usize,
    /// Whole records in `buf`, and where the last of them ends.
    records: usize,
}

impl Records {
    fn new(end: &[u8], start: &[u8]) -> Records {
        Records {
            end: end.to_vec(),
            start: start.to_vec(),
            block: Block::Bytes(DEFAULT_BLOCK_SIZE),
            end_finder: memmem::Finder::new(end).into_owned(),
            start_finder: memmem::Finder::new(start).into_owned(),
            buf: Vec::new(),
            scanned: 0,
            records: 0,
        }
    }

    /// Records are lines: each ends with `\n`.
    pub fn lines() -> Records {
        Records::new(b"\n", b"")
    }

    /// Each record ends with `separator`.
    ///
    /// # Panics
    ///
    /// If `separator` is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump_adapters::Records;
    ///
    /// let mut blocks = Vec::new();
    /// let mut records = Records::separator(b"\0").records_per_block(1);
    /// records.push(b"a\0b\0c", |block| blocks.push(block.to_vec()));
    /// records.finish(|block| blocks.push(block.to_vec()));
    /// assert_eq!(blocks, [&b"a\0"[..], b"b\0", b"c"]);
    /// ```
    pub fn separator(separator: &[u8]) -> Records {
        assert!(!separator.is_empty(), "an empty record separator");
        Records::new(separator, b"")
    }

    /// Each record begins with `marker` (what comes before the first one
    /// is a record too).
    ///
    /// # Panics
    ///
    /// If `marker` is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump_adapters::Records;
    ///
    /// let mut blocks = Vec::new();
    /// let mut records = Records::record_start(b">").records_per_block(1);
    /// records.push(b">a\nA\n>b\nB\n", |block| blocks.push(block.to_vec()));
    /// records.finish(|block| blocks.push(block.to_vec()));
    /// assert_eq!(blocks, [&b">a\nA\n"[..], b">b\nB\n"]);
    /// ```
    pub fn record_start(marker: &[u8]) -> Records {
        assert!(!marker.is_empty(), "an empty record start marker");
        Records::new(b"", marker)
    }

    /// Records end with `end` and begin with `start`: a boundary is where
    /// `end` is followed at once by `start`. Either may be empty, not
    /// both.
    ///
    /// # Panics
    ///
    /// If both are empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump_adapters::Records;
    ///
    /// let mut blocks = Vec::new();
    /// let mut records = Records::markers(b"}\n", b"{").records_per_block(1);
    /// records.push(b"{a}\n}\n{b}\n", |block| blocks.push(block.to_vec()));
    /// records.finish(|block| blocks.push(block.to_vec()));
    /// assert_eq!(blocks, [&b"{a}\n}\n"[..], b"{b}\n"]);
    /// ```
    pub fn markers(end: &[u8], start: &[u8]) -> Records {
        assert!(
            !(end.is_empty() && start.is_empty()),
            "no record end nor start marker"
        );
        Records::new(end, start)
    }

    /// Blocks of `records` records each (at least 1; the last may have
    /// fewer).
    pub fn records_per_block(mut self, records: usize) -> Records {
        self.block = Block::Records(records.max(1));
        self
    }

    /// Blocks of about `bytes` bytes: the fewest whole records that reach
    /// it (at least 1 byte). Default: [`DEFAULT_BLOCK_SIZE`].
    pub fn block_size(mut self, bytes: usize) -> Records {
        self.block = Block::Bytes(bytes.max(1));
        self
    }

    /// Bytes held for the block being gathered.
    pub fn held(&self) -> usize {
        self.buf.len()
    }

    /// Takes the next chunk of the stream; hands each block it completes
    /// to `block`, in order.
    pub fn push(&mut self, chunk: &[u8], mut block: impl FnMut(&[u8])) {
        self.buf.extend_from_slice(chunk);
        let mut cut = 0;
        self.skip_ahead(cut);
        while let Some(boundary) = self.next_boundary(cut) {
            self.records += 1;
            let full = match self.block {
                Block::Records(n) => self.records >= n,
                Block::Bytes(size) => boundary - cut >= size,
            };
            if full {
                block(&self.buf[cut..boundary]);
                cut = boundary;
                self.records = 0;
                self.skip_ahead(cut);
            }
        }
        self.buf.drain(..cut);
        self.scanned -= cut;
    }

    /// The stream ended: hands what is left, if anything, to `block`, as
    /// it is.
    pub fn finish(&mut self, mut block: impl FnMut(&[u8])) {
        if !self.buf.is_empty() {
            block(&self.buf);
        }
        self.buf.clear();
        self.scanned = 0;
        self.records = 0;
    }

    /// Blocks of a size, with a one-byte separator: every occurrence is a
    /// boundary wherever the search starts, so the search for the block
    /// starting at `cut` starts where the block would reach its size.
    fn skip_ahead(&mut self, cut: usize) {
        if let (Block::Bytes(size), 1, 0) = (self.block, self.end.len(), self.start.len()) {
            self.scanned = self.scanned.max(cut + size - 1);
        }
    }

    /// The next record boundary in `buf` after `scanned`, if the bytes so
    /// far decide one; `cut` is where the current block starts (a start
    /// marker there is no boundary).
    fn next_boundary(&mut self, cut: usize) -> Option<usize> {
        if self.end.is_empty() {
            return self.next_start(cut);
        }
        loop {
            let from = self.scanned;
            if from >= self.buf.len() {
                return None;
            }
            let Some(found) = self.end_finder.find(&self.buf[from..]) else {
                // A match may begin in the last `end.len() - 1` bytes.
                self.scanned = from.max((self.buf.len() + 1).saturating_sub(self.end.len()));
                return None;
            };
            let boundary = from + found + self.end.len();
            if self.buf.len() < boundary + self.start.len() {
                self.scanned = from + found; // decided by bytes to come
                return None;
            }
            if self.buf[boundary..].starts_with(&self.start) {
                self.scanned = boundary;
                return Some(boundary);
            }
            self.scanned = from + found + 1;
        }
    }

    /// [`record_start`](Records::record_start): the next start marker
    /// after the block's start.
    fn next_start(&mut self, cut: usize) -> Option<usize> {
        let from = self.scanned.max(cut + 1);
        match self.start_finder.find(self.buf.get(from..)?) {
            Some(found) => {
                self.scanned = from + found + 1;
                Some(from + found)
            }
            None => {
                self.scanned = from.max((self.buf.len() + 1).saturating_sub(self.start.len()));
                None
            }
        }
    }
}

impl fmt::Debug for Records {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records")
            .field("end", &String::from_utf8_lossy(&self.end))
            .field("start", &String::from_utf8_lossy(&self.start))
            .field("block", &self.block)
            .field("held", &self.buf.len())
            .finish()
    }
}

#[cfg(test)]
mod tests;
