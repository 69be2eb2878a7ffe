//! The classic pipe deadlock, at scale: one child copies 1 GiB of stdin to
//! stdout while writing another 1 GiB to stderr. A parent that writes all of
//! stdin before reading (or drains one pipe before the other) hangs forever;
//! the reactor must move all three streams at once.

use procpump::{Input, Job, Reactor, Stream, StreamEnd};
use procpump_tests::programs::pp_cat_with_stderr;
use procpump_tests::sinks::CheckSink;
use procpump_tests::PatternReader;

const GIB: u64 = 1 << 30;
const STDIN_SEED: u64 = 0xD1;
const STDERR_SEED: u64 = 0xD2;

#[test]
fn one_gib_each_way_through_stdin_stdout_and_stderr() {
    let cat = pp_cat_with_stderr(GIB, STDERR_SEED);

    let mut reactor = Reactor::new().unwrap();
    let id = reactor.spawn(
        Job::new(cat)
            .stdin(Input::reader(PatternReader::new(STDIN_SEED, GIB)))
            .stdout(CheckSink::new(STDIN_SEED))
            .stderr(CheckSink::new(STDERR_SEED)),
    );
    let mut reports = reactor.run().unwrap();
    assert_eq!(reports.len(), 1);
    let mut report = reports.remove(0);
    assert_eq!(report.id(), id);

    assert!(report.success(), "{report:?}");
    assert_eq!(report.code(), Some(0));

    let stdin = report.stdin().expect("stdin handled");
    assert_eq!(stdin.written(), GIB, "{report:?}");
    assert_eq!(stdin.unsent(), 0, "{report:?}");
    assert_eq!(stdin.end(), &StreamEnd::Eof);

    for stream in [report.stdout(), report.stderr()] {
        let stream = stream.expect("output handled");
        assert_eq!(stream.bytes(), GIB, "{report:?}");
        assert_eq!(stream.end(), &StreamEnd::Eof, "{report:?}");
    }

    let out: CheckSink = report.take_sink(Stream::Stdout).expect("stdout sink");
    out.verify(GIB, &StreamEnd::Eof)
        .unwrap_or_else(|e| panic!("stdout (the copy of stdin): {e}"));
    let err: CheckSink = report.take_sink(Stream::Stderr).expect("stderr sink");
    err.verify(GIB, &StreamEnd::Eof)
        .unwrap_or_else(|e| panic!("stderr: {e}"));
}
