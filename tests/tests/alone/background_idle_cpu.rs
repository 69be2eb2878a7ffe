//! A background reactor sleeps until there is work: wake-ups go through the
//! poller's notify, never a periodic tick and never a spin. Over a second
//! with nothing to do (before any child, between children, after the last
//! one) its thread uses (next to) no CPU, and it still answers a spawn at
//! once.
//!
//! It runs alone (`alone::run`): it also measures the CPU time of the whole
//! process, which tests running alongside would disturb.

use std::process::Command;
use std::time::{Duration, Instant};

use procpump::{Handle, Job};
use procpump_tests::sinks::ThreadProbe;
use procpump_tests::{alone, process_cpu, thread_cpu, within};

/// How long each idle spell lasts.
const IDLE: Duration = Duration::from_secs(1);
/// The most CPU the reactor thread (or the whole process) may use in one.
const IDLE_CPU_LIMIT: Duration = Duration::from_millis(50);

/// Runs `true` through the handle with a probe on its stdout, and returns
/// the reactor thread's id and how long the round trip took.
fn probe(handle: &Handle) -> (i32, Duration) {
    let probe = ThreadProbe::new();
    let begin = Instant::now();
    let child = handle.spawn(Job::new(Command::new("true")).stdout(probe.clone()));
    let report = child.wait().expect("a report");
    let round_trip = begin.elapsed();
    assert!(report.success(), "{report:?}");
    (probe.tid().expect("the probe ran"), round_trip)
}

/// CPU used by the reactor thread and by the process over one idle spell.
fn idle_spell(tid: i32) -> (Duration, Duration) {
    let (thread_before, process_before) = (thread_cpu(tid), process_cpu());
    std::thread::sleep(IDLE);
    (
        thread_cpu(tid).saturating_sub(thread_before),
        process_cpu().saturating_sub(process_before),
    )
}

#[test]
fn an_idle_background_reactor_uses_no_cpu() {
    alone::run(|| {
        within(Duration::from_secs(30), "the idle reactor test", || {
            let handle = Handle::start().expect("a background reactor");
            let (tid, first) = probe(&handle);
            // Idle with no child at all (the first child is reported).
            let (thread, process) = idle_spell(tid);
            assert!(
                thread <= IDLE_CPU_LIMIT,
                "the reactor thread used {thread:?} of CPU in {IDLE:?} with no child: it spins \
             instead of sleeping until notified"
            );
            assert!(
                process <= IDLE_CPU_LIMIT,
                "the process used {process:?} of CPU in {IDLE:?} with nothing to do"
            );
            // It still wakes at once for the next spawn, on the same thread.
            let (again, second) = probe(&handle);
            assert_eq!(again, tid, "one reactor thread serves the handle");
            assert!(
                first < Duration::from_secs(2) && second < Duration::from_secs(2),
                "spawning `true` took {first:?}, then {second:?}"
            );
            let (thread, _) = idle_spell(tid);
            assert!(
                thread <= IDLE_CPU_LIMIT,
                "the reactor thread used {thread:?} of CPU in {IDLE:?} after its second child"
            );
            handle.shutdown();
        });
    });
}
