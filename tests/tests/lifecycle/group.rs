//! `Job::process_group(true)`: the child leads a process group of its own,
//! and every signal the reactor sends it (timeout, grace, `Control`,
//! `ChildHandle`, the reactor dropped) goes to the whole group, so its
//! descendants go with it.
//!
//! What escapes: a descendant that leaves the group, with `setsid` (a
//! daemon) or `setpgid`. [`a_grandchild_that_calls_setsid_escapes`] shows
//! it, then kills the escapee itself. Without `process_group`, only the
//! child is signalled: its grandchildren live on
//! ([`without_a_group_grandchildren_outlive_the_child`]).
//!
//! "Gone" means no live process is left in the group: grandchildren
//! orphaned by the child's death are re-parented to PID 1, and a zombie
//! waiting there to be reaped is dead.

use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use procpump::{Handle, Job, Reactor, Report, Signal, Stream, StreamEnd};
use procpump_tests::programs::pp_fault;
use procpump_tests::sinks::OnWord;
use procpump_tests::{
    alive, eventually, kill_group, kill_pid, live_members, session_of, tagged, within,
};

/// Slack allowed on top of an expected duration.
const MARGIN: Duration = Duration::from_millis(1500);

/// Three grandchildren, all in the child's group, holding its stdout.
const THREE_SLEEPERS: &str = "sleep 30 & sleep 30 & sleep 30 & echo ready; wait";

fn sh(script: &str) -> Command {
    let mut sh = Command::new("sh");
    sh.args(["-c", script]);
    sh
}

/// What a child's group looked like when it printed "ready".
struct Ready {
    pgid: i32,
    members: Vec<(i32, char)>,
}

/// A job for `command` in a group of its own, whose stdout sink sends the
/// group's live members on `ready` once the child prints "ready".
fn group_job(command: Command, ready: mpsc::Sender<Ready>) -> Job {
    let sink = OnWord::new("ready", move |_, pid, _| {
        let pgid = pid as i32;
        let _ = ready.send(Ready {
            pgid,
            members: live_members(pgid),
        });
    });
    Job::new(command).stdout(sink).process_group(true)
}

/// Asserts that the group has no live process left within `limit`; kills
/// what is left before failing.
fn assert_group_gone(pgid: i32, limit: Duration, when: &str) {
    if !eventually(limit, || live_members(pgid).is_empty()) {
        let left = live_members(pgid);
        kill_group(pgid);
        panic!("{when}: group {pgid} still has {left:?}");
    }
}

fn assert_four_members(ready: &Ready, report: &Report) {
    assert_eq!(Some(ready.pgid as u32), report.pid(), "{report:?}");
    assert_eq!(
        ready.members.len(),
        4,
        "sh and three sleeps: {:?}",
        ready.members
    );
}

#[test]
fn a_timeout_kills_the_whole_group() {
    let (ready, readies) = mpsc::channel();
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(group_job(sh(THREE_SLEEPERS), ready).timeout(Duration::from_millis(400)));
    let report = reactor.run().unwrap().remove(0);
    let ready = readies.try_recv().expect("the child printed ready");
    assert_four_members(&ready, &report);
    assert!(report.timed_out(), "{report:?}");
    assert_eq!(report.signal(), Some(15), "{report:?}");
    // The sleeps held stdout: its end of file means they are all dead.
    assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Eof);
    assert_group_gone(ready.pgid, Duration::from_secs(1), "after the timeout");
}

