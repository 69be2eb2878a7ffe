//! Sinks the tests hand to the reactor and take back from the report
//! ([`procpump::Report::take_sink`]) to inspect.

use super::PatternChecker;
use procpump::{Flow, Sink, StreamContext, StreamEnd};

/// Verifies a stream against the pattern for a seed, and records how it
/// was delivered: chunk count, largest chunk, calls to `start`/`end`.
#[derive(Debug)]
pub struct CheckSink {
    /// The checker fed with every chunk.
    pub checker: PatternChecker,
    /// Chunks received (an empty one is counted in `empty_chunks`).
    pub chunks: u64,
    /// Chunks of length 0 (the reactor must never send one).
    pub empty_chunks: u64,
    /// The largest chunk received.
    pub largest_chunk: usize,
    /// How many times `start` was called.
    pub starts: u32,
    /// Every `end` call, in order (exactly one is expected).
    pub ends: Vec<StreamEnd>,
    /// Chunks received after `end` (must stay 0).
    pub chunks_after_end: u64,
}

impl CheckSink {
    /// A sink checking the pattern stream of `seed`.
    pub fn new(seed: u64) -> CheckSink {
        CheckSink {
            checker: PatternChecker::new(seed),
            chunks: 0,
            empty_chunks: 0,
            largest_chunk: 0,
            starts: 0,
            ends: Vec::new(),
            chunks_after_end: 0,
        }
    }

    /// `Ok` if exactly `len` bytes of the pattern arrived, `start` was
    /// called once, `end` once with `end`, no chunk was empty and none
    /// came after the end; otherwise what went wrong.
    pub fn verify(&self, len: u64, end: &StreamEnd) -> Result<(), String> {
        self.checker.verify(len)?;
        if self.starts != 1 {
            return Err(format!("start called {} times", self.starts));
        }
        if self.ends.as_slice() != std::slice::from_ref(end) {
            return Err(format!("end calls {:?}, expected [{end:?}]", self.ends));
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

impl Sink for CheckSink {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.chunks += 1;
        if chunk.is_empty() {
            self.empty_chunks += 1;
        }
        if !self.ends.is_empty() {
            self.chunks_after_end += 1;
        }
        self.largest_chunk = self.largest_chunk.max(chunk.len());
        self.checker.feed(chunk);
        Flow::Continue
    }

    fn start(&mut self, _context: &StreamContext<'_>) {
        self.starts += 1;
    }

    fn end(&mut self, end: &StreamEnd) {
        self.ends.push(end.clone());
    }
}

/// Collects a stream's bytes and the calls made on it.
#[derive(Debug, Default)]
pub struct Collect {
    /// Every byte received, in order.
    pub bytes: Vec<u8>,
    /// How many times `start` was called.
    pub starts: u32,
    /// Every `end` call, in order.
    pub ends: Vec<StreamEnd>,
}

impl Collect {
    /// An empty collector.
    pub fn new() -> Collect {
        Collect::default()
    }
}

impl Sink for Collect {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.bytes.extend_from_slice(chunk);
        Flow::Continue
    }

    fn start(&mut self, _context: &StreamContext<'_>) {
        self.starts += 1;
    }

    fn end(&mut self, end: &StreamEnd) {
        self.ends.push(end.clone());
    }
}
