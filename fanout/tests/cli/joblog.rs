//! `--joblog` (GNU parallel's columns), `--resume`, `--resume-failed` and
//! `--retries`, checked against what GNU parallel (20221122) writes for the
//! same commands.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};

use crate::support::{command, eventually, processes_with, run, unique_sleep, wait};

fn log_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("fanout-joblog-{name}-{}", std::process::id()))
}

/// The rows of a job log, each split at its TABs, sorted by Seq.
fn rows(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand")
    );
    let mut rows: Vec<Vec<String>> = lines
        .map(|line| line.splitn(9, '\t').map(String::from).collect())
        .collect();
    rows.sort_by_key(|row| row[0].parse::<u64>().unwrap());
    rows
}

/// Seq, Exitval, Signal, Command of each row.
fn outcomes(path: &Path) -> Vec<(u64, i32, i32, String)> {
    rows(path)
        .into_iter()
        .map(|row| {
            (
                row[0].parse().unwrap(),
                row[6].parse().unwrap(),
                row[7].parse().unwrap(),
                row[8].clone(),
            )
        })
        .collect()
}

#[test]
fn the_job_log_has_gnu_parallels_columns() {
    let log = log_path("columns");
    let ran = run(&[
        "--joblog",
        log.to_str().unwrap(),
        "-j",
        "4",
        "--timeout",
        "1",
        "--grace",
        "0.2",
        ":::",
        "echo 0; exit 0",
        "echo 1; exit 1",
        "kill -9 $$",
        "sleep 3",
    ]);
    assert_eq!(ran.code(), 3, "{}", ran.stderr);
    let rows = rows(&log);
    assert_eq!(rows.len(), 4);
    for row in &rows {
        assert_eq!(row[1], ":");
        let (secs, millis) = row[2].split_once('.').unwrap();
        assert!(secs.parse::<u64>().unwrap() > 1_600_000_000 && millis.len() == 3);
        assert_eq!(row[3].len(), 10, "{:?}: %10.3f", row[3]);
        assert_eq!(row[4], "0");
    }
    assert_eq!(rows[0][5], "2", "Receive: the bytes of stdout");
    assert!(rows[3][3].trim().parse::<f64>().unwrap() >= 1.0);
    // A job killed by a signal: Exitval 0 and the signal; timed out: -1.
    assert_eq!(
        outcomes(&log),
        [
            (1, 0, 0, "echo 0; exit 0".into()),
            (2, 1, 0, "echo 1; exit 1".into()),
            (3, 0, 9, "kill -9 $$".into()),
            (4, -1, 15, "sleep 3".into()),
        ]
    );
    std::fs::remove_file(log).unwrap();
}

#[test]
fn the_command_column_is_the_command_after_substitution() {
    let log = log_path("command");
    let ran = run(&["--joblog", log.to_str().unwrap(), "echo", ":::", "a b"]);
    assert_eq!(ran.code(), 0);
    assert_eq!(outcomes(&log), [(1, 0, 0, "echo 'a b'".into())]);
    std::fs::remove_file(log).unwrap();
}

#[test]
fn resume_skips_the_logged_jobs_and_resume_failed_reruns_the_failed() {
    let log = log_path("resume");
    let log_arg = log.to_str().unwrap();
    let ran = run(&["--summary", "--joblog", log_arg, "exit {}", ":::", "0", "1"]);
    assert_eq!(ran.code(), 1);
    // Jobs 1 and 2 are in the log: only 3 and 4 run.
    let ran = run(&[
        "--summary",
        "--resume",
        "--joblog",
        log_arg,
        "exit {}",
        ":::",
        "0",
        "1",
        "0",
        "2",
    ]);
    assert_eq!(ran.code(), 1, "{}", ran.stderr);
    assert!(ran.totals().contains(" 2 jobs in "), "{}", ran.totals());
    let expected = [
        (1, 0, 0, "exit 0".to_string()),
        (2, 1, 0, "exit 1".into()),
        (3, 0, 0, "exit 0".into()),
        (4, 2, 0, "exit 2".into()),
    ];
    assert_eq!(outcomes(&log), expected);
    // The failed ones (2 and 4) run again, under their own numbers.
    let ran = run(&[
        "--summary",
        "--resume-failed",
        "--joblog",
        log_arg,
        "exit 0; {}",
        ":::",
        "0",
        "1",
        "0",
        "2",
    ]);
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    let mut all = outcomes(&log);
    all.sort();
    let mut expected = expected.to_vec();
    expected.extend([(2, 0, 0, "exit 0; 1".into()), (4, 0, 0, "exit 0; 2".into())]);
    expected.sort();
    assert_eq!(all, expected);
    // --resume without --joblog is an error.
    assert_eq!(run(&["--resume", "true", ":::", "a"]).code(), 255);
    std::fs::remove_file(log).unwrap();
}

