//! What every peer runner (`peer-procpump`, `peer-threads`, `peer-output`,
//! `peer-tokio`, `peer-subprocess`, `peer-coreutils`, and
//! `benches/peers/communicate.py`) shares: its command line, its one result
//! line, and the probe that times a stalled consumer.
//!
//! A runner is told the scenario and the child's command line, so that every
//! peer runs the very same child:
//!
//! ```text
//! peer-NAME SCENARIO [--children N] [--stdin N] [--stall-ms M] [--output PATH] -- PROGRAM [ARGS...]
//! ```
//!
//! and prints one line of `key=value` pairs ([`Record`]), always with
//! `seconds=` (wall time from the first spawn to the last child reaped, as
//! the runner measured it) and `failed=` (children that did not exit 0).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// Usage text of every Rust runner.
pub const PEER_USAGE: &str = "usage: peer-NAME SCENARIO [--children N] [--stdin N] [--stall-ms M] [--output PATH] -- PROGRAM [ARGS...]
  SCENARIO: bulk | duplex | many | latency | lines | stall | file";

/// The size of every read and write buffer of the peers that pick one
/// (threads, tokio, stdin feeders): 64 KiB, as duct and most hand-written
/// code do.
pub const PEER_BUFFER: usize = 64 * 1024;

/// The byte every stdin feeder sends (what `emit` writes too).
pub const FILLER: u8 = b'x';

/// What a run measures; the child's command line comes from the harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// One child writes a lot to stdout: throughput and memory.
    Bulk,
    /// One child copies stdin to stdout while writing to stderr.
    Duplex,
    /// Many children (`--children`), all at once where the peer can.
    Many,
    /// One child stamps lines with the monotonic clock: delivery latency.
    Latency,
    /// Lines counted as they stream (`Lines`, `wc -l`).
    Lines,
    /// A channel consumer stalls (`--stall-ms`): what the reader costs
    /// meanwhile.
    Stall,
    /// stdout written to a file (`--output`).
    File,
}

impl Scenario {
    /// Every scenario, in the order the harness runs them.
    pub const ALL: [Scenario; 7] = [
        Scenario::Bulk,
        Scenario::Duplex,
        Scenario::Many,
        Scenario::Latency,
        Scenario::Lines,
        Scenario::Stall,
        Scenario::File,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Bulk => "bulk",
            Scenario::Duplex => "duplex",
            Scenario::Many => "many",
            Scenario::Latency => "latency",
            Scenario::Lines => "lines",
            Scenario::Stall => "stall",
            Scenario::File => "file",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        Scenario::ALL
            .into_iter()
            .find(|scenario| scenario.name() == text)
            .ok_or_else(|| format!("unknown scenario {text:?}"))
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A runner's parsed command line.
#[derive(Debug)]
pub struct PeerArgs {
    /// What to measure.
    pub scenario: Scenario,
    /// How many children to run (`many`); 1 otherwise.
    pub children: u64,
    /// Bytes to feed each child's stdin (`duplex`); 0: stdin is null.
    pub stdin_bytes: u64,
    /// How long the consumer stalls (`stall`).
    pub stall: Duration,
    /// Where stdout goes (`file`).
    pub output: Option<PathBuf>,
    /// The child program.
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
}

impl PeerArgs {
    /// Parses this process's command line.
    pub fn from_env() -> Result<PeerArgs, String> {
        PeerArgs::parse(std::env::args_os().skip(1))
    }

    /// Parses `SCENARIO [options] -- PROGRAM [ARGS...]`.
    pub fn parse(mut argv: impl Iterator<Item = OsString>) -> Result<PeerArgs, String> {
        let scenario = argv.next().ok_or("missing SCENARIO")?;
        let scenario = Scenario::parse(&scenario.to_string_lossy())?;
        let mut parsed = PeerArgs {
            scenario,
            children: 1,
            stdin_bytes: 0,
            stall: Duration::from_secs(2),
            output: None,
            program: OsString::new(),
            args: Vec::new(),
        };
        loop {
            let flag = argv.next().ok_or("missing `-- PROGRAM`")?;
            let flag = flag.to_string_lossy().into_owned();
            if flag == "--" {
                break;
            }
            let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let text = value.to_string_lossy();
            let number = || -> Result<u64, String> {
                crate::parse_size(&text).map_err(|e| format!("{flag}: {e}"))
            };
            match flag.as_str() {
                "--children" => parsed.children = number()?.max(1),
                "--stdin" => parsed.stdin_bytes = number()?,
                "--stall-ms" => parsed.stall = Duration::from_millis(number()?),
                "--output" => parsed.output = Some(PathBuf::from(value)),
                _ => return Err(format!("unknown option {flag:?}")),
            }
        }
        parsed.program = argv.next().ok_or("missing PROGRAM after --")?;
        parsed.args = argv.collect();
        Ok(parsed)
    }

    /// The child's command, streams not set yet.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        command
    }

    /// The output file (`file`), or an error naming the runner's omission.
    pub fn output_path(&self) -> Result<&PathBuf, String> {
        self.output
            .as_ref()
            .ok_or_else(|| "the file scenario needs --output PATH".to_owned())
    }
}

/// One result line: `key=value` tokens in the order they were added.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// The tokens, each `key=value` (or several, from [`Record::append`]).
    tokens: Vec<String>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Record {
        Record::default()
    }

