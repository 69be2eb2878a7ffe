//! `-t` (`--verbose`): each command on stderr as it starts; `-v`: each
//! command on stdout first in its job's output (tagged, grouped and
//! ordered with it). Checked beside GNU parallel on the same command lines.

use crate::gnu::parallel;
use crate::support::run;

#[test]
fn t_and_v_print_the_commands_as_gnu_parallel() {
    let job = "echo {}; echo e{} >&2";
    for options in [
        &["-t"][..],
        &["--verbose"],
        &["-v"],
        &["-v", "--tag"],
        &["-k", "-v", "-t"],
        &["-v", "--group"],
        &["-t", "--dry-run"],
        &["-v", "--dry-run"],
        &["-v", "--joblog", "-"],
    ] {
        let mut args = vec!["-j1"];
        args.extend(options);
        args.extend([job, ":::", "a", "b c"]);
        let (ran, gnu) = (run(&args), parallel(&args));
        assert_eq!(
            (ran.code(), gnu.code()),
            (0, 0),
            "{options:?}: {}",
            ran.stderr
        );
        if options.contains(&"--joblog") {
            // The log's times differ: its lines' shape only.
            let fields = |text: &str| -> Vec<usize> {
                text.lines().map(|l| l.split('\t').count()).collect()
            };
            assert_eq!(fields(&ran.stdout), fields(&gnu.stdout), "{options:?}");
            continue;
        }
        assert_eq!(ran.stdout, gnu.stdout, "{options:?}");
        assert_eq!(ran.stderr, gnu.stderr, "{options:?}");
    }
}

#[test]
fn t_shows_each_run_of_a_retried_job_and_composes_with_halt() {
    let args = [
        "-j1",
        "-t",
        "--retries",
        "2",
        "--halt",
        "now,fail=1",
        "exit {}",
        ":::",
        "0",
        "3",
        "0",
    ];
    let (ran, gnu) = (run(&args), parallel(&args));
    assert_eq!((ran.code(), gnu.code()), (3, 3));
    // GNU parallel adds its "This job failed" warning after them.
    assert_eq!(ran.stderr, "exit 0\nexit 3\nexit 3\n");
    assert!(gnu.stderr.starts_with(&ran.stderr), "{}", gnu.stderr);
}

#[test]
fn ungroup_prints_what_gnu_parallel_prints() {
    for ungroup in ["-u", "--ungroup"] {
        let args = [
            "-j1",
            ungroup,
            "-v",
            "echo {}; echo e{} >&2",
            ":::",
            "a",
            "b",
        ];
        let (ran, gnu) = (run(&args), parallel(&args));
        assert_eq!((ran.code(), gnu.code()), (0, 0));
        assert_eq!(
            (&ran.stdout, &ran.stderr),
            (&gnu.stdout, &gnu.stderr),
            "{ungroup}"
        );
    }
}

#[test]
fn nice_runs_the_jobs_with_that_niceness() {
    let args = [
        "-k",
        "--nice",
        "7",
        "--tag",
        "echo {} $(nice)",
        ":::",
        "a",
        "b",
    ];
    let (ran, gnu) = (run(&args), parallel(&args));
    assert_eq!((ran.code(), gnu.code()), (0, 0), "{}", ran.stderr);
    assert_eq!(ran.stdout, gnu.stdout);
    assert_eq!(ran.stdout, "a\ta 7\nb\tb 7\n");
    let ran = run(&["--nice", "99", "true"]);
    assert_eq!(ran.code(), 255);
    assert_eq!(
        ran.stderr,
        "fanout: --nice needs a niceness from -20 to 19, not \"99\"\n"
    );
}
