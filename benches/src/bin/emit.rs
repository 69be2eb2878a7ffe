//! `emit --stdout N [--stderr N] [--line-len L] [--sleep-ms M] [--cat]`:
//! the benchmark child.
//!
//! Writes N bytes (suffixes K/M/G are powers of 1024) of non-zero filler to
//! stdout in 1 MiB `write_all` calls from one preallocated buffer, and, if
//! asked, N bytes to stderr from a second thread. It does nothing else, so
//! the reader on the other end of the pipe is what gets measured.
//!
//! Options for the peer benchmarks (`bench-peers`):
//!
//! - `--line-len L`: the filler is lines of L bytes, the last one a newline
//!   (writes are then the largest multiple of L up to 1 MiB, so a stream of
//!   a whole number of lines is split only between lines);
//! - `--sleep-ms M`: sleeps M ms before writing (a child that "works");
//! - `--cat`: stdout is a copy of stdin (1 MiB reads, `write_all`) instead
//!   of filler, while stderr still gets its `--stderr` bytes.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use procpump_benches::{parse_size, MIB};

/// Usage text shown on a command-line error.
const USAGE: &str = "usage: emit --stdout N [--stderr N] [--line-len L] [--sleep-ms M] [--cat]
  (N accepts K/M/G suffixes, powers of 1024)";

/// The filler byte: not zero (so nothing can shortcut zero pages) and not a
/// newline (so no line buffering anywhere splits the writes).
const FILLER: u8 = b'x';

/// How many bytes to write to each stream.
#[derive(Debug, Default)]
struct Args {
    /// Bytes for stdout.
    stdout: u64,
    /// Bytes for stderr.
    stderr: u64,
    /// Line length of the filler (a newline every this many bytes); 0: no
    /// newlines.
    line_len: u64,
    /// Milliseconds to sleep before writing.
    sleep_ms: u64,
    /// Copy stdin to stdout instead of writing filler there.
    cat: bool,
}

/// Parses the command line.
fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut argv = std::env::args().skip(1);
    while let Some(flag) = argv.next() {
        let slot = match flag.as_str() {
            "--stdout" => &mut args.stdout,
            "--stderr" => &mut args.stderr,
            "--line-len" => &mut args.line_len,
            "--sleep-ms" => &mut args.sleep_ms,
            "--cat" => {
                args.cat = true;
                continue;
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        };
        let value = argv
            .next()
            .ok_or_else(|| format!("{flag} needs a byte count"))?;
        *slot = parse_size(&value)?;
    }
    Ok(args)
}

/// Writes `total` bytes of `chunk` (repeated, last one truncated) to `out`.
fn pump(mut out: File, chunk: &[u8], total: u64) -> io::Result<()> {
    let mut left = total;
    while left > 0 {
        let n = usize::try_from(left).map_or(chunk.len(), |l| l.min(chunk.len()));
        out.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// Copies `input` to `out` through one 1 MiB buffer until end of file.
fn copy(mut input: File, mut out: File) -> io::Result<()> {
    let mut buf = vec![0u8; MIB as usize];
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => out.write_all(&buf[..n])?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The filler chunk: 1 MiB of `FILLER`, or, with a line length, the
/// largest whole number of such lines that fits in 1 MiB.
fn filler(line_len: u64) -> Vec<u8> {
    if line_len == 0 || line_len > MIB {
        return vec![FILLER; MIB as usize];
    }
    let len = (MIB / line_len * line_len) as usize;
    let mut chunk = vec![FILLER; len];
    for end in chunk.chunks_mut(line_len as usize) {
        if let Some(last) = end.last_mut() {
            *last = b'\n';
        }
    }
    chunk
}

/// Duplicates a standard stream's descriptor as an unbuffered `File`,
/// bypassing std's `Stdout`/`Stderr` locking and line buffering.
fn raw(fd: impl AsFd) -> io::Result<File> {
    Ok(File::from(fd.as_fd().try_clone_to_owned()?))
}

/// Writes both streams, stderr on a second thread.
fn run(args: &Args) -> io::Result<()> {
    if args.sleep_ms > 0 {
        thread::sleep(Duration::from_millis(args.sleep_ms));
    }
    let chunk: Arc<[u8]> = filler(args.line_len).into();
    let stderr_thread = (args.stderr > 0).then(|| {
        let chunk = Arc::clone(&chunk);
        let total = args.stderr;
        let err = raw(io::stderr());
        thread::spawn(move || pump(err?, &chunk, total))
    });
    let stdout_result = if args.cat {
        copy(raw(io::stdin())?, raw(io::stdout())?)
    } else {
        pump(raw(io::stdout())?, &chunk, args.stdout)
    };
    let stderr_result = match stderr_thread {
        Some(handle) => handle
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("stderr writer panicked"))),
        None => Ok(()),
    };
    stdout_result.map_err(|e| io::Error::new(e.kind(), format!("stdout: {e}")))?;
    stderr_result.map_err(|e| io::Error::new(e.kind(), format!("stderr: {e}")))
}

/// Entry point: exit 0 on success, 1 on a write error, 2 on bad usage.
fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("emit: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("emit: write failed: {e}");
            ExitCode::FAILURE
        }
    }
}
