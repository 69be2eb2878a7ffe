//! Events mode: one bounded channel carries the output chunks, the stream
//! ends and the exit (with its report) of 500 children, in the order they
//! happened. For every child: its bytes, per stream, arrive whole and in
//! order; each stream's `End` comes after that stream's last chunk; and its
//! `Exited` comes exactly once, last, after both `End`s. A child that
//! cannot start gets its `Exited` (with the error) and nothing else.
//!
//! The one consumer pauses now and then, so the channel fills and the
//! reactor has to hold chunks, ends and reports back until it has room.

use std::collections::HashMap;
use std::process::Command;
use std::thread;
use std::time::Duration;

use procpump::{ChildId, Error, Event, Job, Reactor, Report, Stream, StreamEnd};
use procpump_tests::programs::pp_emit;
use procpump_tests::{within, PatternChecker};

const CHILDREN: u64 = 500;
/// Every this many children, one that cannot start.
const MISSING_EVERY: u64 = 97;
const CAPACITY: usize = 16;

/// What child `i` writes: (stdout bytes, stderr bytes, exit code).
fn plan(i: u64) -> (u64, u64, i32) {
    let stdout = if i.is_multiple_of(10) {
        0
    } else {
        (i * 7919) % 300_000
    };
    let stderr = if i.is_multiple_of(3) {
        0
    } else {
        (i * 104_729) % 40_000
    };
    (stdout, stderr, (i % 5) as i32)
}

fn job(i: u64, events: crossbeam_channel::Sender<Event>) -> Job {
    if i % MISSING_EVERY == 50 {
        return Job::new(Command::new("/nonexistent/pp-missing")).events(events);
    }
    let (stdout, stderr, code) = plan(i);
    let emit = pp_emit()
        .stdout(stdout)
        .stderr(stderr)
        .seed(2 * i)
        .chunk(16 << 10)
        .exit(code);
    Job::new(emit.command()).events(events)
}

/// One child, as its events told it.
struct Seen {
    checkers: [PatternChecker; 2],
    ends: [Vec<StreamEnd>; 2],
    /// Chunks of a stream after that stream's `End`.
    output_after_end: u64,
    /// `End`s seen before the `Exited`.
    ends_before_exit: usize,
    reports: Vec<Report>,
    /// Events of any kind after the `Exited`.
    after_exit: u64,
}

impl Seen {
    fn new(seed: u64) -> Seen {
        Seen {
            checkers: [PatternChecker::new(seed), PatternChecker::new(seed + 1)],
            ends: [Vec::new(), Vec::new()],
            output_after_end: 0,
            ends_before_exit: 0,
            reports: Vec::new(),
            after_exit: 0,
        }
    }
}

fn stream_index(stream: Stream) -> usize {
    match stream {
        Stream::Stdout => 0,
        Stream::Stderr => 1,
        Stream::Stdin => panic!("an event about stdin"),
    }
}

/// Follows every child through the events channel until each has exited
/// (whether the channel then closes is `close.rs`'s business), then
/// takes what else comes until it closes or a second has passed.
fn follow(
    receiver: crossbeam_channel::Receiver<Event>,
    ids: HashMap<ChildId, u64>,
) -> HashMap<u64, Seen> {
    let mut seen: HashMap<u64, Seen> = HashMap::new();
    let mut events = 0u64;
    let mut exited = 0;
    loop {
        let next = if exited < ids.len() {
            receiver.recv().ok()
        } else {
            receiver.recv_timeout(Duration::from_secs(1)).ok()
        };
        let Some(event) = next else { break };
        events += 1;
        if events.is_multiple_of(3000) {
            // Fall behind for a moment: the channel fills up.
            thread::sleep(Duration::from_millis(20));
        }
        let child = match &event {
            Event::Output(chunk) => chunk.child(),
            Event::End { child, .. } => *child,
            Event::Exited(report) => report.id(),
            other => panic!("an event of an unknown kind: {other:?}"),
        };
        let i = *ids
            .get(&child)
            .unwrap_or_else(|| panic!("an event of unknown child {child}"));
        let entry = seen.entry(i).or_insert_with(|| Seen::new(2 * i));
        if !entry.reports.is_empty() {
            entry.after_exit += 1;
        }
        match event {
            Event::Output(chunk) => {
                let index = stream_index(chunk.stream());
                assert!(!chunk.is_empty(), "child {i}: an empty chunk");
                if !entry.ends[index].is_empty() {
                    entry.output_after_end += 1;
                }
                entry.checkers[index].feed(&chunk);
            }
            Event::End { stream, end, .. } => {
                entry.ends[stream_index(stream)].push(end);
                if entry.reports.is_empty() {
                    entry.ends_before_exit += 1;
                }
            }
            Event::Exited(report) => {
                exited += 1;
                entry.reports.push(*report);
            }
            _ => unreachable!(),
        }
    }
    seen
}

#[test]
fn five_hundred_children_through_one_events_channel() {
    let (events, receiver) = crossbeam_channel::bounded::<Event>(CAPACITY);
    let mut reactor = Reactor::new().expect("a reactor");
    let mut ids = HashMap::new();
    for i in 0..CHILDREN {
        ids.insert(reactor.spawn(job(i, events.clone())), i);
    }
    drop(events);
    let seen = within(
        Duration::from_secs(60),
        "500 children in events mode",
        move || {
            let consumer = thread::spawn(move || follow(receiver, ids));
            let reports = reactor.run().expect("the run");
            assert!(
                reports.is_empty(),
                "reports went to the channel, not to run()"
            );
            drop(reactor);
            consumer.join().expect("the consumer")
        },
    );

    assert_eq!(seen.len() as u64, CHILDREN, "children heard of");
    for i in 0..CHILDREN {
        let child = &seen[&i];
        assert_eq!(child.reports.len(), 1, "child {i}: Exited events");
        assert_eq!(child.after_exit, 0, "child {i}: events after its Exited");
        let report = &child.reports[0];
        if i % MISSING_EVERY == 50 {
            assert!(
                matches!(report.error(), Some(Error::Spawn { .. })),
                "{report:?}"
            );
            // One `End` (`NotStarted`) per stream, then the report.
            assert_eq!(child.ends_before_exit, 2, "child {i}: never started");
            assert_eq!(child.checkers[0].bytes() + child.checkers[1].bytes(), 0);
            continue;
        }
        let (stdout, stderr, code) = plan(i);
        assert_eq!(report.code(), Some(code), "child {i}: {report:?}");
        assert!(report.error().is_none(), "child {i}: {report:?}");
        assert_eq!(
            child.ends_before_exit, 2,
            "child {i}: End events before Exited"
        );
        assert_eq!(
            child.output_after_end, 0,
            "child {i}: chunks after their End"
        );
        for (index, (len, output)) in [(stdout, report.stdout()), (stderr, report.stderr())]
            .into_iter()
            .enumerate()
        {
            let output = output.expect("a handled stream");
            assert_eq!(
                child.ends[index],
                [StreamEnd::Eof],
                "child {i} stream {index}"
            );
            assert_eq!(output.end(), &StreamEnd::Eof, "child {i}: {report:?}");
            assert_eq!(output.bytes(), len, "child {i}: {report:?}");
            child.checkers[index]
                .verify(len)
                .unwrap_or_else(|e| panic!("child {i} stream {index}: {e}"));
        }
    }
}
