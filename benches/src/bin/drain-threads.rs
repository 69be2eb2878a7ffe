//! `drain-threads [--stdin FILE] [--] PROGRAM [ARGS...]`: the baseline reader.
//!
//! Reads a child the way `duct` and most hand-written code do: spawn it with
//! `std::process::Command`, then one thread per pipe, each reading into a
//! 64 KiB buffer and counting (discarding) the bytes, plus a thread writing
//! FILE into stdin if given. It takes the same command line as procpump's
//! `drain` example and prints the same single line:
//!
//! `stdout_bytes=N stderr_bytes=N stdin_bytes=N status=S seconds=F`
//!
//! where S is the exit code or `signal:N` and F is wall seconds from spawn to
//! the end (3 decimals). It exits 0 whenever it printed that line (whatever
//! the child's status), 1 on an I/O error, 2 on bad usage or a failed spawn.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use procpump_benches::{ChildStatus, DrainReport};

/// Usage text shown on a command-line error.
const USAGE: &str = "usage: drain-threads [--stdin FILE] [--] PROGRAM [ARGS...]";

/// Size of each pipe thread's buffer.
const BUF_SIZE: usize = 64 * 1024;

/// The parsed command line.
#[derive(Debug)]
struct Args {
    /// File to feed into the child's stdin; stdin is null without it.
    stdin: Option<OsString>,
    /// The program to run.
    program: OsString,
    /// Its arguments.
    args: Vec<OsString>,
}

/// Parses `[--stdin FILE] [--] PROGRAM [ARGS...]`.
fn parse_args() -> Result<Args, String> {
    let mut argv = std::env::args_os().skip(1);
    let mut stdin = None;
    let program = loop {
        let arg = argv.next().ok_or("missing PROGRAM")?;
        match arg.to_str() {
            Some("--stdin") => stdin = Some(argv.next().ok_or("--stdin needs a FILE")?),
            Some("--") => break argv.next().ok_or("missing PROGRAM after --")?,
            Some("-h" | "--help") => return Err(String::new()),
            Some(flag) if flag.starts_with('-') => return Err(format!("unknown option {flag:?}")),
            _ => break arg,
        }
    };
    Ok(Args {
        stdin,
        program,
        args: argv.collect(),
    })
}

/// Reads `pipe` to its end, returning how many bytes it carried.
fn count(mut pipe: impl Read) -> io::Result<u64> {
    let mut buf = vec![0u8; BUF_SIZE];
    let mut total = 0u64;
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Copies `file` into `pipe`, returning the bytes written. A child that
/// closes its stdin early (`BrokenPipe`) ends the copy without an error.
fn feed(mut file: File, mut pipe: impl Write) -> io::Result<u64> {
    let mut buf = vec![0u8; BUF_SIZE];
    let mut total = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        match pipe.write_all(&buf[..n]) {
            Ok(()) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(total),
            Err(e) => return Err(e),
        }
    }
}

/// Starts a named thread running `work`.
fn start<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<JoinHandle<io::Result<T>>> {
    thread::Builder::new().name(name.to_owned()).spawn(work)
}

/// Joins a pipe thread (absent means 0 bytes), labelling its error.
fn finish(handle: Option<JoinHandle<io::Result<u64>>>, what: &str) -> Result<u64, String> {
    let Some(handle) = handle else { return Ok(0) };
    handle
        .join()
        .map_err(|_| format!("{what} thread panicked"))?
        .map_err(|e| format!("{what}: {e}"))
}

/// Spawns the child, pumps its pipes on threads, waits, and reports.
/// Errors are `(exit code, message)`.
fn run(args: &Args) -> Result<DrainReport, (u8, String)> {
    let input = args
        .stdin
        .as_ref()
        .map(|path| File::open(path).map_err(|e| (2, format!("cannot open --stdin {path:?}: {e}"))))
        .transpose()?;
    let io_err = |e: String| (1, e);
    let started = Instant::now();
    let mut child = Command::new(&args.program)
        .args(&args.args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| (2, format!("cannot spawn {:?}: {e}", args.program)))?;
    let spawn_err = |e: io::Error| (1, format!("cannot start a thread: {e}"));
    let stdin = match (input, child.stdin.take()) {
        (Some(file), Some(pipe)) => {
            Some(start("stdin", move || feed(file, pipe)).map_err(spawn_err)?)
        }
        _ => None,
    };
    let stdout = child
        .stdout
        .take()
        .map(|p| start("stdout", move || count(p)));
    let stdout = stdout.transpose().map_err(spawn_err)?;
    let stderr = child
        .stderr
        .take()
        .map(|p| start("stderr", move || count(p)));
    let stderr = stderr.transpose().map_err(spawn_err)?;
    let status = child
        .wait()
        .map_err(|e| (1, format!("cannot wait for the child: {e}")))?;
    let stdin_bytes = finish(stdin, "stdin").map_err(io_err)?;
    let stdout_bytes = finish(stdout, "stdout").map_err(io_err)?;
    let stderr_bytes = finish(stderr, "stderr").map_err(io_err)?;
    let seconds = started.elapsed().as_secs_f64();
    let status = ChildStatus::from_exit_status(status)
        .ok_or_else(|| (1, format!("child ended with an unknown status: {status}")))?;
    Ok(DrainReport {
        stdout_bytes,
        stderr_bytes,
        stdin_bytes,
        status,
        seconds,
    })
}

/// Entry point: prints the report line, or an error and a non-zero exit.
fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("drain-threads: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err((code, msg)) => {
            eprintln!("drain-threads: {msg}");
            ExitCode::from(code)
        }
    }
}
