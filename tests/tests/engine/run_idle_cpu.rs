//! `Reactor::run` sleeps between events once children have been reported:
//! the reports it holds for its caller must not turn its waits into a
//! spin. Three children end at once and a fourth sleeps for a second; the
//! thread running the reactor uses (next to) no CPU in that second.

use std::process::Command;
use std::time::Duration;

use procpump::{Discard, Job, Reactor};
use procpump_tests::{current_tid, thread_cpu, within};

/// How long the last child sleeps after the others were reported.
const SLEEP: &str = "1";
/// The most CPU the reactor's thread may use over the whole run (a spin
/// over the second of sleep uses most of that second).
const CPU_LIMIT: Duration = Duration::from_millis(100);

#[test]
fn run_sleeps_while_it_holds_reports() {
    within(Duration::from_secs(30), "the run idle test", || {
        let mut reactor = Reactor::new().expect("a reactor");
        for _ in 0..3 {
            reactor.spawn(Job::new(Command::new("true")).stdout(Discard));
        }
        let mut sleeper = Command::new("sleep");
        sleeper.arg(SLEEP);
        reactor.spawn(Job::new(sleeper).stdout(Discard));
        let tid = current_tid();
        let before = thread_cpu(tid);
        let reports = reactor.run().expect("run");
        let used = thread_cpu(tid).saturating_sub(before);
        assert_eq!(reports.len(), 4);
        assert!(reports.iter().all(|report| report.success()), "{reports:?}");
        assert_eq!(
            reports.last().map(procpump::Report::program),
            Some("sleep"),
            "the sleeper ends last"
        );
        assert!(
            used <= CPU_LIMIT,
            "the reactor's thread used {used:?} of CPU while one child slept {SLEEP} s \
             after the others were reported: it spins instead of waiting"
        );
    });
}
