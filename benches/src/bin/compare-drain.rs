//! `compare-drain [--size 4G] [--runs 5] [--drain PATH] [--baseline PATH] [--emit PATH]`
//!
//! Measures procpump's `drain` example against the thread-per-pipe baseline
//! `drain-threads`, side by side in one run: each round runs the baseline
//! then `drain` (ABAB…, so drift hits both) on the child `emit --stdout SIZE`.
//! Every measured program is spawned here and reaped with `wait4` for its
//! peak RSS (which on Linux folds in, by max, the `emit` it reaped), and its
//! own peak is also sampled from /proc/PID/status `VmHWM` while it runs; the
//! throughput comes from the `seconds=` it prints itself.
//! At the end it prints a markdown table of medians and the ratio of medians.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use procpump_benches::measure::{cpu_model, kib_to_mib, proc_text, run_sampled, wait4};
use procpump_benches::{median, min_max, parse_size, shell_quote, DrainReport};

/// Usage text shown on a command-line error.
const USAGE: &str = "usage: compare-drain [--size 4G] [--runs 5] [--drain PATH] [--baseline PATH] [--emit PATH]
  --size      bytes emit writes to stdout per run (K/M/G = powers of 1024; default 4G)
  --runs      rounds; each round runs the baseline, then drain (default 5)
  --drain     procpump's drain example  (default <exe dir>/examples/drain)
  --baseline  the thread-per-pipe reader (default <exe dir>/drain-threads)
  --emit      the child program          (default <exe dir>/emit)
build: cargo build --release -p procpump-benches && cargo build --release -p procpump --example drain";

/// Bytes per GB in the reported GB/s (decimal, like every throughput figure).
const GB: f64 = 1e9;

/// How often the reader's own `VmHWM` is sampled from /proc.
const HWM_INTERVAL: Duration = Duration::from_millis(5);

/// The parsed command line, with default paths filled in.
#[derive(Debug)]
struct Args {
    /// `--size` as typed, for the reproduce line.
    size_text: String,
    /// `--size` in bytes.
    size: u64,
    /// Number of rounds.
    runs: usize,
    /// procpump's drain example.
    drain: PathBuf,
    /// The thread-per-pipe baseline.
    baseline: PathBuf,
    /// The child program.
    emit: PathBuf,
}

/// Parses the command line; paths left out default to the directory of
/// this executable.
fn parse_args() -> Result<Args, String> {
    let (mut size_text, mut runs_text) = ("4G".to_owned(), "5".to_owned());
    let (mut drain, mut baseline, mut emit) = (None, None, None);
    let mut argv = std::env::args_os().skip(1);
    while let Some(flag) = argv.next() {
        let flag = flag.to_string_lossy().into_owned();
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--size" => size_text = value.to_string_lossy().into_owned(),
            "--runs" => runs_text = value.to_string_lossy().into_owned(),
            "--drain" => drain = Some(PathBuf::from(value)),
            "--baseline" => baseline = Some(PathBuf::from(value)),
            "--emit" => emit = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag:?}")),
        }
    }
    let runs = runs_text
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("--runs {runs_text:?}: expected a positive integer"))?;
    let size = parse_size(&size_text)?;
    let dir = exe_dir()?;
    Ok(Args {
        size_text,
        size,
        runs,
        drain: drain.unwrap_or_else(|| dir.join("examples").join("drain")),
        baseline: baseline.unwrap_or_else(|| dir.join("drain-threads")),
        emit: emit.unwrap_or_else(|| dir.join("emit")),
    })
}

/// The directory holding this executable.
fn exe_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate own executable: {e}"))?;
    exe.parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("own executable {} has no directory", exe.display()))
}

/// Checks that `path` is an executable file and returns it made absolute.
fn check_program(role: &str, path: &Path, hint: &str) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let missing = |why: String| format!("{role} program {}: {why}\n  {hint}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| missing(e.to_string()))?;
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return Err(missing("not an executable file".to_owned()));
    }
    std::fs::canonicalize(path).map_err(|e| missing(e.to_string()))
}

/// One measured run of one reader.
#[derive(Debug, Clone)]
struct Sample {
    /// What the reader printed.
    report: DrainReport,
    /// `ru_maxrss` from `wait4`, in KiB: max of the reader and the `emit`
    /// it reaped.
    max_rss_kib: u64,
    /// The reader's own `VmHWM` in KiB, last value sampled before it exited.
    own_hwm_kib: u64,
}

impl Sample {
    /// Throughput in GB/s from the reader's own `seconds=`.
    fn gbps(&self) -> f64 {
        self.report.stdout_bytes as f64 / self.report.seconds / GB
    }

    /// Peak RSS from `wait4` in MiB.
    fn rss_mib(&self) -> f64 {
        kib_to_mib(self.max_rss_kib)
    }