    /// Adds `key=value` (a value with spaces would break the line; none
    /// has any).
    pub fn with(mut self, key: &str, value: impl fmt::Display) -> Record {
        self.tokens.push(format!("{key}={value}"));
        self
    }

    /// Adds something that displays as `key=value` tokens itself (a
    /// latency [`Summary`](crate::latency::Summary), a [`StallCost`]).
    pub fn append(mut self, tokens: impl fmt::Display) -> Record {
        self.tokens.push(tokens.to_string());
        self
    }

    /// Adds `seconds=` with microsecond precision.
    pub fn seconds(self, elapsed: Duration) -> Record {
        self.with("seconds", format!("{:.6}", elapsed.as_secs_f64()))
    }

    /// Parses a line back into a map; the last of repeated keys wins.
    pub fn parse(line: &str) -> Result<BTreeMap<String, String>, String> {
        let mut map = BTreeMap::new();
        for token in line.split_whitespace() {
            let (key, value) = token
                .split_once('=')
                .ok_or_else(|| format!("token {token:?} is not key=value in {line:?}"))?;
            map.insert(key.to_owned(), value.to_owned());
        }
        if map.is_empty() {
            return Err(format!("empty result line {line:?}"));
        }
        Ok(map)
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tokens.join(" "))
    }
}

