//! `--joblog +FILE` (the lines appended, no header, as GNU parallel) and
//! `--retry-failed` (the failed jobs of the log run again, with the log's
//! commands), checked beside GNU parallel: the same stdout, exit status
//! and log columns (Seq, Exitval, Signal, Command).

use crate::gnu::parallel;
use crate::support::run;

fn temp(name: &str, tool: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("fanout-log-{name}-{tool}-{}", std::process::id()))
}

/// The log's Seq, Exitval, Signal and Command columns.
fn columns(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let keep = |line: &str| {
        let f: Vec<&str> = line.splitn(9, '\t').collect();
        format!("{} {} {} {}", f[0], f[6], f[7], f[8])
    };
    text.lines().map(keep).collect()
}

#[test]
fn joblog_plus_appends_without_a_header() {
    let mut logs = Vec::new();
    for (tool, run_it) in [("fanout", run as fn(&[&str]) -> _), ("gnu", parallel)] {
        let log = temp("plus", tool);
        let _ = std::fs::remove_file(&log);
        let plus = format!("+{}", log.display());
        let first = run_it(&["-j1", "-k", "--joblog", &plus, "exit {}", ":::", "0", "1"]);
        let second = run_it(&["-j1", "-k", "--joblog", &plus, "echo {}", ":::", "x"]);
        assert_eq!((first.code(), second.code()), (1, 0), "{tool}");
        assert_eq!(second.stdout, "x\n", "{tool}");
        logs.push(columns(&log));
        std::fs::remove_file(&log).unwrap();
    }
    assert_eq!(logs[0], logs[1]);
    assert_eq!(logs[0], ["1 0 0 exit 0", "2 1 0 exit 1", "1 0 0 echo x"]);
}

#[test]
fn retry_failed_runs_the_logs_failed_commands_again() {
    let mut results = Vec::new();
    for (tool, run_it) in [("fanout", run as fn(&[&str]) -> _), ("gnu", parallel)] {
        let log = temp("retry", tool);
        let log_arg = log.to_str().unwrap();
        let first = run_it(&[
            "-j1",
            "-k",
            "--joblog",
            log_arg,
            "echo {}; exit {}",
            ":::",
            "0",
            "1",
            "0",
            "2",
        ]);
        assert_eq!(first.code(), 2, "{tool}");
        // The command line's TEMPLATE and arguments are not used.
        let again = run_it(&[
            "--retry-failed",
            "-j1",
            "-k",
            "--joblog",
            log_arg,
            "echo never",
            ":::",
            "z",
        ]);
        results.push((again.stdout.clone(), again.code(), columns(&log)));
        std::fs::remove_file(&log).unwrap();
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0].0, "1\n2\n");
    assert_eq!(
        &results[0].2[5..],
        ["2 1 0 echo 1; exit 1", "4 2 0 echo 2; exit 2"]
    );
}

#[test]
fn retry_failed_needs_a_joblog() {
    let ran = run(&["--retry-failed", "true"]);
    assert_eq!(ran.code(), 255);
    assert_eq!(
        ran.stderr,
        "fanout: --resume, --resume-failed and --retry-failed need --joblog FILE\n"
    );
}
