//! No descriptor and no child process survives a run: a thousand children
//! of every kind (exiting at once, printing, reading stdin, stopping early,
//! failing to start, closed by their sink) go through one reactor, and this
//! process ends up with exactly the descriptors it had and no child,
//! running or zombie.
//!
//! It runs alone (`alone::run`): it counts the whole process's descriptors
//! and children, which tests running alongside would disturb.

use procpump::{Discard, Flow, Input, Job, Reactor, StreamEnd};
use procpump_tests::programs::{pp_cat, pp_check, pp_emit, pp_exit, pp_read_some, pp_signal};
use procpump_tests::sinks::{CheckSink, Collect};
use procpump_tests::{alone, live_children, open_fd_list, open_fds, PatternReader};
use std::io::Read;
use std::process::Command;

const BATCHES: u64 = 4;
const PER_BATCH: u64 = 250;

/// Child `i`: one of several kinds, so that every way a child's pipes end
/// is exercised.
fn job(i: u64) -> Job {
    match i % 8 {
        0 => Job::new(pp_exit((i % 7) as i32, "", "")),
        1 => Job::new(pp_exit(0, "out", "err"))
            .stdout(Collect::new())
            .stderr(Collect::new()),
        2 => {
            let len = i * 97 % 20_000;
            let emit = pp_emit().stdout(len).stderr(len).seed(i);
            Job::new(emit.command())
                .stdout(CheckSink::new(i))
                .stderr(CheckSink::new(i + 1))
        }
        3 => Job::new(pp_cat())
            .stdin(Input::reader(PatternReader::new(i, 10_000 + i)))
            .stdout(CheckSink::new(i))
            .stderr(Discard),
        4 => {
            // Stops reading early: stdin ends ChildClosed.
            Job::new(pp_read_some(10, 0))
                .stdin(Input::reader(std::io::repeat(0).take(8 << 20)))
                .stdout(Discard)
        }
        5 => {
            // Closed by its sink: the child dies of EPIPE.
            let emit = pp_emit().stdout(4 << 20).chunk(64 << 10).command();
            Job::new(emit).stdout(|_: &[u8]| Flow::Close)
        }
        6 if i % 48 == 6 => {
            // Cannot start.
            Job::new(Command::new("/nonexistent/pp-missing"))
                .stdin(Input::bytes("x"))
                .stdout(Discard)
                .stderr(Discard)
        }
        6 => {
            // Only stdin wired.
            let mut check = pp_check(i, Some(5000));
            check.stdout(std::process::Stdio::null());
            Job::new(check).stdin(Input::reader(PatternReader::new(i, 5000)))
        }
        _ => Job::new(pp_signal(9)).stdout(Discard),
    }
}

fn check_report(i: u64, report: &procpump::Report) {
    match i % 8 {
        0 => assert_eq!(report.code(), Some((i % 7) as i32), "{report:?}"),
        1..=3 => assert!(report.success(), "child {i}: {report:?}"),
        4 => {
            assert!(report.success(), "child {i}: {report:?}");
            assert_eq!(report.stdin().unwrap().end(), &StreamEnd::ChildClosed);
        }
        5 => {
            assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Closed);
            assert!(report.code() == Some(3) || report.signal() == Some(13));
        }
        6 if i % 48 == 6 => assert!(report.error().is_some() && report.pid().is_none()),
        6 => assert!(report.success(), "child {i}: {report:?}"),
        _ => assert_eq!(report.signal(), Some(9), "{report:?}"),
    }
}

fn assert_fds(expected: usize, when: &str) {
    let now = open_fds();
    assert_eq!(
        now,
        expected,
        "{when}: {now} descriptors open, expected {expected}: {:?}",
        open_fd_list()
    );
}

#[test]
fn a_thousand_children_leave_no_descriptor_and_no_zombie() {
    alone::run(|| {
        // Warm up whatever is opened lazily (the poller's machinery, the
        // programs' paths) before taking the baseline.
        drop(Reactor::new().unwrap());
        let baseline = open_fds();
        assert!(live_children().is_empty(), "{:?}", live_children());

        let mut reactor = Reactor::new().unwrap();
        let with_reactor = open_fds();
        let mut reported = 0;
        for batch in 0..BATCHES {
            let first = batch * PER_BATCH;
            let mut ids = Vec::new();
            for i in first..first + PER_BATCH {
                ids.push((reactor.spawn(job(i)), i));
            }
            let reports = reactor.run().unwrap();
            assert_eq!(reports.len(), PER_BATCH as usize);
            for report in &reports {
                let &(_, i) = ids.iter().find(|(id, _)| *id == report.id()).unwrap();
                check_report(i, report);
            }
            reported += reports.len();
            drop(reports);
            assert_fds(with_reactor, &format!("after batch {batch}"));
            assert!(
                live_children().is_empty(),
                "after batch {batch}: children left {:?}",
                live_children()
            );
        }
        assert_eq!(reported, (BATCHES * PER_BATCH) as usize);

        // And all at once, in one run.
        for i in 0..1000 {
            reactor.spawn(job(i));
        }
        let reports = reactor.run().unwrap();
        assert_eq!(reports.len(), 1000);
        drop(reports);
        assert_fds(with_reactor, "after 1000 children at once");
        assert!(live_children().is_empty(), "{:?}", live_children());

        drop(reactor);
        assert_fds(baseline, "after dropping the reactor");
        assert!(live_children().is_empty(), "{:?}", live_children());
    });
}
