//! `peer-threads SCENARIO [options] -- PROGRAM [ARGS...]`: a thread per
//! pipe, as `duct` and most hand-written code do, measured by
//! `bench-peers`.
//!
//! Each child is spawned with `std::process::Command`; each of its pipes
//! gets a thread of its own reading (or writing) 64 KiB at a time, and the
//! main thread waits. It is `drain-threads` generalised to every scenario
//! and to many children (children are spawned one after another, each one's
//! threads started before the next spawn, and all joined at the end).
//!
//! - `bulk`, `duplex`, `many`: the bytes are counted and dropped.
//! - `latency`: the stdout thread stamps each line as its read returns.
//! - `stall`: the stdout thread sends each 64 KiB chunk into a
//!   `std::sync::mpsc::sync_channel(4)`; the consumer takes one, sleeps
//!   `--stall-ms`, then drains the rest; the stdout thread's CPU during the
//!   sleep is the figure.
//!
//! Prints one `key=value` line (see `procpump_benches::peer`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, Read, Write};
use std::process::{Child, ExitCode, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use procpump_benches::latency::Recorder;
use procpump_benches::peer::{
    self, PeerArgs, Record, RunError, Scenario, StallProbe, FILLER, PEER_BUFFER,
};

/// A thread's result: bytes moved.
type Pump = JoinHandle<io::Result<u64>>;

/// Reads `pipe` to its end in 64 KiB reads, handing each read to `each`;
/// returns the bytes read.
fn read_all(mut pipe: impl Read, mut each: impl FnMut(&[u8])) -> io::Result<u64> {
    let mut buf = vec![0u8; PEER_BUFFER];
    let mut total = 0u64;
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                each(&buf[..n]);
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Writes `bytes` filler bytes into `pipe` from one 64 KiB buffer; a child
/// that closes its stdin ends the feed without an error.
fn feed(mut pipe: impl Write, bytes: u64) -> io::Result<u64> {
    let buf = vec![FILLER; PEER_BUFFER];
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        match pipe.write_all(&buf[..n]) {
            Ok(()) => left -= n as u64,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => break,
            Err(e) => return Err(e),
        }
    }
    Ok(bytes - left)
}

/// Starts a thread.
fn start(
    name: &str,
    work: impl FnOnce() -> io::Result<u64> + Send + 'static,
) -> Result<Pump, RunError> {
    Ok(thread::Builder::new().name(name.to_owned()).spawn(work)?)
}

/// Joins a thread; a missing one moved nothing.
fn join(handle: Option<Pump>) -> Result<u64, RunError> {
    match handle {
        None => Ok(0),
        Some(handle) => Ok(handle
            .join()
            .map_err(|_| RunError::Failed("a pipe thread panicked".into()))??),
    }
}

/// A running child and the threads serving its pipes.
struct Served {
    /// The child.
    child: Child,
    /// Its stdin feeder.
    stdin: Option<Pump>,
    /// Its stdout reader.
    stdout: Option<Pump>,
    /// Its stderr reader.
    stderr: Option<Pump>,
}

/// Spawns one child: stdin fed if asked (else null), stdout and stderr
/// piped; starts the stdin and stderr threads. stdout is left to the caller.
fn spawn(args: &PeerArgs) -> Result<Served, RunError> {
    let mut command = args.command();
    let stdin = if args.stdin_bytes > 0 {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    command
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn()?;
    let bytes = args.stdin_bytes;
    let stdin = match child.stdin.take() {
        Some(pipe) => Some(start("stdin", move || feed(pipe, bytes))?),
        None => None,
    };
    let stderr = match child.stderr.take() {
        Some(pipe) => Some(start("stderr", move || read_all(pipe, |_| {}))?),
        None => None,
    };
    Ok(Served {
        child,
        stdin,
        stdout: None,
        stderr,
    })
}

/// Byte totals of finished children.
#[derive(Debug, Default)]
struct Totals {
    /// Children waited for.
    children: u64,
    /// Of those, how many did not exit 0.
    failed: u64,
    /// Bytes written to stdin.
    stdin: u64,
    /// Bytes read from stdout.
    stdout: u64,
    /// Bytes read from stderr.
    stderr: u64,
}

impl Totals {
    /// Waits for the child, then joins its threads.
    fn add(&mut self, mut served: Served) -> Result<(), RunError> {
        let status = served.child.wait()?;
        self.children += 1;
        self.failed += u64::from(!status.success());
        self.stdin += join(served.stdin.take())?;
        self.stdout += join(served.stdout.take())?;
        self.stderr += join(served.stderr.take())?;
        Ok(())
    }

    /// The result line's common part.
    fn record(&self, begin: Instant) -> Record {
        Record::new()
            .with("children", self.children)
            .with("failed", self.failed)
            .with("stdout_bytes", self.stdout)
            .with("stderr_bytes", self.stderr)
            .with("stdin_bytes", self.stdin)
            .seconds(begin.elapsed())
    }
}

/// `bulk`, `duplex`, `many`: every child's pipes on threads of their own,
/// bytes counted and dropped.
fn discard(args: &PeerArgs) -> Result<Record, RunError> {
    let begin = Instant::now();
    let mut running = Vec::new();
    for _ in 0..args.children {
        let mut served = spawn(args)?;
        if let Some(pipe) = served.child.stdout.take() {
            served.stdout = Some(start("stdout", move || read_all(pipe, |_| {}))?);
        }
        running.push(served);
    }
    let mut totals = Totals::default();
    for served in running {
        totals.add(served)?;
    }
    Ok(totals.record(begin))
}

/// `latency`: the stdout thread stamps each line as its read returns.
fn latency(args: &PeerArgs) -> Result<Record, RunError> {
    let begin = Instant::now();
    let mut served = spawn(args)?;
    let pipe = served.child.stdout.take().ok_or("no stdout pipe")?;
    let reader =
        thread::Builder::new()
            .name("stdout".into())
            .spawn(move || -> io::Result<Recorder> {
                let mut recorder = Recorder::with_capacity(1 << 16);
                read_all(pipe, |chunk| recorder.chunk(chunk))?;
                Ok(recorder)
            })?;
    let mut totals = Totals::default();
    totals.add(served)?;
    let recorder = reader
        .join()
        .map_err(|_| RunError::Failed("the stdout thread panicked".into()))??;
    Ok(Record::new()
        .append(recorder.summary())
        .with("failed", totals.failed)
        .seconds(begin.elapsed()))
}

/// `stall`: chunks into a bounded channel whose consumer sleeps after the
/// first one.
fn stall(args: &PeerArgs) -> Result<Record, RunError> {
    let begin = Instant::now();
    let mut served = spawn(args)?;
    let pipe = served.child.stdout.take().ok_or("no stdout pipe")?;
    let (chunks, receiver) = mpsc::sync_channel::<Vec<u8>>(4);
    let (probes, probe) = mpsc::channel();
    served.stdout = Some(start("stdout", move || {
        let _ = probes.send(StallProbe::current());
        read_all(pipe, |chunk| {
            let _ = chunks.send(chunk.to_vec());
        })
    })?);
    let probe = probe.recv().map_err(|_| "the stdout thread died")?;
    let first = receiver.recv().map_err(|_| "no output at all")?;
    let cost = probe.stall(args.stall)?;
    let rest: usize = receiver.iter().map(|chunk| chunk.len()).sum();
    let mut totals = Totals::default();
    totals.add(served)?;
    Ok(totals
        .record(begin)
        .with("consumed", first.len() + rest)
        .append(cost))
}

/// Runs the scenario.
fn measure(args: &PeerArgs) -> Result<Record, RunError> {
    match args.scenario {
        Scenario::Bulk | Scenario::Duplex | Scenario::Many => discard(args),
        Scenario::Latency => latency(args),
        Scenario::Stall => stall(args),
        Scenario::Lines | Scenario::File => Err(RunError::Unsupported),
    }
}

/// Entry point: see [`peer::runner_main`].
fn main() -> ExitCode {
    peer::runner_main("peer-threads", measure)
}