/// The `main` of every Rust runner: parses the command line, runs
/// `measure`, prints its record. Exit 0 with the line, 1 on a failed run,
/// 2 on bad usage (a scenario the peer does not run included).
#[allow(clippy::print_stdout, clippy::print_stderr)] // a runner's whole output
pub fn runner_main(
    name: &str,
    measure: impl FnOnce(&PeerArgs) -> Result<Record, RunError>,
) -> ExitCode {
    let args = match PeerArgs::from_env() {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("{name}: {msg}\n{PEER_USAGE}");
            return ExitCode::from(2);
        }
    };
    match measure(&args) {
        Ok(record) => {
            println!("{record}");
            ExitCode::SUCCESS
        }
        Err(RunError::Unsupported) => {
            eprintln!(
                "{name}: this peer does not run the {} scenario",
                args.scenario
            );
            ExitCode::from(2)
        }
        Err(RunError::Failed(msg)) => {
            eprintln!("{name}: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Why a runner produced no record.
#[derive(Debug)]
pub enum RunError {
    /// The peer has no way to run this scenario (e.g. `Command::output`
    /// cannot feed stdin).
    Unsupported,
    /// The run failed.
    Failed(String),
}

impl<E: fmt::Display> From<E> for RunError {
    fn from(err: E) -> RunError {
        RunError::Failed(err.to_string())
    }
}

/// What a stalled consumer cost: CPU time burnt while it slept.
///
/// The stall is measured in two windows: the first [`SETTLE`] (or a tenth
/// of the stall, if shorter), while the reader still fills the channel and
/// the pipe before it blocks or pauses, and the rest, the steady stall,
/// where a reader that neither spins nor ticks costs nothing.
#[derive(Clone, Copy, Debug)]
pub struct StallCost {
    /// The steady window's wall time.
    pub wall: Duration,
    /// CPU time of the thread that reads the pipe (the reactor) while the
    /// channel and the pipe fill, at the start of the stall.
    pub fill_cpu: Duration,
    /// CPU time of that thread during the steady window.
    pub reader_cpu: Duration,
    /// CPU time of the whole runner process (every thread) during the
    /// steady window.
    pub process_cpu: Duration,
}

/// The start of a stall that is not counted as steady: time for the
/// reader to fill the channel and the pipe, then block or pause.
pub const SETTLE: Duration = Duration::from_millis(100);

impl fmt::Display for StallCost {
    /// `stall_ms=F fill_cpu_ms=F reader_cpu_ms=F process_cpu_ms=F`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "stall_ms={:.1} fill_cpu_ms={:.3} reader_cpu_ms={:.3} process_cpu_ms={:.3}",
            ms(self.wall),
            ms(self.fill_cpu),
            ms(self.reader_cpu),
            ms(self.process_cpu)
        )
    }
}

/// Times the CPU that one thread (the pipe's reader) and the whole process
/// burn while a consumer sleeps.
#[derive(Clone, Copy, Debug)]
pub struct StallProbe {
    /// The reader's kernel thread id.
    tid: libc::pid_t,
}

impl StallProbe {
    /// A probe on the calling thread.
    pub fn current() -> StallProbe {
        // SAFETY: gettid has no preconditions and cannot fail.
        let tid = unsafe { libc::gettid() };
        StallProbe { tid }
    }

    /// Sleeps for `duration` (the stall) and measures what it cost: the
    /// settling start and the steady rest separately.
    ///
    /// # Errors
    ///
    /// If the reader's CPU time cannot be read from /proc.
    pub fn stall(&self, duration: Duration) -> Result<StallCost, String> {
        let settle = SETTLE.min(duration / 10);
        let start = self.reader_cpu()?;
        std::thread::sleep(settle);
        let reader_before = self.reader_cpu()?;
        let process_before = process_cpu();
        let begin = Instant::now();
        std::thread::sleep(duration - settle);
        let wall = begin.elapsed();
        let reader_after = self.reader_cpu()?;
        let process_after = process_cpu();
        Ok(StallCost {
            wall,
            fill_cpu: reader_before.saturating_sub(start),
            reader_cpu: reader_after.saturating_sub(reader_before),
            process_cpu: process_after.saturating_sub(process_before),
        })
    }

    /// The reader's CPU time so far: the first field of
    /// /proc/self/task/TID/schedstat, in ns.
    fn reader_cpu(&self) -> Result<Duration, String> {
        let path = format!("/proc/self/task/{}/schedstat", self.tid);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        text.split_whitespace()
            .next()
            .and_then(|ns| ns.parse().ok())
            .map(Duration::from_nanos)
            .ok_or_else(|| format!("{path}: unexpected contents {text:?}"))
    }
}

/// This process's CPU time so far (user + system, every thread).
fn process_cpu() -> Duration {
    // SAFETY: `rusage` is a plain C struct of integers; all-zero is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a live, writable `rusage`; RUSAGE_SELF is valid.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Result<PeerArgs, String> {
        PeerArgs::parse(text.split_whitespace().map(OsString::from))
    }

    #[test]
    fn command_lines() {
        let parsed = args("many --children 1000 -- emit --stdout 1M").unwrap();
        assert_eq!(parsed.scenario, Scenario::Many);
        assert_eq!(parsed.children, 1000);
        assert_eq!(parsed.program, "emit");
        assert_eq!(parsed.args, ["--stdout", "1M"]);
        let parsed = args("duplex --stdin 1G -- emit --cat").unwrap();
        assert_eq!(parsed.stdin_bytes, 1 << 30);
        assert!(args("bogus -- emit").is_err());
        assert!(args("bulk --stdin 1").is_err());
        assert!(args("bulk --what 1 -- emit").is_err());
    }

    #[test]
    fn records_round_trip() {
        let record = Record::new()
            .with("stdout_bytes", 10)
            .seconds(Duration::from_millis(1500));
        assert_eq!(record.to_string(), "stdout_bytes=10 seconds=1.500000");
        let map = Record::parse(&record.to_string()).unwrap();
        assert_eq!(map["stdout_bytes"], "10");
        assert!(Record::parse("oops").is_err());
    }

    #[test]
    fn a_sleeping_probe_costs_little() {
        let cost = StallProbe::current()
            .stall(Duration::from_millis(20))
            .unwrap();
        assert!(cost.wall >= Duration::from_millis(18));
        assert!(cost.reader_cpu < Duration::from_millis(10), "{cost}");
    }
}
