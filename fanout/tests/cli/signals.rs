//! fanout stopping jobs: `--timeout` (SIGTERM to the job's whole
//! process group, SIGKILL after `--grace`) and Ctrl-C (SIGINT to fanout:
//! the running jobs' groups are stopped the same way, at once with
//! SIGKILL on a second Ctrl-C, the summary printed, exit 130). No process
//! of a stopped command survives, background ones included: each test
//! finds them in `/proc` by a `sleep` argument of their own.

use std::time::{Duration, Instant};

use crate::support::eventually;
use crate::support::{command, processes_with, run, unique_sleep, wait};

/// `sleep S & sleep S & sleep S`, then a last one in the foreground.
fn sleepers(sleep: &str) -> String {
    format!("sleep {sleep} & sleep {sleep} & sleep {sleep} & sleep {sleep}")
}

fn all_gone(sleep: &str) -> bool {
    eventually(Duration::from_secs(2), || processes_with(sleep).is_empty())
}

#[test]
fn a_timeout_kills_the_whole_process_group() {
    let (polite, stubborn) = (unique_sleep(), unique_sleep());
    let ran = run(&[
        "--summary",
        "--timeout",
        "0.5",
        "--grace",
        "0.5",
        "--seq-tag",
        ":::",
        &sleepers(&polite),
        // Ignores SIGTERM (and so do its sleeps): SIGKILL after the grace.
        &format!("trap '' TERM; {}", sleepers(&stubborn)),
        "sleep 0.1; echo in time",
    ]);
    assert_eq!(ran.code(), 2, "{}", ran.stderr);
    assert!(
        ran.summary(1).starts_with("[1] timed-out SIGTERM "),
        "{}",
        ran.stderr
    );
    assert!(
        ran.summary(2).starts_with("[2] timed-out SIGKILL "),
        "{}",
        ran.stderr
    );
    assert!(ran.summary(3).starts_with("[3] ok "), "{}", ran.stderr);
    assert_eq!(ran.stdout, "[3] in time\n");
    assert!(
        ran.totals().contains("1 ok, 2 timed out"),
        "{}",
        ran.totals()
    );
    // SIGKILL came after the timeout and the grace, not before.
    let secs = |line: &str| -> f64 {
        let field = line.split_whitespace().nth(3).unwrap();
        field.strip_suffix('s').unwrap().parse().unwrap()
    };
    assert!(secs(ran.summary(1)) >= 0.5, "{}", ran.summary(1));
    assert!(secs(ran.summary(2)) >= 1.0, "{}", ran.summary(2));
    assert!(ran.elapsed < Duration::from_secs(10), "{:?}", ran.elapsed);
    assert!(all_gone(&polite), "left: {:?}", processes_with(&polite));
    assert!(all_gone(&stubborn), "left: {:?}", processes_with(&stubborn));
}

#[test]
fn sigint_kills_the_running_groups_prints_the_summary_and_exits_130() {
    let sleep = unique_sleep();
    let began = Instant::now();
    let long = sleepers(&sleep);
    let exec = format!("echo started; exec sleep {sleep}");
    let child = command(&[
        "--summary",
        "-j",
        "3",
        "--seq-tag",
        ":::",
        &long,
        &exec,
        &long,
        "true",
    ])
    .spawn()
    .unwrap();
    // Wait until the commands run (4 + 1 + 4 sleepers), then Ctrl-C.
    let running = eventually(Duration::from_secs(10), || {
        processes_with(&sleep).len() == 9
    });
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let ran = wait(child, began);
    assert!(running, "the commands did not start: {ran:?}");
    assert_eq!(ran.code(), 130, "{}", ran.stderr);
    assert_eq!(ran.stdout, "[2] started\n");
    for index in 1..=3 {
        assert!(
            ran.summary(index).contains(" killed    SIGTERM "),
            "{}",
            ran.stderr
        );
    }
    assert!(!ran.stderr.contains("[4] "), "{}", ran.stderr);
    assert!(
        ran.totals()
            .ends_with("0 ok, 3 killed; interrupted by SIGINT (1 not started)"),
        "{}",
        ran.totals()
    );
    assert!(all_gone(&sleep), "left: {:?}", processes_with(&sleep));
}

#[test]
fn sigint_while_reading_commands_from_stdin_exits_130() {
    use std::io::Write;
    let began = Instant::now();
    let sleep = unique_sleep();
    let mut child = command(&["--summary"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Two commands, and stdin left open.
    writeln!(stdin, "sleep {sleep}\nsleep {sleep}").unwrap();
    let running = eventually(Duration::from_secs(10), || {
        processes_with(&sleep).len() == 2
    });
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let ran = wait(child, began);
    drop(stdin);
    assert!(running, "the commands did not start: {ran:?}");
    assert_eq!(ran.code(), 130, "{}", ran.stderr);
    assert!(
        ran.totals()
            .ends_with("interrupted by SIGINT (the rest not started)"),
        "{}",
        ran.totals()
    );
    assert!(all_gone(&sleep), "left: {:?}", processes_with(&sleep));
}

/// Sends SIGINT to a running fanout.
fn interrupt(child: &std::process::Child) {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
}

#[test]
fn a_command_ignoring_sigterm_is_killed_after_the_grace_or_a_second_sigint() {
    for second_sigint in [false, true] {
        let sleep = unique_sleep();
        let began = Instant::now();
        let stubborn = format!("trap '' TERM; {}", sleepers(&sleep));
        // The grace is 30 s with a second SIGINT, 0.5 s without.
        let grace = if second_sigint { "30" } else { "0.5" };
        let child = command(&["--summary", "--grace", grace, ":::", &stubborn])
            .spawn()
            .unwrap();
        let running = eventually(Duration::from_secs(10), || {
            processes_with(&sleep).len() == 4
        });
        interrupt(&child);
        if second_sigint {
            // The SIGTERM is ignored: they still run; then SIGKILL at once.
            std::thread::sleep(Duration::from_millis(300));
            assert_eq!(processes_with(&sleep).len(), 4, "SIGTERM not ignored?");
            interrupt(&child);
        }
        let ran = wait(child, began);
        assert!(running, "the command did not start: {ran:?}");
        assert_eq!(ran.code(), 130, "{}", ran.stderr);
        assert!(
            ran.summary(1).contains(" killed    SIGKILL "),
            "{}",
            ran.stderr
        );
        assert!(ran.elapsed < Duration::from_secs(10), "{:?}", ran.elapsed);
        assert!(all_gone(&sleep), "left: {:?}", processes_with(&sleep));
    }
}