    /// The reader's own sampled peak RSS in MiB.
    fn own_mib(&self) -> f64 {
        kib_to_mib(self.own_hwm_kib)
    }
}

/// Runs `reader -- emit --stdout SIZE` once, reaps it, and validates its line.
fn measure(reader: &Path, emit: &Path, size: u64) -> Result<Sample, String> {
    let command = format!("{} -- {} --stdout {size}", reader.display(), emit.display());
    let fail = |why: String| format!("run failed: `{command}`: {why}");
    let measured = run_sampled(
        Command::new(reader)
            .arg("--")
            .arg(emit)
            .arg("--stdout")
            .arg(size.to_string()),
        &command,
        HWM_INTERVAL,
    )?;
    let report = parse_output(&measured.output).map_err(&fail)?;
    validate(&report, size).map_err(&fail)?;
    Ok(Sample {
        report,
        max_rss_kib: measured.reaped.max_rss_kib,
        own_hwm_kib: measured.peak.hwm_kib,
    })
}

/// Peak RSS (KiB, from `wait4`) of `emit --stdout SIZE` alone into
/// /dev/null: the floor under the readers' `wait4` figures.
fn measure_emit_alone(emit: &Path, size: u64) -> Result<u64, String> {
    let command = format!("{} --stdout {size} > /dev/null", emit.display());
    let fail = |why: String| format!("run failed: `{command}`: {why}");
    let child = Command::new(emit)
        .arg("--stdout")
        .arg(size.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| fail(format!("cannot spawn: {e}")))?;
    let reaped = wait4(child.id()).map_err(&fail)?;
    if !reaped.success() {
        return Err(fail(reaped.describe()));
    }
    Ok(reaped.max_rss_kib)
}

/// Parses output that must be exactly one report line.
fn parse_output(output: &str) -> Result<DrainReport, String> {
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    match lines.as_slice() {
        [line] => DrainReport::parse(line),
        _ => Err(format!("expected exactly one report line, got {output:?}")),
    }
}

/// Checks the report against what `emit` was told to write.
fn validate(report: &DrainReport, size: u64) -> Result<(), String> {
    if report.stdout_bytes != size {
        return Err(format!(
            "BYTE COUNT MISMATCH: stdout_bytes={} but emit wrote {size} ({report})",
            report.stdout_bytes
        ));
    }
    if report.stderr_bytes != 0 || !report.status.is_success() {
        return Err(format!("unexpected stderr bytes or child status: {report}"));
    }
    if !report.seconds.is_finite() || report.seconds <= 0.0 {
        return Err(format!("seconds is not a positive number: {report}"));
    }
    Ok(())
}

/// A reader under test and its samples.
#[derive(Debug)]
struct Reader {
    /// Row label in the table.
    label: String,
    /// Its executable.
    path: PathBuf,
    /// One sample per round.
    samples: Vec<Sample>,
}

impl Reader {
    /// Median GB/s.
    fn median_gbps(&self) -> f64 {
        median(&self.values(Sample::gbps)).unwrap_or(f64::NAN)
    }

    /// Median peak RSS in MiB.
    fn median_rss(&self) -> f64 {
        median(&self.values(Sample::rss_mib)).unwrap_or(f64::NAN)
    }

    /// Median own sampled peak RSS in MiB.
    fn median_own(&self) -> f64 {
        median(&self.values(Sample::own_mib)).unwrap_or(f64::NAN)
    }

    /// One value per sample.
    fn values(&self, f: impl Fn(&Sample) -> f64) -> Vec<f64> {
        self.samples.iter().map(f).collect()
    }

    /// The markdown table row.
    fn row(&self) -> String {
        let (lo, hi) = min_max(&self.values(Sample::gbps)).unwrap_or((f64::NAN, f64::NAN));
        format!(
            "| {} | {:.2} | {lo:.2} – {hi:.2} | {:.2} | {:.2} |",
            self.label,
            self.median_gbps(),
            self.median_rss(),
            self.median_own()
        )
    }
}

/// Prints the machine facts the numbers depend on.
fn print_machine() {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("## Machine\n");
    println!("- nproc: {nproc}");
    println!("- cpu: {}", cpu_model());
    println!(
        "- kernel (uname -r): {}",
        proc_text("/proc/sys/kernel/osrelease")
    );
    println!(
        "- /proc/sys/fs/pipe-max-size: {}",
        proc_text("/proc/sys/fs/pipe-max-size")
    );
    println!();
}

/// The command line that reproduces this run, every path spelled out.
fn reproduce_line(args: &Args) -> String {
    let exe = std::env::current_exe().unwrap_or_else(|_| "compare-drain".into());
    let parts = [
        exe.as_os_str(),
        "--size".as_ref(),
        args.size_text.as_ref(),
        "--runs".as_ref(),
        args.runs.to_string().as_ref(),
        "--drain".as_ref(),
        args.drain.as_os_str(),
        "--baseline".as_ref(),
        args.baseline.as_os_str(),
        "--emit".as_ref(),
        args.emit.as_os_str(),
    ]
    .map(shell_quote);
    parts.join(" ")
}

