//! fanout's exit status (0 when every job succeeded, else the number of
//! failed ones, 101 past 100, as GNU parallel), its summary (each job's
//! number, outcome, duration, bytes, and the stderr tail of failures), and
//! `--halt`.

use std::time::Duration;

use crate::support::eventually;
use crate::support::{processes_with, run, unique_sleep};

#[test]
fn all_succeeding_exit_zero() {
    let ran = run(&["--summary", ":::", "true", "echo hi", "exit 0"]);
    assert_eq!(ran.code(), 0, "{ran:?}");
    assert!(ran.summary(1).starts_with("[1] ok"), "{}", ran.stderr);
    assert_eq!(ran.totals().split_once(" in ").unwrap().0, "fanout: 3 jobs");
    assert!(ran.totals().ends_with(": 3 ok"), "{}", ran.totals());
}

#[test]
fn the_exit_code_counts_the_failures() {
    let ran = run(&[
        "--summary",
        "-j",
        "4",
        ":::",
        "true",
        "false",
        "exit 7",
        "kill -9 $$",
        "echo ok",
    ]);
    assert_eq!(ran.code(), 3, "{}", ran.stderr);
    assert!(
        ran.summary(2).starts_with("[2] failed    exit 1 "),
        "{}",
        ran.stderr
    );
    assert!(
        ran.summary(3).starts_with("[3] failed    exit 7 "),
        "{}",
        ran.stderr
    );
    assert!(
        ran.summary(4).starts_with("[4] failed    SIGKILL "),
        "{}",
        ran.stderr
    );
    assert!(
        ran.totals().ends_with(": 2 ok, 3 failed"),
        "{}",
        ran.totals()
    );
}

#[test]
fn more_than_a_hundred_failures_exit_101() {
    let falses = |n: usize| -> Vec<&str> {
        ["--summary", "-j", "16", ":::"]
            .into_iter()
            .chain(vec!["false"; n])
            .collect()
    };
    let ran = run(&falses(102));
    assert_eq!(ran.code(), 101, "{}", ran.totals());
    assert!(
        ran.totals().ends_with(": 0 ok, 102 failed"),
        "{}",
        ran.totals()
    );

    let ran = run(&falses(100));
    assert_eq!(ran.code(), 100, "{}", ran.totals());
}

#[test]
fn the_summary_gives_bytes_durations_and_the_tail_of_a_failure() {
    let ran = run(&[
        "--summary",
        "--tail",
        "23",
        ":::",
        "seq 1 3; seq 1 5000 >&2; sleep 0.3; exit 2",
        "printf 12345",
    ]);
    assert_eq!(ran.code(), 1);
    // [1] failed    exit 2        0.305s  out 6        err 23893    seq ...
    let line = ran.summary(1);
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[..4], ["[1]", "failed", "exit", "2"], "{line}");
    let secs: f64 = fields[4].strip_suffix('s').unwrap().parse().unwrap();
    assert!((0.3..5.0).contains(&secs), "{line}");
    assert_eq!(fields[5..9], ["out", "6", "err", "23893"], "{line}");
    // The tail: the last 23 bytes of stderr (from inside a line), under
    // the summary line.
    let after = ran.stderr.split_once(line).unwrap().1;
    let tail: Vec<&str> = after.lines().skip(1).take(6).collect();
    assert_eq!(
        tail,
        [
            "    (the last 23 of 23893 bytes of stderr)",
            "    | 96",
            "    | 4997",
            "    | 4998",
            "    | 4999",
            "    | 5000",
        ],
        "{}",
        ran.stderr
    );
    assert!(after
        .lines()
        .nth(7)
        .is_some_and(|next| !next.starts_with("    ")));
    // Success: no tail.
    let line = ran.summary(2);
    assert!(
        line.contains(" out 5 ") && line.contains(" err 0 "),
        "{line}"
    );
    let after = ran.stderr.split_once(line).unwrap().1;
    assert!(!after.lines().nth(1).unwrap_or("").starts_with("    |"));
}

