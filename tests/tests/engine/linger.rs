//! Exit and end of output are separate events: a child that exits while a
//! grandchild still holds its stdout and stderr is reported once the linger
//! is over, with those streams flagged `ForceClosed`, and never hangs until
//! the grandchild goes.

use procpump::{Flow, Job, Options, Reactor, Report, Sink, Stream, StreamContext, StreamEnd};
use procpump_tests::sinks::Collect;
use procpump_tests::{eventually, process_group_members};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `sh` prints "hi", leaves a `sleep` holding its stdout and stderr, and
/// exits at once. The sleep's odd duration makes it recognisable; the shell
/// leads a process group of its own so the sleep can be killed afterwards.
fn shell_leaving_a_sleeper(seconds: &str) -> Command {
    let mut sh = Command::new("sh");
    sh.args(["-c", &format!("echo hi; sleep {seconds} & exit 0")]);
    sh.process_group(0);
    sh
}

/// Kills what is left of a process group (the sleeping grandchild) when
/// dropped, so that nothing outlives the test even when an assertion fails.
struct KillGroup(i32);

impl KillGroup {
    fn of(report: &Report) -> KillGroup {
        KillGroup(report.pid().expect("started") as i32)
    }

    /// Checks that the grandchild was still there (the pipes really were
    /// held), kills it, and checks that it is gone.
    fn kill_and_check(self) {
        let group = self.0;
        assert!(
            process_group_members(group)
                .iter()
                .any(|&(_, state)| state != 'Z'),
            "the grandchild should still be sleeping"
        );
        drop(self);
        // The grandchild is reaped by init (or a subreaper), not by us: wait
        // for it to die.
        assert!(
            eventually(Duration::from_secs(10), || process_group_members(group)
                .iter()
                .all(|&(_, state)| state == 'Z')),
            "grandchild still alive: {:?}",
            process_group_members(group)
        );
    }
}

impl Drop for KillGroup {
    fn drop(&mut self) {
        if let Some(pgid) = rustix::process::Pid::from_raw(self.0) {
            let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
        }
    }
}

fn check_force_closed(report: &mut Report, linger: Duration) {
    assert!(report.success(), "{report:?}");
    for stream in [report.stdout(), report.stderr()] {
        assert_eq!(
            stream.expect("handled").end(),
            &StreamEnd::ForceClosed,
            "{report:?}"
        );
    }
    assert_eq!(report.stdout().unwrap().bytes(), 3, "{report:?}");
    assert_eq!(report.stderr().unwrap().bytes(), 0, "{report:?}");

    let exited = report.exited().expect("exit seen");
    assert!(exited >= report.started());
    assert!(report.finished() >= exited);
    // The pipes are closed once the linger, counted from the exit, is over.
    assert!(
        report.finished() - exited >= linger,
        "finished {:?} after the exit, linger {linger:?}",
        report.finished() - exited
    );

    let out: Collect = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(out.bytes, b"hi\n");
    assert_eq!(out.ends, [StreamEnd::ForceClosed]);
    let err: Collect = report.take_sink(Stream::Stderr).unwrap();
    assert_eq!(err.ends, [StreamEnd::ForceClosed]);
}

#[test]
fn job_linger_closes_pipes_held_by_a_grandchild() {
    let linger = Duration::from_millis(500);
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(
        Job::new(shell_leaving_a_sleeper("30.123"))
            .stdout(Collect::new())
            .stderr(Collect::new())
            .linger(linger),
    );
    let begin = Instant::now();
    let mut report = reactor.run().unwrap().remove(0);
    let took = begin.elapsed();
    let leftovers = KillGroup::of(&report);
    assert!(took < Duration::from_secs(10), "run took {took:?}");
    check_force_closed(&mut report, linger);
    leftovers.kill_and_check();
}

#[test]
fn options_linger_applies_to_every_job() {
    let linger = Duration::from_millis(300);
    let mut reactor = Reactor::with_options(Options::new().linger(linger)).unwrap();
    reactor.spawn(
        Job::new(shell_leaving_a_sleeper("30.124"))
            .stdout(Collect::new())
            .stderr(Collect::new()),
    );
    let begin = Instant::now();
    let mut report = reactor.run().unwrap().remove(0);
    let took = begin.elapsed();
    let leftovers = KillGroup::of(&report);
    assert!(took < Duration::from_secs(10), "run took {took:?}");
    check_force_closed(&mut report, linger);
    leftovers.kill_and_check();
}

