//! The library installs no process-wide signal handler: after running
//! children through every lifecycle feature (timeouts and the kill
//! sequence, process groups, merged output, kills from sinks and handles,
//! a background reactor, a cap), this process's caught and ignored signal
//! sets (`SigCgt`, `SigIgn` in `/proc/self/status`) are what they were
//! before, and `SIGCHLD` in particular is neither caught nor ignored (an
//! ignored `SIGCHLD` would make the kernel reap children behind the
//! caller's back).

use std::process::Command;
use std::time::Duration;

use procpump::{Discard, Handle, Job, Options, Reactor, Signal};
use procpump_tests::alone;
use procpump_tests::programs::{pp_exit, pp_sleep};
use procpump_tests::sinks::{Collect, Started};

/// `SIGCHLD` is signal 17: bit 16 of the masks.
const SIGCHLD_BIT: u64 = 1 << (17 - 1);

/// The process's `(caught, ignored)` signal masks.
fn signal_masks() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let mask = |name: &str| {
        let hex = status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in /proc/self/status"));
        u64::from_str_radix(hex.trim(), 16).unwrap()
    };
    (mask("SigCgt:"), mask("SigIgn:"))
}

#[test]
fn running_children_installs_no_signal_handler() {
    alone::run(|| {
        let before = signal_masks();
        assert_eq!(before.0 & SIGCHLD_BIT, 0, "SIGCHLD caught before the test");
        assert_eq!(before.1 & SIGCHLD_BIT, 0, "SIGCHLD ignored before the test");

        let mut reactor = Reactor::with_options(Options::new().max_running(8)).unwrap();
        for _ in 0..20 {
            reactor.spawn(Job::new(pp_exit(0, "out", "err")).merged(Collect::new()));
        }
        reactor.spawn(
            Job::new(pp_sleep(30_000))
                .stdout(Collect::new())
                .timeout(Duration::from_millis(100)),
        );
        let mut sh = Command::new("sh");
        sh.args(["-c", r#"trap "" TERM; sleep 30 & sleep 30 & wait"#]);
        reactor.spawn(
            Job::new(sh)
                .stdout(Discard)
                .process_group(true)
                .timeout(Duration::from_millis(100))
                .grace(Duration::from_millis(100)),
        );
        let reports = reactor.run().unwrap();
        assert_eq!(reports.len(), 22);
        assert!(reports.iter().filter(|r| r.timed_out()).count() == 2);
        assert_eq!(signal_masks(), before, "after a run");

        let handle = Handle::start().unwrap();
        let (started, starts) = std::sync::mpsc::channel();
        let child = handle.spawn(Job::new(pp_sleep(30_000)).stdout(Started(started)));
        starts.recv_timeout(Duration::from_secs(10)).unwrap();
        child.signal(Signal::TERM);
        assert_eq!(child.wait().unwrap().signal(), Some(15));
        handle.shutdown();
        drop(reactor);
        assert_eq!(signal_masks(), before, "after a background reactor");
    });
}
