//! `bench-peers [--quick] [--runs N] [--only CASE,...] [--python PATH]`
//!
//! Runs procpump and its peers on the same children, in one run, and
//! prints markdown: the machine, the command that reproduces the run, one
//! table per case (medians, ratios against procpump), the targets of the
//! "Benchmarks against peers" issue and whether they hold, and every run.
//!
//! Each peer is a runner program (`peer-procpump`, `peer-threads`,
//! `peer-tokio`, `peer-subprocess`, `peer-output`, `peer-coreutils`, and
//! `benches/peers/communicate.py` under `python3`) that takes the case's
//! scenario and the child's command line and prints one `key=value` line
//! (`procpump_benches::peer`). The children (`emit`, `tick`) are the same
//! for every peer of a case.
//!
//! Runs are alternated: round after round, every case, every peer (the
//! peers' order rotating from round to round), so that the load of a shared
//! machine falls on all of them alike; the tables quote medians.
//!
//! Measured from outside each runner: its peak RSS from `wait4`
//! (`ru_maxrss`: on Linux the largest of the runner's own peak and those of
//! the children it reaped, such as `emit` at about 3 MiB), its own `VmHWM`
//! and its largest `Threads:` count, sampled from /proc/PID/status every
//! 5 ms. Times, byte counts and latencies come from the runner's line.
//!
//! Progress goes to stderr, the report to stdout.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use procpump_benches::measure::{
    cpu_model, kib_to_mib, proc_text, run_sampled, wait4, Measured, ProcPeak,
};
use procpump_benches::peer::{Record, Scenario};
use procpump_benches::{median, min_max};

/// Usage text shown on a command-line error.
const USAGE: &str = "usage: bench-peers [--quick] [--runs N] [--only CASE,...] [--python PATH]
  --quick    small sizes (a minute or so); default: the issue's full sizes
  --runs N   rounds (default 3; 1 with --quick)
  --only     cases to run, by id: bulk,duplex,many,many-work,latency,lines,stall,file
  --python   the python3 to run benches/peers/communicate.py with (default python3)
build: cargo build --release -p procpump-benches";

/// How often /proc/PID/status is sampled.
const SAMPLE_INTERVAL: Duration = Duration::from_millis(5);

/// Bytes in the GB of GB/s (decimal, like every throughput figure).
const GB: f64 = 1e9;

/// A peer: who runs the children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Peer {
    /// procpump's reactor.
    Procpump,
    /// A thread per pipe, 64 KiB reads.
    Threads,
    /// tokio::process, current-thread runtime, 64 KiB reads.
    Tokio,
    /// The subprocess crate's communicate (`read_to`, streaming).
    Subprocess,
    /// `Command::output`.
    Output,
    /// Python's `subprocess.communicate`.
    Python,
    /// `wc -l` or `cat > file` on the child's pipe.
    Coreutils,
}

impl Peer {
    /// The row label.
    fn label(self, scenario: Scenario) -> &'static str {
        match (self, scenario) {
            (Peer::Procpump, Scenario::Lines) => "procpump + `Lines`",
            (Peer::Procpump, Scenario::File) => "procpump + `FileSink`",
            (Peer::Procpump, Scenario::Stall) => "procpump, channel sink (bounded 4)",
            (Peer::Procpump, _) => "procpump",
            (Peer::Threads, Scenario::Stall) => "thread per pipe, sync_channel(4)",
            (Peer::Threads, _) => "thread per pipe, 64 KiB reads",
            (Peer::Tokio, _) => "tokio::process, current-thread, 64 KiB reads",
            (Peer::Subprocess, _) => "subprocess crate, communicate `read_to`",
            (Peer::Output, _) => "`Command::output`",
            (Peer::Python, _) => "Python `subprocess.communicate`",
            (Peer::Coreutils, Scenario::File) => "`cat > file` on the pipe",
            (Peer::Coreutils, _) => "`wc -l` on the pipe",
        }
    }

    /// The runner's command line, up to the scenario.
    fn runner(self, bins: &Path, python: &Path) -> Vec<OsString> {
        let bin = |name: &str| vec![bins.join(name).into_os_string()];
        match self {
            Peer::Procpump => bin("peer-procpump"),
            Peer::Threads => bin("peer-threads"),
            Peer::Tokio => bin("peer-tokio"),
            Peer::Subprocess => bin("peer-subprocess"),
            Peer::Output => bin("peer-output"),
            Peer::Coreutils => bin("peer-coreutils"),
            Peer::Python => vec![python.into(), python_script().into_os_string()],
        }
    }
}

