//! Per-child timeouts and the kill sequence: past its `Job::timeout` a
//! child gets the stop signal (`SIGTERM` unless `Job::stop_signal` says
//! otherwise), then `SIGKILL` once the `Job::grace` is over if it still
//! runs. The report says it timed out and which signal ended it.
//!
//! Time bounds: a lower bound is exact (the reactor may not act early); an
//! upper bound has a generous margin ([`MARGIN`]) for a loaded machine.

use std::io;
use std::process::Command;
use std::time::{Duration, Instant};

use procpump::{Discard, Input, Job, Reactor, Report, Signal, Stream, StreamEnd};
use procpump_tests::bin;
use procpump_tests::programs::{pp_exit, pp_fault, pp_sleep};
use procpump_tests::sinks::Collect;

/// Slack allowed on top of an expected duration.
const MARGIN: Duration = Duration::from_millis(1500);

/// `sh -c SCRIPT`, with `$0` the path of `pp-sleep`.
fn sh(script: &str) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c").arg(script).arg(bin("pp-sleep"));
    sh
}

fn run_one(job: Job) -> Report {
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(job);
    let mut reports = reactor.run().unwrap();
    assert_eq!(reports.len(), 1);
    reports.remove(0)
}

fn stdout_text(report: &mut Report) -> String {
    let out: Collect = report.take_sink(Stream::Stdout).unwrap();
    String::from_utf8(out.bytes).unwrap()
}

#[test]
fn term_ends_a_child_that_runs_past_its_timeout() {
    let timeout = Duration::from_millis(300);
    let report = run_one(
        Job::new(pp_sleep(30_000))
            .stdout(Collect::new())
            .stderr(Collect::new())
            .timeout(timeout),
    );
    assert!(report.timed_out(), "{report:?}");
    assert_eq!(report.signal(), Some(15), "{report:?}");
    assert_eq!(report.code(), None, "{report:?}");
    assert!(!report.success(), "{report:?}");
    // Timing out is the child's outcome, not a failure of the run.
    assert!(report.error().is_none(), "{report:?}");
    assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Eof);
    assert!(report.duration() >= timeout, "{report:?}");
    // TERM did it: no wait for the grace (2 s by default).
    assert!(
        report.duration() < timeout + Duration::from_secs(2),
        "{report:?}"
    );
}

