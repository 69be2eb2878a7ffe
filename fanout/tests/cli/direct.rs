//! Command lines with no shell syntax run without a shell: each case is run
//! through fanout and through `sh -c` with the same line, and the two must
//! agree on the exit status (or the signal), stdout and stderr.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::Command;

use crate::support::run;

/// Exit status, signal, stdout and the job's stderr.
type Outcome = (i32, i32, String, String);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fanout-direct-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// One job through fanout (`args` before `:::`, then `arg`): its outcome
/// from the job log, and the command line fanout ran.
fn through_fanout(args: &[&str], arg: &str) -> (Outcome, String) {
    let log = scratch(&format!("log-{}", rand_name(args, arg)));
    let log_arg = log.to_str().unwrap().to_owned();
    let mut all = vec!["--joblog", &log_arg];
    all.extend_from_slice(args);
    all.extend([":::", arg]);
    let ran = run(&all);
    let text = std::fs::read_to_string(&log).unwrap();
    let row: Vec<&str> = text.lines().nth(1).unwrap().splitn(9, '\t').collect();
    let outcome = (
        row[6].parse().unwrap(),
        row[7].parse().unwrap(),
        ran.stdout.clone(),
        ran.command_stderr().to_owned(),
    );
    (outcome, row[8].to_owned())
}

fn rand_name(args: &[&str], arg: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (args, arg).hash(&mut hasher);
    hasher.finish()
}

/// `line` through `sh -c`, in a process group of its own.
fn through_sh(line: &str) -> Outcome {
    let out = Command::new("sh")
        .args(["-c", line])
        .process_group(0)
        .output()
        .unwrap();
    let (code, signal) = match out.status.code() {
        Some(code) => (code, 0),
        None => (-1, out.status.signal().unwrap()),
    };
    (
        code,
        signal,
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The two agree; fanout ends a job's last unterminated line, so a
/// newline is added where `sh`'s output lacks one.
fn same(fanout: Outcome, mut sh: Outcome, line: &str) {
    for text in [&mut sh.2, &mut sh.3] {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
    }
    assert_eq!(fanout, sh, "{line:?}");
}

#[test]
fn plain_command_lines_agree_with_sh() {
    let noexec = scratch("noexec.sh");
    std::fs::write(&noexec, "#!/bin/sh\necho ran\n").unwrap();
    std::fs::set_permissions(&noexec, std::fs::Permissions::from_mode(0o644)).unwrap();
    let bare = scratch("bare-script");
    std::fs::write(&bare, "echo from a script without a first line\n").unwrap();
    std::fs::set_permissions(&bare, std::fs::Permissions::from_mode(0o755)).unwrap();
    let lines = [
        "true".to_owned(),
        "false".to_owned(),
        "/bin/false".to_owned(),
        "ls -d /".to_owned(),
        "ls /nonexistent-fanout-path".to_owned(),
        "cat /nonexistent-fanout-path".to_owned(),
        "no-such-program-fanout a b".to_owned(),
        "/nonexistent-fanout-dir/prog".to_owned(),
        noexec.display().to_string(),
        bare.display().to_string(),
        std::env::temp_dir().display().to_string(),
        "expr  1\t+ 2".to_owned(),
        "env -u PARALLEL_SEQ -u PARALLEL_JOBSLOT -u FANOUT_INDEX x=1 sh -c true".to_owned(),
    ];
    for line in &lines {
        let (fanout, ran) = through_fanout(&[], line);
        assert_eq!(&ran, line);
        same(fanout, through_sh(line), line);
    }
}

#[test]
fn substituted_arguments_arrive_exactly() {
    for arg in [
        "a b",
        "it's",
        "$HOME `id` *",
        "",
        "say \"hi\"",
        "-n",
        "two\tparts",
    ] {
        let (fanout, line) = through_fanout(&["/usr/bin/printf", "%s,", "{}", "{}."], arg);
        same(fanout, through_sh(&line), &line);
        let expected = format!("{arg},{arg}.,");
        assert_eq!(through_sh(&line).2, expected, "{line}");
    }
}

#[test]
fn the_environment_is_the_one_sh_passes_on() {
    // The same job once directly and once through `sh` (`;` needs it).
    let sorted = |text: &str| {
        let mut lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("_=")).collect();
        lines.sort_unstable();
        lines.join("\n")
    };
    let direct = run(&["env", ":::", "-0"]);
    let shell = run(&["env", "{};", ":::", "-0"]);
    let direct = direct.stdout.replace('\0', "\n");
    let shell = shell.stdout.replace('\0', "\n");
    assert_eq!(sorted(&direct), sorted(&shell));
}

#[test]
fn a_job_killed_by_a_signal_reports_it() {
    // `kill 0` signals the job's own process group: fanout sees the
    // signal, as `sh -c "exec …"` shows it.
    let line = "/bin/kill -s KILL 0";
    let (fanout, _) = through_fanout(&[], line);
    let sh = through_sh(&format!("exec {line}"));
    assert_eq!(sh.1, 9);
    assert_eq!((fanout.1, fanout.2, fanout.3), (sh.1, sh.2, sh.3));
}
