//! A consumer iterating a channel ends when the channel closes, and the
//! channel closes once every sender of it is gone. `ChannelSink` promises
//! to drop its sender when the stream ends; events mode drops its senders
//! once a child's `Exited` is sent. Whatever became of the child (it ran,
//! it could not start, it was cancelled before it started), a consumer
//! must never wait on a channel nobody will send on again, even while the
//! caller holds the report, as the crate's own examples do
//! (`let reports = reactor.run()?; consumer.join()`).

use std::process::Command;
use std::thread;
use std::time::Duration;

use procpump::{Chunk, Error, Event, Handle, Job, Options, Reactor, StreamEnd};
use procpump_tests::programs::pp_sleep;
use procpump_tests::sinks::ThreadProbe;
use procpump_tests::{eventually, within};

const LIMIT: Duration = Duration::from_secs(30);
/// How long a consumer may take to see its channel close.
const CLOSE: Duration = Duration::from_secs(5);

/// Waits for `consumer` to finish, or fails saying `why` it would not.
fn assert_finishes<T>(consumer: thread::JoinHandle<T>, why: &str) -> T {
    assert!(
        eventually(CLOSE, || consumer.is_finished()),
        "the consumer still waits after {CLOSE:?}: {why}"
    );
    consumer.join().expect("the consumer")
}

#[test]
fn a_chunk_channel_closes_when_its_stream_ends() {
    within(LIMIT, "a finished stream", || {
        let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(2);
        let consumer = thread::spawn(move || receiver.iter().map(|c| c.len()).sum::<usize>());
        let mut seq = Command::new("seq");
        seq.arg("100000");
        let mut reactor = Reactor::new().expect("a reactor");
        reactor.spawn(Job::new(seq).stdout(sender));
        let reports = reactor.run().expect("the run");
        let total = assert_finishes(consumer, "the stream ended, but its sender lives on");
        assert_eq!(Some(total as u64), reports[0].stdout().map(|s| s.bytes()));
    });
}

#[test]
fn a_chunk_channel_closes_when_its_child_cannot_start() {
    within(LIMIT, "a child that cannot start", || {
        let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(2);
        let consumer = thread::spawn(move || receiver.iter().count());
        let mut reactor = Reactor::new().expect("a reactor");
        reactor.spawn(Job::new(Command::new("/nonexistent/pp-missing")).stdout(sender));
        let reports = reactor.run().expect("the run");
        assert!(
            matches!(reports[0].error(), Some(Error::Spawn { .. })),
            "{reports:?}"
        );
        let chunks = assert_finishes(
            consumer,
            "the child never started, yet the report returned by run() keeps the \
             ChannelSink, and with it a live Sender of the channel",
        );
        assert_eq!(chunks, 0);
    });
}

#[test]
fn an_events_channel_closes_when_a_child_cannot_start() {
    within(LIMIT, "an events child that cannot start", || {
        let (events, receiver) = crossbeam_channel::bounded::<Event>(4);
        // Keeps every event, reports included, as a consumer that gathers
        // results does.
        let consumer = thread::spawn(move || receiver.iter().collect::<Vec<Event>>());
        let mut reactor = Reactor::new().expect("a reactor");
        let mut echo = Command::new("echo");
        echo.arg("hello");
        reactor.spawn(Job::new(echo).events(events.clone()));
        reactor.spawn(Job::new(Command::new("/nonexistent/pp-missing")).events(events));
        assert!(reactor.run().expect("the run").is_empty());
        drop(reactor);
        let got = assert_finishes(
            consumer,
            "the report in the Exited event of the child that could not start keeps its \
             two unstarted event sinks, each with a live Sender of the events channel: \
             the channel carries its own senders",
        );
        let exits = got.iter().filter(|e| matches!(e, Event::Exited(_))).count();
        assert_eq!(exits, 2);
    });
}

#[test]
fn a_chunk_channel_closes_when_its_child_is_cancelled() {
    within(LIMIT, "a child cancelled before it started", || {
        // One child at a time: the second waits in the queue.
        let handle = Handle::with_options(Options::new().max_running(1)).expect("a handle");
        let probe = ThreadProbe::new();
        let first = handle.spawn(Job::new(pp_sleep(30_000)).stdout(probe.clone()));
        assert!(eventually(Duration::from_secs(10), || probe
            .tid()
            .is_some()));
        let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(2);
        let second = handle.spawn(Job::new(Command::new("true")).stdout(sender));
        let consumer = thread::spawn(move || receiver.iter().count());
        second.kill();
        let chunks = assert_finishes(
            consumer,
            "the child was cancelled before it started, yet the report its handle keeps \
             holds the ChannelSink, and with it a live Sender of the channel",
        );
        assert_eq!(chunks, 0);
        let report = second.wait().expect("a report");
        assert!(
            matches!(report.error(), Some(Error::Cancelled { .. })),
            "{report:?}"
        );
        first.kill();
        let report = first.wait().expect("a report");
        assert_eq!(
            report.stdout().map(|s| s.end()),
            Some(&StreamEnd::Eof),
            "{report:?}"
        );
        handle.shutdown();
    });
}
