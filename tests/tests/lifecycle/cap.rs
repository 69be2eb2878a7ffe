//! `Options::max_running(n)`: at most n children run at once; the others
//! wait in the queue, in order, and start as running ones are reported.
//! Spawning is spread over the reactor's turns, so children already
//! running stream while more start.
//!
//! "Running" is from `Report::started` to `Report::finished`: the reactor
//! starts a queued child only after the one whose slot it takes was
//! reported, so these intervals never overlap more than n deep.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use procpump::{Discard, Error, Flow, Handle, Job, Options, Reactor, Report, Sink, Stream};
use procpump_tests::programs::{pp_emit, pp_exit, pp_sleep};
use procpump_tests::sinks::{CheckSink, Collect, Started};
use procpump_tests::{bin, within};

/// The most reports whose `[started, finished]` intervals overlap at one
/// instant (an end and a start at the same instant do not overlap).
fn max_overlap<'a>(reports: impl IntoIterator<Item = &'a Report>) -> usize {
    let mut edges: Vec<(Instant, i32)> = Vec::new();
    for report in reports {
        edges.push((report.started(), 1));
        edges.push((report.finished(), -1));
    }
    // At one instant, ends (-1) sort before starts (+1).
    edges.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, step) in edges {
        now += step;
        most = most.max(now);
    }
    most as usize
}

/// Every id reported once, and `started` non-decreasing in spawn order.
fn assert_each_once_in_order(ids: &[procpump::ChildId], reports: &[Report]) {
    assert_eq!(reports.len(), ids.len());
    let by_spawn: Vec<&Report> = ids
        .iter()
        .map(|id| {
            let mut matching = reports.iter().filter(|r| r.id() == *id);
            let report = matching.next().expect("reported");
            assert!(matching.next().is_none(), "{id} reported twice");
            report
        })
        .collect();
    for pair in by_spawn.windows(2) {
        assert!(
            pair[0].started() <= pair[1].started(),
            "{} started after {}",
            pair[0].id(),
            pair[1].id()
        );
    }
}

#[test]
fn at_most_four_children_run_at_once() {
    let mut reactor = Reactor::with_options(Options::new().max_running(4)).unwrap();
    let ids: Vec<_> = (0..40)
        .map(|_| {
            reactor.spawn(
                Job::new(pp_sleep(100))
                    .stdout(Collect::new())
                    .stderr(Discard),
            )
        })
        .collect();
    let begin = Instant::now();
    let reports = reactor.run().unwrap();
    let elapsed = begin.elapsed();
    assert_each_once_in_order(&ids, &reports);
    assert!(reports.iter().all(Report::success), "{reports:?}");
    let overlap = max_overlap(&reports);
    assert_eq!(overlap, 4, "the cap is both respected and used");
    // Ten rounds of four, 100 ms each, at the least.
    assert!(elapsed >= Duration::from_millis(1000), "{elapsed:?}");
}

/// Children that cannot start, or that time out, give their slot back.
#[test]
fn failed_and_timed_out_children_free_their_slots() {
    let mut reactor = Reactor::with_options(Options::new().max_running(2)).unwrap();
    let mut ids = Vec::new();
    for i in 0..12 {
        let job = match i % 3 {
            0 => Job::new(pp_sleep(30_000))
                .stdout(Collect::new())
                .stderr(Discard)
                .timeout(Duration::from_millis(100)),
            1 => Job::new(Command::new("/nonexistent/pp-missing")).stdout(Discard),
            _ => Job::new(pp_sleep(10))
                .stdout(Collect::new())
                .stderr(Discard),
        };
        ids.push(reactor.spawn(job));
    }
    let reports = within(Duration::from_secs(30), "run", move || {
        reactor.run().unwrap()
    });
    assert_each_once_in_order(&ids, &reports);
    assert!(max_overlap(&reports) <= 2);
    for (i, id) in ids.iter().enumerate() {
        let report = reports.iter().find(|r| r.id() == *id).unwrap();
        match i % 3 {
            0 => assert!(
                report.timed_out() && report.signal() == Some(15),
                "{report:?}"
            ),
            1 => assert!(
                matches!(report.error(), Some(Error::Spawn { .. })),
                "{report:?}"
            ),
            _ => assert!(report.success(), "{report:?}"),
        }
    }
}

