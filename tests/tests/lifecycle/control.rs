//! Killing or signalling one child from inside a sink callback
//! (`StreamContext::control`), and from another thread (a `Control` sent
//! there, or a background reactor's `ChildHandle`). The request is acted
//! on promptly; the child is reported as usual, with every byte it wrote
//! before dying; the other children are not affected.

use std::process::Command;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use procpump::{
    Control, Discard, Flow, Handle, Input, Job, Reactor, Signal, Sink, Stream, StreamContext,
    StreamEnd,
};
use procpump_tests::programs::{pp_emit, pp_exit};
use procpump_tests::sinks::{CheckSink, OnWord};
use procpump_tests::{bin, within, PatternChecker};

/// A child that prints "ready", then sleeps for half a minute.
fn ready_then_sleep() -> Command {
    let mut sh = Command::new("sh");
    sh.args(["-c", r#"echo ready; exec "$0" 30000"#])
        .arg(bin("pp-sleep"));
    sh
}

/// Checks the pattern, and kills its own child once `after` bytes arrived.
struct KillAfter {
    after: u64,
    checker: PatternChecker,
    control: Option<Control>,
    kills: u32,
}

impl Sink for KillAfter {
    fn start(&mut self, context: &StreamContext<'_>) {
        self.control = Some(context.control());
    }

    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.checker.feed(chunk);
        if self.checker.bytes() >= self.after && self.kills == 0 {
            self.kills += 1;
            self.control.as_ref().unwrap().kill();
        }
        Flow::Continue
    }
}

#[test]
fn a_sink_kills_its_own_child() {
    let mut reactor = Reactor::new().unwrap();
    let endless = pp_emit().stdout(64 << 30).chunk(64 << 10).seed(5).command();
    let victim = reactor.spawn(Job::new(endless).stdout(KillAfter {
        after: 1 << 20,
        checker: PatternChecker::new(5),
        control: None,
        kills: 0,
    }));
    let emit = pp_emit().stdout(4 << 20).seed(6).command();
    let bystander = reactor.spawn(Job::new(emit).stdout(CheckSink::new(6)));

    let mut reports = within(Duration::from_secs(30), "run", move || {
        reactor.run().unwrap()
    });
    reports.sort_by_key(|report| report.id());
    let [victim_report, bystander_report] = &mut reports[..] else {
        panic!("two reports expected: {reports:?}");
    };
    assert_eq!(victim_report.id(), victim);
    assert_eq!(victim_report.signal(), Some(9), "{victim_report:?}");
    assert!(!victim_report.timed_out(), "{victim_report:?}");
    assert!(victim_report.error().is_none(), "{victim_report:?}");
    // What was in the pipe when it died is still delivered: the stream
    // ends at end of file, every byte a correct prefix of the pattern.
    let stdout = victim_report.stdout().unwrap().clone();
    assert_eq!(stdout.end(), &StreamEnd::Eof);
    let sink: KillAfter = victim_report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(sink.kills, 1);
    assert_eq!(sink.checker.first_mismatch(), None);
    assert_eq!(sink.checker.bytes(), stdout.bytes());
    assert!(stdout.bytes() >= 1 << 20, "{stdout:?}");
    // Killed promptly: far less than the 64 GiB it meant to write.
    assert!(stdout.bytes() < 1 << 30, "{stdout:?}");

    assert_eq!(bystander_report.id(), bystander);
    assert!(bystander_report.success(), "{bystander_report:?}");
    let sink: CheckSink = bystander_report.take_sink(Stream::Stdout).unwrap();
    sink.verify(4 << 20, &StreamEnd::Eof).unwrap();
}

#[test]
fn a_sink_signals_its_own_child() {
    let mut reactor = Reactor::new().unwrap();
    // Not SIGINT: the signal comes as soon as the shell prints "ready",
    // and a shell started by a runner in the background ignores SIGINT.
    for signal in [Signal::TERM, Signal::USR1, Signal::USR2] {
        reactor.spawn(
            Job::new(ready_then_sleep()).stdout(OnWord::new("ready", move |_, _, control| {
                control.signal(signal)
            })),
        );
    }
    let mut reports = reactor.run().unwrap();
    reports.sort_by_key(|report| report.id());
    let signals: Vec<_> = reports.iter().map(|report| report.signal()).collect();
    assert_eq!(signals, [Some(15), Some(10), Some(12)], "{reports:?}");
    for report in &mut reports {
        assert!(!report.timed_out(), "{report:?}");
        let sink: OnWord = report.take_sink(Stream::Stdout).unwrap();
        assert_eq!(sink.bytes, b"ready\n");
        assert_eq!(sink.ends, [StreamEnd::Eof]);
    }
}

/// A sink may hold the `Control` of another child, and kill that one.
#[test]
fn a_sink_kills_another_child() {
    let other: Arc<Mutex<Option<Control>>> = Arc::default();
    let mut reactor = Reactor::new().unwrap();
    let store = Arc::clone(&other);
    // The killer waits on its stdin for the sleeper to be ready.
    let (go, gone) = crossbeam_channel::unbounded::<Vec<u8>>();
    let sleeper = reactor.spawn(Job::new(ready_then_sleep()).stdout(OnWord::new(
        "ready",
        move |_, _, control| {
            *store.lock().unwrap() = Some(control.clone());
            go.send(b"go\n".to_vec()).unwrap();
        },
    )));
    let mut sh = Command::new("sh");
    sh.args(["-c", "read line; echo $line"]);
    let take = Arc::clone(&other);
    let killer = reactor.spawn(Job::new(sh).stdin(Input::channel(gone)).stdout(OnWord::new(
        "go",
        move |_, _, _| {
            let control = take.lock().unwrap().take();
            control.expect("the sleeper is ready").kill();
        },
    )));
    let reports = within(Duration::from_secs(30), "run", move || {
        reactor.run().unwrap()
    });
    let report = |id| reports.iter().find(|r| r.id() == id).unwrap();
    assert_eq!(report(sleeper).signal(), Some(9), "{reports:?}");
    assert!(report(killer).success(), "{reports:?}");
}

/// A `Control` is `Send`: a sink hands it to another thread, which signals
/// the child while the reactor runs.
#[test]
fn a_control_signals_its_child_from_another_thread() {
    let (controls, received) = mpsc::channel::<Control>();
    let signaller = std::thread::spawn(move || {
        let control = received.recv().unwrap();
        control.signal(Signal::USR1);
        control.child()
    });
    let mut reactor = Reactor::new().unwrap();
    let id = reactor.spawn(Job::new(ready_then_sleep()).stdout(OnWord::new(
        "ready",
        move |_, _, control| {
            controls.send(control.clone()).unwrap();
        },
    )));
    let report = within(Duration::from_secs(30), "run", move || {
        reactor.run().unwrap().remove(0)
    });
    assert_eq!(signaller.join().unwrap(), id);
    assert_eq!(report.signal(), Some(10), "{report:?}");
}

#[test]
fn a_child_handle_signals_and_kills_from_other_threads() {
    let handle = Handle::start().unwrap();
    let (ready, readies) = mpsc::channel();
    let spawn = |signal| {
        let ready = ready.clone();
        handle.spawn(
            Job::new(ready_then_sleep())
                .stdout(OnWord::new("ready", move |_, _, _| {
                    ready.send(signal).unwrap();
                }))
                .stderr(Discard),
        )
    };
    let term = spawn(Some(Signal::TERM));
    let kill = spawn(None);
    for _ in 0..2 {
        readies.recv_timeout(Duration::from_secs(10)).unwrap();
    }
    // One thread waits (with a timeout, in a loop) while another signals.
    let reports = std::thread::scope(|scope| {
        let waiters: Vec<_> = [&term, &kill]
            .into_iter()
            .map(|child| {
                scope.spawn(move || loop {
                    if let Some(report) = child.wait_timeout(Duration::from_millis(50)) {
                        return report.unwrap();
                    }
                })
            })
            .collect();
        scope.spawn(|| term.signal(Signal::TERM));
        scope.spawn(|| kill.kill());
        waiters
            .into_iter()
            .map(|waiter| waiter.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(reports[0].id(), term.id());
    assert_eq!(reports[0].signal(), Some(15), "{:?}", reports[0]);
    assert_eq!(reports[1].id(), kill.id());
    assert_eq!(reports[1].signal(), Some(9), "{:?}", reports[1]);
    handle.shutdown();
}

/// A `Control` that outlives its child, or its reactor, does nothing.
#[test]
fn a_control_left_over_is_harmless() {
    let kept: Arc<Mutex<Option<Control>>> = Arc::default();
    let store = Arc::clone(&kept);
    let mut reactor = Reactor::new().unwrap();
    let mut sh = Command::new("sh");
    sh.args(["-c", "echo done"]);
    reactor.spawn(
        Job::new(sh).stdout(OnWord::new("done", move |_, _, control| {
            *store.lock().unwrap() = Some(control.clone());
        })),
    );
    let report = reactor.run().unwrap().remove(0);
    assert!(report.success(), "{report:?}");
    let control = kept.lock().unwrap().take().unwrap();
    // The child is reported: nothing happens, and the reactor runs on.
    control.kill();
    control.signal(Signal::TERM);
    reactor.spawn(Job::new(pp_exit(0, "", "")));
    assert!(reactor.run().unwrap()[0].success());
    drop(reactor);
    // The reactor is gone: still nothing happens.
    control.kill();
    control.signal(Signal::KILL);
}