#[test]
fn a_group_that_ignores_term_is_killed_when_the_grace_is_over() {
    let (ready, readies) = mpsc::channel();
    let (timeout, grace) = (Duration::from_millis(300), Duration::from_millis(500));
    let mut reactor = Reactor::new().unwrap();
    // The sleeps inherit the ignored TERM.
    let script = format!(r#"trap "" TERM; {THREE_SLEEPERS}"#);
    reactor.spawn(group_job(sh(&script), ready).timeout(timeout).grace(grace));
    let report = reactor.run().unwrap().remove(0);
    let ready = readies.try_recv().expect("the child printed ready");
    assert_four_members(&ready, &report);
    assert!(report.timed_out(), "{report:?}");
    assert_eq!(report.signal(), Some(9), "{report:?}");
    assert!(report.duration() >= timeout + grace, "{report:?}");
    assert!(report.duration() < timeout + grace + MARGIN, "{report:?}");
    assert_group_gone(ready.pgid, Duration::from_secs(1), "after the grace");
}

/// The child dies of TERM at once, and nothing holds its pipes any more:
/// it is reported before the grace is over. Its grandchildren ignore TERM;
/// the `SIGKILL` due at the end of the grace must still reach them.
#[test]
fn grandchildren_ignoring_term_die_with_the_group_after_the_child_is_reported() {
    let (ready, readies) = mpsc::channel();
    let (timeout, grace) = (Duration::from_millis(300), Duration::from_millis(500));
    let script = r#"for i in 1 2 3; do (trap "" TERM; exec sleep 30) >/dev/null 2>&1 & done; echo ready; wait"#;
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(group_job(sh(script), ready).timeout(timeout).grace(grace));
    let report = reactor.run().unwrap().remove(0);
    let ready = readies.try_recv().expect("the child printed ready");
    assert_four_members(&ready, &report);
    assert!(report.timed_out(), "{report:?}");
    assert_eq!(report.signal(), Some(15), "{report:?}");
    // Whether `run` waits for the grace or the kill comes some other way,
    // the group must be gone soon after the grace is over.
    let left = grace.saturating_sub(report.duration().saturating_sub(timeout));
    assert_group_gone(
        ready.pgid,
        left + MARGIN,
        "after the grace, the reactor still alive",
    );
    drop(reactor);
}

/// As above, but the grandchildren hold the child's stdout: the report
/// waits for them (the linger is longer than the grace), and the grace's
/// `SIGKILL` ends them.
#[test]
fn grandchildren_ignoring_term_and_holding_the_pipes_die_at_the_grace() {
    let (ready, readies) = mpsc::channel();
    let (timeout, grace) = (Duration::from_millis(300), Duration::from_millis(500));
    let script = r#"for i in 1 2 3; do (trap "" TERM; exec sleep 30) & done; echo ready; wait"#;
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(
        group_job(sh(script), ready)
            .timeout(timeout)
            .grace(grace)
            .linger(Duration::from_secs(10)),
    );
    let report = reactor.run().unwrap().remove(0);
    let ready = readies.try_recv().expect("the child printed ready");
    assert_four_members(&ready, &report);
    assert!(report.timed_out(), "{report:?}");
    assert_eq!(report.signal(), Some(15), "{report:?}");
    assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Eof);
    assert!(report.duration() >= timeout + grace, "{report:?}");
    assert!(report.duration() < timeout + grace + MARGIN, "{report:?}");
    assert_group_gone(ready.pgid, Duration::from_secs(1), "after the grace");
}

#[test]
fn a_child_handle_kills_the_whole_group() {
    let handle = Handle::start().unwrap();
    let (ready, readies) = mpsc::channel();
    let child = handle.spawn(group_job(sh(THREE_SLEEPERS), ready));
    let ready = readies
        .recv_timeout(Duration::from_secs(10))
        .expect("ready");
    // From another thread than the one that waits.
    std::thread::scope(|scope| {
        scope.spawn(|| child.kill());
    });
    let report = within(Duration::from_secs(10), "wait", move || child.wait()).unwrap();
    assert_four_members(&ready, &report);
    assert_eq!(report.signal(), Some(9), "{report:?}");
    assert!(!report.timed_out(), "{report:?}");
    assert_group_gone(
        ready.pgid,
        Duration::from_secs(1),
        "after ChildHandle::kill",
    );
    handle.shutdown();
}

#[test]
fn a_child_handle_signals_the_whole_group() {
    let handle = Handle::start().unwrap();
    let (ready, readies) = mpsc::channel();
    let child = handle.spawn(group_job(sh(THREE_SLEEPERS), ready));
    let ready = readies
        .recv_timeout(Duration::from_secs(10))
        .expect("ready");
    // From another thread than the one that waits.
    std::thread::scope(|scope| {
        scope.spawn(|| child.signal(Signal::TERM));
    });
    let report = within(Duration::from_secs(10), "wait", move || child.wait()).unwrap();
    assert_four_members(&ready, &report);
    assert_eq!(report.signal(), Some(15), "{report:?}");
    assert_group_gone(
        ready.pgid,
        Duration::from_secs(1),
        "after ChildHandle::signal",
    );
    handle.shutdown();
}

