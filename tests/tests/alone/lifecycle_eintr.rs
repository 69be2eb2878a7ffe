//! Interrupted system calls are retried: the reactor runs to the same
//! results while this whole process is stopped and continued hundreds of
//! times.
//!
//! Without installing a signal handler (the library must work in a
//! process that has none), `EINTR` can still be had: on Linux, a process
//! stopped by `SIGSTOP` and resumed by `SIGCONT` sees some blocking calls,
//! `epoll_wait` among them, fail with `EINTR` (signal(7), "Interruption of
//! system calls and library functions by stop signals"). A helper shell
//! does that to this process in a loop while the reactor moves megabytes,
//! feeds stdins, times children out and reaps them; every byte and every
//! report must come out right.
//!
//! It runs alone (`alone::run`): it stops the whole process.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use procpump::{Discard, Handle, Input, Job, Reactor, Stream, StreamEnd};
use procpump_tests::programs::{pp_cat, pp_emit, pp_exit, pp_sleep};
use procpump_tests::sinks::CheckSink;
use procpump_tests::{alone, within, PatternReader};

/// Stop/continue cycles the helper delivers.
const CYCLES: u32 = 400;

/// A shell that stops and continues `pid` `CYCLES` times, a few
/// milliseconds apart, then prints how many cycles it did.
fn stopper(pid: u32) -> std::process::Child {
    let script = format!(
        "i=0; while [ $i -lt {CYCLES} ]; do kill -STOP {pid} || exit 1; \
         kill -CONT {pid} || exit 1; i=$((i+1)); sleep 0.005; done; echo $i"
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// One round of work: output, stdin, a timeout, through `reactor`.
fn round(reactor: &mut Reactor, seed: u64) {
    let mut ids = Vec::new();
    for k in 0..8 {
        let seed = seed * 100 + k;
        let emit = pp_emit().stdout(2 << 20).stderr(1 << 20).chunk(16 << 10);
        let id = reactor.spawn(
            Job::new(emit.seed(seed).command())
                .stdout(CheckSink::new(seed))
                .stderr(CheckSink::new(seed + 1)),
        );
        ids.push((id, true));
        let id = reactor.spawn(
            Job::new(pp_cat())
                .stdin(Input::reader(PatternReader::new(seed, 1 << 20)))
                .stdout(CheckSink::new(seed))
                .stderr(Discard),
        );
        ids.push((id, false));
    }
    let timed = reactor.spawn(
        Job::new(pp_sleep(30_000))
            .stdout(Discard)
            .timeout(Duration::from_millis(50)),
    );
    let mut reports = reactor.run().unwrap();
    assert_eq!(reports.len(), ids.len() + 1);
    for (id, emitted) in ids {
        let report = reports.iter_mut().find(|r| r.id() == id).unwrap();
        assert!(report.success(), "{report:?}");
        let out: CheckSink = report.take_sink(Stream::Stdout).unwrap();
        if emitted {
            out.verify(2 << 20, &StreamEnd::Eof).unwrap();
            let err: CheckSink = report.take_sink(Stream::Stderr).unwrap();
            err.verify(1 << 20, &StreamEnd::Eof).unwrap();
        } else {
            out.verify(1 << 20, &StreamEnd::Eof).unwrap();
            assert_eq!(report.stdin().unwrap().written(), 1 << 20);
        }
    }
    let report = reports.iter().find(|r| r.id() == timed).unwrap();
    assert!(
        report.timed_out() && report.signal() == Some(15),
        "{report:?}"
    );
}

#[test]
#[allow(clippy::print_stdout)]
fn stops_and_continues_do_not_disturb_the_reactor() {
    alone::run(|| {
        let mut helper = stopper(std::process::id());
        let (rounds, cycles) = within(Duration::from_secs(120), "rounds", move || {
            let mut reactor = Reactor::new().unwrap();
            let handle = Handle::start().unwrap();
            let mut rounds = 0;
            loop {
                round(&mut reactor, rounds);
                // A background reactor too: its thread waits on the poller,
                // the caller on a condition variable.
                let child = handle.spawn(Job::new(pp_exit(0, "bg", "")).stdout(Discard));
                let report = loop {
                    if let Some(report) = child.wait_timeout(Duration::from_millis(1)) {
                        break report.unwrap();
                    }
                };
                assert!(report.success(), "{report:?}");
                assert_eq!(report.stdout().unwrap().bytes(), 2);
                rounds += 1;
                if let Some(status) = helper.try_wait().unwrap() {
                    assert!(status.success(), "the stopper failed: {status}");
                    let mut done = String::new();
                    helper
                        .stdout
                        .take()
                        .unwrap()
                        .read_to_string(&mut done)
                        .unwrap();
                    handle.shutdown();
                    return (rounds, done.trim().parse::<u32>().unwrap());
                }
            }
        });
        println!("{rounds} rounds under {cycles} stop/continue cycles");
        assert_eq!(cycles, CYCLES);
        assert!(rounds >= 2, "{rounds} rounds");
    });
}
