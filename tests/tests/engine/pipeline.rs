//! Pipelines, `A | B | C` as one job, against real children: GiBs through
//! stages connected child to child, `pipefail`, a timeout and a kill that
//! leave no stage or grandchild, a stage that cannot start, a stage that
//! stops reading early.

use std::process::Command;
use std::time::Duration;

use procpump::{Discard, Error, Handle, Input, Job, Pipeline, Reactor, Report, Stream, StreamEnd};
use procpump_tests::programs::pp_emit;
use procpump_tests::sinks::{CheckSink, Collect};
use procpump_tests::{bin, eventually, live_members, within, PatternReader};

const LIMIT: Duration = Duration::from_secs(120);
const GIB: u64 = 1 << 30;
const SIGPIPE: i32 = 13;

fn cat() -> Job {
    Job::new(Command::new(bin("pp-cat")))
}

fn sh(script: &str) -> Job {
    let mut sh = Command::new("sh");
    sh.args(["-c", script]);
    Job::new(sh)
}

fn run(pipeline: Pipeline) -> Report {
    within(LIMIT, "the pipeline", move || {
        let mut reactor = Reactor::new().unwrap();
        reactor.spawn(pipeline.into());
        reactor.run().unwrap().remove(0)
    })
}

/// No process of the pipeline's group is left.
fn assert_group_gone(report: &Report) {
    let group = report.pid().expect("started") as i32;
    assert!(
        eventually(Duration::from_secs(5), || live_members(group).is_empty()),
        "left in the group: {:?}",
        live_members(group)
    );
}

fn check_sink(report: &mut Report) -> CheckSink {
    report.take_sink(Stream::Stdout).expect("the stdout sink")
}

#[test]
fn two_to_five_stages_carry_a_gib_exactly() {
    for stages in 2..=5 {
        let emit = pp_emit().stdout(GIB).seed(stages).command();
        let mut pipeline = Pipeline::new(Job::new(emit));
        for _ in 2..stages {
            pipeline = pipeline.pipe(cat());
        }
        let pipeline = pipeline.pipe(cat().stdout(CheckSink::new(stages)));
        let mut report = run(pipeline);
        assert!(report.success(), "{stages} stages: {report}");
        assert_eq!(report.stages().len(), stages as usize);
        assert_eq!(report.stdout().unwrap().bytes(), GIB);
        check_sink(&mut report)
            .verify(GIB, &StreamEnd::Eof)
            .unwrap();
        assert_group_gone(&report);
    }
}

#[test]
fn the_first_stage_reads_any_input_and_every_stderr_has_its_sink() {
    let input = Input::reader(PatternReader::new(9, 64 << 20));
    let first = cat().stdin(input).stderr(Collect::new());
    let middle = sh("cat; echo middle >&2").stderr(Collect::new());
    let last = cat().stdout(CheckSink::new(9)).stderr(Discard);
    let mut report = run(Pipeline::new(first).pipe(middle).pipe(last));
    assert!(report.success(), "{report}");
    assert_eq!(report.stdin().unwrap().written(), 64 << 20);
    check_sink(&mut report)
        .verify(64 << 20, &StreamEnd::Eof)
        .unwrap();
    let stderr: Collect = report.stages_mut()[1].take_sink(Stream::Stderr).unwrap();
    assert_eq!(stderr.bytes, b"middle\n");
    assert_eq!(report.stages()[1].stderr().unwrap().bytes(), 7);
}

#[test]
fn pipefail_reports_each_stage_and_the_first_that_failed() {
    let pipeline = Pipeline::new(sh("exit 0"))
        .pipe(sh("cat >/dev/null; exit 3"))
        .pipe(sh("cat >/dev/null; kill -9 $$"))
        .pipe(cat().stdout(Discard));
    let report = run(pipeline);
    assert!(!report.success());
    assert_eq!(report.failed_stage(), Some(1));
    let codes: Vec<_> = report.stages().iter().map(Report::code).collect();
    assert_eq!(codes, [Some(0), Some(3), None, Some(0)]);
    assert_eq!(report.stages()[2].signal(), Some(9));
    assert_eq!(report.code(), Some(0), "the last stage's status");
    assert!(report.error().is_none());
}

