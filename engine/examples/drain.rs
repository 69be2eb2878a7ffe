//! Runs one program under the reactor with counting sinks on stdout and
//! stderr (the bytes are thrown away), optionally feeding a file to its
//! stdin, and prints one line:
//!
//! ```text
//! stdout_bytes=N stderr_bytes=N stdin_bytes=N status=S seconds=F
//! ```
//!
//! where S is the exit code or `signal:N`. Exits 0 when the run went
//! through, whatever the child's own code; non-zero, with a message on
//! stderr, when it could not run.
//!
//! ```text
//! cargo run --release -p procpump --example drain -- [--stdin FILE] [--] PROGRAM [ARGS...]
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::ffi::OsString;
use std::fs::File;
use std::process::{Command, ExitCode};
use std::time::Instant;

use procpump::{Discard, Input, Job, Options, Reactor};

const USAGE: &str =
    "usage: drain [--stdin FILE] [--read-size BYTES] [--pipe-size BYTES] [--] PROGRAM [ARGS...]";

struct Args {
    stdin: Option<OsString>,
    options: Options,
    program: OsString,
    args: Vec<OsString>,
}

fn parse(mut argv: impl Iterator<Item = OsString>) -> Result<Args, String> {
    let mut stdin = None;
    let mut options = Options::new();
    let program = loop {
        let arg = argv.next().ok_or("no PROGRAM given")?;
        match arg.to_str() {
            Some("--stdin") => stdin = Some(argv.next().ok_or("--stdin needs a FILE")?),
            Some("--read-size") => options = options.read_size(bytes(argv.next(), "--read-size")?),
            Some("--pipe-size") => options = options.pipe_size(bytes(argv.next(), "--pipe-size")?),
            Some("--") => break argv.next().ok_or("no PROGRAM given after --")?,
            Some("-h" | "--help") => return Err(String::new()),
            Some(flag) if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => break arg,
        }
    };
    Ok(Args {
        stdin,
        options,
        program,
        args: argv.collect(),
    })
}

fn bytes(value: Option<OsString>, option: &str) -> Result<usize, String> {
    value
        .as_ref()
        .and_then(|value| value.to_str())
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| format!("{option} needs a number of bytes"))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("drain: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match drain(args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("drain: {message}");
            ExitCode::FAILURE
        }
    }
}

fn drain(args: Args) -> Result<String, String> {
    let mut command = Command::new(&args.program);
    command.args(&args.args);
    let mut job = Job::new(command).stdout(Discard).stderr(Discard);
    if let Some(path) = &args.stdin {
        let file = File::open(path)
            .map_err(|err| format!("cannot open {}: {err}", path.to_string_lossy()))?;
        job = job.stdin(Input::file(file));
    }
    let begin = Instant::now();
    let mut reactor = Reactor::with_options(args.options).map_err(|err| err.to_string())?;
    reactor.spawn(job);
    let report = reactor
        .run()
        .map_err(|err| err.to_string())?
        .pop()
        .ok_or("the reactor returned no report")?;
    let seconds = begin.elapsed().as_secs_f64();
    if let Some(err) = report.error() {
        return Err(err.to_string());
    }
    let status = match (report.code(), report.signal()) {
        (Some(code), _) => code.to_string(),
        (None, Some(signal)) => format!("signal:{signal}"),
        (None, None) => "unknown".to_owned(),
    };
    Ok(format!(
        "stdout_bytes={} stderr_bytes={} stdin_bytes={} status={status} seconds={seconds:.3}",
        report.stdout().map_or(0, |s| s.bytes()),
        report.stderr().map_or(0, |s| s.bytes()),
        report.stdin().map_or(0, |s| s.written()),
    ))
}