#[test]
fn default_linger_is_two_seconds() {
    let default = Duration::from_secs(2);
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(
        Job::new(shell_leaving_a_sleeper("30.125"))
            .stdout(Collect::new())
            .stderr(Collect::new()),
    );
    let begin = Instant::now();
    let mut report = reactor.run().unwrap().remove(0);
    let took = begin.elapsed();
    let leftovers = KillGroup::of(&report);
    assert!(
        took < default + Duration::from_secs(3),
        "run took {took:?} with the default linger"
    );
    check_force_closed(&mut report, default);
    leftovers.kill_and_check();
}

#[test]
fn no_linger_needed_when_the_grandchild_closes_first() {
    // The grandchild exits before the linger is over: its pipes end with
    // EOF, all its output is delivered, nothing is force-closed.
    let mut sh = Command::new("sh");
    sh.args(["-c", "echo hi; (sleep 0.2; echo late) & exit 0"]);
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(
        Job::new(sh)
            .stdout(Collect::new())
            .linger(Duration::from_secs(20)),
    );
    let begin = Instant::now();
    let mut report = reactor.run().unwrap().remove(0);
    assert!(begin.elapsed() < Duration::from_secs(10));
    assert_eq!(
        report.stdout().unwrap().end(),
        &StreamEnd::Eof,
        "{report:?}"
    );
    let out: Collect = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(out.bytes, b"hi\nlate\n");
    let exited = report.exited().unwrap();
    assert!(report.finished() > exited);
}

/// Pauses on its first chunk; tells the test the child's pid and whether
/// it has paused.
struct PauseFirst {
    pid: Arc<AtomicU32>,
    paused: Arc<AtomicBool>,
    bytes: Vec<u8>,
    ends: Vec<StreamEnd>,
}

impl Sink for PauseFirst {
    fn start(&mut self, context: &StreamContext<'_>) {
        self.pid.store(context.pid(), Ordering::SeqCst);
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.bytes.extend_from_slice(chunk);
        self.paused.store(true, Ordering::SeqCst);
        Flow::Pause
    }

    fn end(&mut self, end: &StreamEnd) {
        self.ends.push(end.clone());
    }
}

#[test]
fn paused_stream_is_force_closed_after_it_is_resumed() {
    // Time paused does not count against the linger, but once resumed, a
    // stream still held by a grandchild must be closed when the linger is
    // over, even if the pause outlasted the linger.
    let linger = Duration::from_millis(200);
    let pid = Arc::new(AtomicU32::new(0));
    let paused = Arc::new(AtomicBool::new(false));
    let mut reactor = Reactor::new().unwrap();
    let id = reactor.spawn(
        Job::new(shell_leaving_a_sleeper("30.127"))
            .stdout(PauseFirst {
                pid: Arc::clone(&pid),
                paused: Arc::clone(&paused),
                bytes: Vec::new(),
                ends: Vec::new(),
            })
            .stderr(Collect::new())
            .linger(linger),
    );
    let turn = |reactor: &mut Reactor, timeout| {
        let reports = reactor.turn(Some(timeout)).unwrap();
        assert!(reports.is_empty(), "reported while paused: {reports:?}");
    };
    // Paused, and the shell has exited and was reaped.
    while !paused.load(Ordering::SeqCst) {
        turn(&mut reactor, Duration::from_millis(50));
    }
    let shell = pid.load(Ordering::SeqCst);
    let leftovers = KillGroup(shell as i32);
    let waited = Instant::now();
    while std::fs::metadata(format!("/proc/{shell}")).is_ok() {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "shell not reaped"
        );
        turn(&mut reactor, Duration::from_millis(20));
    }
    // Stay paused well past the linger.
    let until = Instant::now() + linger * 3;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        turn(&mut reactor, left);
    }

    // Taken before the resume: the new linger starts at the resume.
    let resumed = Instant::now();
    reactor.resume(id, Stream::Stdout);
    let mut report = loop {
        if let Some(report) = reactor.turn(Some(Duration::from_millis(50))).unwrap().pop() {
            break report;
        }
        assert!(
            resumed.elapsed() < Duration::from_secs(5),
            "the resumed stream was never closed: the run would wait for the grandchild \
             (30 s) although the linger ({linger:?}) is long over"
        );
    };
    assert_eq!(
        report.stdout().unwrap().end(),
        &StreamEnd::ForceClosed,
        "{report:?}"
    );
    assert_eq!(
        report.stderr().unwrap().end(),
        &StreamEnd::ForceClosed,
        "{report:?}"
    );
    assert!(report.finished() - resumed >= linger);
    let out: PauseFirst = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(out.bytes, b"hi\n");
    assert_eq!(out.ends, [StreamEnd::ForceClosed]);
    leftovers.kill_and_check();
}