/// Where `communicate.py` is: beside this package's sources.
fn python_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("peers")
        .join("communicate.py")
}

/// Which way is better for a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Better {
    /// More is better (throughput).
    Higher,
    /// Less is better (time, memory, latency, CPU).
    Lower,
}

/// One column of a case's table.
#[derive(Clone, Copy, Debug)]
struct Column {
    /// Header.
    label: &'static str,
    /// The figure, from one run.
    value: fn(&Sample) -> f64,
    /// Decimals shown.
    decimals: usize,
    /// Which way is better.
    better: Better,
}

/// One case: a scenario, its child, its peers, its columns.
#[derive(Debug)]
struct Case {
    /// Short id (`--only`).
    id: &'static str,
    /// Heading.
    title: String,
    /// What the runners are told to do.
    scenario: Scenario,
    /// Runner options before `--`.
    options: Vec<String>,
    /// The child: a program of this package, then its arguments.
    child: (&'static str, Vec<String>),
    /// The peers, procpump first.
    peers: Vec<Peer>,
    /// Columns; the first is the headline, with its range and the ratio.
    columns: Vec<Column>,
    /// Values the runner's line must carry (key, value).
    expect: Vec<(&'static str, u64)>,
    /// What limits the figures.
    notes: &'static str,
}

/// One measured run of one runner.
#[derive(Clone, Debug)]
struct Sample {
    /// The runner's line, parsed.
    record: BTreeMap<String, String>,
    /// `ru_maxrss` from `wait4`, KiB.
    max_rss_kib: u64,
    /// The /proc sampler's peaks.
    peak: ProcPeak,
}

impl Sample {
    /// A numeric field of the runner's line (NaN if absent).
    fn get(&self, key: &str) -> f64 {
        self.record
            .get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }
}

/// Columns shared by several cases.
mod columns {
    use super::{Better, Column, GB};

    /// stdout GB/s.
    pub(super) const GBPS: Column = Column {
        label: "GB/s (stdout)",
        value: |s| s.get("stdout_bytes") / s.get("seconds") / GB,
        decimals: 2,
        better: Better::Higher,
    };
    /// Wall seconds (the runner's own, first spawn to last reap).
    pub(super) const SECONDS: Column = Column {
        label: "wall s",
        value: |s| s.get("seconds"),
        decimals: 3,
        better: Better::Lower,
    };
    /// Peak RSS from wait4.
    pub(super) const RSS: Column = Column {
        label: "peak RSS MiB (wait4)",
        value: |s| super::kib_to_mib(s.max_rss_kib),
        decimals: 1,
        better: Better::Lower,
    };
    /// The runner's own VmHWM.
    pub(super) const HWM: Column = Column {
        label: "own VmHWM MiB",
        value: |s| super::kib_to_mib(s.peak.hwm_kib),
        decimals: 1,
        better: Better::Lower,
    };
    /// Most threads seen.
    pub(super) const THREADS: Column = Column {
        label: "threads (max)",
        value: |s| s.peak.threads as f64,
        decimals: 0,
        better: Better::Lower,
    };
}

/// Sizes of a run.
#[derive(Clone, Copy, Debug)]
struct Sizes {
    /// Case 1: bytes to stdout.
    bulk: u64,
    /// Case 2: bytes through stdin→stdout, and to stderr.
    duplex: u64,
    /// Case 3a: children.
    many: u64,
    /// Case 3b: children.
    many_work: u64,
    /// Case 4: lines.
    ticks: u64,
    /// Case 5: bytes of 80-byte lines.
    lines: u64,
    /// Case 6: stall, ms.
    stall_ms: u64,
    /// Case 7: bytes to the file.
    file: u64,
}

/// The sizes.
const FULL: Sizes = Sizes {
    bulk: 4 << 30,
    duplex: 1 << 30,
    many: 1000,
    many_work: 200,
    ticks: 2000,
    lines: 1 << 30,
    stall_ms: 2000,
    file: 1 << 30,
};

/// `--quick`.
const QUICK: Sizes = Sizes {
    bulk: 256 << 20,
    duplex: 64 << 20,
    many: 100,
    many_work: 20,
    ticks: 200,
    lines: 64 << 20,
    stall_ms: 200,
    file: 64 << 20,
};

/// The length of a line in case 5.
const LINE_LEN: u64 = 80;

/// Bytes a stalled child writes in case 6.
const STALL_BYTES: u64 = 64 << 20;

/// Every case at these sizes, in the order.
fn cases(sizes: Sizes, output: &Path) -> Vec<Case> {
    use columns::{GBPS, HWM, RSS, SECONDS, THREADS};
    use Peer::*;
    let mib = |bytes: u64| bytes >> 20;
    let lines = sizes.lines / LINE_LEN;
    vec![
        Case {
            id: "bulk",
            title: format!("1. One child, {} MiB to stdout", mib(sizes.bulk)),
            scenario: Scenario::Bulk,
            options: vec![],
            child: ("emit", vec!["--stdout".into(), sizes.bulk.to_string()]),
            peers: vec![Procpump, Threads, Tokio, Subprocess, Output, Python],
            columns: vec![GBPS, RSS, HWM, THREADS],
            expect: vec![("stdout_bytes", sizes.bulk), ("stderr_bytes", 0)],
            notes: NOTES_BULK,
        },
        Case {
            id: "duplex",
            title: format!(
                "2. One child, {0} MiB stdin→stdout while it writes {0} MiB to stderr",
                mib(sizes.duplex)
            ),
            scenario: Scenario::Duplex,
            options: vec!["--stdin".into(), sizes.duplex.to_string()],
            child: (
                "emit",
                vec!["--cat".into(), "--stderr".into(), sizes.duplex.to_string()],
            ),
            peers: vec![Procpump, Threads, Tokio, Subprocess, Python],
            columns: vec![SECONDS, RSS, HWM, THREADS],
            expect: vec![
                ("stdin_bytes", sizes.duplex),
                ("stdout_bytes", sizes.duplex),
                ("stderr_bytes", sizes.duplex),
            ],
            notes: NOTES_DUPLEX,
        },
        Case {
            id: "many",
            title: format!("3a. {} children × 1 MiB each", sizes.many),
            scenario: Scenario::Many,
            options: vec!["--children".into(), sizes.many.to_string()],
            child: ("emit", vec!["--stdout".into(), "1M".into()]),
            peers: vec![Procpump, Threads, Tokio, Subprocess, Output, Python],
            columns: vec![SECONDS, RSS, HWM, THREADS],
            expect: vec![("children", sizes.many), ("stdout_bytes", sizes.many << 20)],
            notes: NOTES_MANY,
        },
        Case {
            id: "many-work",
            title: format!(
                "3b. {} children × (50 ms of work, then 1 MiB)",
                sizes.many_work
            ),
            scenario: Scenario::Many,
            options: vec!["--children".into(), sizes.many_work.to_string()],
            child: (
                "emit",
                vec![
                    "--stdout".into(),
                    "1M".into(),
                    "--sleep-ms".into(),
                    "50".into(),
                ],
            ),
            peers: vec![Procpump, Threads, Tokio, Subprocess, Output, Python],
            columns: vec![SECONDS, RSS, HWM, THREADS],
            expect: vec![
                ("children", sizes.many_work),
                ("stdout_bytes", sizes.many_work << 20),
            ],
            notes: NOTES_MANY_WORK,
        },
        Case {
            id: "latency",
            title: format!(
                "4. Latency from a child's write to the reader: {} lines, one a millisecond",
                sizes.ticks
            ),
            scenario: Scenario::Latency,
            options: vec![],
            child: ("tick", vec!["--lines".into(), sizes.ticks.to_string()]),
            peers: vec![Procpump, Threads, Tokio, Subprocess],
            columns: vec![
                Column {
                    label: "p99 µs",
                    value: |s| s.get("p99_us"),
                    decimals: 1,
                    better: Better::Lower,
                },
                Column {
                    label: "p50 µs",
                    value: |s| s.get("p50_us"),
                    decimals: 1,
                    better: Better::Lower,
                },
                Column {
                    label: "max µs",
                    value: |s| s.get("max_us"),
                    decimals: 0,
                    better: Better::Lower,
                },
                THREADS,
            ],
            expect: vec![("lines", sizes.ticks), ("malformed", 0)],
            notes: NOTES_LATENCY,
        },
        Case {
            id: "lines",
            title: format!(
                "5. {} MiB of {LINE_LEN}-byte lines, counted as they stream",
                mib(sizes.lines)
            ),
            scenario: Scenario::Lines,
            options: vec![],
            child: (
                "emit",
                vec![
                    "--stdout".into(),
                    (lines * LINE_LEN).to_string(),
                    "--line-len".into(),
                    LINE_LEN.to_string(),
                ],
            ),
            peers: vec![Procpump, Coreutils],
            columns: vec![
                Column {
                    label: "GB/s (lines)",
                    value: |s| s.get("lines") * LINE_LEN as f64 / s.get("seconds") / GB,
                    decimals: 2,
                    better: Better::Higher,
                },
                Column {
                    label: "M lines/s",
                    value: |s| s.get("lines") / s.get("seconds") / 1e6,
                    decimals: 1,
                    better: Better::Higher,
                },
                RSS,
                HWM,
            ],
            expect: vec![("lines", lines)],
            notes: NOTES_LINES,
        },
        Case {
            id: "stall",
            title: format!(
                "6. A channel consumer that stalls {} ms: what the reader burns meanwhile",
                sizes.stall_ms
            ),
            scenario: Scenario::Stall,
            options: vec!["--stall-ms".into(), sizes.stall_ms.to_string()],
            child: ("emit", vec!["--stdout".into(), STALL_BYTES.to_string()]),
            peers: vec![Procpump, Threads],
            columns: vec![
                Column {
                    label: "reader thread CPU ms, steady stall",
                    value: |s| s.get("reader_cpu_ms"),
                    decimals: 3,
                    better: Better::Lower,
                },
                Column {
                    label: "whole process CPU ms, steady stall",
                    value: |s| s.get("process_cpu_ms"),
                    decimals: 3,
                    better: Better::Lower,
                },
                Column {
                    label: "reader CPU ms, first 100 ms (filling)",
                    value: |s| s.get("fill_cpu_ms"),
                    decimals: 3,
                    better: Better::Lower,
                },
                Column {
                    label: "steady stall ms",
                    value: |s| s.get("stall_ms"),
                    decimals: 0,
                    better: Better::Lower,
                },
                THREADS,
            ],
            expect: vec![("stdout_bytes", STALL_BYTES), ("consumed", STALL_BYTES)],
            notes: NOTES_STALL,
        },
        Case {
            id: "file",
            title: format!("7. One child, {} MiB to a file", mib(sizes.file)),
            scenario: Scenario::File,
            options: vec!["--output".into(), output.display().to_string()],
            child: ("emit", vec!["--stdout".into(), sizes.file.to_string()]),
            peers: vec![Procpump, Coreutils],
            columns: vec![GBPS, RSS, HWM, THREADS],
            expect: vec![("file_bytes", sizes.file)],
            notes: NOTES_FILE,
        },
    ]
}

/// What limits case 1's figures.
const NOTES_BULK: &str = "GB/s = stdout bytes / the runner's own wall time (spawn to reap). \
Nearly all the CPU is the kernel copying into and out of the pipe and allocating and freeing \
its pages. Every reader is bimodal: fast (7-9 GB/s) when the scheduler puts the reader and \
`emit` on one CPU (the pipe's pages stay in cache, and `emit`'s own writes are 43% of that \
CPU), slow when it puts them on different CPUs and every wake-up crosses CPUs: about 1 GB/s \
for the 64 KiB readers, about 3 GB/s for procpump, which gives a busy pipe 1 MiB there (and \
one read, 256 KiB, on one CPU). A median can land in either mode, and the ratios with it. \
`Command::output` and Python hold the whole output (Python twice, for its final \
`b''.join`).";

/// What limits case 2's figures.
const NOTES_DUPLEX: &str = "Wall time to move all three streams. procpump and tokio serve the \
three pipes from one thread, so one CPU does the reader's share of 3 GiB of copying; the \
thread peer spreads it over three threads and both CPUs. Python's `communicate(input=...)` \
needs the input as one bytes object and collects both outputs (about 5 GiB peak). \
`Command::output` cannot feed stdin: not run.";

/// What limits case 3a's figures.
const NOTES_MANY: &str = "Starting a child dominates: each `emit` costs about 1.3 ms of CPU \
to start (exec, the dynamic loader), and `Command::spawn` blocks the calling thread until the \
child has exec'd (0.1 to over 1 ms). procpump spawns on one spawner thread while its reactor \
thread reads (threads: 2); the thread peer spawns on its main thread while a thread per pipe \
reads. tokio spawns on its one thread. `Command::output`, the subprocess crate and Python run \
the children one after another. Threads (max) is sampled every 5 ms and misses short-lived \
threads.";

/// What limits case 3b's figures.
const NOTES_MANY_WORK: &str = "Each child sleeps 50 ms before writing: concurrent peers finish \
in about one sleep plus the spawning; sequential ones pay every sleep (200 × 50 ms = 10 s).";

/// What limits case 4's figures.
const NOTES_LATENCY: &str = "Latency = the reader's `CLOCK_MONOTONIC` when the read returned \
(procpump: when the sink got the chunk) minus the child's, taken just before its `write(2)`. \
Every reader sleeps between lines, so this is a wake-up latency, set mostly by the scheduler \
and by the other work on the 2 vCPUs; the tail (p99, max) is the most load-sensitive figure \
here. A reader on a poller (procpump, tokio) makes more system calls per wake-up than a \
blocking `read` (how many: docs/BENCHMARKS.md).";

/// What limits case 5's figures.
const NOTES_LINES: &str = "Both read the same `emit --line-len 80` pipe. `wc -l` (coreutils \
9.1) counts newlines with a vectorised scan, in 16 KiB reads from a 64 KiB pipe, so it is \
bimodal like the 64 KiB readers of case 1; `Lines` calls a handler per line (13.4 M per GiB).";

/// What limits case 6's figures.
const NOTES_STALL: &str = "CPU time of the thread that reads the pipe (procpump: the reactor, \
the runner's main thread; threads: the stdout thread), from /proc/self/task/TID/schedstat, \
and of the whole runner (getrusage), in the steady part of the stall: the first 100 ms, \
while the channel and the pipe fill, are shown apart. procpump pauses the pipe when the \
channel is full and is resumed by a watcher thread blocked on the channel: no tick.";

/// What limits case 7's figures.
const NOTES_FILE: &str = "Into the page cache of ext4 (no fsync); the file is deleted after \
each run. `FileSink` as it comes (reads into the reactor's buffer and writes; splicing is \
opt-in, `zero_copy(true)`); `cat` copies through a 128 KiB buffer from a 64 KiB pipe, and is \
bimodal like the 64 KiB readers of case 1. Page-cache allocation and the 2 vCPUs bound both.";

/// The parsed command line.
#[derive(Debug)]
struct Args {
    /// Small sizes.
    quick: bool,
    /// Rounds.
    runs: usize,
    /// Case ids to run; empty: all.
    only: Vec<String>,
    /// python3.
    python: PathBuf,
}

/// Parses the command line.
fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        quick: false,
        runs: 0,
        only: Vec::new(),
        python: PathBuf::from("python3"),
    };
    let mut argv = std::env::args().skip(1);
    while let Some(flag) = argv.next() {
        match flag.as_str() {
            "--quick" => args.quick = true,
            "-h" | "--help" => return Err(String::new()),
            "--runs" | "--only" | "--python" => {
                let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
                match flag.as_str() {
                    "--runs" => {
                        args.runs = value
                            .parse()
                            .ok()
                            .filter(|&n| n > 0)
                            .ok_or_else(|| format!("--runs {value:?}: expected N > 0"))?;
                    }
                    "--only" => args.only = value.split(',').map(str::to_owned).collect(),
                    _ => args.python = PathBuf::from(value),
                }
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if args.runs == 0 {
        args.runs = if args.quick { 1 } else { 3 };
    }
    Ok(args)
}

/// The directory holding this executable (and the runners and children).
fn exe_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate own executable: {e}"))?;
    exe.parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("own executable {} has no directory", exe.display()))
}

/// Checks that every program the cases need is there.
fn check_programs(bins: &Path, python: &Path) -> Result<(), String> {
    let names = [
        "emit",
        "tick",
        "peer-procpump",
        "peer-threads",
        "peer-tokio",
        "peer-subprocess",
        "peer-output",
        "peer-coreutils",
    ];
    for name in names {
        let path = bins.join(name);
        if !path.is_file() {
            return Err(format!(
                "{} is missing: build with `cargo build --release -p procpump-benches`",
                path.display()
            ));
        }
    }
    let script = python_script();
    if !script.is_file() {
        return Err(format!("{} is missing", script.display()));
    }
    let probe = Command::new(python)
        .arg("--version")
        .stdout(Stdio::null())
        .status();
    match probe {
        Ok(status) if status.success() => Ok(()),
        _ => Err(format!("cannot run {} --version", python.display())),
    }
}

/// Runs one runner once, reaps it, and checks its line.
fn measure(argv: &[OsString], case: &Case) -> Result<Sample, String> {
    let shown = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let fail = |why: String| format!("run failed: `{shown}`: {why}");
    let Measured {
        output,
        reaped,
        peak,
    } = run_sampled(
        Command::new(&argv[0]).args(&argv[1..]),
        &shown,
        SAMPLE_INTERVAL,
    )?;
    let line = output
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .ok_or_else(|| fail("printed nothing".into()))?;
    let record = Record::parse(line).map_err(&fail)?;
    let sample = Sample {
        record,
        max_rss_kib: reaped.max_rss_kib,
        peak,
    };
    validate(&sample, case).map_err(&fail)?;
    Ok(sample)
}

/// Checks a runner's line against what its children were told to do.
fn validate(sample: &Sample, case: &Case) -> Result<(), String> {
    let number = |key: &str| sample.record.get(key).and_then(|v| v.parse::<u64>().ok());
    if number("failed") != Some(0) {
        return Err(format!("children failed: {:?}", sample.record));
    }
    for &(key, want) in &case.expect {
        if number(key) != Some(want) {
            return Err(format!("{key}: expected {want}, got {:?}", sample.record));
        }
    }
    let seconds = sample.get("seconds");
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!("no positive seconds in {:?}", sample.record));
    }
    Ok(())
}

