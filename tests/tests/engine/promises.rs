//! What the library promises a user, against real children: stdin never
//! read by accident, contradicting builder calls rejected, labels, one
//! error type, a waker, a reactor driven from another event loop, and a
//! background handle that tells what it runs.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use procpump::{
    Discard, Error, Event, Flow, Handle, Input, Job, Options, Reactor, Sink, StreamEnd,
};
use procpump_tests::bin;

/// Collects what it is given and how its stream ended.
#[derive(Clone, Default)]
struct Record(Arc<Mutex<(Vec<u8>, Vec<StreamEnd>)>>);

impl Sink for Record {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.0.lock().unwrap().0.extend_from_slice(chunk);
        Flow::Continue
    }

    fn end(&mut self, end: &StreamEnd) {
        self.0.lock().unwrap().1.push(end.clone());
    }
}

impl Record {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().0.clone()
    }

    fn ends(&self) -> Vec<StreamEnd> {
        self.0.lock().unwrap().1.clone()
    }
}

/// `pp-relay` with its stdin a pipe holding `input`; its stdout.
fn relay(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(bin("pp-relay"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    output.stdout
}

#[test]
fn a_job_without_input_reads_dev_null_whatever_the_caller_has() {
    assert_eq!(relay(&["--default"], b"the caller's stdin\n"), b"");
}

#[test]
fn input_inherit_shares_the_callers_stdin() {
    assert_eq!(relay(&[], b"the caller's stdin\n"), b"the caller's stdin\n");
}

#[test]
fn a_commands_own_stdin_is_replaced_unless_given_as_input() {
    let pipe = || {
        let (read, write) = rustix::pipe::pipe().unwrap();
        std::fs::File::from(write).write_all(b"piped\n").unwrap();
        read
    };
    let mut reactor = Reactor::new().unwrap();
    let mut replaced = Command::new("cat");
    replaced.stdin(Stdio::from(pipe()));
    let out_replaced = Record::default();
    reactor.spawn(Job::new(replaced).stdout(out_replaced.clone()));
    let given = Record::default();
    reactor.spawn(
        Job::new(Command::new("cat"))
            .stdin(Input::stdio(pipe()))
            .stdout(given.clone()),
    );
    for report in reactor.run().unwrap() {
        assert!(report.success(), "{report:?}");
        assert!(report.stdin().is_none(), "no stdin stream: {report:?}");
    }
    assert_eq!(out_replaced.bytes(), b"");
    assert_eq!(given.bytes(), b"piped\n");
}

#[test]
fn contradicting_output_calls_start_nothing_and_say_which() {
    let mut reactor = Reactor::new().unwrap();
    let (first, second) = (Record::default(), Record::default());
    let echo = || {
        let mut echo = Command::new("echo");
        echo.arg("never");
        echo
    };
    reactor.spawn(
        Job::new(echo())
            .merged(first.clone())
            .stdout(second.clone()),
    );
    let (third, fourth) = (Record::default(), Record::default());
    reactor.spawn(
        Job::new(echo())
            .stderr(third.clone())
            .merged(fourth.clone()),
    );
    let (events, receiver) = crossbeam_channel::unbounded();
    let fifth = Record::default();
    reactor.spawn(Job::new(echo()).events(events).stdout(fifth.clone()));
    let reports = reactor.run().unwrap();
    assert_eq!(reports.len(), 2);
    let mut reasons = Vec::new();
    for report in &reports {
        assert_eq!(report.pid(), None, "started: {report:?}");
        match report.error() {
            Some(Error::InvalidJob {
                reason, program, ..
            }) => {
                assert_eq!(program, "echo");
                reasons.push(reason.clone());
            }
            other => panic!("{other:?}"),
        }
        let message = report.error().unwrap().to_string();
        assert!(
            message.contains("echo") && message.contains("not started"),
            "{message}"
        );
    }
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "`merged` and `stdout` both set its output",
            "`stderr` and `merged` both set its output",
        ]
    );
    // The report of the events-mode job went to its channel.
    let exited: Vec<_> = receiver
        .try_iter()
        .filter_map(|event| match event {
            Event::Exited(report) => Some(report),
            _ => None,
        })
        .collect();
    assert!(matches!(exited[0].error(), Some(Error::InvalidJob { .. })));
    for sink in [first, second, third, fourth, fifth] {
        assert_eq!(sink.ends(), [StreamEnd::NotStarted]);
        assert!(sink.bytes().is_empty());
    }
}