#[test]
fn halt_now_on_a_failure_starts_nothing_new_and_stops_what_runs() {
    let sleep = unique_sleep();
    let long = format!("sleep {sleep} & sleep {sleep}; echo not killed");
    let ran = run(&[
        "--summary",
        "-j",
        "2",
        "--halt",
        "now,fail=1",
        ":::",
        &long,
        "sleep 0.3; exit 5",
        "echo never started",
        "echo never started",
    ]);
    // GNU parallel: with `fail=1`, the failing job's own exit status.
    assert_eq!(ran.code(), 5, "{}", ran.stderr);
    assert!(ran.elapsed.as_secs_f64() < 10.0, "{:?}", ran.elapsed);
    assert!(!ran.stdout.contains("never started"), "{}", ran.stdout);
    assert!(!ran.stdout.contains("not killed"), "{}", ran.stdout);
    assert!(
        ran.summary(2).starts_with("[2] failed    exit 5"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.summary(1).starts_with("[1] killed    SIGTERM"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("[3] "), "{}", ran.stderr);
    assert!(
        ran.totals()
            .ends_with("0 ok, 1 failed, 1 killed; halted (2 not started)"),
        "{}",
        ran.totals()
    );
    // The killed command's whole group went: its background sleep too.
    let gone = || processes_with(&sleep).is_empty();
    assert!(
        eventually(Duration::from_secs(2), gone),
        "{:?}",
        processes_with(&sleep)
    );
}

#[test]
fn usage_errors_exit_255() {
    // One line each, naming the option and the value (not the whole help).
    for (args, says) in [
        (
            &["--bogus"][..],
            "fanout: unknown option: --bogus (see fanout --help)\n",
        ),
        (
            &["-j", "zero", "true"],
            "fanout: -j needs N, N%, +N, -N, 0 or a file holding one of them, not \"zero\"\n",
        ),
        (
            &["--timeout", "soon", "true"],
            "fanout: --timeout needs a number of seconds, not \"soon\"\n",
        ),
    ] {
        let ran = run(args);
        assert_eq!(ran.code(), 255, "{args:?}");
        assert_eq!(ran.stderr, says, "{args:?}");
    }
    let ran = run(&["--help"]);
    assert_eq!(ran.code(), 0);
    assert!(ran.stdout.starts_with("usage: fanout"));
}

#[test]
fn halt_forms_and_their_exit_statuses_as_gnu_parallel() {
    // (--halt, arguments of `exit {}` run one at a time, exit status, jobs
    // run): GNU parallel 20221122 on the same commands.
    let cases: [(&str, &[&str], i32, usize); 6] = [
        ("now,fail=1", &["0", "3", "4"], 3, 2),
        ("soon,fail=2", &["0", "3", "4", "5", "6"], 2, 3),
        ("now,success=1", &["3", "0", "4"], 0, 2),
        ("now,done=2", &["3", "0", "4"], 1, 2),
        ("2", &["3", "0", "4"], 3, 1),
        ("now,fail=50%", &["0", "0", "3", "4", "0", "0"], 34, 4),
    ];
    for (halt, args, code, jobs) in cases {
        let mut argv = vec!["--summary", "-j", "1", "--halt", halt, "exit {}", ":::"];
        argv.extend(args);
        let ran = run(&argv);
        assert_eq!(ran.code(), code, "--halt {halt}: {}", ran.stderr);
        assert!(
            ran.totals().contains(&format!(": {jobs} job")),
            "--halt {halt}: {}",
            ran.totals()
        );
    }
    // A job killed by a signal: 128 + N.
    let ran = run(&["--halt", "now,fail=1", ":::", "kill -9 $$"]);
    assert_eq!(ran.code(), 137);
}

#[test]
fn halt_soon_lets_the_running_jobs_end() {
    let ran = run(&[
        "-j",
        "2",
        "--halt",
        "soon,fail=1",
        "--seq-tag",
        ":::",
        "sleep 0.5; echo finished",
        "exit 4",
        "echo never started",
    ]);
    assert_eq!(ran.code(), 4, "{}", ran.stderr);
    assert_eq!(ran.stdout, "[1] finished\n");
}