/// The runs of one peer in one case.
#[derive(Debug)]
struct Series {
    /// The peer.
    peer: Peer,
    /// One sample per round.
    samples: Vec<Sample>,
}

impl Series {
    /// The median of a column.
    fn median(&self, column: &Column) -> f64 {
        median(&self.values(column)).unwrap_or(f64::NAN)
    }

    /// The column's value in every run.
    fn values(&self, column: &Column) -> Vec<f64> {
        self.samples.iter().map(column.value).collect()
    }
}

/// The child's argv of a case.
fn child_argv(case: &Case, bins: &Path) -> Vec<OsString> {
    let (program, args) = &case.child;
    std::iter::once(bins.join(program).into_os_string())
        .chain(args.iter().map(OsString::from))
        .collect()
}

/// A runner's full command line for a case.
fn runner_argv(peer: Peer, case: &Case, bins: &Path, python: &Path) -> Vec<OsString> {
    let mut argv = peer.runner(bins, python);
    argv.push(case.scenario.name().into());
    argv.extend(case.options.iter().map(OsString::from));
    argv.push("--".into());
    argv.extend(child_argv(case, bins));
    argv
}

/// Runs every round: each case, each peer (order rotating by round).
fn run_rounds(
    cases: &[Case],
    runs: usize,
    bins: &Path,
    python: &Path,
    output: &Path,
) -> Result<Vec<Vec<Series>>, String> {
    let mut results: Vec<Vec<Series>> = cases
        .iter()
        .map(|case| {
            case.peers
                .iter()
                .map(|&peer| Series {
                    peer,
                    samples: Vec::new(),
                })
                .collect()
        })
        .collect();
    for round in 0..runs {
        for (case, series) in cases.iter().zip(results.iter_mut()) {
            let count = series.len();
            for offset in 0..count {
                let index = (round + offset) % count;
                let peer = series[index].peer;
                let argv = runner_argv(peer, case, bins, python);
                let began = Instant::now();
                let sample = measure(&argv, case);
                let _ = std::fs::remove_file(output);
                let sample = sample?;
                eprintln!(
                    "round {}/{runs} {:<10} {:<48} {:>8.3} s  {}",
                    round + 1,
                    case.id,
                    peer.label(case.scenario),
                    began.elapsed().as_secs_f64(),
                    headline(case, &sample)
                );
                series[index].samples.push(sample);
            }
        }
    }
    Ok(results)
}

