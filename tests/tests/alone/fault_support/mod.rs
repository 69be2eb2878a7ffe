//! The fault suite's instruments: a seeded generator, and a sink that
//! checks every byte of a stream as it arrives against what the child
//! must have written.

use std::io;
use std::time::Duration;

use procpump::{Control, Fill, Flow, Sink, Source, StreamContext, StreamEnd};
use procpump_tests::fill_pattern;

pub mod cases;

/// xorshift64*: small, fast, and enough to mix the faults.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that neighbouring seeds differ at once
        // (and the state is never 0).
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }

    pub fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(self.range(low, high))
    }

    pub fn percent(&mut self, chance: u64) -> bool {
        self.next() % 100 < chance
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// The bytes a stream must carry.
#[derive(Clone, Debug)]
pub enum Content {
    /// Exactly `len` bytes of the pattern of `seed`.
    Pattern { seed: u64, len: u64 },
    /// A correct prefix, at least `min` bytes, of the pattern of `seed`.
    Prefix { seed: u64, min: u64 },
    /// `len` bytes of the pattern of `seed` with `\n` turned into a space,
    /// then one `\n` (what `pp-fault line` prints).
    Line { seed: u64, len: u64 },
    /// Exactly these bytes.
    Exact(Vec<u8>),
}

impl Content {
    pub fn empty() -> Content {
        Content::Exact(Vec::new())
    }

    /// The full length, if it is fixed.
    pub fn len(&self) -> Option<u64> {
        match self {
            Content::Pattern { len, .. } => Some(*len),
            Content::Prefix { .. } => None,
            Content::Line { len, .. } => Some(len + 1),
            Content::Exact(bytes) => Some(bytes.len() as u64),
        }
    }

    /// Writes into `out` the expected bytes at `offset..offset + out.len()`;
    /// returns how many exist there (fewer at the end of a fixed length).
    pub fn expected(&self, offset: u64, out: &mut [u8]) -> usize {
        let available = self
            .len()
            .map_or(out.len() as u64, |len| len.saturating_sub(offset));
        let n = (out.len() as u64).min(available) as usize;
        let out = &mut out[..n];
        match self {
            Content::Pattern { seed, .. } | Content::Prefix { seed, .. } => {
                fill_pattern(*seed, offset, out)
            }
            Content::Line { seed, len } => {
                let body = (len.saturating_sub(offset)).min(n as u64) as usize;
                fill_pattern(*seed, offset, &mut out[..body]);
                for byte in &mut out[..body] {
                    if *byte == b'\n' {
                        *byte = b' ';
                    }
                }
                if body < n {
                    out[body] = b'\n';
                }
            }
            Content::Exact(bytes) => out.copy_from_slice(&bytes[offset as usize..][..n]),
        }
        n
    }
}

/// A sink that checks every chunk against the expected content, records
/// how the stream was delivered, and may kill its child after so many
/// bytes.
pub struct Verify {
    content: Content,
    bytes: u64,
    /// Offset of the first wrong (or extra) byte.
    mismatch: Option<u64>,
    starts: u32,
    ends: Vec<StreamEnd>,
    empty_chunks: u64,
    chunks_after_end: u64,
    kill_after: Option<u64>,
    control: Option<Control>,
    scratch: Vec<u8>,
}

impl Verify {
    pub fn new(content: Content) -> Verify {
        Verify {
            content,
            bytes: 0,
            mismatch: None,
            starts: 0,
            ends: Vec::new(),
            empty_chunks: 0,
            chunks_after_end: 0,
            kill_after: None,
            control: None,
            scratch: vec![0; 64 * 1024],
        }
    }

    pub fn killing_after(mut self, bytes: u64) -> Verify {
        self.kill_after = Some(bytes);
        self
    }

    fn check(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() && self.mismatch.is_none() {
            let want = chunk.len().min(self.scratch.len());
            let n = self.content.expected(self.bytes, &mut self.scratch[..want]);
            if let Some(k) = (0..n).find(|&k| chunk[k] != self.scratch[k]) {
                self.mismatch = Some(self.bytes + k as u64);
            } else if n < want {
                // More bytes than the content has.
                self.mismatch = Some(self.bytes + n as u64);
            }
            self.bytes += want as u64;
            chunk = &chunk[want..];
        }
        self.bytes += chunk.len() as u64;
    }

    /// `Ok` if the stream carried exactly its content (or a long enough
    /// prefix), as the report counted, started once if `started` (never
    /// otherwise) and ended once with `end`.
    pub fn verify(&self, report_bytes: u64, started: bool, end: &StreamEnd) -> Result<(), String> {
        if let Some(offset) = self.mismatch {
            return Err(format!(
                "wrong byte at offset {offset} of {:?}",
                self.content
            ));
        }
        match (self.content.len(), &self.content) {
            (Some(len), _) if self.bytes != len => {
                return Err(format!("{} bytes, expected {len}", self.bytes))
            }
            (None, Content::Prefix { min, .. }) if self.bytes < *min => {
                return Err(format!("{} bytes, expected at least {min}", self.bytes))
            }
            _ => {}
        }
        if self.bytes != report_bytes {
            return Err(format!(
                "the sink saw {} bytes, the report says {report_bytes}",
                self.bytes
            ));
        }
        let (starts, ends) = (u32::from(started), std::slice::from_ref(end));
        if self.starts != starts || self.ends != ends {
            return Err(format!(
                "start called {} times, end calls {:?}; expected {starts} and {ends:?}",
                self.starts, self.ends
            ));
        }
        if self.empty_chunks != 0 || self.chunks_after_end != 0 {
            return Err(format!(
                "{} empty chunks, {} chunks after the end",
                self.empty_chunks, self.chunks_after_end
            ));
        }
        Ok(())
    }
}

impl Sink for Verify {
    fn start(&mut self, context: &StreamContext<'_>) {
        self.starts += 1;
        self.control = Some(context.control());
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        if chunk.is_empty() {
            self.empty_chunks += 1;
        }
        if !self.ends.is_empty() {
            self.chunks_after_end += 1;
        }
        self.check(chunk);
        if let Some(after) = self.kill_after {
            if self.bytes >= after {
                self.kill_after = None;
                if let Some(control) = &self.control {
                    control.kill();
                }
            }
        }
        Flow::Continue
    }

    fn end(&mut self, end: &StreamEnd) {
        self.ends.push(end.clone());
    }
}

/// The pattern of a seed as stdin, knowing how much it still holds (so
/// that `unsent` is exact).
pub struct PatternSource {
    seed: u64,
    position: u64,
    len: u64,
}

impl Source for PatternSource {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<Fill> {
        let n = (buf.len() as u64).min(self.len - self.position) as usize;
        if n == 0 {
            return Ok(Fill::End);
        }
        fill_pattern(self.seed, self.position, &mut buf[..n]);
        self.position += n as u64;
        Ok(Fill::Data(n))
    }

    fn remaining(&self) -> Option<u64> {
        Some(self.len - self.position)
    }
}

pub fn pattern_input(seed: u64, len: u64) -> procpump::Input {
    procpump::Input::source(PatternSource {
        seed,
        position: 0,
        len,
    })
}
