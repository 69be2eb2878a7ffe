//! `peer-tokio SCENARIO [options] -- PROGRAM [ARGS...]`: `tokio::process`
//! with 64 KiB reads, measured by `bench-peers`.
//!
//! A **current-thread** runtime (`Builder::new_current_thread`), so tokio
//! has one thread as procpump does. Each child is a task: it spawns the
//! child with `tokio::process::Command` and serves its pipes concurrently
//! (`try_join!` of a stdin feeder and two readers, each with a 64 KiB
//! buffer), then awaits its exit. `many` spawns every task at once.
//!
//! - `bulk`, `duplex`, `many`: the bytes are counted and dropped.
//! - `latency`: the stdout reader stamps each line as its read returns.
//!
//! `lines`, `stall` and `file` are not run (the issue measures those for
//! procpump against `wc -l`, a thread, and `cat`).
//!
//! Prints one `key=value` line (see `procpump_benches::peer`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io;
use std::process::{ExitCode, ExitStatus, Stdio};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use procpump_benches::latency::Recorder;
use procpump_benches::peer::{self, PeerArgs, Record, RunError, Scenario, FILLER, PEER_BUFFER};

/// Reads `pipe` to its end in 64 KiB reads, handing each to `each`.
async fn read_all(
    mut pipe: Option<impl AsyncRead + Unpin>,
    mut each: impl FnMut(&[u8]),
) -> io::Result<u64> {
    let Some(pipe) = pipe.as_mut() else {
        return Ok(0);
    };
    let mut buf = vec![0u8; PEER_BUFFER];
    let mut total = 0u64;
    loop {
        let n = pipe.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        each(&buf[..n]);
        total += n as u64;
    }
}

/// Writes `bytes` filler bytes into `pipe` from one 64 KiB buffer, then
/// closes it; a child that closes its stdin ends the feed quietly.
async fn feed(pipe: Option<impl AsyncWrite + Unpin>, bytes: u64) -> io::Result<u64> {
    let Some(mut pipe) = pipe else {
        return Ok(0);
    };
    let buf = vec![FILLER; PEER_BUFFER];
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        match pipe.write_all(&buf[..n]).await {
            Ok(()) => left -= n as u64,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => break,
            Err(e) => return Err(e),
        }
    }
    drop(pipe);
    Ok(bytes - left)
}

/// What one child came to.
#[derive(Debug)]
struct Outcome {
    /// Its exit status.
    status: ExitStatus,
    /// Bytes written to its stdin.
    stdin: u64,
    /// Bytes read from its stdout.
    stdout: u64,
    /// Bytes read from its stderr.
    stderr: u64,
}

/// Runs one child to its end, its stdout chunks handed to `each`.
async fn one(
    mut command: tokio::process::Command,
    stdin_bytes: u64,
    each: impl FnMut(&[u8]),
) -> io::Result<Outcome> {
    let stdin = if stdin_bytes > 0 {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn()?;
    let (stdin, stdout, stderr) = tokio::try_join!(
        feed(child.stdin.take(), stdin_bytes),
        read_all(child.stdout.take(), each),
        read_all(child.stderr.take(), |_| {}),
    )?;
    let status = child.wait().await?;
    Ok(Outcome {
        status,
        stdin,
        stdout,
        stderr,
    })
}

/// `bulk`, `duplex`, `many`: one task per child, all at once.
async fn discard(args: &PeerArgs) -> Result<Record, RunError> {
    let begin = Instant::now();
    let tasks: Vec<_> = (0..args.children)
        .map(|_| {
            let command = tokio::process::Command::from(args.command());
            tokio::spawn(one(command, args.stdin_bytes, |_| {}))
        })
        .collect();
    let (mut failed, mut stdin, mut stdout, mut stderr) = (0u64, 0u64, 0u64, 0u64);
    for task in tasks {
        let outcome = task.await??;
        failed += u64::from(!outcome.status.success());
        stdin += outcome.stdin;
        stdout += outcome.stdout;
        stderr += outcome.stderr;
    }
    Ok(Record::new()
        .with("children", args.children)
        .with("failed", failed)
        .with("stdout_bytes", stdout)
        .with("stderr_bytes", stderr)
        .with("stdin_bytes", stdin)
        .seconds(begin.elapsed()))
}

/// `latency`: each line stamped as the read that brought it returns.
async fn latency(args: &PeerArgs) -> Result<Record, RunError> {
    let begin = Instant::now();
    let mut recorder = Recorder::with_capacity(1 << 16);
    let command = tokio::process::Command::from(args.command());
    let outcome = one(command, 0, |chunk| recorder.chunk(chunk)).await?;
    Ok(Record::new()
        .append(recorder.summary())
        .with("failed", u64::from(!outcome.status.success()))
        .seconds(begin.elapsed()))
}

/// Runs the scenario on a current-thread runtime.
fn measure(args: &PeerArgs) -> Result<Record, RunError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match args.scenario {
        Scenario::Bulk | Scenario::Duplex | Scenario::Many => runtime.block_on(discard(args)),
        Scenario::Latency => runtime.block_on(latency(args)),
        Scenario::Lines | Scenario::Stall | Scenario::File => Err(RunError::Unsupported),
    }
}

/// Entry point: see [`peer::runner_main`].
fn main() -> ExitCode {
    peer::runner_main("peer-tokio", measure)
}