/// The headline figure of one run, for progress lines.
fn headline(case: &Case, sample: &Sample) -> String {
    let column = &case.columns[0];
    format!(
        "{} = {:.*}",
        column.label,
        column.decimals,
        (column.value)(sample)
    )
}

/// How many times better procpump is than `peer` on `column`
/// (>1: procpump better).
fn advantage(procpump: f64, peer: f64, better: Better) -> f64 {
    match better {
        Better::Higher => procpump / peer,
        Better::Lower => peer / procpump,
    }
}

/// Prints one case's table.
fn print_case(case: &Case, series: &[Series], runs: usize) {
    println!("### {}\n", case.title);
    let child: Vec<String> = child_argv(case, Path::new(""))
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    println!(
        "Child: `{}`; runner: `peer-NAME {}{} -- CHILD`; {runs} run(s) each, medians.\n",
        child.join(" "),
        case.scenario.name(),
        case.options
            .iter()
            .map(|o| format!(" {o}"))
            .collect::<String>()
    );
    let head = &case.columns[0];
    let mut header = format!(
        "| peer | {} (min–max) | procpump × (on {}) |",
        head.label, head.label
    );
    let mut rule = "|---|---:|---:|".to_owned();
    for column in &case.columns[1..] {
        header.push_str(&format!(" {} |", column.label));
        rule.push_str("---:|");
    }
    println!("{header}\n{rule}");
    let base = series.first().map_or(f64::NAN, |s| s.median(head));
    for s in series {
        let (lo, hi) = min_max(&s.values(head)).unwrap_or((f64::NAN, f64::NAN));
        let value = s.median(head);
        let d = head.decimals;
        let ratio = advantage(base, value, head.better);
        let ratio = if ratio.is_finite() {
            format!("{ratio:.2}")
        } else {
            "—".to_owned()
        };
        let mut row = format!(
            "| {} | {value:.d$} ({lo:.d$}–{hi:.d$}) | {ratio} |",
            s.peer.label(case.scenario),
        );
        for column in &case.columns[1..] {
            row.push_str(&format!(" {:.*} |", column.decimals, s.median(column)));
        }
        println!("{row}");
    }
    println!("\n\"procpump ×\" = how many times better procpump's median is on the first figure (above 1: procpump better; — where both are 0).\n");
    println!("Limits: {}\n", case.notes);
}

