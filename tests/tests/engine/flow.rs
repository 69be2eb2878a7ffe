//! What a sink returns is honoured: `Flow::Pause` stops that one stream (and
//! only it) until resumed, `Flow::Close` closes it and the child sees
//! `EPIPE`, and however the bytes are cut into chunks, the stream is exact.

use crossbeam_channel::{unbounded, Receiver, Sender};
use procpump::{
    Flow, Job, Options, Reactor, Report, Resumer, Sink, Stream, StreamContext, StreamEnd,
};
use procpump_tests::programs::pp_emit;
use procpump_tests::sinks::CheckSink;
use procpump_tests::PatternChecker;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What a [`Pauser`] shares with the test while the reactor runs.
#[derive(Default)]
struct PauseState {
    chunks: AtomicU64,
    /// Chunks delivered while the sink was paused (must stay 0).
    while_paused: AtomicU64,
    resumes: AtomicU64,
    paused: AtomicBool,
}

/// Pauses after its first chunk. Its `resume` answers `Pause` the first
/// time (resumed too early) and `Continue` after that.
struct Pauser {
    checker: PatternChecker,
    state: Arc<PauseState>,
}

impl Sink for Pauser {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.checker.feed(chunk);
        let n = self.state.chunks.fetch_add(1, Ordering::SeqCst);
        if self.state.paused.load(Ordering::SeqCst) {
            self.state.while_paused.fetch_add(1, Ordering::SeqCst);
        }
        if n == 0 {
            self.state.paused.store(true, Ordering::SeqCst);
            Flow::Pause
        } else {
            Flow::Continue
        }
    }

    fn resume(&mut self) -> Flow {
        let n = self.state.resumes.fetch_add(1, Ordering::SeqCst);
        if n == 0 {
            Flow::Pause
        } else {
            self.state.paused.store(false, Ordering::SeqCst);
            Flow::Continue
        }
    }
}

#[test]
fn paused_stream_stays_paused_while_others_flow_until_resumed() {
    const PAUSED_LEN: u64 = 8 << 20;
    const OTHER_LEN: u64 = 4 << 20;
    let state = Arc::new(PauseState::default());
    let mut reactor = Reactor::new().unwrap();
    let emit = pp_emit().stdout(PAUSED_LEN).seed(11).chunk(1 << 20);
    let paused_id = reactor.spawn(Job::new(emit.command()).stdout(Pauser {
        checker: PatternChecker::new(11),
        state: Arc::clone(&state),
    }));
    let emit = pp_emit().stdout(OTHER_LEN).stderr(OTHER_LEN).seed(21);
    let other_id = reactor.spawn(
        Job::new(emit.chunk(64 << 10).command())
            .stdout(CheckSink::new(21))
            .stderr(CheckSink::new(22)),
    );

    // Turn until the first stream has paused and the other child is done:
    // the other child must finish although the first one is stuck.
    let mut other: Option<Report> = None;
    while other.is_none() || !state.paused.load(Ordering::SeqCst) {
        for report in reactor.turn(None).unwrap() {
            assert_eq!(report.id(), other_id, "{report:?}");
            other = Some(report);
        }
        assert!(state.chunks.load(Ordering::SeqCst) <= 1);
    }
    let mut other = other.unwrap();
    assert!(other.success(), "{other:?}");
    let out: CheckSink = other.take_sink(Stream::Stdout).unwrap();
    out.verify(OTHER_LEN, &StreamEnd::Eof).unwrap();
    let err: CheckSink = other.take_sink(Stream::Stderr).unwrap();
    err.verify(OTHER_LEN, &StreamEnd::Eof).unwrap();

    // Paused: turns go by, nothing arrives, the child is not reported.
    let quiet_turns = |reactor: &mut Reactor| {
        for _ in 0..5 {
            let reports = reactor.turn(Some(Duration::from_millis(20))).unwrap();
            assert!(reports.is_empty(), "{reports:?}");
            assert_eq!(state.chunks.load(Ordering::SeqCst), 1);
        }
    };
    quiet_turns(&mut reactor);

    // The first resume is refused by the sink (`resume` answers Pause).
    reactor.resume(paused_id, Stream::Stdout);
    assert_eq!(state.resumes.load(Ordering::SeqCst), 1);
    quiet_turns(&mut reactor);

    // Resuming stderr (not handled) or an unknown child does nothing.
    reactor.resume(paused_id, Stream::Stderr);
    reactor.resume(other_id, Stream::Stdout);
    assert_eq!(state.resumes.load(Ordering::SeqCst), 1);

    // The second is accepted, and everything flows to the end.
    reactor.resume(paused_id, Stream::Stdout);
    assert_eq!(state.resumes.load(Ordering::SeqCst), 2);
    let mut report = reactor.run().unwrap().remove(0);
    assert_eq!(report.id(), paused_id);
    assert!(report.success(), "{report:?}");
    assert_eq!(report.stdout().unwrap().bytes(), PAUSED_LEN);
    assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Eof);
    assert_eq!(state.while_paused.load(Ordering::SeqCst), 0);
    assert!(state.chunks.load(Ordering::SeqCst) > 1);
    let sink: Pauser = report.take_sink(Stream::Stdout).unwrap();
    sink.checker.verify(PAUSED_LEN).unwrap();
}

