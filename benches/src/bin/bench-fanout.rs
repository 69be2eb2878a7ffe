//! `bench-fanout [--quick] [--runs N] [--only CASE,...] [--fanout PATH]`
//!
//! Runs `fanout` and its peers (GNU parallel, `xargs -P`, rust-parallel)
//! on the same jobs, in one run, and prints markdown: the machine, the
//! command, one table per case (medians, ratios against fanout, peak
//! memory), and every run. A peer that is not installed is skipped and
//! named.
//!
//! Cases:
//! - `spawn-J` (J = 2, 16, 256): 10,000 jobs of `true` (2,000 with
//!   `--quick`), each through `sh`, the arguments on stdin;
//! - `lines`, `lines-tag`: 4 jobs each printing 1 GiB (128 MiB with
//!   `--quick`) of 17-byte lines, in line mode, to `/dev/null`; `xargs -P`
//!   lets the jobs write to `/dev/null` themselves (no copy, lines may mix):
//!   the data's own cost. rust-parallel holds each job's output whole, so it
//!   runs these only with `--quick`.
//!
//! Runs are alternated (round after round, every case, every tool) so that
//! the load of a shared machine falls on all alike. Time is wall-clock
//! from spawn to reap; memory is the tool's own peak RSS (`VmHWM`, sampled
//! from /proc every 5 ms, its children excluded).
//!
//! Build: `cargo build --release -p procpump-fanout -p procpump-benches`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use procpump_benches::measure::{cpu_model, kib_to_mib, wait4, ProcSampler};
use procpump_benches::median;

const USAGE: &str = "usage: bench-fanout [--quick] [--runs N] [--only CASE,...] [--fanout PATH]
  --quick    small sizes; default: 10,000 jobs, 4 x 1 GiB
  --runs N   rounds (default 5; 1 with --quick)
  --only     cases by id: spawn-2,spawn-16,spawn-256,lines,lines-tag
  --fanout   the fanout binary (default: beside this program)";

/// The 17-byte line the `lines` jobs print.
const LINE: &str = "0123456789abcdef";

/// A tool under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tool {
    Fanout,
    Parallel,
    Xargs,
    RustParallel,
}

impl Tool {
    fn label(self) -> &'static str {
        match self {
            Tool::Fanout => "fanout",
            Tool::Parallel => "GNU parallel",
            Tool::Xargs => "xargs -P",
            Tool::RustParallel => "rust-parallel",
        }
    }

    /// The program to look for.
    fn program(self, fanout: &Path) -> PathBuf {
        match self {
            Tool::Fanout => fanout.to_path_buf(),
            Tool::Parallel => "parallel".into(),
            Tool::Xargs => "xargs".into(),
            Tool::RustParallel => "rust-parallel".into(),
        }
    }
}

/// One case.
#[derive(Clone, Debug)]
struct Case {
    id: String,
    title: String,
    /// Per run: how many units (jobs, or bytes) for the rate.
    units: f64,
    unit: &'static str,
    tools: Vec<Tool>,
}

/// What one run of one tool on one case measured.
#[derive(Clone, Copy, Debug)]
struct Sample {
    secs: f64,
    hwm_kib: u64,
}

struct Settings {
    quick: bool,
    runs: usize,
    only: Option<Vec<String>>,
    fanout: PathBuf,
}

fn main() -> ExitCode {
    let settings = match parse(std::env::args().skip(1)) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("bench-fanout: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match bench(&settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench-fanout: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: impl Iterator<Item = String>) -> Result<Settings, String> {
    let here = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut settings = Settings {
        quick: false,
        runs: 0,
        only: None,
        fanout: here.with_file_name("fanout"),
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--quick" => settings.quick = true,
            "--runs" => settings.runs = value()?.parse().map_err(|_| "bad --runs")?,
            "--only" => settings.only = Some(value()?.split(',').map(String::from).collect()),
            "--fanout" => settings.fanout = value()?.into(),
            _ => return Err(format!("unknown argument {arg}")),
        }
    }
    if settings.runs == 0 {
        settings.runs = if settings.quick { 1 } else { 5 };
    }
    Ok(settings)
}

