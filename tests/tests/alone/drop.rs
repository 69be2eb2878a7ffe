//! Dropping a reactor whose children still run kills (`SIGKILL`) and reaps
//! them: no child survives, none is left a zombie, every descriptor is
//! closed.
//!
//! It runs alone (`alone::run`): it counts the whole process's descriptors
//! and children, which tests running alongside would disturb.

use procpump::{Discard, Flow, Input, Job, Options, Reactor, Sink, StreamContext};
use procpump_tests::programs::{pp_cat, pp_emit, pp_exit, pp_sleep};
use procpump_tests::{alone, bin, kill_and_reap_children, live_children, open_fd_list, open_fds};
use std::io;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Counts the streams that have started, and pauses on the first chunk
/// (so that a child whose output is paused is also dropped mid-way).
struct Started(Arc<AtomicUsize>);

impl Sink for Started {
    fn start(&mut self, _context: &StreamContext<'_>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn chunk(&mut self, _chunk: &[u8]) -> Flow {
        Flow::Pause
    }
}

#[test]
fn dropping_a_reactor_kills_and_reaps_its_children() {
    alone::run(|| {
        drop(Reactor::new().unwrap());
        let baseline = open_fds();
        assert!(live_children().is_empty());

        let started = Arc::new(AtomicUsize::new(0));
        // The cap keeps the last job queued: it never starts.
        let mut reactor = Reactor::with_options(Options::new().max_running(9)).unwrap();
        let mut expected = 0;
        for _ in 0..6 {
            reactor.spawn(
                Job::new(pp_sleep(30_000))
                    .stdin(Input::bytes("never read"))
                    .stdout(Started(Arc::clone(&started)))
                    .stderr(Discard),
            );
            expected += 1;
        }
        // Blocked writing into a paused stream.
        let emit = pp_emit().stdout(1 << 30).command();
        reactor.spawn(Job::new(emit).stdout(Started(Arc::clone(&started))));
        expected += 1;
        // Blocked reading an endless stdin that the reactor keeps feeding.
        reactor.spawn(
            Job::new(pp_cat())
                .stdin(Input::reader(io::repeat(b'q')))
                .stdout(Started(Arc::clone(&started))),
        );
        expected += 1;
        // Exited already, but its output is paused: not yet reported.
        reactor.spawn(Job::new(pp_exit(0, "done", "")).stdout(Started(Arc::clone(&started))));
        expected += 1;
        // Never started at all: queued behind the cap.
        assert_eq!(expected, 9);
        reactor.spawn(Job::new(Command::new(bin("pp-sleep"))));

        while started.load(Ordering::SeqCst) < expected {
            let reports = reactor.turn(Some(Duration::from_millis(10))).unwrap();
            assert!(reports.is_empty(), "{reports:?}");
        }
        let running = live_children();
        assert!(running.len() >= expected - 1, "{running:?}");

        drop(reactor);
        let left = kill_and_reap_children();
        assert!(left.is_empty(), "children left behind: {left:?}");
        for (pid, _) in running {
            assert!(
                std::fs::metadata(format!("/proc/{pid}")).is_err(),
                "child {pid} still exists"
            );
        }
        assert_eq!(open_fds(), baseline, "descriptors {:?}", open_fd_list());
    });
}
