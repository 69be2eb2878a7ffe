//! A chunk channel whose receiver is dropped mid-stream: the configured
//! [`OnDisconnect`] policy decides, nothing hangs, and the report says what
//! happened.
//!
//! - `Discard` (the default): the pipe is read to its end and thrown away,
//!   the child finishes normally, the stream ends `Eof` and the report
//!   counts the bytes discarded.
//! - `Close`: the pipe is closed, the stream ends `Closed`, and the child's
//!   next write fails: `EPIPE` for a child that ignores `SIGPIPE` (pp-emit
//!   then exits 3), death by `SIGPIPE` for one that does not (`yes`).
//!
//! Each policy is tried with the receiver dropped while the stream is
//! paused on a full channel (the watcher thread sees the disconnection) and
//! while it is flowing (the next send sees it).

use std::process::Command;
use std::thread;
use std::time::Duration;

use procpump::{ChannelSink, Chunk, Event, Job, OnDisconnect, Reactor, Report, StreamEnd};
use procpump_tests::programs::pp_emit;
use procpump_tests::{eventually, within, PatternChecker};

const LEN: u64 = 256 << 20;
const READ_SIZE: u64 = 256 * 1024;
const LIMIT: Duration = Duration::from_secs(30);
/// SIGPIPE.
const SIGPIPE: i32 = 13;

/// When the consumer lets go of its receiver.
#[derive(Clone, Copy, Debug)]
enum Release {
    /// After taking `n` chunks from a roomy channel: the stream is flowing.
    Flowing(usize),
    /// Without taking any, once the channel (of 2) is full and the stream
    /// paused behind it, a chunk in the sink's hand.
    Paused,
}

/// Runs pp-emit (`LEN` bytes of the pattern for `seed`) into a chunk
/// channel (with `policy`, or a plain `Sender` for `None`), whose consumer
/// drops its receiver as `when` says. Returns the
/// report and what the consumer received (checked against the pattern).
fn run(seed: u64, policy: Option<OnDisconnect>, when: Release) -> (Report, PatternChecker) {
    let capacity = match when {
        Release::Flowing(_) => 1024,
        Release::Paused => 2,
    };
    let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(capacity);
    let consumer = thread::spawn(move || {
        let mut checker = PatternChecker::new(seed);
        match when {
            Release::Flowing(n) => {
                for chunk in receiver.iter().take(n) {
                    checker.feed(&chunk);
                }
            }
            Release::Paused => {
                assert!(
                    eventually(Duration::from_secs(10), || receiver.is_full()),
                    "the channel never filled"
                );
                // Let the reactor find the channel full and pause.
                thread::sleep(Duration::from_millis(100));
            }
        }
        drop(receiver);
        checker
    });
    let emit = pp_emit().stdout(LEN).seed(seed).chunk(64 << 10).command();
    let job = match policy {
        None => Job::new(emit).stdout(sender),
        Some(policy) => Job::new(emit).stdout(ChannelSink::new(sender).on_disconnect(policy)),
    };
    let report = within(LIMIT, "a run whose receiver goes away", move || {
        let mut reactor = Reactor::new().expect("a reactor");
        reactor.spawn(job);
        reactor.run().expect("the run").remove(0)
    });
    let checker = consumer.join().expect("the consumer");
    checker
        .verify(checker.bytes())
        .unwrap_or_else(|e| panic!("before the drop: {e}"));
    (report, checker)
}

/// The report of a child whose receiver went away under `Discard`.
fn assert_discarded(report: &Report, received: &PatternChecker, capacity: u64) {
    assert!(
        report.success(),
        "the child must finish normally: {report:?}"
    );
    let stdout = report.stdout().expect("stdout handled");
    assert_eq!(stdout.end(), &StreamEnd::Eof, "{report:?}");
    assert_eq!(
        stdout.bytes(),
        LEN,
        "the pipe is read to its end: {report:?}"
    );
    assert!(stdout.discarded() > 0, "{report:?}");
    // What is neither received nor counted as discarded sat in the channel
    // (and in the sink's hand) when the receiver went: at most one chunk
    // more than the channel holds.
    let accounted = received.bytes() + stdout.discarded();
    assert!(
        accounted <= LEN,
        "{accounted} bytes accounted for: {report:?}"
    );
    assert!(
        LEN - accounted <= (capacity + 1) * READ_SIZE,
        "{} bytes unaccounted for (received {}, discarded {})",
        LEN - accounted,
        received.bytes(),
        stdout.discarded()
    );
}

/// The report of a child whose receiver went away under `Close`.
fn assert_closed(report: &Report) {
    let stdout = report.stdout().expect("stdout handled");
    assert_eq!(stdout.end(), &StreamEnd::Closed, "{report:?}");
    assert_eq!(stdout.discarded(), 0, "{report:?}");
    assert!(
        stdout.bytes() < LEN,
        "the pipe was closed early: {report:?}"
    );
    assert!(report.error().is_none(), "{report:?}");
}

