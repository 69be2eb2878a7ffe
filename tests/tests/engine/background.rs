//! A background reactor driven through a cloneable, `Send` [`Handle`]:
//! children spawned from many threads at once, each waited for (blocking
//! or with a timeout) and killed from other threads; `shutdown` and
//! `finish`; spawn failures, events mode and paused channels through it.
//!
//! What happens when the last handle is dropped while children run (no
//! zombie left) is in `alone/background_drop.rs`, which runs alone because
//! it counts this process's children.

use std::process::Command;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use procpump::{ChildHandle, Chunk, Discard, Error, Event, Handle, Job, Stream, StreamEnd};
use procpump_tests::programs::{pp_emit, pp_sleep};
use procpump_tests::sinks::{CheckSink, ThreadProbe};
use procpump_tests::{eventually, within, PatternChecker};

const LIMIT: Duration = Duration::from_secs(30);
const SIGKILL: i32 = 9;

/// Waits until the reactor has started the child whose stdout `probe` is.
fn wait_started(probe: &ThreadProbe) {
    assert!(
        eventually(Duration::from_secs(10), || probe.tid().is_some()),
        "the child was not started"
    );
}

#[test]
fn handles_are_send_sync_and_cloneable() {
    fn shareable<T: Send + Sync + 'static>() {}
    fn cloneable<T: Clone>() {}
    shareable::<Handle>();
    shareable::<ChildHandle>();
    cloneable::<Handle>();
}

#[test]
fn a_hundred_threads_spawn_through_one_handle_at_once() {
    const THREADS: u64 = 100;
    within(LIMIT, "100 spawning threads", || {
        let handle = Handle::start().expect("a background reactor");
        let barrier = Arc::new(Barrier::new(THREADS as usize));
        let threads: Vec<_> = (0..THREADS)
            .map(|i| {
                let handle = handle.clone();
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    let (out, err) = (i * 10_007, 1000 + i);
                    let emit = pp_emit()
                        .stdout(out)
                        .stderr(err)
                        .seed(2 * i)
                        .exit((i % 4) as i32)
                        .command();
                    let job = Job::new(emit)
                        .stdout(CheckSink::new(2 * i))
                        .stderr(CheckSink::new(2 * i + 1));
                    barrier.wait();
                    let child = handle.spawn(job);
                    let id = child.id();
                    let mut report = child.wait().expect("a report");
                    assert_eq!(report.id(), id);
                    assert_eq!(report.code(), Some((i % 4) as i32), "{report:?}");
                    let stdout: CheckSink = report.take_sink(Stream::Stdout).unwrap();
                    stdout
                        .verify(out, &StreamEnd::Eof)
                        .unwrap_or_else(|e| panic!("child {i} stdout: {e}"));
                    let stderr: CheckSink = report.take_sink(Stream::Stderr).unwrap();
                    stderr
                        .verify(err, &StreamEnd::Eof)
                        .unwrap_or_else(|e| panic!("child {i} stderr: {e}"));
                    id
                })
            })
            .collect();
        let mut ids: Vec<_> = threads
            .into_iter()
            .map(|t| t.join().expect("a spawning thread"))
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), THREADS as usize, "every child has its own id");
        handle.shutdown();
    });
}

#[test]
fn wait_and_kill_from_other_threads() {
    within(LIMIT, "killing a sleeper from another thread", || {
        let handle = Handle::start().expect("a background reactor");
        let probe = ThreadProbe::new();
        // Spawned on one thread...
        let spawner = {
            let handle = handle.clone();
            let probe = probe.clone();
            thread::spawn(move || handle.spawn(Job::new(pp_sleep(30_000)).stdout(probe)))
        };
        let child = Arc::new(spawner.join().expect("the spawning thread"));
        wait_started(&probe);

        // ...waited for on a second, with a timeout that expires first...
        let waiter = {
            let child = Arc::clone(&child);
            thread::spawn(move || {
                assert!(
                    child.wait_timeout(Duration::from_millis(200)).is_none(),
                    "a 30 s sleeper reported within 200 ms"
                );
                let begin = Instant::now();
                let report = child
                    .wait_timeout(Duration::from_secs(20))
                    .expect("reported once killed")
                    .expect("a report");
                // Once taken, the report is not handed out again: later
                // waits say so at once rather than block.
                assert!(matches!(
                    child.wait_timeout(Duration::from_secs(30)),
                    Some(Err(procpump::Error::ReportTaken { child: id })) if id == child.id()
                ));
                (report, begin.elapsed())
            })
        };
        // ...and killed from a third.
        thread::sleep(Duration::from_millis(400));
        let killer = {
            let child = Arc::clone(&child);
            thread::spawn(move || child.kill())
        };
        killer.join().expect("the killing thread");
        let (report, waited) = waiter.join().expect("the waiting thread");
        assert_eq!(report.signal(), Some(SIGKILL), "{report:?}");
        assert!(!report.success());
        assert_eq!(report.id(), child.id());
        assert!(
            waited < Duration::from_secs(10),
            "the kill took {waited:?} to be reported"
        );
        handle.shutdown();
    });
}

