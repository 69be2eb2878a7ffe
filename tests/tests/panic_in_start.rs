//! A panic in a sink's or a source's `start`, which the reactor calls while
//! wiring a child it has just spawned, must not leave that child behind
//! either: it propagates out of `run` after every child, the one being
//! wired included, was killed and reaped.
//!
//! One test only in this file: it counts the whole process's children.

use procpump::{Discard, Fill, Flow, Input, Job, Reactor, Sink, Source, StreamContext};
use procpump_tests::{bin, kill_and_reap_children, open_fd_list, open_fds};
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;

fn sleeper() -> Job {
    let mut sleep = Command::new(bin("pp-sleep"));
    sleep.arg("30000");
    Job::new(sleep).stdout(Discard)
}

struct PanicOnStart;

impl Sink for PanicOnStart {
    fn chunk(&mut self, _chunk: &[u8]) -> Flow {
        Flow::Continue
    }

    fn start(&mut self, _context: &StreamContext<'_>) {
        panic!("sink start panicked on purpose");
    }
}

struct SourcePanicOnStart;

impl Source for SourcePanicOnStart {
    fn fill(&mut self, _buf: &mut [u8]) -> io::Result<Fill> {
        Ok(Fill::End)
    }

    fn start(&mut self, _context: &StreamContext<'_>) {
        panic!("source start panicked on purpose");
    }
}

fn check(reactor: &mut Reactor, fds: usize, when: &str) {
    let result = catch_unwind(AssertUnwindSafe(|| reactor.run()));
    assert!(result.is_err(), "{when}: the panic should come out of run");
    let left = kill_and_reap_children();
    assert!(left.is_empty(), "{when}: children left behind: {left:?}");
    assert_eq!(open_fds(), fds, "{when}: descriptors {:?}", open_fd_list());
}

#[test]
fn panic_in_start_leaves_no_child_behind() {
    drop(Reactor::new().unwrap());
    let baseline = open_fds();
    let mut reactor = Reactor::new().unwrap();
    let with_reactor = open_fds();

    reactor.spawn(sleeper());
    let mut sleep = Command::new(bin("pp-sleep"));
    sleep.arg("30000");
    reactor.spawn(Job::new(sleep).stdout(PanicOnStart));
    check(&mut reactor, with_reactor, "panic in Sink::start");

    reactor.spawn(sleeper());
    let mut sleep = Command::new(bin("pp-sleep"));
    sleep.arg("30000");
    reactor.spawn(Job::new(sleep).stdin(Input::source(SourcePanicOnStart)));
    check(&mut reactor, with_reactor, "panic in Source::start");

    drop(reactor);
    let left = kill_and_reap_children();
    assert!(
        left.is_empty(),
        "after drop: children left behind: {left:?}"
    );
    assert_eq!(open_fds(), baseline);
}
