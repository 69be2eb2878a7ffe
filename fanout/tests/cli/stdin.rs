//! fanout reading its commands (or arguments) from stdin, one a line
//! (10,000 is a normal run), in bounded memory however many commands and however much they
//! print; and its progress line, drawn on stderr only when that is a
//! terminal.

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::support::{command, fanout, peak_kib, run, run_with_stdin, wait};

#[test]
fn ten_thousand_commands_from_stdin() {
    // Odd lines `true`, even lines `echo N`.
    let mut input = String::new();
    for n in 1..=10_000 {
        if n % 2 == 0 {
            input += &format!("echo {n}\n");
        } else {
            input += "true\n";
        }
    }
    let began = Instant::now();
    let mut child = command(&["--summary", "-j", "64", "--seq-tag"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let peak = peak_kib(child.id());
    let mut stdin = child.stdin.take().unwrap();
    let writer =
        std::thread::spawn(move || std::io::Write::write_all(&mut stdin, input.as_bytes()));
    let ran = wait(child, began);
    writer.join().unwrap().unwrap();
    let peak = peak.join().unwrap();
    assert_eq!(ran.code(), 0, "{}", ran.totals());
    let mut lines: Vec<&str> = ran.stdout.lines().collect();
    lines.sort_by_key(|line| line.split_once(' ').unwrap().1.parse::<u32>().unwrap());
    let expected: Vec<String> = (1..=5_000)
        .map(|n| format!("[{}] {}", 2 * n, 2 * n))
        .collect();
    assert!(
        lines == expected,
        "first lines: {:?}",
        &lines[..5.min(lines.len())]
    );
    assert!(
        ran.totals().starts_with("fanout: 10000 jobs in "),
        "{}",
        ran.totals()
    );
    assert!(ran.totals().ends_with(": 10000 ok"), "{}", ran.totals());
    assert_eq!(
        ran.stderr.lines().filter(|l| l.starts_with('[')).count(),
        10_000
    );
    eprintln!("10,000 commands: {:?}, peak memory {peak} KiB", ran.elapsed);
    assert!(peak < 32 * 1024, "peak memory {peak} KiB");
}

#[test]
fn memory_stays_bounded_however_much_the_commands_print() {
    // 4 × 50 MB of lines, in line mode and with --group.
    for mode in [None, Some("--group")] {
        let print = "head -c 50000000 /dev/zero | tr '\\0' x | fold -w 100";
        let mut args = vec!["--summary", "-j", "4"];
        args.extend(mode);
        args.push(":::");
        args.extend([print; 4]);
        let began = Instant::now();
        let child = command(&args).stdout(Stdio::null()).spawn().unwrap();
        let peak = peak_kib(child.id());
        let ran = wait(child, began);
        let peak = peak.join().unwrap();
        assert_eq!(ran.code(), 0, "{}", ran.stderr);
        // 500,000 lines of 100 bytes, the last one without its newline.
        assert!(ran.summary(1).contains(" out 50499999 "), "{}", ran.stderr);
        eprintln!("{mode:?}: 200 MB printed, peak memory {peak} KiB");
        assert!(peak < 32 * 1024, "{mode:?}: peak memory {peak} KiB");
    }
}

#[test]
fn commands_from_stdin_a_line_each_blank_lines_too() {
    let ran = run_with_stdin(&["--summary"], b"echo one\n".to_vec());
    assert_eq!(ran.code(), 0);
    assert_eq!(ran.stdout, "one\n");
    // As GNU parallel: a blank line is a job (an empty command) with its
    // own number.
    let ran = run_with_stdin(&["--summary", "-k"], b"echo one\n\necho three".to_vec());
    assert_eq!(ran.code(), 0);
    assert_eq!(ran.stdout, "one\nthree\n");
    assert!(ran.summary(2).starts_with("[2] ok "), "{}", ran.stderr);
    let ran = run_with_stdin(&["--summary"], Vec::new());
    assert_eq!(ran.code(), 0);
    assert!(
        ran.totals().starts_with("fanout: 0 jobs"),
        "{}",
        ran.totals()
    );
}

#[test]
fn no_progress_line_when_stderr_is_not_a_terminal() {
    let ran = run(&[":::", "sleep 0.5; echo one", "sleep 0.5; echo two >&2"]);
    assert_eq!(ran.code(), 0);
    for text in [&ran.stdout, &ran.stderr] {
        assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
        assert!(!text.contains("running"), "{text:?}");
    }
}

#[test]
fn a_progress_line_when_stderr_is_a_terminal() {
    // `script` (util-linux) runs fanout on a pseudo-terminal.
    let line = format!("'{}' ::: 'sleep 0.5; echo hi'", fanout().display());
    let output = match Command::new("script")
        .args(["-qefc", &line, "/dev/null"])
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("no `script` here: the terminal case is not tested");
            return;
        }
        Err(err) => panic!("script: {err}"),
    };
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("\rfanout: 0/1 done, 1 running, 0 failed, "),
        "{text:?}"
    );
    // Cleared before the command's line; none left under the summary.
    assert!(text.contains("\r\x1b[Khi\r\n"), "{text:?}");
    let summary = text.split_once("fanout: summary").unwrap();
    assert!(
        summary.0.ends_with('\n') || summary.0.ends_with("\x1b[K"),
        "{text:?}"
    );
    assert!(!summary.1.contains("running"), "{text:?}");
}