#[test]
fn the_default_policy_is_discard() {
    assert_eq!(OnDisconnect::default(), OnDisconnect::Discard);
    // A plain `Sender<Chunk>` behaves so.
    let (report, received) = run(1, None, Release::Flowing(3));
    assert_discarded(&report, &received, 1024);
    assert!(received.bytes() > 0);
}

#[test]
fn discard_while_flowing_lets_the_child_finish() {
    let (report, received) = run(2, Some(OnDisconnect::Discard), Release::Flowing(10));
    assert_discarded(&report, &received, 1024);
}

#[test]
fn discard_while_paused_lets_the_child_finish() {
    let (report, received) = run(3, Some(OnDisconnect::Discard), Release::Paused);
    assert_eq!(received.bytes(), 0);
    assert_discarded(&report, &received, 2);
}

#[test]
fn close_while_flowing_gives_the_child_epipe() {
    let (report, received) = run(4, Some(OnDisconnect::Close), Release::Flowing(10));
    assert_closed(&report);
    // pp-emit ignores SIGPIPE (Rust programs do): its write fails with
    // EPIPE and it exits 3.
    assert_eq!(report.code(), Some(3), "{report:?}");
    assert!(report.stdout().unwrap().bytes() >= received.bytes());
}

#[test]
fn close_while_paused_gives_the_child_epipe() {
    let (report, received) = run(5, Some(OnDisconnect::Close), Release::Paused);
    assert_eq!(received.bytes(), 0);
    assert_closed(&report);
    assert_eq!(report.code(), Some(3), "{report:?}");
}

#[test]
fn close_kills_a_child_that_keeps_sigpipe_by_sigpipe() {
    for when in [Release::Flowing(5), Release::Paused] {
        let capacity = if matches!(when, Release::Paused) {
            2
        } else {
            1024
        };
        let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(capacity);
        let consumer = thread::spawn(move || {
            match when {
                Release::Flowing(n) => receiver.iter().take(n).for_each(drop),
                Release::Paused => {
                    assert!(eventually(Duration::from_secs(10), || receiver.is_full()));
                    thread::sleep(Duration::from_millis(100));
                }
            }
            drop(receiver);
        });
        // `yes` never ends by itself: only the closed pipe stops it.
        let job = Job::new(Command::new("yes"))
            .stdout(ChannelSink::new(sender).on_disconnect(OnDisconnect::Close));
        let report = within(LIMIT, "`yes` into a channel that goes away", move || {
            let mut reactor = Reactor::new().expect("a reactor");
            reactor.spawn(job);
            reactor.run().expect("the run").remove(0)
        });
        consumer.join().expect("the consumer");
        assert_eq!(report.signal(), Some(SIGPIPE), "{when:?}: {report:?}");
        assert_eq!(
            report.stdout().map(|s| s.end()),
            Some(&StreamEnd::Closed),
            "{when:?}: {report:?}"
        );
    }
}

#[test]
fn a_receiver_gone_before_the_first_chunk() {
    for (seed, policy) in [(6, OnDisconnect::Discard), (7, OnDisconnect::Close)] {
        let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(4);
        drop(receiver);
        let emit = pp_emit().stdout(4 << 20).seed(seed).command();
        let job = Job::new(emit).stdout(ChannelSink::new(sender).on_disconnect(policy));
        let report = within(LIMIT, "a run with no receiver", move || {
            let mut reactor = Reactor::new().expect("a reactor");
            reactor.spawn(job);
            reactor.run().expect("the run").remove(0)
        });
        let stdout = report.stdout().expect("stdout handled");
        match policy {
            OnDisconnect::Discard => {
                assert!(report.success(), "{report:?}");
                assert_eq!(stdout.end(), &StreamEnd::Eof);
                assert_eq!((stdout.bytes(), stdout.discarded()), (4 << 20, 4 << 20));
            }
            OnDisconnect::Close => {
                assert_eq!(stdout.end(), &StreamEnd::Closed);
                assert_eq!(report.code(), Some(3), "{report:?}");
            }
        }
    }
}

#[test]
fn an_events_receiver_gone_mid_stream_hangs_nothing() {
    let (events, receiver) = crossbeam_channel::bounded::<Event>(2);
    let consumer = thread::spawn(move || {
        // Take a few events, then go away.
        receiver.iter().take(5).count()
    });
    within(LIMIT, "an events run whose receiver goes away", move || {
        let mut reactor = Reactor::new().expect("a reactor");
        for seed in 0..4 {
            let emit = pp_emit().stdout(32 << 20).stderr(32 << 20).seed(seed);
            reactor.spawn(Job::new(emit.command()).events(events.clone()));
        }
        drop(events);
        // The reports went to the (gone) events channel, not here.
        assert!(reactor.run().expect("the run").is_empty());
        assert!(reactor.is_empty());
    });
    assert_eq!(consumer.join().expect("the consumer"), 5);
}
