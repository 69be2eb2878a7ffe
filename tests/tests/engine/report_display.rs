//! A report printed as a person reads it: `exit N`, `killed by SIGTERM`,
//! `after its timeout`, or why the child could not start.

use procpump::{Job, Reactor, Signal};
use procpump_tests::programs::{pp_exit, pp_signal, pp_sleep};
use std::process::Command;
use std::time::Duration;

fn printed(jobs: Vec<Job>) -> Vec<String> {
    let mut reactor = Reactor::new().unwrap();
    for job in jobs {
        reactor.spawn(job);
    }
    let mut reports = reactor.run().unwrap();
    reports.sort_by_key(|report| report.id());
    reports.iter().map(ToString::to_string).collect()
}

#[test]
fn exit_codes_signals_and_timeouts_read_as_words() {
    let lines = printed(vec![
        Job::new(pp_exit(0, "", "")),
        Job::new(pp_exit(3, "", "")),
        Job::new(pp_signal(Signal::TERM.number())),
        Job::new(pp_signal(Signal::KILL.number())),
        Job::new(pp_sleep(30_000)).timeout(Duration::from_millis(50)),
    ]);
    let program = |line: &str| {
        let (head, _) = line.split_once(": ").unwrap();
        head.split_once(' ').unwrap().1.to_owned()
    };
    let ends: Vec<&str> = lines
        .iter()
        .map(|line| line.split_once(": ").unwrap().1)
        .collect();
    assert_eq!(
        ends,
        [
            "exit 0",
            "exit 3",
            "killed by SIGTERM",
            "killed by SIGKILL",
            "killed by SIGTERM after its timeout",
        ],
        "{lines:?}"
    );
    assert!(lines[0].starts_with("#0 "), "{lines:?}");
    assert!(program(&lines[0]).ends_with("pp-exit"), "{lines:?}");
    assert!(program(&lines[2]).ends_with("pp-signal"), "{lines:?}");
}

#[test]
fn a_child_that_cannot_start_says_why() {
    let missing = format!("/nonexistent/pp-no-such-program-{}", std::process::id());
    let lines = printed(vec![Job::new(Command::new(&missing))]);
    assert_eq!(
        lines,
        [format!(
            "#0 {missing}: cannot start: No such file or directory (os error 2)"
        )]
    );
}