/// Pauses after every chunk and has another thread resume it through the
/// [`Resumer`] it was given in `start`.
struct PingPong {
    checker: PatternChecker,
    resumer_to: Option<Sender<Resumer>>,
    paused_to: Option<Sender<()>>,
    paused: Arc<AtomicBool>,
    chunks: u64,
    while_paused: u64,
    resumes: u64,
}

impl Sink for PingPong {
    fn start(&mut self, context: &StreamContext<'_>) {
        assert_eq!(context.stream(), Stream::Stdout);
        let resumer = context.resumer();
        assert_eq!(resumer.child(), context.child());
        assert_eq!(resumer.stream(), Stream::Stdout);
        self.resumer_to.take().unwrap().send(resumer).unwrap();
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.chunks += 1;
        if self.paused.load(Ordering::SeqCst) {
            self.while_paused += 1;
        }
        self.checker.feed(chunk);
        self.paused.store(true, Ordering::SeqCst);
        if let Some(to) = &self.paused_to {
            to.send(()).unwrap();
        }
        Flow::Pause
    }

    fn resume(&mut self) -> Flow {
        self.resumes += 1;
        Flow::Continue
    }

    fn end(&mut self, _end: &StreamEnd) {
        // Lets the resuming thread finish.
        self.paused_to = None;
    }
}

#[test]
fn pause_after_every_chunk_resumed_from_another_thread() {
    const LEN: u64 = 6 << 20;
    let (resumer_to, resumer_from) = unbounded::<Resumer>();
    let (paused_to, paused_from): (Sender<()>, Receiver<()>) = unbounded();
    let paused = Arc::new(AtomicBool::new(false));
    let resumer_thread = {
        let paused = Arc::clone(&paused);
        std::thread::spawn(move || {
            let resumer = resumer_from.recv().unwrap();
            let mut resumed = 0u64;
            while paused_from.recv().is_ok() {
                // Cleared before the resume: a chunk seen while the flag is
                // still set came before it.
                paused.store(false, Ordering::SeqCst);
                resumer.resume();
                resumed += 1;
            }
            resumed
        })
    };

    let mut reactor = Reactor::new().unwrap();
    let emit = pp_emit().stdout(LEN).stderr(LEN).seed(31).chunk(3001);
    reactor.spawn(
        Job::new(emit.command())
            .stdout(PingPong {
                checker: PatternChecker::new(31),
                resumer_to: Some(resumer_to),
                paused_to: Some(paused_to),
                paused: Arc::clone(&paused),
                chunks: 0,
                while_paused: 0,
                resumes: 0,
            })
            .stderr(CheckSink::new(32)),
    );
    let mut report = reactor.run().unwrap().remove(0);
    assert!(report.success(), "{report:?}");
    assert_eq!(report.stdout().unwrap().bytes(), LEN, "{report:?}");
    assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Eof);
    let sink: PingPong = report.take_sink(Stream::Stdout).unwrap();
    let resumed = resumer_thread.join().unwrap();
    sink.checker.verify(LEN).unwrap();
    assert_eq!(sink.while_paused, 0, "chunks delivered while paused");
    assert!(sink.chunks > 1);
    assert_eq!(resumed, sink.chunks);
    // A paused stream is not read, so even its end is seen only after a
    // resume: every pause was followed by exactly one `resume` call.
    assert_eq!(sink.resumes, sink.chunks, "resume() calls vs pauses");
    let err: CheckSink = report.take_sink(Stream::Stderr).unwrap();
    err.verify(LEN, &StreamEnd::Eof).unwrap();
}

/// Closes the stream once it has `after` bytes.
struct Closer {
    checker: PatternChecker,
    after: u64,
    closed: bool,
    chunks_after_close: u64,
    ends: Vec<StreamEnd>,
}

impl Sink for Closer {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        if self.closed {
            self.chunks_after_close += 1;
        }
        self.checker.feed(chunk);
        if self.checker.bytes() >= self.after {
            self.closed = true;
            Flow::Close
        } else {
            Flow::Continue
        }
    }

    fn end(&mut self, end: &StreamEnd) {
        self.ends.push(end.clone());
    }
}

/// pp-emit exits with 3 on EPIPE; a child that does not ignore SIGPIPE
/// would die of it instead. Either way it did not write everything.
fn assert_saw_epipe(report: &Report) {
    assert!(
        report.code() == Some(3) || report.signal() == Some(13),
        "child should have hit EPIPE: {report:?}"
    );
}

