//! Every child is reported exactly once, and every sink told how its
//! stream ended: events mode when the reactor stops with a full channel,
//! children that never start, and the other sinks after one panics.

use std::panic::{self, AssertUnwindSafe};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::Receiver;
use procpump::{ChildId, Event, Flow, Handle, Job, Options, Reactor, Sink, Stream, StreamEnd};

fn yes() -> Command {
    Command::new("yes")
}

/// What one child's events were, in order: `End`s (stream, end) and
/// whether `Exited` came last.
#[derive(Debug, Default)]
struct Seen {
    ends: Vec<(Stream, StreamEnd)>,
    exited: usize,
    after_exit: usize,
}

fn collect(receiver: Receiver<Event>, pause: Duration) -> Vec<(ChildId, Seen)> {
    let mut seen: Vec<(ChildId, Seen)> = Vec::new();
    for event in receiver {
        std::thread::sleep(pause);
        let child = match &event {
            Event::Output(chunk) => chunk.child(),
            Event::End { child, .. } => *child,
            Event::Exited(report) => report.id(),
            _ => continue,
        };
        let index = match seen.iter().position(|(id, _)| *id == child) {
            Some(index) => index,
            None => {
                seen.push((child, Seen::default()));
                seen.len() - 1
            }
        };
        let seen = &mut seen[index].1;
        if seen.exited > 0 {
            seen.after_exit += 1;
        }
        match event {
            Event::End { stream, end, .. } => seen.ends.push((stream, end)),
            Event::Exited(_) => seen.exited += 1,
            _ => {}
        }
    }
    seen
}

fn assert_each_ended_then_exited(seen: &[(ChildId, Seen)], children: usize, end: StreamEnd) {
    assert_eq!(seen.len(), children, "{seen:?}");
    for (child, seen) in seen {
        assert_eq!(seen.exited, 1, "child {child}: {seen:?}");
        assert_eq!(seen.after_exit, 0, "child {child}: events after Exited");
        let mut ends = seen.ends.clone();
        ends.sort_by_key(|(stream, _)| stream.name());
        assert_eq!(
            ends,
            [(Stream::Stderr, end.clone()), (Stream::Stdout, end.clone())],
            "child {child}"
        );
    }
}

#[test]
fn a_full_events_channel_at_shutdown_loses_no_report() {
    let (events, receiver) = crossbeam_channel::bounded::<Event>(1);
    let handle = Handle::start().unwrap();
    for _ in 0..3 {
        drop(handle.spawn(Job::new(yes()).events(events.clone())));
    }
    drop(events);
    std::thread::sleep(Duration::from_millis(300));
    handle.shutdown();
    // Nobody read until now: the rest comes from the drain thread.
    let seen = collect(receiver, Duration::ZERO);
    assert_each_ended_then_exited(&seen, 3, StreamEnd::Killed);
}

#[test]
fn a_slow_consumer_gets_every_report_when_the_reactor_is_dropped() {
    let (events, receiver) = crossbeam_channel::bounded::<Event>(1);
    let consumer = std::thread::spawn(move || collect(receiver, Duration::from_millis(2)));
    let mut reactor = Reactor::new().unwrap();
    for _ in 0..3 {
        reactor.spawn(Job::new(yes()).events(events.clone()));
    }
    drop(events);
    for _ in 0..20 {
        reactor.turn(Some(Duration::from_millis(10))).unwrap();
    }
    drop(reactor);
    let seen = consumer.join().unwrap();
    assert_each_ended_then_exited(&seen, 3, StreamEnd::Killed);
}

#[test]
fn a_child_that_never_starts_sends_an_end_per_stream_then_its_report() {
    let (events, receiver) = crossbeam_channel::unbounded::<Event>();
    let mut reactor = Reactor::with_options(Options::new().max_running(1)).unwrap();
    let mut sleep = Command::new("sleep");
    sleep.arg("0.2");
    reactor.spawn(Job::new(sleep).events(events.clone()));
    // Cancelled while queued behind the first.
    let queued = reactor.spawn(Job::new(yes()).events(events.clone()));
    reactor.cancel(queued).unwrap();
    // Cannot be spawned at all.
    reactor.spawn(Job::new(Command::new("/nonexistent/procpump-test")).events(events));
    assert!(reactor.run().unwrap().is_empty());
    drop(reactor);
    let seen = collect(receiver, Duration::ZERO);
    assert_eq!(seen.len(), 3, "{seen:?}");
    let unstarted: Vec<_> = seen
        .into_iter()
        .filter(|(_, seen)| {
            seen.ends
                .iter()
                .any(|(_, end)| *end == StreamEnd::NotStarted)
        })
        .collect();
    assert_each_ended_then_exited(&unstarted, 2, StreamEnd::NotStarted);
}

/// Records how its stream ended.
struct Ends(Arc<Mutex<Vec<StreamEnd>>>);

impl Sink for Ends {
    fn chunk(&mut self, _: &[u8]) -> Flow {
        Flow::Continue
    }

    fn end(&mut self, end: &StreamEnd) {
        self.0.lock().unwrap().push(end.clone());
    }
}

#[test]
fn after_a_sink_panics_the_other_sinks_are_told_their_streams_were_killed() {
    let ends = Arc::new(Mutex::new(Vec::new()));
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(
        Job::new(yes())
            .stdout(Ends(Arc::clone(&ends)))
            .stderr(Ends(Arc::clone(&ends))),
    );
    let mut sh = Command::new("sh");
    sh.args(["-c", "sleep 0.1; echo boom"]);
    reactor.spawn(Job::new(sh).stdout(|_: &[u8]| -> Flow { panic!("a sink's bug") }));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| reactor.run()));
    assert!(outcome.is_err(), "the panic did not propagate");
    assert_eq!(
        *ends.lock().unwrap(),
        [StreamEnd::Killed, StreamEnd::Killed]
    );
    // Both children are reported after the panic.
    let reports = reactor.run().unwrap();
    assert_eq!(reports.len(), 2, "{reports:?}");
}
