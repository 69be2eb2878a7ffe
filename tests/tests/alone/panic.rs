//! A panic in a sink or a source propagates out of `run`, after every child
//! of the reactor was killed and reaped: no child of this process is left,
//! running or zombie, even while the reactor itself is still alive; and the
//! reactor can then be dropped, or used again.
//!
//! It runs alone (`alone::run`): it counts the whole process's descriptors
//! and children, which tests running alongside would disturb.

use crate::panic_message as message;
use procpump::{Discard, Fill, Flow, Input, Job, Reactor, Source, StreamEnd};
use procpump_tests::programs::{pp_cat, pp_emit, pp_sleep};
use procpump_tests::sinks::CheckSink;
use procpump_tests::{alone, kill_and_reap_children, open_fd_list, open_fds};
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Children that would run for a long time: a sleeper, a child printing
/// 1 GiB, one copying an endless stdin.
fn bystanders(reactor: &mut Reactor) {
    reactor.spawn(Job::new(pp_sleep(30_000)).stdout(Discard).stderr(Discard));
    let emit = pp_emit().stdout(1 << 30).stderr(1 << 30).chunk(64 << 10);
    reactor.spawn(
        Job::new(emit.command())
            .stdout(CheckSink::new(1))
            .stderr(Discard),
    );
    reactor.spawn(
        Job::new(pp_cat())
            .stdin(Input::reader(io::repeat(b'y')))
            .stdout(Discard),
    );
    reactor.spawn(Job::new(pp_sleep(30_000)).stdout(Discard).stderr(Discard));
}

/// No child left, none running, none a zombie; and the descriptors are
/// what they were. On failure, the leftovers are killed before panicking.
fn assert_clean(fds: usize, when: &str) {
    let left = kill_and_reap_children();
    assert!(left.is_empty(), "{when}: children left behind: {left:?}");
    let now = open_fds();
    assert_eq!(now, fds, "{when}: descriptors {:?}", open_fd_list());
}

/// A source that gives some bytes, then panics.
struct PanickingSource(u64);

impl Source for PanickingSource {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<Fill> {
        if self.0 == 0 {
            panic!("source panicked on purpose");
        }
        let n = (buf.len() as u64).min(self.0) as usize;
        self.0 -= n as u64;
        buf[..n].fill(b'z');
        Ok(Fill::Data(n))
    }
}

#[test]
fn panics_in_sinks_and_sources_leave_no_child_behind() {
    alone::run(|| {
        drop(Reactor::new().unwrap());
        let baseline = open_fds();
        let mut reactor = Reactor::new().unwrap();
        let with_reactor = open_fds();

        // 1. A sink that panics on its first chunk. It is queued last, so every
        //    other child has started by the time it gets a chunk.
        bystanders(&mut reactor);
        let emit = pp_emit().stdout(1 << 20).command();
        reactor.spawn(Job::new(emit).stdout(|_: &[u8]| -> Flow {
            panic!("sink panicked on purpose");
        }));
        let payload = catch_unwind(AssertUnwindSafe(|| reactor.run()))
            .expect_err("the sink's panic comes out of run");
        assert_eq!(message(&*payload), "sink panicked on purpose");
        // The reactor is still alive, and no child is.
        assert!(reactor.is_empty(), "{reactor:?}");
        assert_clean(with_reactor, "after a panic in a sink");

        // 2. The same reactor runs on: a panic in a stdin source.
        bystanders(&mut reactor);
        reactor.spawn(
            Job::new(pp_cat())
                .stdin(Input::source(PanickingSource(1 << 20)))
                .stdout(Discard),
        );
        let payload = catch_unwind(AssertUnwindSafe(|| reactor.run()))
            .expect_err("the source's panic comes out of run");
        assert_eq!(message(&*payload), "source panicked on purpose");
        assert!(reactor.is_empty(), "{reactor:?}");
        assert_clean(with_reactor, "after a panic in a source");

        // 3. And after two panics it still works.
        let emit = pp_emit().stdout(100 << 10).seed(9).command();
        let id = reactor.spawn(Job::new(emit).stdout(CheckSink::new(9)));
        // The run may also hand out reports of the children killed above.
        let mut reports = reactor.run().unwrap();
        let at = reports.iter().position(|r| r.id() == id).expect("reported");
        let mut report = reports.remove(at);
        drop(reports);
        assert!(report.success(), "{report:?}");
        let sink: CheckSink = report.take_sink(procpump::Stream::Stdout).unwrap();
        sink.verify(100 << 10, &StreamEnd::Eof).unwrap();
        drop(report);
        assert_clean(with_reactor, "after a normal run");

        // Dropping it afterwards is fine.
        drop(reactor);
        assert_clean(baseline, "after dropping the reactor");
    });
}
