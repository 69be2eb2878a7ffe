//! `peer-subprocess SCENARIO [options] -- PROGRAM [ARGS...]`: the
//! `subprocess` crate's communicate, measured by `bench-peers`.
//!
//! Each child is `Exec::cmd(..).stdout(Pipe).stderr(Pipe).start()`, then
//! `Job::communicate()` and `Communicator::read_to` into two counting
//! writers, then `Job::wait`. `read_to` is the streaming form: it hands
//! each read (4 KiB, after a `poll(2)` over the pipes) to the writer, so
//! memory stays flat; `Communicator::read` would collect everything in
//! `Vec`s, as `Command::output` does. stdin, when fed (`duplex`), comes from
//! `InputData::from_reader(repeat(b'x').take(N))`: no N-byte buffer.
//! One child per call, so `many` runs them one after another.
//!
//! - `bulk`, `duplex`, `many`: the bytes are counted and dropped.
//! - `latency`: the stdout writer stamps each line as its write arrives.
//!
//! Prints one `key=value` line (see `procpump_benches::peer`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use subprocess::{Exec, InputData, Redirection};

use procpump_benches::latency::Recorder;
use procpump_benches::peer::{self, PeerArgs, Record, RunError, Scenario, FILLER};

/// A writer that counts what it is given and hands it to a closure.
struct Counter<F> {
    /// Bytes written.
    bytes: u64,
    /// What to do with each write.
    each: F,
}

impl<F: FnMut(&[u8])> Write for Counter<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (self.each)(buf);
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Filler for stdin that counts what communicate took from it.
struct Fed {
    /// The filler left.
    filler: io::Take<io::Repeat>,
    /// Bytes taken so far, read after the run.
    taken: Arc<AtomicU64>,
}

impl Read for Fed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.filler.read(buf)?;
        self.taken.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What one child came to.
#[derive(Debug)]
struct Outcome {
    /// Exited 0.
    success: bool,
    /// Bytes written to its stdin.
    stdin: u64,
    /// Bytes read from its stdout.
    stdout: u64,
    /// Bytes read from its stderr.
    stderr: u64,
}

/// Runs one child through communicate, its stdout writes handed to `each`.
fn one(args: &PeerArgs, each: impl FnMut(&[u8])) -> Result<Outcome, RunError> {
    let exec = Exec::cmd(&args.program)
        .args(&args.args)
        .stdout(Redirection::Pipe)
        .stderr(Redirection::Pipe);
    let taken = Arc::new(AtomicU64::new(0));
    let exec = if args.stdin_bytes > 0 {
        exec.stdin(InputData::from_reader(Fed {
            filler: io::repeat(FILLER).take(args.stdin_bytes),
            taken: Arc::clone(&taken),
        }))
    } else {
        exec.stdin(Redirection::Null)
    };
    let mut job = exec.start()?;
    let mut communicator = job.communicate()?;
    let mut stdout = Counter { bytes: 0, each };
    let mut stderr = Counter {
        bytes: 0,
        each: |_: &[u8]| {},
    };
    communicator.read_to(&mut stdout, &mut stderr)?;
    let status = job.wait()?;
    Ok(Outcome {
        success: status.success(),
        // Taken from the source: what was written, give or take the
        // last buffer if the child had stopped reading.
        stdin: taken.load(Ordering::Relaxed),
        stdout: stdout.bytes,
        stderr: stderr.bytes,
    })
}

/// `bulk`, `duplex`, `many`: one child after another.
fn discard(args: &PeerArgs) -> Result<Record, RunError> {
    let begin = Instant::now();
    let (mut failed, mut stdin, mut stdout, mut stderr) = (0u64, 0u64, 0u64, 0u64);
    for _ in 0..args.children {
        let outcome = one(args, |_| {})?;
        failed += u64::from(!outcome.success);
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

/// `latency`: each line stamped as the write that brought it arrives.
fn latency(args: &PeerArgs) -> Result<Record, RunError> {
    let begin = Instant::now();
    let mut recorder = Recorder::with_capacity(1 << 16);
    let outcome = one(args, |chunk| recorder.chunk(chunk))?;
    Ok(Record::new()
        .append(recorder.summary())
        .with("failed", u64::from(!outcome.success))
        .seconds(begin.elapsed()))
}

/// Runs the scenario.
fn measure(args: &PeerArgs) -> Result<Record, RunError> {
    match args.scenario {
        Scenario::Bulk | Scenario::Duplex | Scenario::Many => discard(args),
        Scenario::Latency => latency(args),
        Scenario::Lines | Scenario::Stall | Scenario::File => Err(RunError::Unsupported),
    }
}

/// Entry point: see [`peer::runner_main`].
fn main() -> ExitCode {
    peer::runner_main("peer-subprocess", measure)
}
