//! `Ready` against real children: a thread waits for a server's ready
//! line and goes on; the pattern is found when the child's writes cut it;
//! a child that ends without it ends the wait at once; a line that never
//! ends keeps memory bounded; the inner sink gets every byte, in order,
//! through pauses and zero-copy alike.
//!
//! Timeouts here are guards against a hang, never measurements: each test
//! asserts what happened and in which order.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crossbeam_channel::Sender;
use procpump::{
    Chunk, Discard, Flow, Handle, Input, IntoSink, Job, Reactor, Sink, Stream, StreamContext,
    StreamEnd,
};
use procpump_adapters::{FileSink, Limited, OnLimit, Readiness, Ready, Waiter, DEFAULT_READY_LINE};
use procpump_tests::sinks::{CheckSink, Collect};
use procpump_tests::{bin, line_text, PatternChecker};

/// Long enough never to be reached unless something hangs.
const HANG_GUARD: Duration = Duration::from_secs(60);

fn sh(script: &str) -> Command {
    let mut sh = Command::new("sh");
    sh.args(["-c", script]);
    sh
}

/// The text of the line `readiness` found; panics if it found none.
fn ready_text(readiness: Option<Readiness>) -> String {
    match readiness {
        Some(Readiness::Ready(line)) => line.text_lossy().into_owned(),
        other => panic!("expected a ready line, got {other:?}"),
    }
}

#[test]
fn a_thread_waits_for_the_server_then_starts_its_client() {
    let handle = Handle::start().unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let told = Arc::clone(&order);
    let ready = Ready::new("listening on", Collect::new()).on_ready(move |line| {
        told.lock()
            .unwrap()
            .push(format!("callback: {}", line.text_lossy()));
    });
    let waiter = ready.waiter();
    // Prints, then its ready line after a while, then serves until killed.
    let server = sh("echo starting; echo loading config; sleep 0.2; \
         echo 'listening on 127.0.0.1:4000'; while :; do echo tick; sleep 0.01; done");
    let server = handle.spawn(Job::new(server).stdout(ready).process_group(true));

    let client = {
        let (handle, order) = (handle.clone(), Arc::clone(&order));
        thread::spawn(move || {
            let line = ready_text(waiter.wait_timeout(HANG_GUARD));
            order.lock().unwrap().push(format!("waiter: {line}"));
            let port = line.rsplit(':').next().unwrap();
            let mut echo = Command::new("echo");
            echo.arg(format!("client of port {port}"));
            let mut report = handle
                .spawn(Job::new(echo).stdout(Collect::new()))
                .wait()
                .unwrap();
            report.take_sink::<Collect>(Stream::Stdout).unwrap().bytes
        })
    };
    assert_eq!(client.join().unwrap(), b"client of port 4000\n");
    // The server was ready, not gone: it still runs.
    assert!(server.wait_timeout(Duration::ZERO).is_none());
    assert_eq!(
        *order.lock().unwrap(),
        [
            "callback: listening on 127.0.0.1:4000",
            "waiter: listening on 127.0.0.1:4000"
        ]
    );

    server.kill();
    let mut report = server.wait().unwrap();
    assert_eq!(report.signal(), Some(9));
    let ready: Ready<Collect> = report.take_sink(Stream::Stdout).unwrap();
    assert!(ready.readiness().unwrap().is_ready());
    let inner = ready.into_inner();
    assert!(inner
        .bytes
        .starts_with(b"starting\nloading config\nlistening on 127.0.0.1:4000\n"));
    assert_eq!(inner.bytes.len() as u64, report.stdout().unwrap().bytes());
    assert_eq!((inner.starts, inner.ends.len()), (1, 1));
    handle.shutdown();
}

/// Records each chunk, and whether the readiness was known when it came;
/// lets the child go on (through its stdin) once the first chunk is in.
struct Stepper {
    go: Option<Sender<Vec<u8>>>,
    waiter: Option<Waiter>,
    chunks: Vec<(Vec<u8>, bool)>,
}

impl Sink for Stepper {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        let known = self.waiter.as_ref().unwrap().try_wait().is_some();
        self.chunks.push((chunk.to_vec(), known));
        if let Some(go) = self.go.take() {
            go.send(b"go\n".to_vec()).unwrap();
        }
        Flow::Continue
    }
}