#[test]
fn a_child_ignoring_term_is_killed_when_the_grace_is_over() {
    // An ignored disposition survives `exec`: pp-sleep ignores TERM too.
    let (timeout, grace) = (Duration::from_millis(300), Duration::from_millis(700));
    let mut report = run_one(
        Job::new(sh(r#"trap "" TERM; echo ready; exec "$0" 30000"#))
            .stdout(Collect::new())
            .timeout(timeout)
            .grace(grace),
    );
    assert!(report.timed_out(), "{report:?}");
    assert_eq!(report.signal(), Some(9), "{report:?}");
    assert!(report.error().is_none(), "{report:?}");
    // Not before the grace is over, and soon after.
    assert!(report.duration() >= timeout + grace, "{report:?}");
    assert!(report.duration() < timeout + grace + MARGIN, "{report:?}");
    assert_eq!(stdout_text(&mut report), "ready\n");
}

#[test]
fn the_stop_signal_can_be_chosen() {
    let timeout = Duration::from_millis(200);
    let mut reactor = Reactor::new().unwrap();
    let signals = [Signal::INT, Signal::HUP, Signal::USR1, Signal::KILL];
    let ids: Vec<_> = signals
        .iter()
        .map(|&signal| {
            reactor.spawn(
                Job::new(pp_sleep(30_000))
                    .stdout(Discard)
                    .timeout(timeout)
                    .stop_signal(signal)
                    // Only the stop signal may end it within the test.
                    .grace(Duration::from_secs(60)),
            )
        })
        .collect();
    let reports = reactor.run().unwrap();
    assert_eq!(reports.len(), signals.len());
    for (id, signal) in ids.into_iter().zip(signals) {
        let report = reports.iter().find(|r| r.id() == id).unwrap();
        assert!(report.timed_out(), "{report:?}");
        assert_eq!(report.signal(), Some(signal.number()), "{report:?}");
        assert!(report.duration() >= timeout, "{report:?}");
        assert!(report.duration() < timeout + MARGIN, "{report:?}");
    }
}

#[test]
fn a_child_that_exits_on_term_is_timed_out_with_its_own_code() {
    let mut report = run_one(
        Job::new(sh(
            r#"trap "exit 3" TERM; echo ready; while :; do sleep 0.05; done"#,
        ))
        .stdout(Collect::new())
        .timeout(Duration::from_millis(300)),
    );
    assert!(report.timed_out(), "{report:?}");
    assert_eq!(report.code(), Some(3), "{report:?}");
    assert_eq!(report.signal(), None, "{report:?}");
    assert_eq!(stdout_text(&mut report), "ready\n");
}

#[test]
fn a_child_done_before_its_timeout_is_not_timed_out_and_not_waited_for() {
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(
        Job::new(pp_exit(0, "quick", ""))
            .stdout(Collect::new())
            .timeout(Duration::from_millis(200)),
    );
    let begin = Instant::now();
    let mut report = reactor.run().unwrap().remove(0);
    assert!(begin.elapsed() < Duration::from_millis(200) + MARGIN);
    assert!(!report.timed_out(), "{report:?}");
    assert!(report.success(), "{report:?}");
    assert_eq!(stdout_text(&mut report), "quick");

    // Its timer is still queued when the same reactor runs the next
    // child: it must not hit that one.
    reactor.spawn(Job::new(pp_sleep(600)).stdout(Discard));
    let report = reactor.run().unwrap().remove(0);
    assert!(!report.timed_out(), "{report:?}");
    assert!(report.success(), "{report:?}");
}

#[test]
fn a_child_that_never_reads_its_stdin_is_stopped_by_its_timeout() {
    let mut hold = pp_fault("hold");
    hold.args(["--stdout", "100"]);
    let report = run_one(
        Job::new(hold)
            .stdin(Input::reader(io::repeat(b's')))
            .stdout(Collect::new())
            .stderr(Discard)
            .timeout(Duration::from_millis(300)),
    );
    assert!(report.timed_out(), "{report:?}");
    assert_eq!(report.signal(), Some(15), "{report:?}");
    assert!(report.error().is_none(), "{report:?}");
    let stdin = report.stdin().unwrap();
    assert_eq!(stdin.end(), &StreamEnd::ChildClosed, "{report:?}");
    assert!(stdin.written() > 0, "{report:?}");
    assert_eq!(report.stdout().unwrap().bytes(), 100, "{report:?}");
}

#[test]
fn many_timeouts_fire_each_at_its_own_time() {
    let mut reactor = Reactor::new().unwrap();
    let timeouts: Vec<Duration> = (0..40)
        .map(|i| Duration::from_millis(100 + (i * 37 % 40) * 15))
        .collect();
    let ids: Vec<_> = timeouts
        .iter()
        .map(|&timeout| reactor.spawn(Job::new(pp_sleep(30_000)).stdout(Discard).timeout(timeout)))
        .collect();
    let reports = reactor.run().unwrap();
    assert_eq!(reports.len(), timeouts.len());
    for (id, timeout) in ids.into_iter().zip(timeouts) {
        let report = reports.iter().find(|r| r.id() == id).unwrap();
        assert!(report.timed_out(), "{report:?}");
        assert_eq!(report.signal(), Some(15), "{report:?}");
        assert!(report.duration() >= timeout, "{timeout:?}: {report:?}");
        assert!(
            report.duration() < timeout + MARGIN,
            "{timeout:?}: {report:?}"
        );
    }
}