#[test]
fn close_ends_the_stream_and_the_child_gets_epipe() {
    const LEN: u64 = 256 << 20;
    const STDERR_LEN: u64 = 1 << 20;
    let mut reactor = Reactor::new().unwrap();
    let emit = pp_emit()
        .stdout(LEN)
        .stderr(STDERR_LEN)
        .seed(41)
        .chunk(4096);
    reactor.spawn(
        Job::new(emit.command())
            .stdout(Closer {
                checker: PatternChecker::new(41),
                after: 100_000,
                closed: false,
                chunks_after_close: 0,
                ends: Vec::new(),
            })
            .stderr(CheckSink::new(42)),
    );
    let mut report = reactor.run().unwrap().remove(0);
    assert_saw_epipe(&report);
    assert!(report.error().is_none(), "{report:?}");

    let stdout = report.stdout().unwrap().clone();
    assert_eq!(stdout.end(), &StreamEnd::Closed, "{report:?}");
    let sink: Closer = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(sink.chunks_after_close, 0);
    assert_eq!(sink.ends, [StreamEnd::Closed]);
    // Counted up to the close, and not a byte more.
    assert_eq!(stdout.bytes(), sink.checker.bytes());
    assert!(stdout.bytes() >= 100_000 && stdout.bytes() < LEN);
    sink.checker.verify(sink.checker.bytes()).unwrap();

    // stderr is its own stream: read to its end (the child stopped
    // writing it when stdout broke).
    let stderr = report.stderr().unwrap().clone();
    assert_eq!(stderr.end(), &StreamEnd::Eof);
    let err: CheckSink = report.take_sink(Stream::Stderr).unwrap();
    err.verify(stderr.bytes(), &StreamEnd::Eof).unwrap();
}

/// Pauses on its first chunk, and closes the stream when resumed.
struct CloseOnResume {
    paused: Arc<AtomicBool>,
    chunks: u64,
    bytes: u64,
    ends: Vec<StreamEnd>,
}

impl Sink for CloseOnResume {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.chunks += 1;
        self.bytes += chunk.len() as u64;
        self.paused.store(true, Ordering::SeqCst);
        Flow::Pause
    }

    fn resume(&mut self) -> Flow {
        Flow::Close
    }

    fn end(&mut self, end: &StreamEnd) {
        self.ends.push(end.clone());
    }
}

#[test]
fn close_from_resume() {
    let paused = Arc::new(AtomicBool::new(false));
    let mut reactor = Reactor::new().unwrap();
    let emit = pp_emit().stdout(64 << 20).seed(51).chunk(1 << 20);
    let id = reactor.spawn(Job::new(emit.command()).stdout(CloseOnResume {
        paused: Arc::clone(&paused),
        chunks: 0,
        bytes: 0,
        ends: Vec::new(),
    }));
    while !paused.load(Ordering::SeqCst) {
        assert!(reactor.turn(None).unwrap().is_empty());
    }
    reactor.resume(id, Stream::Stdout);
    let mut report = reactor.run().unwrap().remove(0);
    assert_saw_epipe(&report);
    assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Closed);
    let sink: CloseOnResume = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(sink.chunks, 1);
    assert_eq!(report.stdout().unwrap().bytes(), sink.bytes);
    assert_eq!(sink.ends, [StreamEnd::Closed]);
}

/// Records every chunk's size while checking the pattern.
struct Sizes {
    checker: PatternChecker,
    sizes: Vec<usize>,
}

impl Sink for Sizes {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.sizes.push(chunk.len());
        self.checker.feed(chunk);
        Flow::Continue
    }
}

#[test]
fn chunk_boundaries_are_arbitrary_but_the_bytes_exact() {
    // (child's write size, bytes per stream)
    let cases: [(u64, u64); 6] = [
        (1, 48 << 10),
        (7, 300 << 10),
        (4093, 3 << 20),
        (65_537, 5 << 20),
        (1_000_003, 9 << 20),
        (3 << 20, (7 << 20) + 5),
    ];
    for read_size in [4096, 65_536 + 1, 256 << 10] {
        let mut reactor = Reactor::with_options(Options::new().read_size(read_size)).unwrap();
        let mut ids = Vec::new();
        for (k, &(chunk, len)) in cases.iter().enumerate() {
            let seed = 100 + 2 * k as u64;
            let emit = pp_emit()
                .stdout(len)
                .stderr(len + 1)
                .seed(seed)
                .chunk(chunk);
            let id = reactor.spawn(
                Job::new(emit.command())
                    .stdout(Sizes {
                        checker: PatternChecker::new(seed),
                        sizes: Vec::new(),
                    })
                    .stderr(Sizes {
                        checker: PatternChecker::new(seed + 1),
                        sizes: Vec::new(),
                    }),
            );
            ids.push((id, chunk, len));
        }
        let mut reports = reactor.run().unwrap();
        for (id, chunk, len) in ids {
            let report = reports.iter_mut().find(|r| r.id() == id).unwrap();
            assert!(report.success(), "{report:?}");
            for (stream, len) in [(Stream::Stdout, len), (Stream::Stderr, len + 1)] {
                let sink: Sizes = report.take_sink(stream).unwrap();
                let what = format!("write size {chunk}, read size {read_size}, {stream}");
                sink.checker
                    .verify(len)
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                assert!(
                    sink.sizes.iter().all(|&n| n > 0 && n <= read_size),
                    "{what}: chunk sizes out of 1..={read_size}"
                );
                assert_eq!(sink.sizes.iter().map(|&n| n as u64).sum::<u64>(), len);
            }
        }
    }
}