#[test]
fn a_label_comes_back_in_the_report_however_it_is_delivered() {
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(Job::new(Command::new("true")).label(7_u64));
    reactor.spawn(Job::new(Command::new("/nonexistent/program")).label("missing"));
    let (events, receiver) = crossbeam_channel::unbounded();
    reactor.spawn(
        Job::new(Command::new("true"))
            .events(events)
            .label(vec![1, 2]),
    );
    let mut reports = reactor.run().unwrap();
    reports.sort_by_key(|report| report.id());
    assert_eq!(reports[0].label::<u64>(), Some(&7));
    assert_eq!(reports[0].label::<String>(), None, "the wrong type");
    assert_eq!(reports[1].take_label::<&str>(), Some("missing"));
    assert_eq!(reports[1].take_label::<&str>(), None, "taken twice");
    drop(reactor);
    let mut exited = receiver.try_iter().filter_map(|event| match event {
        Event::Exited(report) => Some(report),
        _ => None,
    });
    assert_eq!(
        exited.next().unwrap().label::<Vec<i32>>(),
        Some(&vec![1, 2])
    );

    let handle = Handle::start().unwrap();
    let child = handle.spawn(Job::new(Command::new("true")).label('h'));
    assert_eq!(child.wait().unwrap().label::<char>(), Some(&'h'));
}

#[test]
fn kill_signal_and_cancel_say_which_child_is_not_running() {
    let mut reactor = Reactor::new().unwrap();
    let id = reactor.spawn(Job::new(Command::new("true")));
    reactor.run().unwrap();
    for err in [
        reactor.kill(id).unwrap_err(),
        reactor.signal(id, procpump::Signal::TERM).unwrap_err(),
        reactor.cancel(id).unwrap_err(),
    ] {
        assert!(
            matches!(err, Error::NotRunning { child } if child == id),
            "{err:?}"
        );
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(err.to_string().contains("not running"), "{err}");
    }
}

#[test]
fn errors_are_clone() {
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(Job::new(Command::new("/nonexistent/program")));
    let report = reactor.run().unwrap().remove(0);
    let error = report.error().unwrap().clone();
    assert_eq!(error.to_string(), report.error().unwrap().to_string());
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    assert!(matches!(error, Error::Spawn { .. }));
}

#[test]
fn a_waker_ends_a_turn_with_nothing_to_do_and_one_with_a_child_running() {
    let mut reactor = Reactor::new().unwrap();
    let waker = reactor.waker();
    // A wake before the turn is kept.
    waker.wake();
    assert!(reactor.turn(None).unwrap().is_empty());
    // Idle: the turn waits for its timeout...
    let started = Instant::now();
    reactor.turn(Some(Duration::from_millis(100))).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(90));
    // ...or for a wake from another thread.
    let thread = {
        let waker = waker.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            waker.wake();
        })
    };
    reactor.turn(None).unwrap();
    thread.join().unwrap();
    let mut sleep = Command::new("sleep");
    sleep.arg("30");
    let id = reactor.spawn(Job::new(sleep).stdout(Discard));
    reactor.turn(Some(Duration::ZERO)).unwrap();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        waker.wake();
    });
    let started = Instant::now();
    reactor.turn(None).unwrap();
    // Woken, not the child's 30 s.
    assert!(started.elapsed() < Duration::from_secs(20));
    thread.join().unwrap();
    reactor.kill(id).unwrap();
    assert_eq!(reactor.run().unwrap()[0].signal(), Some(9));
}

#[test]
fn a_reactor_driven_from_a_poll_loop_serves_pipes_and_timers() {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};

    let mut reactor = Reactor::new().unwrap();
    let out = Record::default();
    let mut seq = Command::new("seq");
    seq.arg("20000");
    reactor.spawn(Job::new(seq).stdout(out.clone()));
    let mut sleep = Command::new("sleep");
    sleep.arg("30");
    reactor.spawn(
        Job::new(sleep)
            .stdout(Discard)
            .timeout(Duration::from_millis(200)),
    );
    let mut reports = Vec::new();
    let mut polls = 0;
    while !reactor.is_empty() {
        let timeout = reactor.deadline().map(|at| {
            let left = at.saturating_duration_since(Instant::now());
            Timespec {
                tv_sec: left.as_secs() as i64,
                tv_nsec: left.subsec_nanos().into(),
            }
        });
        let mut fds = [PollFd::new(&reactor, PollFlags::IN)];
        poll(&mut fds, timeout.as_ref()).unwrap();
        polls += 1;
        reports.extend(reactor.turn(Some(Duration::ZERO)).unwrap());
        assert!(polls < 100_000, "the loop spins");
    }
    assert_eq!(reports.len(), 2);
    let expected: Vec<u8> = (1..=20000)
        .flat_map(|i| format!("{i}\n").into_bytes())
        .collect();
    assert_eq!(out.bytes(), expected);
    let timed_out = reports.iter().find(|report| report.timed_out()).unwrap();
    assert_eq!(timed_out.signal(), Some(15));
}