#[test]
fn a_child_that_cannot_start_is_reported_through_its_handle() {
    within(LIMIT, "a missing program", || {
        let handle = Handle::start().expect("a background reactor");
        let child = handle.spawn(Job::new(Command::new("/nonexistent/pp-missing")).stdout(Discard));
        let report = child.wait().expect("a report");
        assert!(report.pid().is_none());
        assert!(
            matches!(report.error(), Some(Error::Spawn { .. })),
            "{report:?}"
        );
        // The reactor goes on.
        let report = handle
            .spawn(Job::new(Command::new("true")))
            .wait()
            .expect("a report");
        assert!(report.success(), "{report:?}");
    });
}

#[test]
fn shutdown_kills_what_runs_and_refuses_later_spawns() {
    within(LIMIT, "shutting a handle down", || {
        let handle = Handle::start().expect("a background reactor");
        let other = handle.clone();
        let probe = ThreadProbe::new();
        let child = handle.spawn(Job::new(pp_sleep(30_000)).stdout(probe.clone()));
        wait_started(&probe);
        let begin = Instant::now();
        handle.shutdown();
        assert!(begin.elapsed() < Duration::from_secs(5));
        let report = child.wait().expect("a report");
        assert_eq!(report.signal(), Some(SIGKILL), "{report:?}");
        assert_eq!(
            report.stdout().map(|s| s.end()),
            Some(&StreamEnd::Killed),
            "{report:?}"
        );
        // A clone can no longer spawn.
        let late = other.spawn(Job::new(Command::new("true")));
        assert!(
            matches!(late.wait(), Err(Error::Stopped { .. })),
            "a spawn after shutdown must be refused"
        );
    });
}

#[test]
fn finish_lets_every_child_complete() {
    within(LIMIT, "finishing a handle", || {
        let handle = Handle::start().expect("a background reactor");
        let children: Vec<_> = (0..5)
            .map(|i| handle.spawn(Job::new(pp_sleep(100 * i)).stdout(Discard)))
            .collect();
        let begin = Instant::now();
        handle.finish();
        assert!(begin.elapsed() >= Duration::from_millis(350));
        for child in children {
            let report = child.wait().expect("a report");
            assert!(report.success(), "{report:?}");
            assert_eq!(report.stdout().map(|s| s.end()), Some(&StreamEnd::Eof));
        }
    });
}

#[test]
fn an_events_job_reports_to_its_channel_not_its_handle() {
    within(LIMIT, "an events job through a handle", || {
        let handle = Handle::start().expect("a background reactor");
        let (events, receiver) = crossbeam_channel::bounded::<Event>(4);
        let emit = pp_emit().stdout(1 << 20).seed(9).command();
        let child = handle.spawn(Job::new(emit).events(events));
        let id = child.id();
        assert!(matches!(child.wait(), Err(Error::ReportSent { .. })));
        let mut checker = PatternChecker::new(9);
        let mut exited = 0;
        for event in receiver.iter() {
            match event {
                Event::Output(chunk) => {
                    assert_eq!(chunk.child(), id);
                    checker.feed(&chunk);
                }
                Event::Exited(report) => {
                    exited += 1;
                    assert_eq!(report.id(), id);
                    assert!(report.success(), "{report:?}");
                }
                _ => {}
            }
        }
        checker.verify(1 << 20).unwrap();
        assert_eq!(exited, 1);
        handle.shutdown();
    });
}

/// The consumer of a channel whose stream the reactor killed sees the
/// channel close (the sender is dropped when the stream ends, as
/// `ChannelSink` documents), even while the child's handle, which keeps the
/// report and so the sink, is not yet waited for: joining the consumer
/// before waiting for the report must not hang.
#[test]
fn a_killed_stream_closes_its_channel() {
    within(LIMIT, "a channel paused when its child is killed", || {
        let handle = Handle::start().expect("a background reactor");
        let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(1);
        let emit = pp_emit().stdout(64 << 20).command();
        let child = handle.spawn(Job::new(emit).stdout(sender));
        // The channel is full, a chunk waits in the sink, the pipe is paused.
        assert!(eventually(Duration::from_secs(10), || receiver.is_full()));
        thread::sleep(Duration::from_millis(100));
        handle.shutdown();
        let consumer = thread::spawn(move || receiver.iter().count());
        let drained = eventually(Duration::from_secs(5), || consumer.is_finished());
        assert!(
            drained,
            "the consumer still waits on the channel of a killed stream: its sender lives on \
             in the report that the child's handle keeps"
        );
        assert!(consumer.join().expect("the consumer") >= 1);
        let report = child.wait().expect("a report");
        assert_eq!(report.signal(), Some(SIGKILL), "{report:?}");
        assert_eq!(
            report.stdout().map(|s| s.end()),
            Some(&StreamEnd::Killed),
            "{report:?}"
        );
    });
}
