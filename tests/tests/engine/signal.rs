//! A child killed by a signal: the report says which, has no exit code, and
//! still holds what the child printed before dying.

use procpump::{Job, Reactor, Stream, StreamEnd};
use procpump_tests::programs::pp_signal;
use procpump_tests::sinks::Collect;

fn dies_of(signal: i32) {
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(
        Job::new(pp_signal(signal))
            .stdout(Collect::new())
            .stderr(Collect::new()),
    );
    let mut report = reactor.run().unwrap().remove(0);

    assert_eq!(report.signal(), Some(signal), "{report:?}");
    assert_eq!(report.code(), None, "{report:?}");
    assert!(!report.success(), "{report:?}");
    // Dying by a signal is the child's outcome, not a failure of the run.
    assert!(report.error().is_none(), "{report:?}");
    assert!(report.exited().is_some(), "{report:?}");

    let stdout = report.stdout().expect("stdout handled");
    assert_eq!(
        (stdout.bytes(), stdout.end()),
        (13, &StreamEnd::Eof),
        "{report:?}"
    );
    let out: Collect = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(out.bytes, b"about to die\n");
    assert_eq!(out.ends, [StreamEnd::Eof]);
    let err: Collect = report.take_sink(Stream::Stderr).unwrap();
    assert_eq!(err.bytes, b"");
    assert_eq!(err.ends, [StreamEnd::Eof]);
}

#[test]
fn sigkill() {
    dies_of(9);
}

#[test]
fn sigterm() {
    dies_of(15);
}

#[test]
fn several_signals_in_one_reactor() {
    let signals = [9, 15, 1, 10];
    let mut reactor = Reactor::new().unwrap();
    let ids: Vec<_> = signals
        .iter()
        .map(|&signal| reactor.spawn(Job::new(pp_signal(signal)).stdout(Collect::new())))
        .collect();
    let reports = reactor.run().unwrap();
    assert_eq!(reports.len(), signals.len());
    for (id, signal) in ids.into_iter().zip(signals) {
        let report = reports.iter().find(|r| r.id() == id).expect("reported");
        assert_eq!(report.signal(), Some(signal), "{report:?}");
        assert_eq!(report.code(), None, "{report:?}");
        assert_eq!(report.stdout().unwrap().bytes(), 13, "{report:?}");
    }
}
