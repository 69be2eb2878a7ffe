//! GNU parallel (20221122, `parallel` on the `PATH`) run on the same
//! command line as fanout, for the tests that check fanout beside it: the
//! same command line, the same stdin, and the same stdout and exit status
//! expected of both. A missing `parallel` fails these tests (`.ci/run`
//! installs it); they are never skipped.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use crate::support::{fanout, wait, Ran};

/// Runs GNU parallel with `args` (stdin empty) to the end.
pub fn parallel(args: &[&str]) -> Ran {
    let child = Command::new("parallel")
        .args(args)
        .env_remove("PARALLEL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("GNU parallel is needed for these tests: install it (apt-get install parallel)");
    wait(child, Instant::now())
}

/// Runs `program` with `args`, feeding it `stdin`.
fn output(program: &std::path::Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let mut pipe = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || pipe.write_all(&stdin));
    let output = child.wait_with_output().unwrap();
    // A program that does not read its stdin closes the pipe early.
    let _ = writer.join().unwrap();
    output
}

/// What one program printed on stdout and exited with.
#[derive(Debug, PartialEq, Eq)]
pub struct Seen {
    pub stdout: String,
    pub code: Option<i32>,
}

fn seen(output: &Output) -> Seen {
    Seen {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        code: output.status.code(),
    }
}

/// Runs GNU parallel and fanout with `args` and `stdin`; panics unless
/// they print the same on stdout and exit with the same status. Returns
/// what fanout printed on stdout, and its stderr.
pub fn same_with_stdin(args: &[&str], stdin: &[u8]) -> (String, String) {
    let gnu = output(std::path::Path::new("parallel"), args, stdin);
    let ours = output(fanout(), args, stdin);
    assert_eq!(
        seen(&ours),
        seen(&gnu),
        "fanout (left) and GNU parallel (right) differ on {args:?}; GNU's stderr: {}; \
         fanout's: {}",
        String::from_utf8_lossy(&gnu.stderr),
        String::from_utf8_lossy(&ours.stderr),
    );
    (
        seen(&ours).stdout,
        String::from_utf8_lossy(&ours.stderr).into_owned(),
    )
}

/// [`same_with_stdin`], stdin empty.
pub fn same(args: &[&str]) -> String {
    same_with_stdin(args, b"").0
}

/// Both exit with 255, fanout with a line on stderr holding each of
/// `names` (the option and its value, say).
pub fn both_refuse(args: &[&str], names: &[&str]) {
    let (_, stderr) = same_with_stdin(args, b"");
    let said = stderr
        .lines()
        .any(|line| line.starts_with("fanout: ") && names.iter().all(|n| line.contains(n)));
    assert!(said, "{args:?}: {stderr}");
}
