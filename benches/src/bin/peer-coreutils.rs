//! `peer-coreutils SCENARIO [options] -- PROGRAM [ARGS...]`: the shell's
//! answer, measured by `bench-peers`: the child's stdout piped straight
//! into a coreutils program, as `PROGRAM | wc -l` or `PROGRAM | cat > FILE`
//! would (no shell in between, so nothing else is timed).
//!
//! - `lines`: `wc -l` reads the pipe; its count is the result.
//! - `file`: `cat` reads the pipe and writes `--output`.
//!
//! The child's stderr is null. Prints one `key=value` line (see
//! `procpump_benches::peer`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs::File;
use std::io::Read;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use procpump_benches::peer::{self, PeerArgs, Record, RunError, Scenario};

/// Runs `PROGRAM | consumer`, where `consumer`'s stdout is `output`;
/// returns the record's common part and what the consumer printed, if its
/// stdout was piped.
fn pipeline(
    args: &PeerArgs,
    consumer: &mut Command,
    output: Stdio,
) -> Result<(Record, String), RunError> {
    let begin = Instant::now();
    let mut child = args
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pipe = child.stdout.take().ok_or("no stdout pipe")?;
    let mut reader = consumer.stdin(pipe).stdout(output).spawn()?;
    let mut printed = String::new();
    if let Some(mut out) = reader.stdout.take() {
        out.read_to_string(&mut printed)?;
    }
    let child_status = child.wait()?;
    let reader_status = reader.wait()?;
    let failed = u64::from(!child_status.success()) + u64::from(!reader_status.success());
    let record = Record::new()
        .with("children", 2)
        .with("failed", failed)
        .seconds(begin.elapsed());
    Ok((record, printed))
}

/// `lines`: `PROGRAM | wc -l`.
fn lines(args: &PeerArgs) -> Result<Record, RunError> {
    let mut wc = Command::new("wc");
    wc.arg("-l");
    let (record, printed) = pipeline(args, &mut wc, Stdio::piped())?;
    let lines: u64 = printed
        .trim()
        .parse()
        .map_err(|_| format!("wc -l printed {printed:?}"))?;
    Ok(record.with("lines", lines))
}

/// `file`: `PROGRAM | cat > FILE`.
fn file(args: &PeerArgs) -> Result<Record, RunError> {
    let path = args.output_path()?;
    let out = File::create(path)?;
    let (record, _) = pipeline(args, &mut Command::new("cat"), Stdio::from(out))?;
    let written = std::fs::metadata(path)?.len();
    Ok(record
        .with("stdout_bytes", written)
        .with("file_bytes", written))
}

/// Runs the scenario.
fn measure(args: &PeerArgs) -> Result<Record, RunError> {
    match args.scenario {
        Scenario::Lines => lines(args),
        Scenario::File => file(args),
        _ => Err(RunError::Unsupported),
    }
}

/// Entry point: see [`peer::runner_main`].
fn main() -> ExitCode {
    peer::runner_main("peer-coreutils", measure)
}