#[test]
fn retries_means_runs_in_all_and_prints_the_last_runs_output_only() {
    let dir = log_path("retries");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("log");
    let counter = dir.join("count");
    // Fails twice, then succeeds on its third run.
    let script = format!(
        "echo x >> {c}; n=$(wc -l < {c}); echo run $n; echo err $n >&2; [ $n -ge 3 ]",
        c = counter.display()
    );
    for (retries, code, runs) in [("2", 1, 2), ("3", 0, 3), ("5", 0, 3)] {
        let _ = std::fs::remove_file(&counter);
        let ran = run(&[
            "--retries",
            retries,
            "--joblog",
            log.to_str().unwrap(),
            ":::",
            &script,
        ]);
        assert_eq!(ran.code(), code, "--retries {retries}: {}", ran.stderr);
        let count = std::fs::read_to_string(&counter).unwrap().lines().count();
        assert_eq!(count, runs, "--retries {retries}");
        assert_eq!(ran.stdout, format!("run {runs}\n"), "--retries {retries}");
        assert_eq!(ran.command_stderr(), format!("err {runs}\n"));
        // One row, the last run's.
        let rows = outcomes(&log);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].1, i32::from(code != 0));
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn joblog_dash_writes_the_log_on_stdout() {
    let dir = log_path("stdout");
    std::fs::create_dir_all(&dir).unwrap();
    let child = command(&["--joblog", "-", "-j", "1", "echo", ":::", "a", "b c"])
        .current_dir(&dir)
        .spawn()
        .unwrap();
    let ran = wait(child, Instant::now());
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    let mut lines = ran.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand")
    );
    // Each job's line follows its output (-j 1: one job at a time).
    let rest: Vec<Vec<&str>> = lines.map(|line| line.split('\t').collect()).collect();
    assert_eq!(rest.len(), 4, "{}", ran.stdout);
    assert_eq!(rest[0], ["a"]);
    assert_eq!((rest[1][0], rest[1][6], rest[1][8]), ("1", "0", "echo a"));
    assert_eq!(rest[2], ["b c"]);
    assert_eq!((rest[3][0], rest[3][8]), ("2", "echo 'b c'"));
    // No file named `-`.
    assert!(!dir.join("-").exists());
    // --resume reads a log: stdout cannot be one.
    assert_eq!(
        run(&["--resume", "--joblog", "-", "true", ":::", "a"]).code(),
        255
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_job_killed_by_a_signal_logs_exitval_0_and_the_signal() {
    // A lone command, as an argument and as a template: the shell execs it,
    // so the signal reaches fanout as the job's own (GNU parallel logs
    // the same: Exitval 0, Signal 6).
    let log = log_path("signal");
    let (first, second) = (unique_sleep(), unique_sleep());
    let child = command(&[
        "--summary",
        "--joblog",
        log.to_str().unwrap(),
        "-j",
        "2",
        "sleep",
        ":::",
        &first,
        &second,
    ])
    .spawn()
    .unwrap();
    let began = Instant::now();
    // fanout's own arguments name the sleeps too: the job is the other one.
    let job = |sleep: &str| {
        let others: Vec<u32> = processes_with(sleep)
            .into_iter()
            .filter(|&pid| pid != child.id())
            .collect();
        (others.len() == 1).then(|| others[0])
    };
    for (sleep, signal) in [(&first, Signal::ABORT), (&second, Signal::KILL)] {
        assert!(
            eventually(Duration::from_secs(10), || job(sleep).is_some()),
            "{sleep} did not start"
        );
        let pid = Pid::from_raw(job(sleep).unwrap() as i32).unwrap();
        kill_process(pid, signal).unwrap();
    }
    let ran = wait(child, began);
    assert_eq!(ran.code(), 2, "{}", ran.stderr);
    assert_eq!(
        outcomes(&log),
        [
            (1, 0, 6, format!("sleep {first}")),
            (2, 0, 9, format!("sleep {second}")),
        ]
    );
    assert!(ran.summary(1).starts_with("[1] failed "), "{}", ran.stderr);
    let killed = ran.summary(2).starts_with("[2] failed    SIGKILL ");
    assert!(killed, "{}", ran.stderr);
    std::fs::remove_file(log).unwrap();
}
