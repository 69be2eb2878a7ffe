//! `tick --lines N [--interval-us U]`: the latency benchmark's child.
//!
//! Writes N short lines to stdout, one every U microseconds (default 1000),
//! each line the `CLOCK_MONOTONIC` time of its own `write(2)` call in
//! nanoseconds, in decimal, then a newline. `CLOCK_MONOTONIC` is one clock
//! for every process on the machine, so a reader that reads the same clock
//! when the line reaches it gets the delivery latency (see
//! `procpump_benches::latency`). Each line is one unbuffered `write(2)`.
//! Ticks are scheduled on absolute deadlines, so a late one does not delay
//! the rest.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use procpump_benches::latency::monotonic_ns;

/// Usage text shown on a command-line error.
const USAGE: &str = "usage: tick --lines N [--interval-us U]";

/// The parsed command line.
#[derive(Debug)]
struct Args {
    /// How many lines to write.
    lines: u64,
    /// Time between two lines.
    interval: Duration,
}

/// Parses `--lines N [--interval-us U]`.
fn parse_args() -> Result<Args, String> {
    let mut lines = None;
    let mut interval_us = 1000;
    let mut argv = std::env::args().skip(1);
    while let Some(flag) = argv.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag} {value:?}: expected a whole number"))?;
        match flag.as_str() {
            "--lines" => lines = Some(number),
            "--interval-us" => interval_us = number,
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Args {
        lines: lines.ok_or("--lines is required")?,
        interval: Duration::from_micros(interval_us),
    })
}

/// Writes the lines, each stamped just before its `write(2)`.
fn run(args: &Args) -> io::Result<()> {
    let mut out = File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let begin = Instant::now();
    let mut line = Vec::with_capacity(32);
    for n in 0..args.lines {
        let deadline = begin + args.interval * u32::try_from(n).unwrap_or(u32::MAX);
        if let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        line.clear();
        writeln!(line, "{}", monotonic_ns())?;
        out.write_all(&line)?;
    }
    Ok(())
}

/// Entry point: exit 0 on success, 1 on a write error, 2 on bad usage.
fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("tick: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tick: write failed: {e}");
            ExitCode::FAILURE
        }
    }
}