#[test]
fn a_sink_kills_the_whole_group() {
    let (ready, readies) = mpsc::channel();
    let sink = OnWord::new("ready", move |_, pid, control| {
        let pgid = pid as i32;
        let _ = ready.send(Ready {
            pgid,
            members: live_members(pgid),
        });
        control.kill();
    });
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(
        Job::new(sh(THREE_SLEEPERS))
            .stdout(sink)
            .process_group(true),
    );
    let mut report = reactor.run().unwrap().remove(0);
    let ready = readies.try_recv().expect("the child printed ready");
    assert_four_members(&ready, &report);
    assert_eq!(report.signal(), Some(9), "{report:?}");
    let sink: OnWord = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(sink.bytes, b"ready\n");
    assert_eq!(sink.ends, [StreamEnd::Eof]);
    assert_group_gone(ready.pgid, Duration::from_secs(1), "after Control::kill");
}

#[test]
fn dropping_the_reactor_kills_the_whole_group() {
    let (ready, readies) = mpsc::channel();
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(group_job(sh(THREE_SLEEPERS), ready));
    let deadline = Instant::now() + Duration::from_secs(10);
    let ready = loop {
        assert!(reactor
            .turn(Some(Duration::from_millis(10)))
            .unwrap()
            .is_empty());
        if let Ok(ready) = readies.try_recv() {
            break ready;
        }
        assert!(Instant::now() < deadline, "the child never printed ready");
    };
    assert_eq!(ready.members.len(), 4, "{:?}", ready.members);
    drop(reactor);
    assert_group_gone(ready.pgid, Duration::from_secs(1), "after the drop");
}

/// The documented escape: a grandchild that calls `setsid` is in a group
/// (and session) of its own, so the group kill does not reach it. The test
/// checks that it survived, then kills it, so that nothing leaks.
#[test]
fn a_grandchild_that_calls_setsid_escapes() {
    let tag = format!("lifecycle-group-escape-{}", std::process::id());
    let (ready, readies) = mpsc::channel();
    let mut escape = pp_fault("escape");
    escape.args(["--holders", "3", "--tag", &tag]);
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(group_job(escape, ready).timeout(Duration::from_millis(300)));
    let mut report = reactor.run().unwrap().remove(0);
    let ready = readies.try_recv().expect("the child printed ready");
    assert!(report.timed_out(), "{report:?}");
    assert_eq!(report.signal(), Some(15), "{report:?}");

    let sink: OnWord = report.take_sink(Stream::Stdout).unwrap();
    let text = String::from_utf8(sink.bytes).unwrap();
    let pid_of = |word: &str| -> Vec<i32> {
        text.lines()
            .filter_map(|line| line.strip_prefix(word))
            .map(|pid| pid.trim().parse().unwrap())
            .collect()
    };
    let escapee = pid_of("escapee ")[0];
    let holders = pid_of("holder ");
    assert_eq!(holders.len(), 3, "{text}");
    // While it ran: the child and its three holders in the group, the
    // escapee not.
    assert_eq!(ready.members.len(), 4, "{:?}", ready.members);
    assert!(!ready.members.iter().any(|&(pid, _)| pid == escapee));

    assert_group_gone(ready.pgid, Duration::from_secs(1), "after the timeout");
    let survived = alive(escapee) && session_of(escapee) == Some(escapee);
    let left = tagged(&tag);
    kill_pid(escapee);
    assert!(survived, "the setsid grandchild was expected to escape");
    assert_eq!(
        left.iter().map(|&(pid, _)| pid).collect::<Vec<_>>(),
        [escapee]
    );
    assert!(eventually(Duration::from_secs(5), || !alive(escapee)));
}

/// For contrast: without a group of its own, a timeout signals the child
/// only, and a grandchild that does not hold the pipes lives on. The test
/// then kills it.
#[test]
fn without_a_group_grandchildren_outlive_the_child() {
    let mut reactor = Reactor::new().unwrap();
    let script = "sleep 30 >/dev/null 2>&1 & echo $!; wait";
    let mut report = {
        reactor.spawn(
            Job::new(sh(script))
                .stdout(procpump_tests::sinks::Collect::new())
                .timeout(Duration::from_millis(300)),
        );
        reactor.run().unwrap().remove(0)
    };
    assert_eq!(report.signal(), Some(15), "{report:?}");
    let out: procpump_tests::sinks::Collect = report.take_sink(Stream::Stdout).unwrap();
    let grandchild: i32 = String::from_utf8(out.bytes)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let survived = alive(grandchild);
    kill_pid(grandchild);
    assert!(
        survived,
        "the grandchild {grandchild} was expected to survive"
    );
    assert!(eventually(Duration::from_secs(5), || !alive(grandchild)));
}
