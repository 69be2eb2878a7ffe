//! `Reactor::kill` ends one running child with `SIGKILL`; its streams end
//! as the pipes close and it is reported as usual, the others run on.
//! `Reactor::cancel` ends a child whatever its state.

use procpump::{Discard, Flow, Input, Job, Reactor, Sink, Stream, StreamContext, StreamEnd};
use procpump_tests::programs::{pp_emit, pp_sleep};
use procpump_tests::sinks::{CheckSink, Collect};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Collects, and tells the test once its child has started.
struct Started(Arc<AtomicBool>, Collect);

impl Sink for Started {
    fn start(&mut self, context: &StreamContext<'_>) {
        self.1.start(context);
        self.0.store(true, Ordering::SeqCst);
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.1.chunk(chunk)
    }

    fn end(&mut self, end: &StreamEnd) {
        self.1.end(end);
    }
}

#[test]
fn kill_ends_one_running_child() {
    let started = Arc::new(AtomicBool::new(false));
    let mut reactor = Reactor::new().unwrap();
    let victim = reactor.spawn(
        Job::new(pp_sleep(30_000))
            .stdin(Input::reader(io::repeat(b'k')))
            .stdout(Started(Arc::clone(&started), Collect::new()))
            .stderr(Discard),
    );
    let emit = pp_emit().stdout(2 << 20).seed(3).command();
    let bystander = reactor.spawn(Job::new(emit).stdout(CheckSink::new(3)));

    // Not started yet: nothing to kill.
    let err = reactor.kill(victim).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);

    while !started.load(Ordering::SeqCst) {
        let _ = reactor.turn(Some(Duration::from_millis(10))).unwrap();
    }
    reactor.kill(victim).unwrap();
    let mut reports = reactor.run().unwrap();
    reports.sort_by_key(|r| r.id());
    assert_eq!(reports.len(), 2);

    let report = &mut reports[0];
    assert_eq!(report.id(), victim);
    assert_eq!(report.signal(), Some(9), "{report:?}");
    assert!(report.error().is_none(), "{report:?}");
    assert_eq!(
        report.stdout().unwrap().end(),
        &StreamEnd::Eof,
        "{report:?}"
    );
    assert_eq!(
        report.stderr().unwrap().end(),
        &StreamEnd::Eof,
        "{report:?}"
    );
    assert_eq!(
        report.stdin().unwrap().end(),
        &StreamEnd::ChildClosed,
        "{report:?}"
    );
    let out: Started = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(out.1.ends, [StreamEnd::Eof]);

    let report = &mut reports[1];
    assert_eq!(report.id(), bystander);
    assert!(report.success(), "{report:?}");
    let out: CheckSink = report.take_sink(Stream::Stdout).unwrap();
    out.verify(2 << 20, &StreamEnd::Eof).unwrap();

    // Reported: nothing to kill any more.
    let err = reactor.kill(victim).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn cancel_ends_a_child_queued_starting_or_running() {
    let mut reactor = Reactor::with_options(procpump::Options::new().max_running(2)).unwrap();
    let running = reactor.spawn(Job::new(pp_sleep(30_000)).stdout(Discard));
    // Handed to the spawner in the first turn, maybe not yet wired.
    let starting = reactor.spawn(Job::new(pp_sleep(30_000)).stdout(Discard));
    let queued = reactor.spawn(Job::new(pp_sleep(30_000)).stdout(Discard));
    assert!(reactor.turn(Some(Duration::ZERO)).unwrap().is_empty());
    reactor.cancel(queued).unwrap();
    reactor.cancel(starting).unwrap();
    let mut reports = Vec::new();
    while reactor.running() < 1 {
        reports.extend(reactor.turn(Some(Duration::from_millis(10))).unwrap());
    }
    reactor.cancel(running).unwrap();
    reports.extend(reactor.run().unwrap());
    assert_eq!(reports.len(), 3);
    let report = |id| reports.iter().find(|r| r.id() == id).unwrap();
    assert!(
        matches!(
            report(queued).error(),
            Some(procpump::Error::Cancelled { .. })
        ),
        "{:?}",
        report(queued)
    );
    assert_eq!(report(queued).pid(), None);
    assert_eq!(report(starting).signal(), Some(9), "{:?}", report(starting));
    assert_eq!(report(running).signal(), Some(9), "{:?}", report(running));
    assert_eq!(
        reactor.cancel(running).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
}
