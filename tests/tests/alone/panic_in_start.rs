//! A panic in a sink's or a source's `start`, which the reactor calls while
//! wiring a child it has just spawned, must not leave that child behind
//! either: it propagates out of `run` after every child, the one being
//! wired included, was killed and reaped.
//!
//! It runs alone (`alone::run`): it counts the whole process's children.

use procpump::{Discard, Fill, Flow, Input, Job, Reactor, Sink, Source, StreamContext};
use procpump_tests::programs::pp_sleep;
use procpump_tests::{alone, kill_and_reap_children, open_fd_list, open_fds};
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};

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
    alone::run(|| {
        drop(Reactor::new().unwrap());
        let baseline = open_fds();
        let mut reactor = Reactor::new().unwrap();
        let with_reactor = open_fds();

        reactor.spawn(Job::new(pp_sleep(30_000)).stdout(Discard));
        reactor.spawn(Job::new(pp_sleep(30_000)).stdout(PanicOnStart));
        check(&mut reactor, with_reactor, "panic in Sink::start");

        reactor.spawn(Job::new(pp_sleep(30_000)).stdout(Discard));
        reactor.spawn(Job::new(pp_sleep(30_000)).stdin(Input::source(SourcePanicOnStart)));
        check(&mut reactor, with_reactor, "panic in Source::start");

        drop(reactor);
        let left = kill_and_reap_children();
        assert!(
            left.is_empty(),
            "after drop: children left behind: {left:?}"
        );
        assert_eq!(open_fds(), baseline);
    });
}