/// Remembers when the first chunk arrived, and checks the pattern.
struct FirstChunk(Arc<Mutex<Option<Instant>>>, CheckSink);

impl Sink for FirstChunk {
    fn start(&mut self, context: &procpump::StreamContext<'_>) {
        self.1.start(context);
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.0.lock().unwrap().get_or_insert_with(Instant::now);
        self.1.chunk(chunk)
    }

    fn end(&mut self, end: &procpump::StreamEnd) {
        self.1.end(end);
    }
}

/// The first child streams while the hundreds queued after it are still
/// being started: spawning does not hold the I/O up.
#[test]
fn spawning_overlaps_with_io() {
    for options in [Options::new(), Options::new().max_running(256)] {
        let first_chunk = Arc::default();
        let mut reactor = Reactor::with_options(options).unwrap();
        let emit = pp_emit().stdout(64 << 20).chunk(64 << 10).seed(4).command();
        let streamer = reactor
            .spawn(Job::new(emit).stdout(FirstChunk(Arc::clone(&first_chunk), CheckSink::new(4))));
        for _ in 0..400 {
            reactor.spawn(Job::new(pp_exit(0, "x", "")).stdout(Discard));
        }
        let mut reports = reactor.run().unwrap();
        assert_eq!(reports.len(), 401);
        assert!(reports.iter().all(Report::success));
        let last_start = reports.iter().map(Report::started).max().unwrap();
        let first_chunk = first_chunk.lock().unwrap().expect("streamed");
        assert!(
            first_chunk < last_start,
            "the first chunk came {:?} after the last child started",
            first_chunk - last_start
        );
        let report = reports.iter_mut().find(|r| r.id() == streamer).unwrap();
        let sink: FirstChunk = report.take_sink(Stream::Stdout).unwrap();
        sink.1.verify(64 << 20, &procpump::StreamEnd::Eof).unwrap();
    }
}

/// A background reactor keeps the cap for children spawned from many
/// threads; killing a queued child cancels it without it ever starting.
#[test]
fn a_background_reactor_keeps_the_cap() {
    let handle = Handle::with_options(Options::new().max_running(3)).unwrap();
    let reports: Vec<Report> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let handle = handle.clone();
                scope.spawn(move || {
                    let children: Vec<_> = (0..6)
                        .map(|_| {
                            handle.spawn(
                                Job::new(pp_sleep(50))
                                    .stdout(Collect::new())
                                    .stderr(Discard),
                            )
                        })
                        .collect();
                    children
                        .into_iter()
                        .map(|child| child.wait().unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|thread| thread.join().unwrap())
            .collect()
    });
    assert_eq!(reports.len(), 24);
    assert!(reports.iter().all(Report::success), "{reports:?}");
    assert_eq!(max_overlap(&reports), 3);

    // Three long sleepers take every slot; a fourth waits, and is killed
    // while it waits.
    let (started, starts) = std::sync::mpsc::channel();
    let long: Vec<_> = (0..3)
        .map(|_| {
            let started = started.clone();
            handle.spawn(Job::new(pp_sleep(30_000)).stdout(Started(started)))
        })
        .collect();
    for _ in 0..3 {
        starts.recv_timeout(Duration::from_secs(10)).unwrap();
    }
    let queued = handle.spawn(Job::new(Command::new(bin("pp-sleep"))).stdout(Started(started)));
    queued.kill();
    let report = within(Duration::from_secs(10), "cancel", move || {
        queued.wait().unwrap()
    });
    assert!(
        matches!(report.error(), Some(Error::Cancelled { .. })),
        "{report:?}"
    );
    assert_eq!(report.pid(), None, "{report:?}");
    assert!(
        starts.try_recv().is_err(),
        "the cancelled child never started"
    );
    for child in &long {
        child.kill();
    }
    for child in long {
        assert_eq!(child.wait().unwrap().signal(), Some(9));
    }
    handle.shutdown();
}
