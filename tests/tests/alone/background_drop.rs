//! Dropping the last [`Handle`] while children run stops the reactor
//! thread cleanly: every child is killed and reaped before the drop
//! returns (no zombie, no orphan), and every [`ChildHandle`] still gets a
//! report, whose streams ended [`StreamEnd::Killed`].
//!
//! The children are of every kind a background reactor may hold: sleeping,
//! blocked on a full chunk channel, waiting on an empty stdin channel,
//! streaming into a sink, in events mode.
//!
//! It runs alone (`alone::run`): it counts this process's children, which
//! tests running alongside would disturb.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use procpump::{ChildHandle, Chunk, Error, Event, Handle, Input, Job, StreamEnd};
use procpump_tests::programs::{pp_cat, pp_emit, pp_sleep};
use procpump_tests::sinks::ThreadProbe;
use procpump_tests::{alone, eventually, live_children, within};

const SIGKILL: i32 = 9;
/// Children of each kind.
const EACH: usize = 5;

#[test]
fn dropping_the_last_handle_kills_and_reaps_every_child() {
    alone::run(|| {
        within(Duration::from_secs(60), "dropping a busy handle", || {
            assert!(
                live_children().is_empty(),
                "children before the test: {:?}",
                live_children()
            );
            let handle = Handle::start().expect("a background reactor");
            let mut probes = Vec::new();
            let mut children: Vec<(&str, ChildHandle)> = Vec::new();
            let mut receivers = Vec::new();
            let mut senders = Vec::new();
            let (events, events_receiver) = crossbeam_channel::bounded::<Event>(1);
            for _ in 0..EACH {
                // Sleeping, its stdout read into a sink.
                let probe = ThreadProbe::new();
                probes.push(probe.clone());
                children.push((
                    "sleeper",
                    handle.spawn(Job::new(pp_sleep(30_000)).stdout(probe)),
                ));

                // Blocked in write behind a full chunk channel nobody reads.
                let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(1);
                let emit = pp_emit().stdout(1 << 30).command();
                let probe = ThreadProbe::new();
                probes.push(probe.clone());
                children.push((
                    "paused",
                    handle.spawn(Job::new(emit).stdout(sender).stderr(probe)),
                ));
                receivers.push(receiver);

                // Blocked in read on a stdin channel nobody feeds.
                let (sender, receiver) = crossbeam_channel::bounded::<Vec<u8>>(1);
                let probe = ThreadProbe::new();
                probes.push(probe.clone());
                children.push((
                    "starved",
                    handle.spawn(
                        Job::new(pp_cat())
                            .stdin(Input::channel(receiver))
                            .stdout(probe),
                    ),
                ));
                senders.push(sender);

                // Events mode, behind a full events channel.
                let emit = pp_emit().stdout(1 << 30).stderr(1 << 30).command();
                children.push((
                    "events",
                    handle.spawn(Job::new(emit).events(events.clone())),
                ));
            }
            drop(events);

            // Everything runs: one process per child, and every chunk channel
            // full (the children start on the spawner thread, and fill their
            // channels a moment later).
            let expected = children.len();
            assert!(
                eventually(Duration::from_secs(20), || {
                    probes.iter().all(|p| p.tid().is_some()) && live_children().len() == expected
                }),
                "not every child started: {} of {expected} running",
                live_children().len()
            );
            assert!(
                eventually(Duration::from_secs(20), || receivers
                    .iter()
                    .all(|r| r.is_full())),
                "a chunk channel never filled up"
            );

            // The last clones go away on other threads, at once.
            let begin = Instant::now();
            let barrier = Arc::new(Barrier::new(4));
            let droppers: Vec<_> = (0..3)
                .map(|_| {
                    let handle = handle.clone();
                    let barrier = Arc::clone(&barrier);
                    thread::spawn(move || {
                        barrier.wait();
                        drop(handle);
                    })
                })
                .collect();
            barrier.wait();
            drop(handle);
            for dropper in droppers {
                dropper.join().expect("a dropping thread");
            }
            let took = begin.elapsed();

            // Once the last drop returned, nothing is left: not even a zombie.
            assert_eq!(
                live_children(),
                Vec::new(),
                "children left after the handle was dropped"
            );
            assert!(took < Duration::from_secs(10), "the drop took {took:?}");

            // Every child handle gets its report.
            for (kind, child) in children {
                let outcome = child
                    .wait_timeout(Duration::from_secs(5))
                    .unwrap_or_else(|| panic!("{kind}: no report after the handle was dropped"));
                if kind == "events" {
                    assert!(matches!(outcome, Err(Error::ReportSent { .. })));
                    continue;
                }
                let report = outcome.unwrap_or_else(|e| panic!("{kind}: {e}"));
                assert_eq!(report.signal(), Some(SIGKILL), "{kind}: {report:?}");
                for output in [report.stdout(), report.stderr()].into_iter().flatten() {
                    assert_eq!(output.end(), &StreamEnd::Killed, "{kind}: {report:?}");
                }
                if kind == "starved" {
                    let stdin = report.stdin().expect("stdin handled");
                    assert_eq!(stdin.end(), &StreamEnd::Killed, "{kind}: {report:?}");
                }
            }
            // Events mode: each child's report arrived (or was dropped with the
            // channel) and the channel is closed.
            let exits = events_receiver
                .iter()
                .filter_map(|event| match event {
                    Event::Exited(report) => Some(report),
                    _ => None,
                })
                .inspect(|report| assert_eq!(report.signal(), Some(SIGKILL), "{report:?}"))
                .count();
            assert!(exits <= EACH);
            // A stdin producer learns its child is gone.
            for sender in senders {
                assert!(sender.send(vec![1]).is_err(), "the stdin channel is closed");
            }
        });
    });
}