/// The median of `column` for `peer` in the case `id`, if it ran.
fn figure(
    cases: &[Case],
    results: &[Vec<Series>],
    id: &str,
    peer: Peer,
    column: &Column,
) -> Option<f64> {
    let index = cases.iter().position(|c| c.id == id)?;
    let series = results[index].iter().find(|s| s.peer == peer)?;
    Some(series.median(column))
}

/// One target line: what, the figure, and whether it holds.
fn target(what: &str, figure: Option<f64>, holds: impl Fn(f64) -> bool, shown: &str) {
    match figure {
        Some(value) if value.is_finite() => {
            let verdict = if holds(value) { "holds" } else { "**missed**" };
            println!("| {what} | {value:.2}{shown} | {verdict} |");
        }
        _ => println!("| {what} | not run | — |"),
    }
}

/// Prints the targets against this run's medians.
fn print_targets(cases: &[Case], results: &[Vec<Series>]) {
    use columns::{GBPS, RSS, SECONDS, THREADS};
    use Peer::*;
    let ratio = |id: &str, peer: Peer, column: &Column| -> Option<f64> {
        let ours = figure(cases, results, id, Procpump, column)?;
        let theirs = figure(cases, results, id, peer, column)?;
        Some(advantage(ours, theirs, column.better))
    };
    let p99 = cases
        .iter()
        .find(|c| c.id == "latency")
        .map(|c| c.columns[0]);
    println!("## Targets (ratios of medians, measured in this run)\n");
    println!("| target | this run | verdict |\n|---|---:|---|");
    target(
        "1 child, bulk: procpump ≥ 2.5× tokio::process",
        ratio("bulk", Tokio, &GBPS),
        |r| r >= 2.5,
        "×",
    );
    target(
        "1 child, bulk: procpump ≥ 2.5× thread per pipe",
        ratio("bulk", Threads, &GBPS),
        |r| r >= 2.5,
        "×",
    );
    target(
        "1 child, bulk: procpump ≥ 8× `Command::output`",
        ratio("bulk", Output, &GBPS),
        |r| r >= 8.0,
        "×",
    );
    target(
        "1 child, bulk: procpump peak memory ≤ 16 MiB (wait4)",
        figure(cases, results, "bulk", Procpump, &RSS),
        |m| m <= 16.0,
        " MiB",
    );
    target(
        "many children: procpump wall time no worse than thread per pipe (thread wall / procpump wall ≥ 1)",
        ratio("many", Threads, &SECONDS),
        |r| r >= 1.0,
        "×",
    );
    target(
        "many children: procpump wall time no worse than tokio (tokio wall / procpump wall ≥ 1)",
        ratio("many", Tokio, &SECONDS),
        |r| r >= 1.0,
        "×",
    );
    target(
        "many children: procpump uses one thread",
        figure(cases, results, "many", Procpump, &THREADS),
        |t| t <= 1.0,
        " threads",
    );
    target(
        "latency: procpump p99 ≤ 50 µs",
        p99.and_then(|column| figure(cases, results, "latency", Procpump, &column)),
        |us| us <= 50.0,
        " µs",
    );
    println!();
}

