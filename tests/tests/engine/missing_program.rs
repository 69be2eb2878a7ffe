//! One program that cannot be started, among fifty that can: its report
//! carries `Error::Spawn` naming the program; the others are not affected.

use procpump::{Error, Job, Reactor, Stream, StreamEnd};
use procpump_tests::programs::pp_emit;
use procpump_tests::sinks::CheckSink;
use std::io;
use std::process::Command;

const CHILDREN: u64 = 50;

fn len_of(seed: u64) -> u64 {
    seed * 3001 % (200 * 1024)
}

#[test]
fn missing_program_is_reported_and_the_others_run() {
    let missing = format!("/nonexistent/pp-no-such-program-{}", std::process::id());
    let mut reactor = Reactor::new().unwrap();
    let mut ids = Vec::new();
    let mut missing_id = None;
    for seed in 0..CHILDREN {
        if seed == CHILDREN / 2 {
            missing_id = Some(
                reactor.spawn(
                    Job::new(Command::new(&missing))
                        .stdout(CheckSink::new(0))
                        .stderr(CheckSink::new(0)),
                ),
            );
        }
        let len = len_of(seed);
        let emit = pp_emit().stdout(len).stderr(len / 2).seed(seed).chunk(7001);
        let job = Job::new(emit.command())
            .stdout(CheckSink::new(seed))
            .stderr(CheckSink::new(seed + 1));
        ids.push((reactor.spawn(job), seed));
    }
    let missing_id = missing_id.unwrap();

    let mut reports = reactor.run().unwrap();
    assert_eq!(reports.len(), CHILDREN as usize + 1);

    let at = reports.iter().position(|r| r.id() == missing_id).unwrap();
    let mut failed = reports.remove(at);
    assert_eq!(failed.program(), missing);
    assert_eq!(failed.pid(), None, "{failed:?}");
    assert_eq!(failed.status(), None, "{failed:?}");
    assert!(!failed.success());
    assert!(failed.stdin().is_none() && failed.stdout().is_none());
    let error = failed.error().expect("an error");
    match error {
        Error::Spawn {
            child,
            program,
            source,
        } => {
            assert_eq!(*child, missing_id);
            assert_eq!(program, &missing);
            assert_eq!(source.kind(), io::ErrorKind::NotFound);
        }
        other => panic!("expected Error::Spawn, got {other:?}"),
    }
    assert_eq!(error.child(), Some(missing_id));
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    let message = error.to_string();
    assert!(message.contains(&missing), "{message}");
    assert!(message.contains(&missing_id.to_string()), "{message}");
    // The sinks come back never started, given no chunk, and ended once as
    // NotStarted (so that one holding a channel's sender lets it go).
    let sink: CheckSink = failed.take_sink(Stream::Stdout).expect("sink returned");
    assert_eq!((sink.starts, sink.chunks), (0, 0));
    assert_eq!(sink.ends, [StreamEnd::NotStarted]);

    assert_eq!(reports.len(), ids.len());
    for mut report in reports {
        let id = report.id();
        let seed = ids
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, seed)| *seed)
            .unwrap_or_else(|| panic!("report for unknown child {id}"));
        let len = len_of(seed);
        assert!(report.success(), "{report:?}");
        assert_eq!(report.stdout().unwrap().bytes(), len);
        assert_eq!(report.stderr().unwrap().bytes(), len / 2);
        let out: CheckSink = report.take_sink(Stream::Stdout).unwrap();
        out.verify(len, &StreamEnd::Eof)
            .unwrap_or_else(|e| panic!("child {id} stdout: {e}"));
        let err: CheckSink = report.take_sink(Stream::Stderr).unwrap();
        err.verify(len / 2, &StreamEnd::Eof)
            .unwrap_or_else(|e| panic!("child {id} stderr: {e}"));
    }
}
