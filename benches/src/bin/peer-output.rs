//! `peer-output SCENARIO [options] -- PROGRAM [ARGS...]`:
//! `std::process::Command::output`, measured by `bench-peers`.
//!
//! `output()` collects all of stdout and stderr in memory (std polls the
//! two pipes on the calling thread and reads into growing `Vec`s) and
//! returns when the child is gone; it drives one child per call, so `many`
//! runs the children one after another, as a plain loop does. It cannot
//! feed stdin (`duplex`) nor hand anything over before the end (`latency`,
//! `lines`, `stall`, `file`): those are not run.
//!
//! Prints one `key=value` line (see `procpump_benches::peer`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::time::Instant;

use procpump_benches::peer::{self, PeerArgs, Record, RunError, Scenario};

/// `bulk`, `many`: `output()` per child, one after another.
fn collect(args: &PeerArgs) -> Result<Record, RunError> {
    let begin = Instant::now();
    let (mut failed, mut stdout, mut stderr) = (0u64, 0u64, 0u64);
    for _ in 0..args.children {
        let output = args.command().output()?;
        failed += u64::from(!output.status.success());
        stdout += output.stdout.len() as u64;
        stderr += output.stderr.len() as u64;
    }
    Ok(Record::new()
        .with("children", args.children)
        .with("failed", failed)
        .with("stdout_bytes", stdout)
        .with("stderr_bytes", stderr)
        .with("stdin_bytes", 0)
        .seconds(begin.elapsed()))
}

/// Runs the scenario.
fn measure(args: &PeerArgs) -> Result<Record, RunError> {
    match args.scenario {
        Scenario::Bulk | Scenario::Many => collect(args),
        _ => Err(RunError::Unsupported),
    }
}

/// Entry point: see [`peer::runner_main`].
fn main() -> ExitCode {
    peer::runner_main("peer-output", measure)
}