#[test]
fn a_pattern_cut_between_two_writes_is_found() {
    // `printf 'liste'; sleep 0.1; printf 'ning on\n'`, made certain: the
    // child writes the rest only once the first part has been read.
    let (go, gate) = crossbeam_channel::unbounded();
    let stepper = Stepper {
        go: Some(go),
        waiter: None,
        chunks: Vec::new(),
    };
    let mut ready = Ready::new("listening on", stepper);
    let waiter = ready.waiter();
    ready.inner_mut().waiter = Some(waiter.clone());

    let child = sh("printf liste; read go; printf 'ning on :80\\n'; echo after");
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(
        Job::new(child)
            .stdin(Input::channel(gate))
            .stdout(ready)
            .timeout(HANG_GUARD),
    );
    let mut report = reactor.run().unwrap().remove(0);
    assert!(report.success(), "{report:?}");
    assert_eq!(ready_text(waiter.try_wait()), "listening on :80");

    let ready: Ready<Stepper> = report.take_sink(Stream::Stdout).unwrap();
    let chunks = ready.into_inner().chunks;
    // Two chunks at least; the inner sink had each before it was looked at.
    assert_eq!(chunks[0], (b"liste".to_vec(), false));
    assert!(!chunks[1].1);
    let all: Vec<u8> = chunks.iter().flat_map(|(bytes, _)| bytes.clone()).collect();
    assert_eq!(all, b"listening on :80\nafter\n");
}

#[test]
fn a_child_that_ends_without_the_line_ends_the_wait() {
    let handle = Handle::start().unwrap();
    let called = Arc::new(Mutex::new(false));

    // Exits, having printed something else.
    let flag = Arc::clone(&called);
    let failing = Ready::new("listening on", Collect::new()).on_ready(move |_line| {
        *flag.lock().unwrap() = true;
    });
    let failing_waiter = failing.waiter();
    let child = sh("echo starting; echo 'fatal: port in use' >&2; exit 1");
    let failing_child = handle.spawn(Job::new(child).stdout(failing));

    // Its inner sink closes the stream first (and `yes` dies of SIGPIPE).
    let closed = Ready::new("listening on", Limited::new(10).on_limit(OnLimit::Close));
    let closed_waiter = closed.waiter();
    let closed_child = handle.spawn(Job::new(Command::new("yes")).stdout(closed));

    // Never starts.
    let missing = Ready::new("listening on", Discard);
    let missing_waiter = missing.waiter();
    let program = Command::new("/nonexistent/pp-no-such-program");
    let missing_child = handle.spawn(Job::new(program).stdout(missing));

    let ended = |waiter: &Waiter| waiter.wait_timeout(HANG_GUARD).expect("still waiting");
    assert_eq!(ended(&failing_waiter), Readiness::Ended(StreamEnd::Eof));
    assert_eq!(ended(&closed_waiter), Readiness::Ended(StreamEnd::Closed));
    assert_eq!(
        ended(&missing_waiter),
        Readiness::Ended(StreamEnd::NotStarted)
    );
    assert!(!*called.lock().unwrap());

    let mut report = failing_child.wait().unwrap();
    assert_eq!(report.code(), Some(1));
    let ready: Ready<Collect> = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(ready.into_inner().ends, [StreamEnd::Eof]);
    assert_eq!(closed_child.wait().unwrap().signal(), Some(13));
    assert!(missing_child.wait().unwrap().error().is_some());
    handle.shutdown();
}

/// Forwards to a `Ready` and records the most it ever held.
struct Probe {
    ready: Ready<Collect>,
    most_held: usize,
}

impl Sink for Probe {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        let flow = self.ready.chunk(chunk);
        self.most_held = self.most_held.max(self.ready.held());
        flow
    }

    fn start(&mut self, context: &StreamContext<'_>) {
        self.ready.start(context);
    }

    fn end(&mut self, end: &StreamEnd) {
        self.ready.end(end);
    }
}

