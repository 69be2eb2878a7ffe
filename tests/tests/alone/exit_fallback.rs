//! Where there is no pidfd, the reactor watches exits by polling each
//! child's status. `Options::poll_exits(true)` forces that fallback: exit
//! codes, signals, output and linger must come out the same.

use procpump::{Input, Job, Options, Reactor, Stream, StreamEnd};
use procpump_tests::programs::{pp_cat, pp_emit, pp_exit, pp_signal, pp_sleep};
use procpump_tests::sinks::{CheckSink, Collect};
use procpump_tests::{alone, open_fd_list};
use std::process::Command;
use std::time::{Duration, Instant};

fn polling_reactor() -> Reactor {
    Reactor::with_options(Options::new().poll_exits(true)).unwrap()
}

#[test]
fn exit_codes_and_output_with_polled_exits() {
    alone::run(|| {
        let mut reactor = polling_reactor();
        let mut exits = Vec::new();
        for code in [0, 1, 7, 42, 255] {
            let exit = pp_exit(code, &format!("out {code}"), &format!("err {code}"));
            let id = reactor.spawn(Job::new(exit).stdout(Collect::new()).stderr(Collect::new()));
            exits.push((id, code));
        }
        // One with no pipe at all: only its exit tells it is done.
        let quiet = reactor.spawn(Job::new(pp_exit(9, "", "")));
        let signalled = reactor.spawn(Job::new(pp_signal(15)).stdout(Collect::new()));
        let emit = pp_emit().stdout(3 << 20).stderr(1 << 20).seed(77).exit(4);
        let emitted = reactor.spawn(
            Job::new(emit.command())
                .stdout(CheckSink::new(77))
                .stderr(CheckSink::new(78)),
        );
        let cat = reactor.spawn(
            Job::new(pp_cat())
                .stdin(Input::bytes("through stdin\n"))
                .stdout(Collect::new()),
        );

        let mut reports = reactor.run().unwrap();
        assert_eq!(reports.len(), exits.len() + 4);
        let mut take = |id| {
            let at = reports.iter().position(|r| r.id() == id).unwrap();
            reports.remove(at)
        };

        for (id, code) in exits {
            let mut report = take(id);
            assert_eq!(report.code(), Some(code), "{report:?}");
            assert!(report.error().is_none(), "{report:?}");
            assert!(report.exited().is_some(), "{report:?}");
            let out: Collect = report.take_sink(Stream::Stdout).unwrap();
            assert_eq!(out.bytes, format!("out {code}").as_bytes());
            assert_eq!(out.ends, [StreamEnd::Eof]);
            let err: Collect = report.take_sink(Stream::Stderr).unwrap();
            assert_eq!(err.bytes, format!("err {code}").as_bytes());
        }

        let report = take(quiet);
        assert_eq!(report.code(), Some(9), "{report:?}");

        let mut report = take(signalled);
        assert_eq!(report.signal(), Some(15), "{report:?}");
        assert_eq!(report.code(), None);
        let out: Collect = report.take_sink(Stream::Stdout).unwrap();
        assert_eq!(out.bytes, b"about to die\n");

        let mut report = take(emitted);
        assert_eq!(report.code(), Some(4), "{report:?}");
        let out: CheckSink = report.take_sink(Stream::Stdout).unwrap();
        out.verify(3 << 20, &StreamEnd::Eof).unwrap();
        let err: CheckSink = report.take_sink(Stream::Stderr).unwrap();
        err.verify(1 << 20, &StreamEnd::Eof).unwrap();

        let mut report = take(cat);
        assert!(report.success(), "{report:?}");
        assert_eq!(report.stdin().unwrap().written(), 14);
        let out: Collect = report.take_sink(Stream::Stdout).unwrap();
        assert_eq!(out.bytes, b"through stdin\n");
    });
}

#[test]
fn a_long_child_with_polled_exits_is_seen_promptly() {
    alone::run(|| {
        // The polling interval backs off to at most 50 ms: a child that exits
        // after a while, with no pipe to wake the reactor, is still noticed
        // soon after.
        let mut reactor = polling_reactor();
        let begin = Instant::now();
        reactor.spawn(Job::new(pp_sleep(300)));
        // The child has started and is sleeping: no pidfd watches it (the test
        // runs alone in its process, and polls exits: nothing opens one).
        assert!(reactor
            .turn(Some(Duration::from_millis(20)))
            .unwrap()
            .is_empty());
        let pidfds: Vec<_> = open_fd_list()
            .into_iter()
            .filter(|(_, target)| target.contains("pidfd"))
            .collect();
        assert!(pidfds.is_empty(), "pidfds open: {pidfds:?}");
        let report = reactor.run().unwrap().remove(0);
        let took = begin.elapsed();
        assert_eq!(report.code(), Some(0), "{report:?}");
        assert!(took >= Duration::from_millis(300), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
        let exited = report.exited().unwrap();
        assert!(exited - report.started() >= Duration::from_millis(300));
    });
}

#[test]
fn linger_with_polled_exits() {
    alone::run(|| {
        let mut reactor = polling_reactor();
        let mut sh = Command::new("sh");
        sh.args(["-c", "echo hi; exec 2>&-; sleep 30.126 & exit 0"]);
        std::os::unix::process::CommandExt::process_group(&mut sh, 0);
        reactor.spawn(
            Job::new(sh)
                .stdout(Collect::new())
                .linger(Duration::from_millis(200)),
        );
        let begin = Instant::now();
        let mut report = reactor.run().unwrap().remove(0);
        let group = rustix::process::Pid::from_raw(report.pid().unwrap() as i32).unwrap();
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        assert!(begin.elapsed() < Duration::from_secs(10));
        assert!(report.success(), "{report:?}");
        assert_eq!(report.stdout().unwrap().end(), &StreamEnd::ForceClosed);
        let out: Collect = report.take_sink(Stream::Stdout).unwrap();
        assert_eq!(out.bytes, b"hi\n");
        assert!(report.finished() - report.exited().unwrap() >= Duration::from_millis(200));
    });
}