#[test]
fn a_handle_tells_what_it_runs_and_a_child_handle_its_start() {
    let handle = Handle::with_options(Options::new().max_running(1)).unwrap();
    let sleeper = || {
        let mut sleep = Command::new("sleep");
        sleep.arg("30");
        Job::new(sleep).stdout(Discard)
    };
    let first = handle.spawn(sleeper());
    let second = handle.spawn(sleeper());
    let pid = first.wait_started().unwrap();
    assert_eq!(first.pid(), Some(pid));
    assert_eq!(second.pid(), None);
    assert!(procpump_tests::eventually(Duration::from_secs(10), || {
        handle.running() == 1 && handle.queued() == 1
    }));
    second.kill();
    assert_eq!(second.wait_started(), None, "cancelled while queued");
    assert!(matches!(
        second.wait().unwrap().error(),
        Some(Error::Cancelled { .. })
    ));
    first.kill();
    assert_eq!(first.wait().unwrap().pid(), Some(pid));
    assert!(procpump_tests::eventually(Duration::from_secs(10), || {
        handle.running() == 0 && handle.queued() == 0
    }));
}

mod terminal {
    use super::*;
    use procpump::{Stream, Terminal};

    #[test]
    fn the_child_writes_to_a_terminal_of_the_size_asked() {
        let mut sh = Command::new("sh");
        sh.args([
            "-c",
            "test -t 1 && echo out-tty; test -t 2 && echo err-tty >&2; stty size <&1",
        ]);
        let out = Record::default();
        let mut reactor = Reactor::new().unwrap();
        reactor.spawn(Job::new(sh).terminal(Terminal::new().size(132, 43), out.clone()));
        let report = reactor.run().unwrap().remove(0);
        assert!(report.success(), "{report:?}");
        assert_eq!(out.bytes(), b"out-tty\nerr-tty\n43 132\n");
        assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Eof);
        assert!(report.stderr().is_none());
    }

    /// Answers the child on its stdin once it has seen `ready`.
    struct Handshake {
        seen: Vec<u8>,
        answer: Option<crossbeam_channel::Sender<Vec<u8>>>,
    }

    impl Sink for Handshake {
        fn chunk(&mut self, chunk: &[u8]) -> Flow {
            self.seen.extend_from_slice(chunk);
            if self.seen.starts_with(b"ready\n") {
                if let Some(answer) = self.answer.take() {
                    answer.send(b"go\n".to_vec()).unwrap();
                }
            }
            Flow::Continue
        }
    }

    #[test]
    fn a_program_that_buffers_on_a_pipe_streams_line_by_line_on_a_terminal() {
        // awk buffers its output on a pipe: `ready` would come only at its
        // exit, which waits for the answer to `ready`. On a terminal it
        // comes at once.
        let mut awk = Command::new("awk");
        awk.args(["BEGIN { print \"ready\"; getline line < \"-\"; print \"got \" line }"]);
        let (answer, input) = crossbeam_channel::bounded(1);
        let mut reactor = Reactor::new().unwrap();
        reactor.spawn(
            Job::new(awk)
                .stdin(Input::channel(input))
                .terminal(
                    Terminal::new(),
                    Handshake {
                        seen: Vec::new(),
                        answer: Some(answer),
                    },
                )
                // A hang guard only: without the terminal, this would hang.
                .timeout(Duration::from_secs(30)),
        );
        let mut report = reactor.run().unwrap().remove(0);
        assert!(!report.timed_out(), "no line before exit: {report:?}");
        assert!(report.success(), "{report:?}");
        let sink: Handshake = report.take_sink(Stream::Stdout).unwrap();
        assert_eq!(sink.seen, b"ready\ngot go\n");
    }

    #[test]
    fn timeouts_and_process_groups_work_as_for_pipes() {
        let mut sh = Command::new("sh");
        sh.args(["-c", "echo started; sleep 30 & wait"]);
        let out = Record::default();
        let mut reactor = Reactor::new().unwrap();
        reactor.spawn(
            Job::new(sh)
                .terminal(Terminal::new(), out.clone())
                .process_group(true)
                .timeout(Duration::from_millis(300))
                .grace(Duration::from_millis(300)),
        );
        let report = reactor.run().unwrap().remove(0);
        assert!(report.timed_out(), "{report:?}");
        assert_eq!(report.signal(), Some(15));
        assert_eq!(out.bytes(), b"started\n");
        // The grandchild held the terminal too: the group's kill closed it.
        assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Eof);
    }

    #[test]
    fn a_terminal_with_another_output_is_rejected() {
        let mut reactor = Reactor::new().unwrap();
        reactor.spawn(
            Job::new(Command::new("true"))
                .terminal(Terminal::new(), Discard)
                .stderr(Discard),
        );
        let report = reactor.run().unwrap().remove(0);
        assert!(
            matches!(report.error(), Some(Error::InvalidJob { .. })),
            "{report:?}"
        );
    }
}