fn installed(program: &Path) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn cases(settings: &Settings) -> Vec<Case> {
    let jobs = if settings.quick { 2_000 } else { 10_000 };
    let bytes = if settings.quick { 128 << 20 } else { 1 << 30 };
    let all = [
        Tool::Fanout,
        Tool::Parallel,
        Tool::Xargs,
        Tool::RustParallel,
    ];
    let mut cases = Vec::new();
    for j in [2, 16, 256] {
        cases.push(Case {
            id: format!("spawn-{j}"),
            title: format!("{jobs} jobs of `true` through `sh`, -j {j}"),
            units: f64::from(jobs),
            unit: "jobs/s",
            tools: all.to_vec(),
        });
    }
    let line_tools: Vec<Tool> = all
        .into_iter()
        .filter(|&t| t != Tool::RustParallel || settings.quick)
        .collect();
    for (id, tagged) in [("lines", ""), ("lines-tag", ", tagged")] {
        cases.push(Case {
            id: id.into(),
            title: format!(
                "4 jobs x {} MiB of 17-byte lines{tagged}, line mode, to /dev/null",
                bytes >> 20
            ),
            units: 4.0 * bytes as f64,
            unit: "GB/s",
            tools: line_tools
                .iter()
                .copied()
                .filter(|&t| tagged.is_empty() || t != Tool::Xargs)
                .collect(),
        });
    }
    if let Some(only) = &settings.only {
        cases.retain(|case| only.contains(&case.id));
    }
    cases
}

/// The command line of `tool` on `case`, and its stdin.
fn command(tool: Tool, case: &Case, settings: &Settings, input: &Path) -> (Command, Stdio) {
    let mut command = Command::new(tool.program(&settings.fanout));
    let stdin = |path: &Path| Stdio::from(File::open(path).expect("the input file"));
    if let Some(j) = case.id.strip_prefix("spawn-") {
        match tool {
            Tool::Fanout => command.args(["-j", j, "--no-summary", "true"]),
            Tool::Parallel => command.args(["--will-cite", "-j", j, "true"]),
            Tool::Xargs => command.args(["-P", j, "-n", "1", "sh", "-c", "true"]),
            Tool::RustParallel => command.args(["-j", j, "-s", "--shell-path", "sh", "true"]),
        };
        return (command, stdin(input));
    }
    let bytes = (case.units / 4.0) as u64;
    let job = format!("yes {LINE} | head -c {bytes}");
    let tag = case.id == "lines-tag";
    match tool {
        Tool::Fanout => {
            command.args(["-j", "4", "--no-summary"]);
            if tag {
                command.arg("--tag");
            }
            command.args([format!("{job} # {{}}").as_str(), ":::", "1", "2", "3", "4"]);
        }
        Tool::Parallel => {
            command.args(["--will-cite", "-j", "4", "--line-buffer"]);
            if tag {
                command.arg("--tag");
            }
            command.args([format!("{job} # {{}}").as_str(), ":::", "1", "2", "3", "4"]);
        }
        Tool::Xargs => {
            command.args(["-P", "4", "-n", "1", "sh", "-c", &job, "sh"]);
            return (command, Stdio::from(four_lines()));
        }
        Tool::RustParallel => {
            command.args(["-j", "4", "-s", "--shell-path", "sh", ":::"]);
            command.args([&job, &job, &job, &job]);
        }
    }
    (command, Stdio::null())
}

/// A file of four lines, for `xargs` in the `lines` cases.
fn four_lines() -> File {
    let path = std::env::temp_dir().join(format!("bench-fanout-4-{}", std::process::id()));
    std::fs::write(&path, "1\n2\n3\n4\n").expect("write the input");
    let file = File::open(&path).expect("open the input");
    let _ = std::fs::remove_file(&path);
    file
}

