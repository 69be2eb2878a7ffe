//! What a script that calls GNU parallel sees: its habits (`--will-cite`,
//! `--no-notice`, `--gnu`, `--plain`) are accepted, fanout's stderr holds
//! the jobs' stderr alone (the summary only on a terminal or with
//! `--summary`), and an unknown option is one line and exit 255, as GNU
//! parallel's "Unknown option".

use crate::gnu::parallel;
use crate::support::run;

#[test]
fn gnu_parallels_habits_are_accepted() {
    for habit in ["--will-cite", "--no-notice", "--gnu", "--plain"] {
        let args = [habit, "-k", "echo", ":::", "a", "b"];
        let (ran, gnu) = (run(&args), parallel(&args));
        assert_eq!((ran.code(), gnu.code()), (0, 0), "{habit}: {}", ran.stderr);
        assert_eq!(ran.stdout, gnu.stdout, "{habit}");
        assert_eq!(ran.stderr, "", "{habit}");
    }
}

#[test]
fn in_a_script_stderr_is_the_jobs_stderr_alone() {
    let args = [
        "-j1",
        "echo out {}; echo err {} >&2; exit {}",
        ":::",
        "0",
        "1",
    ];
    let (ran, gnu) = (run(&args), parallel(&args));
    assert_eq!((ran.code(), gnu.code()), (1, 1));
    assert_eq!(ran.stdout, gnu.stdout);
    assert_eq!(ran.stderr, gnu.stderr);
    assert_eq!(ran.stderr, "err 0\nerr 1\n");
}

#[test]
fn summary_asks_for_the_summary_and_no_summary_wins_when_last() {
    let ran = run(&["--summary", ":::", "exit 2"]);
    assert_eq!(ran.code(), 1);
    assert!(
        ran.summary(1).starts_with("[1] failed    exit 2"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.totals().starts_with("fanout: 1 job in "),
        "{}",
        ran.stderr
    );
    let ran = run(&["--summary", "--no-summary", ":::", "exit 2"]);
    assert_eq!((ran.code(), ran.stderr.as_str()), (1, ""));
}

#[test]
fn an_unknown_option_is_one_line_and_exit_255() {
    let ran = run(&["--bogus", "echo", ":::", "a"]);
    let gnu = parallel(&["--bogus", "echo", ":::", "a"]);
    assert_eq!((ran.code(), gnu.code()), (255, 255));
    // GNU parallel: the line on stderr, then its usage on stdout.
    assert!(
        gnu.stderr.starts_with("Unknown option: bogus\n"),
        "{}",
        gnu.stderr
    );
    assert!(gnu.stdout.starts_with("Usage:"), "{}", gnu.stdout);
    assert_eq!(
        ran.stderr,
        "fanout: unknown option: --bogus (see fanout --help)\n"
    );
    assert_eq!(ran.stdout, "");
}
