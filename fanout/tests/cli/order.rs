//! `-k`: output in the order of the arguments, whatever order the jobs end
//! in; the oldest unfinished job's lines live (in line mode), the others'
//! held until their turn; stdout and stderr each in order.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use crate::support::{command, run, wait};

#[test]
fn keep_order_prints_in_the_order_of_the_arguments() {
    for mode in ["--line-buffer", "--group"] {
        let ran = run(&[
            "-k",
            mode,
            "-j",
            "3",
            "sleep {}; echo {}; echo err {} >&2",
            ":::",
            "0.3",
            "0.1",
            "0.2",
        ]);
        assert_eq!(ran.code(), 0, "{}", ran.stderr);
        assert_eq!(ran.stdout, "0.3\n0.1\n0.2\n", "{mode}");
        assert_eq!(
            ran.command_stderr(),
            "err 0.3\nerr 0.1\nerr 0.2\n",
            "{mode}"
        );
    }
}

#[test]
fn keep_order_streams_the_oldest_job_live() {
    // The first job's first line shows while it still runs, and the second
    // job's output (ended long before) waits for the first to end.
    let began = Instant::now();
    let mut child = command(&[
        "-k",
        "-j",
        "2",
        ":::",
        "echo first; sleep 1.5; echo first again",
        "echo second",
    ])
    .spawn()
    .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "first\n");
    assert!(
        began.elapsed() < Duration::from_millis(1200),
        "{:?}",
        began.elapsed()
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "first again\nsecond\n");
    let ran = wait(child, began);
    assert_eq!(ran.code(), 0);
}

#[test]
fn keep_order_holds_large_outputs_in_files_and_loses_nothing() {
    // The first job ends last; the others' 2 MB each are held meanwhile
    // (past the memory share, in unnamed temporary files).
    let ran = run(&[
        "-k",
        "-j",
        "4",
        "--no-summary",
        "sleep {}; seq -f '{}-%06g' 1 200000",
        ":::",
        "0.5",
        "0",
        "0.1",
        "0.2",
    ]);
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    let mut expected = String::new();
    for job in ["0.5", "0", "0.1", "0.2"] {
        for n in 1..=200_000 {
            expected += &format!("{job}-{n:06}\n");
        }
    }
    assert!(ran.stdout == expected, "the output differs");
}