/// Runs `command` to the end, its stdout to /dev/null; its time and peak.
fn measure(mut command: Command, stdin: Stdio) -> Result<Sample, String> {
    let began = Instant::now();
    let child = command
        .stdin(stdin)
        .stdout(File::create("/dev/null").map_err(|e| e.to_string())?)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{command:?}: {e}"))?;
    let sampler = ProcSampler::start(child.id(), Duration::from_millis(5))?;
    let reaped = wait4(child.id())?;
    let secs = began.elapsed().as_secs_f64();
    let peak = sampler.finish();
    if !reaped.success() {
        return Err(format!("{command:?}: {}", reaped.describe()));
    }
    Ok(Sample {
        secs,
        hwm_kib: peak.hwm_kib,
    })
}

fn bench(settings: &Settings) -> Result<(), String> {
    let cases = cases(settings);
    let jobs = if settings.quick { 2_000 } else { 10_000 };
    let input = std::env::temp_dir().join(format!("bench-fanout-{}", std::process::id()));
    let mut file = File::create(&input).map_err(|e| e.to_string())?;
    for n in 0..jobs {
        writeln!(file, "{n}").map_err(|e| e.to_string())?;
    }
    let mut missing = Vec::new();
    let mut samples: BTreeMap<(String, Tool), Vec<Sample>> = BTreeMap::new();
    for round in 0..settings.runs {
        for case in &cases {
            for &tool in &case.tools {
                if !installed(&tool.program(&settings.fanout)) {
                    if !missing.contains(&tool) {
                        missing.push(tool);
                    }
                    continue;
                }
                eprintln!("round {}: {} {}", round + 1, case.id, tool.label());
                let (command, stdin) = command(tool, case, settings, &input);
                let sample = measure(command, stdin)?;
                samples
                    .entry((case.id.clone(), tool))
                    .or_default()
                    .push(sample);
            }
        }
    }
    let _ = std::fs::remove_file(&input);
    report(settings, &cases, &samples, &missing);
    Ok(())
}

fn report(
    settings: &Settings,
    cases: &[Case],
    samples: &BTreeMap<(String, Tool), Vec<Sample>>,
    missing: &[Tool],
) {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("Machine: {} ({cpus} CPUs)", cpu_model());
    let quick = if settings.quick { " --quick" } else { "" };
    println!(
        "Command: `bench-fanout{quick} --runs {}`; medians of {} runs\n",
        settings.runs, settings.runs
    );
    for tool in missing {
        println!("Not installed, skipped: {}\n", tool.label());
    }
    for case in cases {
        println!("#### {} (`{}`)\n", case.title, case.id);
        println!(
            "| tool | time (s) | {} | time / fanout's | peak RSS (MiB) | runs (s) |",
            case.unit
        );
        println!("|---|---|---|---|---|---|");
        let time = |tool| {
            samples
                .get(&(case.id.clone(), tool))
                .and_then(|s| median(&s.iter().map(|s| s.secs).collect::<Vec<_>>()))
        };
        let fanout = time(Tool::Fanout);
        for &tool in &case.tools {
            let Some(runs) = samples.get(&(case.id.clone(), tool)) else {
                continue;
            };
            let secs = time(tool).unwrap_or(f64::NAN);
            let rate = if case.unit == "GB/s" {
                case.units / secs / 1e9
            } else {
                case.units / secs
            };
            let ratio = fanout.map_or(String::from("-"), |f| format!("{:.2}x", secs / f));
            let hwm = runs.iter().map(|s| s.hwm_kib).max().unwrap_or(0);
            let all: Vec<String> = runs.iter().map(|s| format!("{:.2}", s.secs)).collect();
            println!(
                "| {} | {secs:.2} | {rate:.2} | {ratio} | {:.1} | {} |",
                tool.label(),
                kib_to_mib(hwm),
                all.join(" ")
            );
        }
        println!();
    }
}
