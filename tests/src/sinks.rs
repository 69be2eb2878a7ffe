//! Sinks the tests hand to the reactor and take back from the report
//! ([`procpump::Report::take_sink`]) to inspect, or that tell the test
//! something while the reactor runs: which thread it runs on
//! ([`ThreadProbe`]), that a child started ([`Started`]), or printed a word
//! ([`OnWord`]).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{mpsc, Arc};

use super::PatternChecker;
use procpump::{Control, Flow, Sink, StreamContext, StreamEnd};

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

/// A sink that throws its bytes away and records, in `start`, the id of
/// the thread it runs on: the reactor's.
#[derive(Debug, Clone, Default)]
pub struct ThreadProbe {
    tid: Arc<AtomicI32>,
}

impl ThreadProbe {
    /// A probe that has not run yet.
    pub fn new() -> ThreadProbe {
        ThreadProbe::default()
    }

    /// The reactor thread's id, once the sink has started.
    pub fn tid(&self) -> Option<i32> {
        match self.tid.load(Ordering::Acquire) {
            0 => None,
            tid => Some(tid),
        }
    }
}

impl Sink for ThreadProbe {
    fn chunk(&mut self, _chunk: &[u8]) -> Flow {
        Flow::Continue
    }

    fn start(&mut self, _context: &StreamContext<'_>) {
        self.tid.store(crate::current_tid(), Ordering::Release);
    }
}

/// Collects a stream and, the first time it has seen `word`, runs
/// `on_word` with the collected text and the child's [`Control`]: a sink
/// that acts when the child says it is ready.
pub struct OnWord {
    word: &'static [u8],
    /// Every byte received.
    pub bytes: Vec<u8>,
    control: Option<Control>,
    pid: u32,
    on_word: Option<OnWordAction>,
    /// Every `end` call.
    pub ends: Vec<StreamEnd>,
}

/// What [`OnWord`] runs: given the bytes so far, the child's pid and its
/// [`Control`].
pub type OnWordAction = Box<dyn FnOnce(&[u8], u32, &Control) + Send>;

impl OnWord {
    /// Runs `on_word(bytes so far, child pid, control)` once `word` has
    /// arrived.
    pub fn new(
        word: &'static str,
        on_word: impl FnOnce(&[u8], u32, &Control) + Send + 'static,
    ) -> OnWord {
        OnWord {
            word: word.as_bytes(),
            bytes: Vec::new(),
            control: None,
            pid: 0,
            on_word: Some(Box::new(on_word)),
            ends: Vec::new(),
        }
    }
}

impl Sink for OnWord {
    fn start(&mut self, context: &StreamContext<'_>) {
        self.control = Some(context.control());
        self.pid = context.pid();
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.windows(self.word.len()).any(|w| w == self.word) {
            if let (Some(on_word), Some(control)) = (self.on_word.take(), &self.control) {
                on_word(&self.bytes, self.pid, control);
            }
        }
        Flow::Continue
    }

    fn end(&mut self, end: &StreamEnd) {
        self.ends.push(end.clone());
    }
}

/// Sends `()` when its child has started (its stream's `start`), and
/// discards the bytes.
pub struct Started(pub mpsc::Sender<()>);

impl Sink for Started {
    fn start(&mut self, _context: &StreamContext<'_>) {
        let _ = self.0.send(());
    }

    fn chunk(&mut self, _chunk: &[u8]) -> Flow {
        Flow::Continue
    }
}
