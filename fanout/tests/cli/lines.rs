//! fanout's line mode (`--line-buffer`, the default): output line by line
//! as it arrives, never mixed inside a line, untagged unless asked
//! (`--seq-tag`: `[N] `; `--tag`, `--tagstring`: see `tags`); stdout lines
//! on stdout, stderr lines on stderr.

use crate::support::run;

/// The lines of `text` tagged `[index] `, without their tag.
fn lines_of(text: &str, index: u64) -> Vec<&str> {
    let tag = format!("[{index}] ");
    text.lines()
        .filter_map(|line| line.strip_prefix(tag.as_str()))
        .collect()
}

#[test]
fn concurrent_commands_lines_stay_whole_tagged_and_in_order() {
    // Long lines (500 bytes) in many reads of the pipe, from four commands
    // at once; a fifth prints to stderr only.
    let long = "seq -f '%0500g' 1 4000";
    let ran = run(&[
        "-j",
        "5",
        "--seq-tag",
        ":::",
        long,
        "seq 1 100000",
        long,
        "seq 1 100000",
        "seq 1 20000 >&2",
    ]);
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    let untagged: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|line| !line.starts_with('['))
        .collect();
    assert!(
        untagged.is_empty(),
        "untagged lines: {:?}",
        &untagged[..3.min(untagged.len())]
    );
    for index in [1, 3] {
        let lines = lines_of(&ran.stdout, index);
        assert_eq!(lines.len(), 4000, "command {index}");
        for (n, line) in lines.iter().enumerate() {
            assert_eq!(
                *line,
                format!("{:0500}", n + 1),
                "command {index}, line {n}"
            );
        }
    }
    for index in [2, 4] {
        let expected: Vec<String> = (1..=100_000).map(|n| n.to_string()).collect();
        assert!(lines_of(&ran.stdout, index) == expected, "command {index}");
    }
    // stderr lines only on stderr, stdout lines only on stdout.
    assert!(lines_of(&ran.stdout, 5).is_empty());
    let expected: Vec<String> = (1..=20_000).map(|n| n.to_string()).collect();
    assert!(
        lines_of(ran.command_stderr(), 5) == expected,
        "stderr of command 5"
    );
    for index in 1..=4 {
        assert!(
            lines_of(ran.command_stderr(), index).is_empty(),
            "stdout of {index} on stderr"
        );
    }
}

#[test]
fn lines_are_not_tagged_unless_asked() {
    let ran = run(&[":::", "printf 'a\\nb\\n'; echo e >&2"]);
    assert_eq!(ran.code(), 0);
    assert_eq!(ran.stdout, "a\nb\n");
    assert!(ran.stderr.starts_with("e\n"), "{}", ran.stderr);

    let ran = run(&["--seq-tag", ":::", "printf 'a\\nb\\n'"]);
    assert_eq!(ran.stdout, "[1] a\n[1] b\n");

    let ran = run(&["-j", "1", ":::", "echo a", "echo b"]);
    assert_eq!(ran.stdout, "a\nb\n");
}

#[test]
fn an_unterminated_last_line_is_ended() {
    let ran = run(&[
        "-j",
        "1",
        "--seq-tag",
        ":::",
        "printf abc",
        "printf 'd\\ne'",
    ]);
    assert_eq!(ran.code(), 0);
    assert_eq!(ran.stdout, "[1] abc\n[2] d\n[2] e\n");
}

#[test]
fn lines_are_printed_as_they_arrive() {
    // The first line shows long before the command ends.
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};
    let began = Instant::now();
    let mut child = crate::support::command(&[":::", "echo first; sleep 2; echo second"])
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "first\n");
    assert!(
        began.elapsed() < Duration::from_millis(1500),
        "{:?}",
        began.elapsed()
    );
    let ran = crate::support::wait(child, began);
    assert_eq!(ran.code(), 0);
}
