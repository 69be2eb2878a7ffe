//! A panic in a sink, with the lifecycle machinery busy: children in
//! process groups with grandchildren, timeouts and graces pending, children
//! queued behind `max_running`, a background reactor with handles waiting.
//!
//! What is promised (`Reactor::run`, `# Panics`): the panic propagates out
//! of `run` (or `turn`), after every child of the reactor was killed and
//! reaped. Checked here: no child of this process is left, running or
//! zombie; no process is left in the children's groups; the descriptors
//! are what they were; the reactor can be used again. A background
//! reactor's thread dies of the panic the same way, after handing every
//! waiting `ChildHandle` a report.
//!
//! Observed, and checked: the reports of the children the panic ended
//! (killed, or cancelled while queued) are handed out by the reactor's next
//! `run`, so every child is still reported exactly once.
//!
//! It runs alone (`alone::run`): it counts the whole process's descriptors
//! and children, which tests running alongside would disturb.

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use crate::panic_message as message;
use procpump::{Discard, Error, Flow, Handle, Input, Job, Options, Reactor, StreamEnd};
use procpump_tests::programs::{pp_cat, pp_emit, pp_exit, pp_sleep};
use procpump_tests::sinks::{CheckSink, OnWord};
use procpump_tests::{
    alone, eventually, kill_and_reap_children, kill_group, live_members, open_fd_list, open_fds,
    within,
};

/// A child in a group of its own with three grandchildren, which sends its
/// group id on `ready` once they all run.
fn group_job(ready: mpsc::Sender<i32>) -> Job {
    let mut sh = Command::new("sh");
    sh.args(["-c", "sleep 30 & sleep 30 & sleep 30 & echo ready; wait"]);
    Job::new(sh)
        .stdout(OnWord::new("ready", move |_, pid, _| {
            let _ = ready.send(pid as i32);
        }))
        .process_group(true)
        .timeout(Duration::from_secs(30))
}

/// A child that waits on its stdin for "go", then prints "boom", which its
/// sink answers with a panic; and the sender that says "go".
fn panicking_job() -> (Job, crossbeam_channel::Sender<Vec<u8>>) {
    let (go, gone) = crossbeam_channel::unbounded();
    let mut sh = Command::new("sh");
    sh.args(["-c", "read line; echo boom; exec sleep 30"]);
    let job = Job::new(sh)
        .stdin(Input::channel(gone))
        .stdout(|chunk: &[u8]| -> Flow {
            if chunk.windows(4).any(|w| w == b"boom") {
                panic!("sink panicked on purpose");
            }
            Flow::Continue
        });
    (job, go)
}

/// No child left, none running, none a zombie; no live process in the
/// group; the descriptors are what they were. On failure the leftovers are
/// killed before panicking.
fn assert_clean(fds: usize, group: i32, when: &str) {
    let gone = eventually(Duration::from_secs(2), || live_members(group).is_empty());
    let members = live_members(group);
    kill_group(group);
    let left = kill_and_reap_children();
    assert!(left.is_empty(), "{when}: children left behind: {left:?}");
    assert!(gone, "{when}: group {group} left behind: {members:?}");
    assert_eq!(open_fds(), fds, "{when}: descriptors {:?}", open_fd_list());
}