/// Runs the rounds, printing each measurement as it lands.
fn run_rounds(
    readers: &mut [Reader; 2],
    emit: &Path,
    size: u64,
    runs: usize,
) -> Result<(), String> {
    println!("## Runs\n");
    for round in 1..=runs {
        for reader in readers.iter_mut() {
            let sample = measure(&reader.path, emit, size)?;
            println!(
                "- run {round}/{runs} {}: {:.2} GB/s ({:.3} s), peak RSS {:.2} MiB (wait4), own {:.2} MiB (VmHWM)",
                reader.label,
                sample.gbps(),
                sample.report.seconds,
                sample.rss_mib(),
                sample.own_mib()
            );
            reader.samples.push(sample);
        }
    }
    println!();
    Ok(())
}

/// Prints the summary table and the ratio of medians.
fn print_table(baseline: &Reader, drain: &Reader, args: &Args, emit_kib: u64) {
    println!(
        "## Result: `emit --stdout {}` ({} bytes), {} runs each, alternating\n",
        args.size_text, args.size, args.runs
    );
    println!("| reader | median GB/s | min – max GB/s | median peak RSS MiB (wait4) | median own peak RSS MiB (VmHWM) |");
    println!("|---|---:|---:|---:|---:|");
    println!("{}", baseline.row());
    println!("{}", drain.row());
    println!();
    println!(
        "Ratio of medians (drain / baseline): throughput {:.2}x, peak RSS (wait4) {:.2}x, own peak RSS (VmHWM) {:.2}x",
        drain.median_gbps() / baseline.median_gbps(),
        drain.median_rss() / baseline.median_rss(),
        drain.median_own() / baseline.median_own()
    );
    println!();
    print_notes(args, emit_kib);
}

/// Prints how each column was measured.
fn print_notes(args: &Args, emit_kib: u64) {
    let notes = [
        "- GB/s = stdout bytes / the reader's own printed `seconds` (spawn to end); GB = 10^9 bytes.".to_owned(),
        "- Peak RSS (wait4) = `ru_maxrss` from `wait4` on the reader, which this harness spawned and reaped.".to_owned(),
        "  The `emit` grandchild's memory is not added in, but Linux reports the MAX of the reader and the".to_owned(),
        "  children it reaped, so this column is at least that run's emit peak. For scale, emit alone".to_owned(),
        format!(
            "  (`emit --stdout {}` into /dev/null, same wait4) peaked at {:.2} MiB in this session.",
            args.size_text,
            kib_to_mib(emit_kib)
        ),
        "  A reader leaner than emit shows emit's figure there: compare readers with the VmHWM column.".to_owned(),
        "- Own peak RSS (VmHWM) = the reader process alone: `VmHWM` from /proc/PID/status, sampled".to_owned(),
        format!(
            "  every {} ms while it runs (a high-water mark: only growth in its last few ms can be missed).",
            HWM_INTERVAL.as_millis()
        ),
    ];
    for note in notes {
        println!("{note}");
    }
}

/// Checks that the three programs exist and makes their paths absolute,
/// so the reproduce line works from any directory.
fn check_programs(mut args: Args) -> Result<Args, String> {
    let hint_bench = "build it with: cargo build --release -p procpump-benches";
    let hint_drain =
        "build it with: cargo build --release -p procpump --example drain (or pass --drain PATH)";
    args.emit = check_program("emit", &args.emit, hint_bench)?;
    args.baseline = check_program("baseline", &args.baseline, hint_bench)?;
    args.drain = check_program("drain", &args.drain, hint_drain)?;
    Ok(args)
}

/// A reader with no samples yet, labelled `role (file name)`.
fn reader(role: &str, path: &Path) -> Reader {
    let name = path.file_name().unwrap_or(path.as_os_str());
    Reader {
        label: format!("{role} (`{}`)", name.to_string_lossy()),
        path: path.to_path_buf(),
        samples: Vec::new(),
    }
}

/// Checks the programs, measures and reports.
fn run(args: Args) -> Result<(), String> {
    let args = check_programs(args)?;
    let mut readers = [
        reader("baseline, thread per pipe", &args.baseline),
        reader("procpump drain", &args.drain),
    ];
    println!("# compare-drain\n");
    println!("Reproduce:\n\n    {}\n", reproduce_line(&args));
    print_machine();
    let emit_kib = measure_emit_alone(&args.emit, args.size)?;
    run_rounds(&mut readers, &args.emit, args.size, args.runs)?;
    print_table(&readers[0], &readers[1], &args, emit_kib);
    Ok(())
}

/// Entry point: exit 0 with the report, 1 on a failed run, 2 on bad usage.
fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("compare-drain: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("compare-drain: error: {msg}");
            ExitCode::FAILURE
        }
    }
}
