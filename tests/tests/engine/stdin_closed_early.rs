//! A child that stops reading its stdin early: the reactor sees `EPIPE`,
//! records what was left unsent, and neither it nor this process dies of
//! `SIGPIPE`.

use procpump::{Input, Job, Reactor, Stream, StreamEnd};
use procpump_tests::fill_pattern;
use procpump_tests::programs::{pp_exit, pp_read_some};
use procpump_tests::sinks::Collect;

const TOTAL: u64 = 100 << 20;
const READ: u64 = 1000;

#[test]
fn child_reads_1000_bytes_of_100_mib_then_closes_stdin() {
    let mut data = vec![0u8; TOTAL as usize];
    fill_pattern(7, 0, &mut data);
    let reader = pp_read_some(READ, 50);

    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(
        Job::new(reader)
            .stdin(Input::bytes(data))
            .stdout(Collect::new()),
    );
    let mut report = reactor.run().unwrap().remove(0);

    // The child exited normally: it was never killed by SIGPIPE (it closed
    // its stdin itself), and we are still here, so neither were we.
    assert_eq!(report.code(), Some(0), "{report:?}");
    assert!(report.success(), "{report:?}");

    let stdin = report.stdin().expect("stdin handled");
    assert_eq!(stdin.end(), &StreamEnd::ChildClosed, "{report:?}");
    assert!(stdin.written() >= READ, "{report:?}");
    assert!(stdin.written() < TOTAL, "{report:?}");
    assert_eq!(stdin.written() + stdin.unsent(), TOTAL, "{report:?}");

    let out: Collect = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(out.bytes, format!("{READ}\n").as_bytes());
    assert_eq!(out.ends, [StreamEnd::Eof]);
}

#[test]
fn child_that_never_reads_stdin_and_exits() {
    // `pp-exit` never touches fd 0: the pipe fills (or not) and then the
    // child exits, closing it. Either every byte fit in the pipe, or the
    // rest is reported unsent; never a hang, never a crash.
    let mut reactor = Reactor::new().unwrap();
    reactor.spawn(Job::new(pp_exit(5, "", "")).stdin(Input::bytes(vec![b'x'; 8 << 20])));
    let report = reactor.run().unwrap().remove(0);
    assert_eq!(report.code(), Some(5), "{report:?}");
    assert!(report.error().is_none(), "{report:?}");
    let stdin = report.stdin().expect("stdin handled");
    assert_eq!(stdin.end(), &StreamEnd::ChildClosed, "{report:?}");
    assert_eq!(stdin.written() + stdin.unsent(), 8 << 20, "{report:?}");
    assert!(stdin.unsent() > 0, "{report:?}");
}
