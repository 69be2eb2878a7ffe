//! Two hundred children at once, each with stdin, stdout and stderr wired:
//! every byte of every stream is accounted for and verified, per child.

use procpump::{ChildId, Input, Job, Reactor, Stream, StreamEnd};
use procpump_tests::programs::pp_cat_with_stderr;
use procpump_tests::sinks::CheckSink;
use procpump_tests::PatternReader;
use std::collections::HashMap;

const CHILDREN: u64 = 200;

/// What child `i` is given and must give back.
struct Plan {
    stdin_seed: u64,
    stdin_len: u64,
    stderr_seed: u64,
    stderr_len: u64,
}

fn plan(i: u64) -> Plan {
    // Sizes spread over 0..~256 KiB, with exact zeros, odd sizes, and sizes
    // around the 64 KiB default pipe capacity.
    let size = |k: u64| match k % 10 {
        0 => 0,
        1 => 1,
        2 => 64 * 1024,
        3 => 64 * 1024 + 1,
        _ => (k * 7919 + 13) % (256 * 1024),
    };
    Plan {
        stdin_seed: 1000 + i,
        stdin_len: size(i),
        stderr_seed: 5000 + i,
        stderr_len: size(i * 3 + 7),
    }
}

#[test]
fn two_hundred_children_every_byte_accounted_for() {
    let mut reactor = Reactor::new().unwrap();
    let mut plans: HashMap<ChildId, (u64, Plan)> = HashMap::new();
    for i in 0..CHILDREN {
        let p = plan(i);
        let id = reactor.spawn(
            Job::new(pp_cat_with_stderr(p.stderr_len, p.stderr_seed))
                .stdin(Input::reader(PatternReader::new(p.stdin_seed, p.stdin_len)))
                .stdout(CheckSink::new(p.stdin_seed))
                .stderr(CheckSink::new(p.stderr_seed)),
        );
        plans.insert(id, (i, p));
    }
    assert_eq!(reactor.len(), CHILDREN as usize);

    let reports = reactor.run().unwrap();
    assert_eq!(reports.len(), CHILDREN as usize);
    assert!(reactor.is_empty());

    let mut seen = HashMap::new();
    let mut pids = HashMap::new();
    for mut report in reports {
        let id = report.id();
        let (i, p) = plans
            .get(&id)
            .unwrap_or_else(|| panic!("report for unknown child {id}"));
        assert!(seen.insert(id, ()).is_none(), "child {id} reported twice");
        let pid = report.pid().expect("started");
        assert!(pids.insert(pid, id).is_none(), "pid {pid} reported twice");
        assert!(report.success(), "child {i}: {report:?}");

        let stdin = report.stdin().expect("stdin handled");
        assert_eq!(
            (stdin.written(), stdin.unsent(), stdin.end()),
            (p.stdin_len, 0, &StreamEnd::Eof),
            "child {i} stdin: {report:?}"
        );
        let stdout = report.stdout().expect("stdout handled");
        assert_eq!(
            (stdout.bytes(), stdout.end()),
            (p.stdin_len, &StreamEnd::Eof),
            "child {i} stdout: {report:?}"
        );
        let stderr = report.stderr().expect("stderr handled");
        assert_eq!(
            (stderr.bytes(), stderr.end()),
            (p.stderr_len, &StreamEnd::Eof),
            "child {i} stderr: {report:?}"
        );

        let out: CheckSink = report.take_sink(Stream::Stdout).expect("stdout sink");
        assert_eq!(
            out.checker.seed(),
            p.stdin_seed,
            "child {i}: sinks mixed up"
        );
        out.verify(p.stdin_len, &StreamEnd::Eof)
            .unwrap_or_else(|e| panic!("child {i} stdout: {e}"));
        let err: CheckSink = report.take_sink(Stream::Stderr).expect("stderr sink");
        assert_eq!(
            err.checker.seed(),
            p.stderr_seed,
            "child {i}: sinks mixed up"
        );
        err.verify(p.stderr_len, &StreamEnd::Eof)
            .unwrap_or_else(|e| panic!("child {i} stderr: {e}"));
        // Taken once only.
        assert!(report.take_sink::<CheckSink>(Stream::Stdout).is_none());
    }
    assert_eq!(seen.len(), CHILDREN as usize);
}