/// Peak RSS (KiB, wait4) of `emit --stdout 64M > /dev/null`: the floor
/// under every wait4 figure of an `emit` case.
fn emit_alone(bins: &Path) -> Result<u64, String> {
    let child = Command::new(bins.join("emit"))
        .args(["--stdout", "64M"])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run emit: {e}"))?;
    let reaped = wait4(child.id())?;
    Ok(reaped.max_rss_kib)
}

/// Prints the machine facts the numbers depend on.
fn print_machine(bins: &Path) -> Result<(), String> {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("## Machine\n");
    println!("- nproc: {nproc}");
    println!("- CPU: {}", cpu_model());
    println!("- kernel: {}", proc_text("/proc/sys/kernel/osrelease"));
    println!(
        "- /proc/sys/fs/pipe-max-size: {}",
        proc_text("/proc/sys/fs/pipe-max-size")
    );
    println!("- load average at start: {}", proc_text("/proc/loadavg"));
    println!(
        "- `emit --stdout 64M > /dev/null` alone: peak RSS {:.1} MiB (wait4), the floor of the wait4 column",
        kib_to_mib(emit_alone(bins)?)
    );
    println!();
    Ok(())
}

/// Checks, measures, prints.
fn run(args: &Args) -> Result<(), String> {
    let bins = exe_dir()?;
    check_programs(&bins, &args.python)?;
    let output =
        std::env::temp_dir().join(format!("procpump-bench-peers-{}.out", std::process::id()));
    let sizes = if args.quick { QUICK } else { FULL };
    let mut cases = cases(sizes, &output);
    if !args.only.is_empty() {
        cases.retain(|case| args.only.iter().any(|id| id == case.id));
        if cases.is_empty() {
            return Err(format!("--only {:?} matches no case", args.only));
        }
    }
    let began = Instant::now();
    println!("# bench-peers\n");
    let mut command =
        String::from("cargo build --release -p procpump-benches && target/release/bench-peers");
    if args.quick {
        command.push_str(" --quick");
    }
    command.push_str(&format!(" --runs {}", args.runs));
    if !args.only.is_empty() {
        command.push_str(&format!(" --only {}", args.only.join(",")));
    }
    println!("Reproduce (from the workspace root):\n\n    {command}\n");
    print_machine(&bins)?;
    let results = run_rounds(&cases, args.runs, &bins, &args.python, &output)?;
    println!("## Results\n");
    for (case, series) in cases.iter().zip(&results) {
        print_case(case, series, args.runs);
    }
    print_targets(&cases, &results);
    println!(
        "Whole run: {:.0} s; load average at the end: {}\n",
        began.elapsed().as_secs_f64(),
        proc_text("/proc/loadavg")
    );
    Ok(())
}

/// Entry point: exit 0 with the report, 1 on a failed run, 2 on bad usage.
fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("bench-peers: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("bench-peers: error: {msg}");
            ExitCode::FAILURE
        }
    }
}
