//! Bounded buffers and circuit breakers with real children: `Limited`
//! (truncate, close, kill), `Head`, `HeadTail`, `Tee`, and `communicate`.

use std::process::Command;

use procpump::{Job, Reactor, Stream, StreamEnd};
use procpump_adapters::{communicate, Communicate, Head, HeadTail, Limited, OnLimit, Tail, Tee};
use procpump_tests::programs::{pp_cat_with_stderr, pp_emit, pp_sleep};
use procpump_tests::{fill_pattern, PatternChecker};

fn pattern(seed: u64, offset: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    fill_pattern(seed, offset, &mut bytes);
    bytes
}

#[test]
fn limited_truncate_close_and_kill() {
    let limit = 100_000;
    let mut reactor = Reactor::new().unwrap();
    let modes = [OnLimit::Truncate, OnLimit::Close, OnLimit::Kill];
    for on_limit in modes {
        let sink = Limited::new(limit).on_limit(on_limit);
        let emit = pp_emit().stdout(64 << 20).seed(5).command();
        reactor.spawn(Job::new(emit).stdout(sink));
    }
    let mut reports = reactor.run().unwrap();
    reports.sort_by_key(|report| report.id());
    for (report, on_limit) in reports.iter_mut().zip(modes) {
        let kept: Limited = report.take_sink(Stream::Stdout).unwrap();
        assert!(kept.is_truncated());
        assert!(kept.bytes() == pattern(5, 0, limit), "{on_limit:?}");
        let end = report.stdout().unwrap().end().clone();
        match on_limit {
            OnLimit::Truncate => {
                assert!(report.success(), "{report:?}");
                assert_eq!(kept.total(), 64 << 20);
            }
            OnLimit::Close => {
                assert_eq!(report.code(), Some(3), "EPIPE: {report:?}");
                assert_eq!(end, StreamEnd::Closed);
            }
            OnLimit::Kill => {
                assert_eq!(report.signal(), Some(9), "{report:?}");
                assert_eq!(end, StreamEnd::Closed);
            }
        }
    }
}

#[test]
fn head_head_tail_and_tee() {
    let size = 10 << 20;
    let mut reactor = Reactor::new().unwrap();
    let tee = Tee::new()
        .with(Head::new(1000))
        .with(HeadTail::new(300, 400))
        .with(Tail::new(5000));
    let emit = pp_emit().stdout(10 << 20).seed(8).command();
    reactor.spawn(Job::new(emit).stdout(tee));
    let mut report = reactor.run().unwrap().remove(0);
    assert!(report.success(), "{report:?}");
    let mut tee: Tee = report.take_sink(Stream::Stdout).unwrap();
    let head: Head = tee.take(0).unwrap();
    assert_eq!(head.bytes(), pattern(8, 0, 1000));
    let ends: HeadTail = tee.take(1).unwrap();
    assert_eq!(ends.head(), pattern(8, 0, 300));
    assert_eq!(ends.tail(), pattern(8, size - 400, 400));
    assert_eq!(ends.dropped(), size - 700);
    let tail: Tail = tee.take(2).unwrap();
    assert_eq!(tail.bytes(), pattern(8, size - 5000, 5000));
}

#[test]
fn communicate_feeds_input_and_caps_output() {
    let input_len = 10 << 20;
    let mut input = vec![0; input_len];
    fill_pattern(21, 0, &mut input);
    let captured = Communicate::new(pp_cat_with_stderr(3 << 20, 22))
        .stdin(input)
        .stdout_limit(1 << 20)
        .stderr_limit(4 << 20)
        .run()
        .unwrap();
    assert!(captured.status.success(), "{captured:?}");
    assert_eq!(captured.stdout, pattern(21, 0, 1 << 20));
    assert_eq!(captured.stdout_dropped, (input_len - (1 << 20)) as u64);
    assert!(captured.stdout_truncated() && !captured.stderr_truncated());
    let mut checker = PatternChecker::new(22);
    checker.feed(&captured.stderr);
    checker.verify(3 << 20).unwrap();
    assert_eq!(captured.stdin_unsent, 0);
}

#[test]
fn communicate_errors_name_the_program() {
    let err = communicate(Command::new("/nonexistent/program"), "", 10).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("/nonexistent/program"), "{err}");
}

#[test]
fn communicate_stops_a_child_past_its_timeout() {
    let captured = Communicate::new(pp_sleep(10_000))
        .timeout(std::time::Duration::from_millis(200))
        .run()
        .unwrap();
    assert!(captured.timed_out, "{captured:?}");
    assert!(!captured.status.success());
}
