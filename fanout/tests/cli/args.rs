//! Several arguments a job (`-n`, `-N`, `-m`, `-X`, `--xargs`, `-L`,
//! `-l`, `-s`, `-x`), the command line's length limit, and how arguments
//! are read (`-d`, `-E`, `-e`, `-r`): each beside GNU parallel on the
//! same command line.

use crate::gnu::{both_refuse, same, same_with_stdin};
use crate::support::run;

#[test]
fn max_args_gives_each_job_up_to_n() {
    assert_eq!(
        same(&["-k", "-n2", "echo", "{1}-{2}", ":::", "1", "2", "3", "4", "5"]),
        "1-2\n3-4\n5-\n"
    );
    same(&[
        "-k",
        "--max-args",
        "2",
        "echo",
        ":::",
        "a",
        "b",
        ":::",
        "1",
        "2",
    ]);
    same(&["-k", "-n", "3", "echo", "a{}b", ":::", "1", "2", "3", "4"]);
}

#[test]
fn max_replace_args_names_each_argument() {
    assert_eq!(
        same(&["-k", "-N2", "echo", "{2}", "{1}", ":::", "1", "2", "3", "4", "5"]),
        "2 1\n4 3\n5\n"
    );
    same(&["-k", "-N2", "echo", "a{}b", ":::", "1", "2", "3"]);
    same(&["-k", "-N0", "echo", "x", ":::", "1", "2", "3"]);
    same(&["-k", "-N3", "echo", ":::", "a b", "it's", "$x", "d"]);
}

