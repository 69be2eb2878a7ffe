//! A stalled consumer costs no CPU: while a full chunk channel holds a
//! child's pipe paused, the reactor thread sleeps in its poller and the
//! watcher thread in its `select` (no polling tick, no spin), and when the
//! consumer comes back every byte follows, in order.
//!
//! It runs alone (`alone::run`): it also measures the CPU time of the whole
//! process, which tests running alongside would disturb.

#![allow(clippy::print_stderr)]

use std::thread;
use std::time::Duration;

use procpump::{Chunk, Handle, Job, StreamEnd};
use procpump_tests::programs::pp_emit;
use procpump_tests::sinks::ThreadProbe;
use procpump_tests::{
    alone, eventually, process_cpu, thread_cpu, threads_named, within, PatternChecker,
};

const LEN: u64 = 64 << 20;
const SEED: u64 = 0x57A1;
const STALL: Duration = Duration::from_secs(2);
const STALL_CPU_LIMIT: Duration = Duration::from_millis(50);

#[test]
fn a_stalled_consumer_costs_no_cpu() {
    alone::run(|| {
        within(Duration::from_secs(60), "the stalled-consumer run", || {
            let handle = Handle::start().expect("a background reactor");
            let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(1);
            let probe = ThreadProbe::new();
            let emit = pp_emit().stdout(LEN).seed(SEED).command();
            let child = handle.spawn(Job::new(emit).stdout(sender).stderr(probe.clone()));

            // The channel fills, the pipe behind it fills, the child blocks.
            assert!(
                eventually(Duration::from_secs(10), || receiver.is_full()),
                "the channel never filled"
            );
            thread::sleep(Duration::from_millis(300));
            let reactor = probe.tid().expect("the reactor thread started the child");
            let watchers = threads_named("procpump-watcher");
            assert_eq!(watchers.len(), 1, "one watcher thread: {watchers:?}");
            let watcher = watchers[0];

            let before = (thread_cpu(reactor), thread_cpu(watcher), process_cpu());
            thread::sleep(STALL);
            let used = (
                thread_cpu(reactor).saturating_sub(before.0),
                thread_cpu(watcher).saturating_sub(before.1),
                process_cpu().saturating_sub(before.2),
            );
            eprintln!(
                "CPU over a {STALL:?} stall: reactor thread {:?}, watcher thread {:?}, \
             whole process {:?}",
                used.0, used.1, used.2
            );
            assert!(
                receiver.is_full(),
                "the channel was drained by someone else"
            );
            for (what, cpu) in [
                ("the reactor thread", used.0),
                ("the watcher thread", used.1),
                ("the whole process", used.2),
            ] {
                assert!(
                    cpu <= STALL_CPU_LIMIT,
                    "{what} used {cpu:?} of CPU during a {STALL:?} stall: it polls or spins \
                 instead of sleeping until the consumer takes a chunk"
                );
            }

            // The consumer comes back: everything follows, in order.
            let mut checker = PatternChecker::new(SEED);
            for chunk in receiver.iter() {
                checker.feed(&chunk);
            }
            checker
                .verify(LEN)
                .unwrap_or_else(|e| panic!("after the stall: {e}"));
            let report = child.wait().expect("a report");
            assert!(report.success(), "{report:?}");
            assert_eq!(report.stdout().map(|s| s.end()), Some(&StreamEnd::Eof));
            handle.shutdown();
        });
    });
}
