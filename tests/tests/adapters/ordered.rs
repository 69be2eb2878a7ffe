//! `Ordered`: children that finish out of order give their outputs in the
//! order their sinks were made, whole; a writer that fails (`/dev/full`)
//! and a temporary directory that vanished fail the jobs whose output
//! they lost, with clear errors, and lose nothing else.

use std::fs::OpenOptions;
use std::process::Command;

use crate::support::{entries, fresh_dir};
use procpump::{Error, Job, Options, Reactor, Stream, StreamEnd};
use procpump_adapters::{Ordered, OrderedMode, OrderedSink};
use procpump_tests::programs::pp_emit;
use procpump_tests::PatternChecker;

/// Job `i`'s output size: empty, small, past a pipe, past the memory
/// bounds.
fn size(i: u64) -> u64 {
    [0, 10, 100 << 10, 1 << 20, 3][(i % 5) as usize]
}

/// `pp-emit` writing `size(i)` bytes of pattern `i`, after sleeping
/// longer the earlier it was submitted (so the last finish first).
fn late_emit(i: u64, jobs: u64) -> Command {
    let emit = pp_emit().stdout(size(i)).seed(i).chunk(16 << 10).command();
    let mut sh = Command::new("sh");
    let delay = format!("0.{:03}", (jobs - i) * 15);
    sh.args(["-c", r#"sleep "$0"; exec "$@""#, &delay]);
    sh.arg(emit.get_program()).args(emit.get_args());
    sh
}

/// Checks that `out` is every job's pattern, whole, in order.
fn check_in_order(out: &[u8], jobs: u64) {
    let mut at = 0;
    for i in 0..jobs {
        let len = size(i) as usize;
        let mut checker = PatternChecker::new(i);
        checker.feed(&out[at..at + len]);
        checker
            .verify(len as u64)
            .unwrap_or_else(|err| panic!("job {i}: {err}"));
        at += len;
    }
    assert_eq!(at, out.len(), "more bytes than the jobs wrote");
}

fn run_out_of_order(options: Options, jobs: u64) {
    let dir = fresh_dir(&format!("ordered-run-{jobs}"));
    let out = Ordered::writer(Vec::new())
        .memory(512 << 10)
        .memory_per_job(64 << 10)
        .temp_dir(&dir);
    let mut reactor = Reactor::with_options(options).unwrap();
    for i in 0..jobs {
        reactor.spawn(Job::new(late_emit(i, jobs)).stdout(out.sink()));
    }
    let mut finished = Vec::new();
    for mut report in reactor.run().unwrap() {
        assert!(report.success(), "{report:?}");
        let sink: OrderedSink<Vec<u8>> = report.take_sink(Stream::Stdout).unwrap();
        assert_eq!(sink.bytes(), size(sink.position()));
        finished.push(sink.position());
    }
    assert_eq!(finished.len() as u64, jobs);
    assert!(
        out.peak_resident() <= (512 + 64) << 10,
        "{}",
        out.peak_resident()
    );
    assert_eq!(entries(&dir), Vec::<String>::new());
    check_in_order(&out.into_inner().unwrap(), jobs);
    std::fs::remove_dir(&dir).unwrap();
}

#[test]
fn children_finishing_in_reverse_give_their_outputs_in_order() {
    run_out_of_order(Options::new(), 20);
}

#[test]
fn with_few_running_at_once_the_order_holds_and_nothing_stalls() {
    run_out_of_order(Options::new().max_running(3), 12);
}

#[test]
fn line_mode_keeps_lines_whole_and_in_order() {
    let out = Ordered::writer(Vec::new()).mode(OrderedMode::Lines);
    let mut reactor = Reactor::new().unwrap();
    let mut expected = String::new();
    for i in 0..8 {
        let script = format!(
            "for n in 1 2 3; do printf 'job {i} line '; sleep 0.0{}; echo $n; done; printf end",
            7 - i
        );
        let mut sh = Command::new("sh");
        sh.args(["-c", &script]);
        reactor.spawn(Job::new(sh).stdout(out.sink()));
        for n in 1..=3 {
            expected.push_str(&format!("job {i} line {n}\n"));
        }
        expected.push_str("end\n");
    }
    for report in reactor.run().unwrap() {
        assert!(report.success(), "{report:?}");
    }
    let text = String::from_utf8(out.into_inner().unwrap()).unwrap();
    assert_eq!(text, expected);
}

#[test]
fn dev_full_fails_every_job_with_a_clear_error() {
    let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = Ordered::writer(full);
    let mut reactor = Reactor::new().unwrap();
    for word in ["one", "two", "three"] {
        let mut echo = Command::new("echo");
        echo.arg(word);
        reactor.spawn(Job::new(echo).stdout(out.sink()));
    }
    for report in reactor.run().unwrap() {
        assert!(!report.success(), "{report:?}");
        let end = report.stdout().unwrap().end();
        assert_eq!(end, &StreamEnd::Error(std::io::ErrorKind::StorageFull));
        let Some(Error::Sink { stream, source, .. }) = report.error() else {
            panic!("{report:?}");
        };
        assert_eq!(stream.name(), "stdout");
        let message = source.to_string();
        assert!(
            message.starts_with("cannot write the output in order: No space left"),
            "{message}"
        );
    }
}

#[test]
fn a_vanished_temporary_directory_fails_only_the_job_it_could_not_hold() {
    let dir = fresh_dir("ordered-vanished");
    let out = Ordered::writer(Vec::new()).memory_per_job(0).temp_dir(&dir);
    std::fs::remove_dir(&dir).unwrap();
    let mut reactor = Reactor::new().unwrap();
    let scripts = [
        "sleep 0.3; echo first",
        "echo second",
        "sleep 0.6; echo third",
    ];
    let ids: Vec<_> = scripts
        .iter()
        .map(|script| {
            let mut sh = Command::new("sh");
            sh.args(["-c", script]);
            reactor.spawn(Job::new(sh).stdout(out.sink()))
        })
        .collect();
    for report in reactor.run().unwrap() {
        if report.id() == ids[1] {
            let Some(Error::Sink { source, .. }) = report.error() else {
                panic!("{report:?}");
            };
            let message = source.to_string();
            assert!(message.contains(&*dir.to_string_lossy()), "{message}");
        } else {
            assert!(report.success(), "{report:?}");
        }
    }
    assert_eq!(out.into_inner().unwrap(), b"first\nthird\n");
}
