//! GNU parallel's syntax: `:::` and `::::` input sources and their
//! combinations, arguments from stdin, no template (each argument a
//! command), the replacement strings, the quoting of arguments (special
//! characters arrive literally), `--dry-run`, `-0`, `-a`, `--delay`. The
//! expected outputs are GNU parallel's (20221122) on the same commands.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::process::Stdio;
use std::time::Instant;

use crate::support::{command, fanout, run, run_with_stdin, wait};

/// A temporary directory of its own for one test.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fanout-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn several_groups_give_every_combination_the_last_fastest() {
    let ran = run(&["-k", "echo", "{1}{2}", ":::", "a", "b", ":::", "1", "2"]);
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    assert_eq!(ran.stdout, "a1\na2\nb1\nb2\n");
    // `{}` is all the arguments, each quoted, space-separated.
    let ran = run(&["-k", "echo", ":::", "a", "b c", ":::", "x"]);
    assert_eq!(ran.stdout, "a x\nb c x\n");
}

#[test]
fn files_and_stdin_as_input_sources() {
    let dir = temp_dir("sources");
    let file = dir.join("in.txt");
    std::fs::write(&file, "x\ny\n").unwrap();
    let file = file.to_str().unwrap();
    let ran = run(&["-k", "echo", "{}", ":::", "a", "::::", file]);
    assert_eq!(ran.stdout, "a x\na y\n");
    let ran = run(&["-k", "-a", file, "echo"]);
    assert_eq!(ran.stdout, "x\ny\n");
    // A template and no source: stdin's lines are the arguments.
    let ran = run_with_stdin(&["-k", "echo", "got"], b"1\n2\n3".to_vec());
    assert_eq!(ran.stdout, "got 1\ngot 2\ngot 3\n");
    // `:::: -` is stdin too, combined with others.
    let ran = run_with_stdin(&["-k", "echo", ":::", "a", "::::", "-"], b"1\n2\n".to_vec());
    assert_eq!(ran.stdout, "a 1\na 2\n");
    // -0: NUL-terminated.
    let ran = run_with_stdin(&["-k", "-0", "echo"], b"a b\0c\nd\0".to_vec());
    assert_eq!(ran.stdout, "a b\nc\nd\n");
    let ran = run(&["echo", "::::", "/nonexistent/fanout-input"]);
    assert_eq!(ran.code(), 255);
    assert!(
        ran.stderr.contains("/nonexistent/fanout-input"),
        "{}",
        ran.stderr
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn with_no_template_each_argument_is_a_command() {
    let ran = run(&["-k", ":::", "echo a; echo b", "printf c | tr c C"]);
    assert_eq!(ran.code(), 0);
    assert_eq!(ran.stdout, "a\nb\nC\n");
}

#[test]
fn replacement_strings() {
    let ran = run(&[
        "-k",
        "-j",
        "1",
        "echo {//} {.} {/.} {/} {#} {%}",
        ":::",
        "a",
        "a.b/c",
        "/x/y.tar.gz",
        "dir/.hidden",
    ]);
    assert_eq!(
        ran.stdout,
        ". a a a 1 1\na.b a.b/c c c 2 1\n/x /x/y.tar y.tar y.tar.gz 3 1\ndir dir/  .hidden 4 1\n"
    );
    let ran = run(&["-k", "echo {2.} {1/}", ":::", "p/q", ":::", "r.s"]);
    assert_eq!(ran.stdout, "r q\n");
    // The job slots are 1..=N, each used by one job at a time.
    let ran = run(&["-j", "2", "sleep 0.1; echo {%}", ":::", "a", "b", "c", "d"]);
    let mut slots: Vec<&str> = ran.stdout.lines().collect();
    slots.sort();
    assert_eq!(slots, ["1", "1", "2", "2"]);
    // The environment, as GNU parallel's.
    let ran = run(&[
        "-k",
        "-j1",
        "echo $PARALLEL_SEQ $PARALLEL_JOBSLOT",
        ":::",
        "a",
        "b",
    ]);
    assert_eq!(ran.stdout, "1 1 a\n2 1 b\n");
}

#[test]
fn special_characters_arrive_literally() {
    let args: Vec<&[u8]> = vec![
        b"two  spaces",
        b"$HOME",
        b"it's \"quoted\"",
        b"a;echo injected",
        b"*",
        b"`id`",
        b"back\\slash",
        b"-n",
        b"",
        b"tab\there",
        b"line\nbreak",
        b"\xff\xfe not UTF-8",
        "é ü 字".as_bytes(),
    ];
    let mut fanout = std::process::Command::new(fanout());
    fanout.args(["-k", "--no-summary", "printf", "'%s|'", ":::"]);
    for arg in &args {
        fanout.arg(OsString::from_vec(arg.to_vec()));
    }
    let output = fanout.stdin(Stdio::null()).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut expected = Vec::new();
    for arg in &args {
        expected.extend_from_slice(arg);
        expected.extend_from_slice(b"|\n");
    }
    // Each job's `printf` output has no newline: line mode ends the line.
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&expected)
    );
}

#[test]
fn dry_run_prints_the_commands_quoted_as_gnu_parallel() {
    let ran = run(&[
        "--dry-run",
        "echo",
        ":::",
        "a b",
        "$x",
        "it's",
        "",
        "x;y*",
        "a-b",
    ]);
    assert_eq!(ran.code(), 0);
    assert_eq!(
        ran.stdout,
        "echo 'a b'\necho '$x'\necho 'it'\"'\"'s'\necho ''\necho 'x;y*'\necho a-b\n"
    );
    assert_eq!(ran.stderr, "");
    // The template's words are joined by spaces, as shell code.
    let ran = run(&[
        "--dry-run",
        "echo {1} && echo",
        "{2}",
        ":::",
        "a",
        ":::",
        "b",
    ]);
    assert_eq!(ran.stdout, "echo a && echo b\n");
}

#[test]
fn delay_spaces_the_starts() {
    let began = Instant::now();
    let ran = run(&["--delay", "0.2", "-j", "4", "true", ":::", "1", "2", "3"]);
    assert_eq!(ran.code(), 0);
    let secs = began.elapsed().as_secs_f64();
    assert!(secs >= 0.4, "3 starts 0.2 s apart took {secs}");
}

#[test]
fn a_non_utf8_template_and_log_dir_pass_through() {
    let dir = temp_dir("bytes");
    let mut log_dir = dir.clone().into_os_string();
    log_dir.push(OsString::from_vec(b"/logs-\xff".to_vec()));
    let mut child = command(&[]);
    child
        .arg("--log-dir")
        .arg(&log_dir)
        .args(["echo", ":::", "x"]);
    let ran = wait(child.spawn().unwrap(), Instant::now());
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    let out = std::path::Path::new(&log_dir).join("1.out");
    assert_eq!(std::fs::read(&out).unwrap(), b"x\n");
    assert!(log_dir.as_bytes().ends_with(b"\xff"));
    std::fs::remove_dir_all(dir).unwrap();
}