#[test]
fn multiple_and_context_replace_spread_over_the_slots() {
    let seven = [":::", "1", "2", "3", "4", "5", "6", "7"];
    let args = |options: &[&'static str]| [options, &seven[..]].concat();
    assert_eq!(
        same(&args(&["-k", "-j3", "-m", "echo"])),
        "1 2 3\n4 5 6\n7\n"
    );
    same(&args(&["-k", "-j2", "-X", "echo", "a{}b"]));
    same(&args(&["-k", "-j1", "-X", "echo", "a{}b {}c", "d"]));
    same(&args(&["-k", "-j1", "-m", "echo", "a{}b {}c", "d"]));
    same(&args(&["-k", "-j3", "--xargs", "echo"]));
    same(&args(&["-k", "-j2", "-X", "echo", "x{.}y", "{/}"]));
    let (out, _) = same_with_stdin(
        &["-k", "-j3", "-X", "echo"],
        b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
    );
    assert_eq!(out, "1 2 3 4\n5 6 7 8\n9 10\n");
}

#[test]
fn max_chars_bounds_each_command_line() {
    let twelve: Vec<String> = (1..=12).map(|n| n.to_string()).collect();
    for options in [
        &["-m"][..],
        &["--xargs"],
        &["-X"],
        &["-n", "2"],
        &["-X", "-x"],
    ] {
        let mut args = vec!["-k", "-j1", "-s", "12"];
        args.extend(options);
        args.extend(["echo", ":::"]);
        args.extend(twelve.iter().map(String::as_str));
        same(&args);
    }
    assert_eq!(
        same(&[
            "-k",
            "-j1",
            "--max-chars=12",
            "-m",
            "echo",
            ":::",
            "1",
            "2",
            "3",
            "4"
        ]),
        "echo 1 2 3\n4\n".replace("echo ", "")
    );
}

/// The default limit is GNU parallel's (63664 bytes on Linux): 100,000
/// arguments make the same jobs.
#[test]
fn the_default_length_limit_is_gnu_parallels() {
    let numbers: String = (1..=100_000).map(|n| format!("{n}\n")).collect();
    for options in [&["-X"][..], &["-m"], &["--xargs"], &["-j1", "-X"]] {
        let mut args = vec!["-k"];
        args.extend(options);
        args.extend(["echo", "a{}b"]);
        let (out, err) = same_with_stdin(&args, numbers.as_bytes());
        let longest = out
            .lines()
            .map(str::len)
            .max()
            .unwrap_or_else(|| panic!("{err}"));
        assert!(
            (60_000..63_664).contains(&longest),
            "{options:?}: {longest}"
        );
    }
}

#[test]
fn lines_a_job() {
    same(&["-k", "-L2", "echo", "a{}b", ":::", "1", "2", "3"]);
    same(&["-k", "-l2", "echo", ":::", "1", "2", "3"]);
    same(&["-k", "--max-lines=3", "echo", ":::", "1", "2", "3", "4"]);
}

#[test]
fn too_long_a_command_is_an_error() {
    both_refuse(
        &["-k", "-j1", "-s", "8", "-m", "echo", ":::", "a b", "c"],
        &["-s", "10 >= 8", "a b"],
    );
    both_refuse(
        &["-k", "-j1", "-s", "3", "-n2", "echo", ":::", "1", "2"],
        &["-s", "6 >= 3"],
    );
    // The jobs before the argument that does not fit run.
    let (out, _) = same_with_stdin(
        &["-k", "-j1", "-s", "10", "-m", "echo"],
        b"1\n2\n3\nabcdefgh\n4\n",
    );
    assert_eq!(out, "1 2\n3\n");
}

#[test]
fn zero_arguments_a_job_is_refused() {
    for args in [
        &["-n", "0", "echo", ":::", "a"][..],
        &["-s", "0", "-m", "echo", ":::", "a"],
    ] {
        let ran = run(args);
        assert_eq!(ran.code(), 255, "{args:?}: {ran:?}");
        let first = ran.stderr.lines().next().unwrap();
        assert!(
            first.contains(args[0]) && first.contains("\"0\""),
            "{first}"
        );
    }
}

#[test]
fn several_a_job_with_tag_halt_and_retries() {
    same(&["-k", "--tag", "-N2", "echo", ":::", "1", "2", "3"]);
    same(&["-k", "--tag", "-X", "-j2", "echo", ":::", "1", "2", "3"]);
    let failing = [
        "-k", "-j1", "-n2", "exit {1}", ":::", "0", "0", "3", "0", "0", "0",
    ];
    same(&[&["--halt", "now,fail=1"][..], &failing].concat());
    same(
        &[
            &["--retries", "2"][..],
            &[
                "-k",
                "-j1",
                "-N2",
                "echo {1}{2}; exit 1",
                ":::",
                "1",
                "2",
                "3",
            ],
        ]
        .concat(),
    );
}

#[test]
fn several_a_job_in_the_joblog_and_results() {
    let dir = std::env::temp_dir().join(format!("fanout-args-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let log = dir.join("log");
    std::fs::create_dir_all(&dir).unwrap();
    let results = dir.join("res");
    let ran = run(&[
        "-k",
        "-N2",
        "--joblog",
        log.to_str().unwrap(),
        "--results",
        results.to_str().unwrap(),
        "echo",
        ":::",
        "a",
        "b",
        "c",
    ]);
    assert_eq!(
        (ran.code(), ran.stdout.as_str()),
        (0, "a b\nc\n"),
        "{ran:?}"
    );
    let log = std::fs::read_to_string(&log).unwrap();
    let commands: Vec<&str> = log
        .lines()
        .skip(1)
        .map(|l| l.rsplit('\t').next().unwrap())
        .collect();
    assert_eq!(commands, ["echo a b", "echo c"]);
    let stdout = std::fs::read_to_string(results.join("1/a/2/b/stdout")).unwrap();
    assert_eq!(stdout, "a b\n");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn delimiters_end_of_file_and_blank_arguments() {
    same_with_stdin(&["-k", "-d", "::", "echo"], b"a::b::c");
    same_with_stdin(&["-k", "-d", ",", "echo"], b"a,b\n,c");
    same_with_stdin(&["-k", "-d", "\\t", "echo"], b"a\tb\n");
    same_with_stdin(&["-k", "-0", "-n2", "echo"], b"a\0b\0c\0");
    same_with_stdin(&["-k", "-E", "STOP", "echo"], b"a\nb\nSTOP\nc\n");
    same(&["-k", "-E", "STOP", "echo", ":::", "a", "STOP", "b"]);
    same(&["-k", "-eSTOP", "echo", ":::", "a", "STOP", "b"]);
    same_with_stdin(&["-k", "-r", "echo", "x{}x"], b"a\n\n  \nb\n");
    same_with_stdin(&["-k", "echo", "x{}x"], b"a\n\n  \nb\n");
    same_with_stdin(&["-r", "echo", "x"], b"\n");
}
