//! `Job::merged`: the child's stdout and stderr share one pipe, read into
//! one sink, so the bytes arrive in the true order the child wrote them,
//! whatever their size and however the reactor's reads cut them.

use std::process::Command;

use procpump::{Flow, Job, Options, Reactor, Report, Sink, StreamEnd};
use procpump_tests::fill_pattern;
use procpump_tests::programs::{pp_emit, pp_fault};
use procpump_tests::sinks::Collect;

fn run_one(job: Job, options: Options) -> Report {
    let mut reactor = Reactor::with_options(options).unwrap();
    reactor.spawn(job);
    let mut reports = reactor.run().unwrap();
    assert_eq!(reports.len(), 1);
    reports.remove(0)
}

fn merged_bytes(report: &mut Report) -> Collect {
    let merged: Collect = report.take_sink(procpump::Stream::Stdout).unwrap();
    assert_eq!(merged.starts, 1);
    assert_eq!(merged.ends, [StreamEnd::Eof]);
    merged
}

#[test]
fn a_shell_alternating_streams_arrives_in_order() {
    let mut sh = Command::new("sh");
    sh.args(["-c", "echo a; echo b >&2; echo c; echo d >&2"]);
    let mut report = run_one(Job::new(sh).merged(Collect::new()), Options::new());
    assert!(report.success(), "{report:?}");
    // Reported as stdout; there is no separate stderr.
    assert_eq!(report.stdout().unwrap().bytes(), 8, "{report:?}");
    assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Eof);
    assert!(report.stderr().is_none(), "{report:?}");
    assert_eq!(merged_bytes(&mut report).bytes, b"a\nb\nc\nd\n");
}

#[test]
fn merged_after_separate_sinks_is_rejected_not_silently_dropped() {
    let mut sh = Command::new("sh");
    sh.args(["-c", "echo out; echo err >&2"]);
    let job = Job::new(sh)
        .stdout(|_: &[u8]| -> Flow { panic!("the stdout sink must not be used") })
        .stderr(|_: &[u8]| -> Flow { panic!("the stderr sink must not be used") })
        .merged(Collect::new());
    let report = run_one(job, Options::new());
    assert!(report.pid().is_none(), "started: {report:?}");
    let Some(procpump::Error::InvalidJob { reason, .. }) = report.error() else {
        panic!("{report:?}");
    };
    assert_eq!(reason, "`stdout` and `merged` both set its output");
}

/// Twenty thousand small writes alternating between fd 1 and fd 2, each
/// numbered: merged, they come out exactly interleaved, even with the
/// smallest reads the reactor allows.
#[test]
fn small_alternating_writes_keep_their_order() {
    const COUNT: u64 = 20_000;
    for options in [Options::new(), Options::new().read_size(4096).pipe_size(0)] {
        let mut interleave = pp_fault("interleave");
        interleave.args(["--count", &COUNT.to_string()]);
        let mut report = run_one(Job::new(interleave).merged(Collect::new()), options);
        assert!(report.success(), "{report:?}");
        let mut expected = String::new();
        for i in 0..COUNT {
            expected.push_str(&format!("o{i}\ne{i}\n"));
        }
        let merged = merged_bytes(&mut report);
        assert_eq!(report.stdout().unwrap().bytes(), expected.len() as u64);
        if merged.bytes != expected.as_bytes() {
            let at = merged
                .bytes
                .iter()
                .zip(expected.as_bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(merged.bytes.len().min(expected.len()));
            let from = at.saturating_sub(20);
            panic!(
                "order lost at byte {at}: got {:?}, expected {:?}",
                String::from_utf8_lossy(&merged.bytes[from..(at + 20).min(merged.bytes.len())]),
                &expected[from..(at + 20).min(expected.len())]
            );
        }
    }
}

/// Checks a merged stream made by `pp-emit`: chunks of `chunk` bytes
/// alternating between the stdout pattern (seed `seed`) and the stderr
/// pattern (seed `seed + 1`), stdout first, until both lengths are done.
struct Interleaved {
    seed: u64,
    chunk: u64,
    lengths: [u64; 2],
    positions: [u64; 2],
    /// Which stream the next byte belongs to, and how far into its
    /// current chunk it is.
    turn: usize,
    in_chunk: u64,
    bytes: u64,
    error: Option<String>,
    expected: Vec<u8>,
}

impl Interleaved {
    fn new(seed: u64, chunk: u64, out: u64, err: u64) -> Interleaved {
        Interleaved {
            seed,
            chunk,
            lengths: [out, err],
            positions: [0, 0],
            turn: 0,
            in_chunk: 0,
            bytes: 0,
            error: None,
            expected: Vec::new(),
        }
    }

    /// Moves on to the next stream that still has bytes.
    fn next_turn(&mut self) {
        self.in_chunk = 0;
        let other = 1 - self.turn;
        if self.positions[other] < self.lengths[other] {
            self.turn = other;
        }
    }

    fn feed(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() && self.error.is_none() {
            let stream = self.turn;
            let left_in_stream = self.lengths[stream] - self.positions[stream];
            let left = (self.chunk - self.in_chunk).min(left_in_stream);
            if left == 0 {
                self.error = Some(format!("{} bytes more than expected", chunk.len()));
                return;
            }
            let n = (chunk.len() as u64).min(left) as usize;
            self.expected.resize(n, 0);
            let seed = self.seed + stream as u64;
            fill_pattern(seed, self.positions[stream], &mut self.expected);
            if chunk[..n] != self.expected[..] {
                self.error = Some(format!(
                    "merged byte {} (stream {stream}, offset {}) out of order",
                    self.bytes, self.positions[stream]
                ));
                return;
            }
            self.positions[stream] += n as u64;
            self.in_chunk += n as u64;
            self.bytes += n as u64;
            chunk = &chunk[n..];
            if self.in_chunk == self.chunk || self.positions[stream] == self.lengths[stream] {
                self.next_turn();
            }
        }
    }

    fn verify(&self) {
        if let Some(error) = &self.error {
            panic!("{error}");
        }
        assert_eq!(self.positions, self.lengths, "bytes missing");
    }
}

impl Sink for Interleaved {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.feed(chunk);
        Flow::Continue
    }
}

/// Megabytes through one pipe from both descriptors, in chunks smaller
/// than, equal to and larger than a pipe's capacity: every byte in place.
#[test]
fn large_interleaved_output_keeps_its_order() {
    for (chunk, out, err) in [
        (4096, 8 << 20, 8 << 20),
        (65_536, 16 << 20, 4 << 20),
        (1 << 20, 6 << 20, 9 << 20),
        (1000, 3 << 20, 0),
    ] {
        let seed = chunk;
        let emit = pp_emit().stdout(out).stderr(err).chunk(chunk).seed(seed);
        let mut report = run_one(
            Job::new(emit.command()).merged(Interleaved::new(seed, chunk, out, err)),
            Options::new(),
        );
        assert!(report.success(), "{report:?}");
        assert_eq!(report.stdout().unwrap().bytes(), out + err, "{report:?}");
        let checker: Interleaved = report.take_sink(procpump::Stream::Stdout).unwrap();
        checker.verify();
    }
}