#[test]
fn a_timeout_kills_every_stage_and_grandchild() {
    let pipeline = Pipeline::new(sh("sleep 60 & sleep 60"))
        .pipe(sh("sleep 60 & cat"))
        .pipe(cat().stdout(Discard))
        .timeout(Duration::from_millis(300))
        .grace(Duration::from_millis(200));
    let report = run(pipeline);
    assert!(report.timed_out());
    assert!(!report.success());
    assert!(report.duration() < Duration::from_secs(10), "{report}");
    assert_group_gone(&report);
}

#[test]
fn a_kill_from_a_handle_ends_the_whole_pipeline() {
    let handle = Handle::start().unwrap();
    let pipeline = Pipeline::new(sh("sleep 60 & cat /dev/zero"))
        .pipe(cat())
        .pipe(cat().stdout(Discard));
    let child = handle.spawn(pipeline.into());
    let pid = child.wait_started().expect("started");
    assert_eq!(handle.running(), 1);
    child.kill();
    let report = within(LIMIT, "the pipeline", move || child.wait().unwrap());
    assert_eq!(report.pid(), Some(pid));
    assert!(!report.success());
    assert_eq!(report.stages()[0].signal(), Some(9));
    assert_group_gone(&report);
    assert_eq!((handle.running(), handle.queued()), (0, 0));
    handle.shutdown();
}

#[test]
fn a_missing_middle_program_stops_the_pipeline_and_names_its_stage() {
    let pipeline = Pipeline::new(sh("sleep 60 & cat").stdin(Input::bytes("x")))
        .pipe(Job::new(Command::new("/nonexistent/middle")))
        .pipe(cat().stdout(Discard));
    let report = run(pipeline);
    assert!(!report.success());
    match report.error() {
        Some(Error::Stage {
            stage,
            program,
            source,
            ..
        }) => {
            assert_eq!(*stage, 1);
            assert_eq!(program, "/nonexistent/middle");
            assert!(matches!(**source, Error::Spawn { .. }), "{source}");
        }
        other => panic!("not a stage's error: {other:?}"),
    }
    assert!(report.to_string().contains("stage 1"), "{report}");
    assert!(report.duration() < Duration::from_secs(10), "{report}");
    if let Some(pid) = report.pid() {
        let group = pid as i32;
        assert!(eventually(Duration::from_secs(5), || live_members(group).is_empty()));
    }
}

#[test]
fn a_missing_first_program_starts_nothing() {
    let pipeline =
        Pipeline::new(Job::new(Command::new("/nonexistent/first"))).pipe(cat().stdout(Discard));
    let report = run(pipeline);
    assert!(matches!(
        report.error(),
        Some(Error::Stage { stage: 0, .. })
    ));
    assert_eq!(report.pid(), None);
    assert!(report.stages().iter().all(|stage| stage.pid().is_none()));
}

#[test]
fn a_stage_closing_early_gives_the_one_before_sigpipe() {
    let mut head = Command::new("head");
    head.args(["-c", "1"]);
    let pipeline = Pipeline::new(cat().stdin(Input::reader(PatternReader::new(1, 8 * GIB))))
        .pipe(Job::new(Command::new("yes")))
        .pipe(Job::new(head))
        .pipe(cat().stdout(Collect::new()));
    let mut report = run(pipeline);
    let out: Collect = report.take_sink(Stream::Stdout).unwrap();
    assert_eq!(out.bytes, b"y");
    assert_eq!(report.stages()[1].signal(), Some(SIGPIPE), "{report}");
    assert_eq!(report.stages()[2].code(), Some(0));
    assert_eq!(report.failed_stage(), Some(0), "{report}");
    assert!(report.duration() < Duration::from_secs(20), "{report}");
}

#[test]
fn an_invalid_stage_is_named() {
    let pipeline = Pipeline::new(cat().stdout(Discard)).pipe(cat());
    let report = run(pipeline);
    assert!(matches!(
        report.error(),
        Some(Error::Stage { stage: 0, source, .. }) if matches!(**source, Error::InvalidJob { .. })
    ));
}