#[test]
fn a_panicking_sink_leaves_no_child_group_or_descriptor_behind() {
    alone::run(|| {
        drop(Reactor::new().unwrap());
        let baseline = open_fds();

        // 1. A reactor of our own: eight running at most, more queued.
        let mut reactor = Reactor::with_options(Options::new().max_running(8)).unwrap();
        let with_reactor = open_fds();
        let (ready, readies) = mpsc::channel();
        let (panicking, go) = panicking_job();
        let mut running = vec![
            reactor.spawn(group_job(ready)),
            reactor.spawn(panicking),
            reactor.spawn(
                Job::new(pp_sleep(30_000))
                    .stdout(Discard)
                    .timeout(Duration::from_secs(60)),
            ),
        ];
        let emit = pp_emit().stdout(8 << 30).chunk(64 << 10).command();
        running.push(reactor.spawn(Job::new(emit).stdout(CheckSink::new(1))));
        running.push(
            reactor.spawn(
                Job::new(pp_cat())
                    .stdin(Input::reader(io::repeat(b'c')))
                    .stdout(Discard),
            ),
        );
        for _ in 0..3 {
            running.push(reactor.spawn(Job::new(pp_sleep(30_000)).stdout(Discard)));
        }
        // Queued behind the cap.
        let queued: Vec<_> = (0..10)
            .map(|_| reactor.spawn(Job::new(pp_sleep(30_000)).stdout(Discard)))
            .collect();
        // The group runs, and all eight have started, before the panic.
        let mut group = None;
        while group.is_none() || reactor.running() < running.len() {
            assert!(reactor
                .turn(Some(Duration::from_millis(10)))
                .unwrap()
                .is_empty());
            if let Ok(ready) = readies.try_recv() {
                group = Some(ready);
            }
        }
        let group = group.unwrap();
        assert_eq!(live_members(group).len(), 4, "{:?}", live_members(group));
        go.send(b"go\n".to_vec()).unwrap();
        let payload = catch_unwind(AssertUnwindSafe(|| reactor.run()))
            .expect_err("the sink's panic comes out of run");
        assert_eq!(message(&*payload), "sink panicked on purpose");
        assert!(reactor.is_empty(), "{reactor:?}");
        assert_clean(with_reactor, group, "after a panic in run");

        // The same reactor runs on. Its next run hands out, with the new
        // child's report, the reports of every child the panic ended: each
        // exactly once, the running ones killed, the queued ones cancelled.
        let new = reactor.spawn(Job::new(pp_exit(0, "after", "")).stdout(Discard));
        let reports = reactor.run().unwrap();
        assert_eq!(reports.len(), running.len() + queued.len() + 1);
        let report_of = |id| {
            let mut matching = reports.iter().filter(|r| r.id() == id);
            let report = matching
                .next()
                .unwrap_or_else(|| panic!("{id} not reported"));
            assert!(matching.next().is_none(), "{id} reported twice");
            report
        };
        for &id in &running {
            let report = report_of(id);
            assert_eq!(report.signal(), Some(9), "{report:?}");
            assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Killed);
        }
        for &id in &queued {
            let report = report_of(id);
            assert!(
                matches!(report.error(), Some(Error::Cancelled { .. })),
                "{report:?}"
            );
            assert_eq!(report.pid(), None, "{report:?}");
        }
        let after = report_of(new);
        assert!(after.success(), "{after:?}");
        assert_eq!(after.stdout().unwrap().bytes(), 5);
        drop(reports);
        drop(reactor);
        assert_clean(baseline, group, "after dropping the reactor");

        // 2. A background reactor: its thread dies of the panic; every handle
        //    still gets its report, and nothing is left.
        // Every report and sink (a sink may hold a `Control`, which keeps the
        // poller open) is dropped at the end of this block.
        let group = {
            let handle = Handle::with_options(Options::new().max_running(4)).unwrap();
            let (ready, readies) = mpsc::channel();
            let (panicking, go) = panicking_job();
            let grouped = handle.spawn(group_job(ready));
            let sleepers: Vec<_> = (0..2)
                .map(|_| handle.spawn(Job::new(pp_sleep(30_000)).stdout(Discard)))
                .collect();
            let boom = handle.spawn(panicking);
            let queued = handle.spawn(Job::new(pp_sleep(30_000)).stdout(Discard));
            let group = readies.recv_timeout(Duration::from_secs(10)).unwrap();
            go.send(b"go\n".to_vec()).unwrap();
            let report = within(Duration::from_secs(10), "wait", move || grouped.wait()).unwrap();
            assert_eq!(report.signal(), Some(9), "{report:?}");
            for sleeper in sleepers {
                assert_eq!(sleeper.wait().unwrap().signal(), Some(9));
            }
            assert_eq!(boom.wait().unwrap().signal(), Some(9));
            let report = queued.wait().unwrap();
            assert!(
                matches!(report.error(), Some(Error::Cancelled { .. })),
                "{report:?}"
            );
            // The thread is gone: a new child is refused.
            let late = handle
                .spawn(Job::new(pp_sleep(30_000)).stdout(Discard))
                .wait();
            assert!(matches!(late, Err(Error::Stopped { .. })), "{late:?}");
            handle.shutdown();
            group
        };
        assert_clean(baseline, group, "after a panic on a background reactor");
    });
}