#[test]
fn a_line_that_never_ends_keeps_memory_bounded() {
    const LINE: usize = 32 << 20;
    let pattern = "listening on";
    let mut reactor = Reactor::new().unwrap();
    // 32 MiB of `x` with no newline, then the pattern on the same line.
    let child = sh(&format!(
        "head -c {LINE} /dev/zero | tr '\\0' x; echo ' {pattern}'"
    ));
    let probe = Probe {
        ready: Ready::new(pattern, Collect::new()),
        most_held: 0,
    };
    reactor.spawn(Job::new(child).stdout(probe));
    let mut report = reactor.run().unwrap().remove(0);
    assert!(report.success(), "{report:?}");

    let probe: Probe = report.take_sink(Stream::Stdout).unwrap();
    // The line's start, and fewer bytes than the pattern of the stream's end.
    assert!(probe.most_held < DEFAULT_READY_LINE + pattern.len());
    assert_eq!(probe.ready.held(), 0);
    // Told as soon as the line passed what is kept: its start only.
    let readiness = probe.ready.readiness().unwrap();
    let line = readiness.line().unwrap();
    assert!(line.is_truncated() && !line.is_terminated());
    assert_eq!(line.bytes(), vec![b'x'; DEFAULT_READY_LINE]);
    assert_eq!(probe.ready.inner().bytes.len(), LINE + pattern.len() + 2);
}

#[test]
fn the_inner_sink_gets_every_byte_through_pauses() {
    const COUNT: u64 = 20_000;
    let expected: String = (0..COUNT).map(|i| line_text(i, 80)).collect();
    // A one-chunk channel and a slow consumer: the inner sink pauses and
    // is resumed over and over.
    let (chunks, receiver) = crossbeam_channel::bounded::<Chunk>(1);
    let consumer = thread::spawn(move || {
        let mut bytes = Vec::new();
        for (i, chunk) in receiver.iter().enumerate() {
            bytes.extend_from_slice(chunk.bytes());
            if i % 8 == 0 {
                thread::sleep(Duration::from_millis(1));
            }
        }
        bytes
    });
    let ready = Ready::new("10000 ", chunks.into_sink());
    let waiter = ready.waiter();
    let mut lines = Command::new(bin("pp-lines"));
    lines.args(["--count", &COUNT.to_string()]);
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(Job::new(lines).stdout(ready));
    let reports = reactor.run().unwrap();
    assert!(reports[0].success(), "{:?}", reports[0]);

    assert_eq!(
        ready_text(waiter.try_wait()),
        line_text(10_000, 80).trim_end()
    );
    let got = consumer.join().unwrap();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected.as_bytes(), "the bytes differ");
}

#[test]
fn megabytes_without_the_pattern_pass_unchanged() {
    const SIZE: u64 = 16 << 20;
    let mut emit = Command::new(bin("pp-emit"));
    emit.args(["--stdout", "16M", "--seed", "7", "--chunk", "64K"]);
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(Job::new(emit).stdout(Ready::new("listening on", CheckSink::new(7))));
    let mut report = reactor.run().unwrap().remove(0);
    assert!(report.success(), "{report:?}");
    let ready: Ready<CheckSink> = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(ready.readiness(), Some(Readiness::Ended(StreamEnd::Eof)));
    ready.inner().verify(SIZE, &StreamEnd::Eof).unwrap();
}

#[test]
fn a_zero_copy_inner_sink_splices_only_after_the_line() {
    const SIZE: u64 = 32 << 20;
    let path = std::env::temp_dir().join(format!("procpump-ready-{}", std::process::id()));
    let file = FileSink::create(&path).unwrap().zero_copy(true);
    let ready = Ready::new("listening on", file);
    let waiter = ready.waiter();
    let emit = bin("pp-emit").display().to_string();
    let child = sh(&format!(
        "echo 'boot'; echo 'listening on :9'; exec '{emit}' --stdout 32M --seed 5"
    ));
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(Job::new(child).stdout(ready));
    let mut report = reactor.run().unwrap().remove(0);
    assert!(report.success(), "{report:?}");
    assert_eq!(ready_text(waiter.try_wait()), "listening on :9");

    let ready: Ready<FileSink> = report.take_sink(Stream::Stdout).unwrap();
    let file = ready.into_inner();
    assert!(file.error().is_none(), "{:?}", file.error());
    let head = b"boot\nlistening on :9\n";
    assert_eq!(file.bytes(), head.len() as u64 + SIZE);
    // What came before the line was never spliced past the watcher; after
    // it, the reactor asks again and the rest is spliced (on Linux).
    assert!(file.spliced_bytes() <= SIZE, "{file:?}");
    if cfg!(target_os = "linux") {
        assert!(
            file.spliced_bytes() > 0,
            "never spliced after the line: {file:?}"
        );
    }
    let content = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(&content[..head.len()], head);
    let mut checker = PatternChecker::new(5);
    checker.feed(&content[head.len()..]);
    checker.verify(SIZE).unwrap();
}
