//! The output stream's state machine, driven through a real pipe (no
//! child process): what each `Flow` does, and what the sink is told.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::sync::{Arc, Mutex};

use super::*;
use crate::base::{Key, Target};
use crate::mailbox::PipeBudget;
use crate::mailbox::Shared;
use crate::sys::Poller;
use crate::Sink;

/// Answers scripted flows (then `Continue`) and records every call.
struct Script {
    flows: VecDeque<Flow>,
    calls: Arc<Mutex<Vec<String>>>,
}

impl Script {
    fn answer(&mut self, call: String) -> Flow {
        self.calls.lock().unwrap().push(call);
        self.flows.pop_front().unwrap_or(Flow::Continue)
    }
}

impl Sink for Script {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.answer(format!("chunk {}", chunk.len()))
    }

    fn resume(&mut self) -> Flow {
        self.answer("resume".into())
    }

    fn end(&mut self, end: &StreamEnd) {
        self.calls.lock().unwrap().push(format!("end {end:?}"));
    }

    fn flush(&mut self) -> Flow {
        self.answer("flush".into())
    }
}

const SIZES: PipeSizes = PipeSizes {
    near: 1 << 16,
    far: 1 << 16,
};

struct Fixture {
    stream: OutputStream,
    writer: Option<File>,
    calls: Arc<Mutex<Vec<String>>>,
    buf: Vec<u8>,
}

impl Fixture {
    /// A stream on a fresh pipe whose sink answers `flows`.
    fn new(flows: &[Flow]) -> Fixture {
        let poller = Poller::new().unwrap();
        let shared = Arc::new(Shared::new(poller, PipeBudget::new(Some(0))));
        let (read, write) = crate::sys::pipe().unwrap();
        let key = Key::new(0, Target::Output(Output::Stdout));
        let pipe = Pipe::new(read, key, Interest::Read, 0, shared).unwrap();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let sink = Script {
            flows: flows.iter().copied().collect(),
            calls: Arc::clone(&calls),
        };
        Fixture {
            stream: OutputStream::new(Output::Stdout, pipe, Box::new(sink)),
            writer: Some(File::from(write)),
            calls,
            buf: vec![0; 4096],
        }
    }

    fn write(&mut self, bytes: usize) {
        let writer = self.writer.as_mut().unwrap();
        writer.write_all(&vec![b'x'; bytes]).unwrap();
    }

    fn read(&mut self) {
        self.stream.on_readable(&mut self.buf, SIZES).unwrap();
    }

    fn calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    fn report(self) -> (OutputReport, bool) {
        let (report, sink, failure) = self.stream.into_report();
        assert!(failure.is_none());
        (report, sink.is_some())
    }
}

#[test]
fn a_paused_stream_is_not_read_until_resumed() {
    let mut f = Fixture::new(&[Flow::Pause]);
    f.write(10);
    f.read();
    assert_eq!(f.calls(), ["chunk 10"]);
    f.write(20);
    f.read();
    assert!(f.calls().is_empty(), "read while paused");
    assert!(f.stream.resume().unwrap());
    f.read();
    assert_eq!(f.calls(), ["resume", "chunk 20"]);
    f.writer = None;
    f.read();
    assert_eq!(f.calls(), ["end Eof", "flush"]);
    assert!(f.stream.is_done());
    let (report, has_sink) = f.report();
    assert_eq!(report, OutputReport::new(30, 0, StreamEnd::Eof));
    assert!(has_sink);
}

#[test]
fn a_resume_answered_with_pause_stays_paused() {
    let mut f = Fixture::new(&[Flow::Pause, Flow::Pause]);
    f.write(5);
    f.read();
    assert!(!f.stream.resume().unwrap());
    f.write(5);
    f.read();
    assert_eq!(f.calls(), ["chunk 5", "resume"]);
}

#[test]
fn discard_reads_on_without_the_sink_and_counts_the_chunk_that_said_so() {
    let mut f = Fixture::new(&[Flow::Continue, Flow::Discard]);
    f.write(3);
    f.read();
    f.write(4);
    f.read();
    f.write(5);
    f.read();
    f.writer = None;
    f.read();
    // Not told of the end either.
    assert_eq!(f.calls(), ["chunk 3", "chunk 4"]);
    assert!(f.stream.is_done());
    let (report, _) = f.report();
    assert_eq!(report, OutputReport::new(12, 9, StreamEnd::Eof));
}

#[test]
fn close_ends_the_stream_and_tells_the_sink() {
    let mut f = Fixture::new(&[Flow::Close]);
    f.write(8);
    f.read();
    assert_eq!(f.calls(), ["chunk 8", "end Closed", "flush"]);
    assert!(f.stream.is_done());
    // The reactor's end is closed: the writer's next write fails.
    let write = f.writer.as_mut().unwrap().write_all(b"more");
    assert_eq!(write.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    f.read();
    assert!(f.calls().is_empty());
    assert_eq!(f.report().0, OutputReport::new(8, 0, StreamEnd::Closed));
}

#[test]
fn a_sink_that_cannot_flush_yet_is_flushed_again_at_each_resume() {
    let mut f = Fixture::new(&[Flow::Continue, Flow::Pause, Flow::Pause]);
    f.write(1);
    f.read();
    f.writer = None;
    f.read();
    assert!(!f.stream.is_done());
    assert!(!f.stream.resume().unwrap());
    assert!(!f.stream.is_done());
    assert!(!f.stream.resume().unwrap());
    assert!(f.stream.is_done());
    assert_eq!(f.calls(), ["chunk 1", "end Eof", "flush", "flush", "flush"]);
}

#[test]
fn a_kill_drops_a_sink_still_flushing_without_telling_it_twice() {
    let mut f = Fixture::new(&[Flow::Pause]);
    f.writer = None;
    f.read();
    f.stream.kill();
    assert_eq!(f.calls(), ["end Eof", "flush"]);
    let (report, has_sink) = f.report();
    assert_eq!(report.end(), &StreamEnd::Eof);
    assert!(!has_sink, "the flushing sink was kept");
}

#[test]
fn a_kill_tells_the_sink_and_drops_one_that_panics_in_end() {
    let mut f = Fixture::new(&[Flow::Pause]);
    f.write(1);
    f.read();
    f.stream.kill();
    assert_eq!(f.calls(), ["chunk 1", "end Killed"]);
    let (report, has_sink) = f.report();
    assert_eq!(report.end(), &StreamEnd::Killed);
    assert!(has_sink);

    struct Panics;
    impl Sink for Panics {
        fn chunk(&mut self, _: &[u8]) -> Flow {
            Flow::Continue
        }
        fn end(&mut self, _: &StreamEnd) {
            panic!("again");
        }
    }
    let mut f = Fixture::new(&[]);
    let OutputStream { output, state, .. } = f.stream;
    let State::Reading { pipe, .. } = state else {
        unreachable!()
    };
    f.stream = OutputStream::new(output, pipe, Box::new(Panics));
    f.stream.kill();
    let (report, has_sink) = f.report();
    assert_eq!(report.end(), &StreamEnd::Killed);
    assert!(!has_sink, "a sink that panicked in `end` was kept");
}

#[test]
fn the_linger_closes_a_stream_being_read_but_not_a_paused_one() {
    let mut reading = Fixture::new(&[]);
    reading.stream.linger_over();
    assert_eq!(reading.calls(), ["end ForceClosed", "flush"]);

    let mut paused = Fixture::new(&[Flow::Pause]);
    paused.write(2);
    paused.read();
    paused.stream.linger_over();
    assert!(!paused.stream.is_done());
    assert_eq!(paused.calls(), ["chunk 2"]);
}
