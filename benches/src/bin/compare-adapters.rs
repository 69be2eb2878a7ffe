//! `compare-adapters [--lines-size 1G] [--width 80] [--file-size 2G] [--runs 5] [--emit PATH] [--dir DIR]`
//!
//! Measures two procpump adapters against the classic tool reading the
//! same pipe, side by side in one run, alternating (so drift hits all):
//!
//! - `Lines` (counting lines) against `wc -l`, on `emit --stdout SIZE
//!   --line-len WIDTH` (lines of WIDTH bytes), with procpump's `Discard`
//!   (the reactor alone) as the ceiling any sink can reach;
//! - `FileSink` (splice, and read+write) against `cat > file`, on
//!   `emit --stdout SIZE`, writing a file in DIR (default: the temp dir),
//!   deleted after each run.
//!
//! Each run is timed here, from spawning the child to the end of the last
//! process, and checked (line count, file size). Prints the runs, a
//! markdown table of medians per comparison with the ratio of medians, and
//! the command that reproduces the run.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

use procpump::{Discard, Flow, Job, Reactor, Stream};
use procpump_adapters::{FileSink, Line, Lines, StatefulLines};
use procpump_benches::{median, min_max, parse_size, shell_quote};

/// Usage text shown on a command-line error.
const USAGE: &str = "usage: compare-adapters [--lines-size 1G] [--width 80] [--file-size 2G] [--runs 5] [--emit PATH] [--dir DIR]
  --lines-size  bytes of WIDTH-byte lines for Lines vs wc -l (default 1G)
  --width       line width, newline included (default 80)
  --file-size   bytes for FileSink vs cat > file (default 2G)
  --runs        rounds; each runs every contender once (default 5)
  --emit        the child program (default <exe dir>/emit)
  --dir         where the files are written (default: the temp dir)
build: cargo build --release -p procpump-benches";

/// Bytes per GB in the reported GB/s.
const GB: f64 = 1e9;

/// The parsed command line.
#[derive(Debug)]
struct Args {
    /// Each option as typed, for the reproduce line.
    texts: Vec<(String, String)>,
    lines_size: u64,
    width: u64,
    file_size: u64,
    runs: usize,
    emit: PathBuf,
    dir: PathBuf,
}

/// Parses the command line.
fn parse_args() -> Result<Args, String> {
    let mut texts: Vec<(String, String)> = [
        ("--lines-size", "1G"),
        ("--width", "80"),
        ("--file-size", "2G"),
        ("--runs", "5"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate own executable: {e}"))?;
    let dir_of_exe = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    texts.push((
        "--emit".into(),
        dir_of_exe.join("emit").display().to_string(),
    ));
    texts.push(("--dir".into(), std::env::temp_dir().display().to_string()));
    let mut argv = std::env::args().skip(1);
    while let Some(flag) = argv.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let slot = texts
            .iter_mut()
            .find(|(key, _)| *key == flag)
            .ok_or_else(|| format!("unknown option {flag:?}"))?;
        slot.1 = value;
    }
    let text = |key: &str| texts.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let text = |key: &str| text(key).unwrap_or_default();
    let runs = text("--runs")
        .parse()
        .ok()
        .filter(|&n: &usize| n > 0)
        .ok_or("--runs: expected a positive integer")?;
    let width = parse_size(&text("--width"))?;
    if width == 0 {
        return Err("--width must be at least 1".into());
    }
    Ok(Args {
        lines_size: parse_size(&text("--lines-size"))?,
        width,
        file_size: parse_size(&text("--file-size"))?,
        runs,
        emit: PathBuf::from(text("--emit")),
        dir: PathBuf::from(text("--dir")),
        texts,
    })
}

/// One timed run: bytes moved and seconds taken.
#[derive(Debug, Clone, Copy)]
struct Sample {
    bytes: u64,
    seconds: f64,
}

impl Sample {
    fn gbps(self) -> f64 {
        self.bytes as f64 / self.seconds / GB
    }
}

/// A contender and its samples.
struct Contender {
    label: &'static str,
    samples: Vec<Sample>,
}

impl Contender {
    fn new(label: &'static str) -> Contender {
        Contender {
            label,
            samples: Vec::new(),
        }
    }

    fn values(&self, f: impl Fn(Sample) -> f64) -> Vec<f64> {
        self.samples.iter().copied().map(f).collect()
    }

    fn median_gbps(&self) -> f64 {
        median(&self.values(Sample::gbps)).unwrap_or(f64::NAN)
    }

    fn row(&self) -> String {
        let (lo, hi) = min_max(&self.values(Sample::gbps)).unwrap_or((f64::NAN, f64::NAN));
        let seconds = median(&self.values(|s| s.seconds)).unwrap_or(f64::NAN);
        format!(
            "| {} | {:.2} | {lo:.2} – {hi:.2} | {seconds:.3} |",
            self.label,
            self.median_gbps()
        )
    }
}

/// `emit --stdout SIZE [--line-len WIDTH]`.
fn emit(args: &Args, size: u64, width: Option<u64>) -> Command {
    let mut emit = Command::new(&args.emit);
    emit.arg("--stdout").arg(size.to_string());
    if let Some(width) = width {
        emit.arg("--line-len").arg(width.to_string());
    }
    emit.stdin(Stdio::null());
    emit
}

/// Spawns `emit` with its stdout piped into a second program `then`,
/// whose stdout is `out`; waits for both. Returns `then`'s output (if
/// piped) and the seconds taken.
fn pipeline(mut first: Command, mut then: Command, out: Stdio) -> Result<(String, f64), String> {
    let start = Instant::now();
    let mut producer = first
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot spawn {first:?}: {e}"))?;
    let pipe = producer.stdout.take().ok_or("no pipe")?;
    let consumer = then.stdin(pipe).stdout(out).spawn();
    let mut consumer = match consumer {
        Ok(child) => child,
        Err(e) => {
            let _ = producer.kill();
            let _ = producer.wait();
            return Err(format!("cannot spawn {then:?}: {e}"));
        }
    };
    let mut text = String::new();
    if let Some(mut stdout) = consumer.stdout.take() {
        stdout
            .read_to_string(&mut text)
            .map_err(|e| format!("reading {then:?}: {e}"))?;
    }
    succeed(&mut consumer, &then)?;
    succeed(&mut producer, &first)?;
    Ok((text, start.elapsed().as_secs_f64()))
}

/// Waits for `child` and checks that it exited 0.
fn succeed(child: &mut Child, command: &Command) -> Result<(), String> {
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed: {status}"))
    }
}

/// `emit | wc -l`.
fn run_wc(args: &Args) -> Result<Sample, String> {
    let mut wc = Command::new("wc");
    wc.arg("-l");
    let (text, seconds) = pipeline(
        emit(args, args.lines_size, Some(args.width)),
        wc,
        Stdio::piped(),
    )?;
    let count: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("wc -l printed {text:?}"))?;
    // `wc -l` counts newlines: a last, cut line has none.
    check_lines(count, args.lines_size / args.width)?;
    Ok(Sample {
        bytes: args.lines_size,
        seconds,
    })
}

/// `emit` into procpump's `Lines`, counting lines.
fn run_lines(args: &Args) -> Result<Sample, String> {
    let start = Instant::now();
    let mut reactor = Reactor::new().map_err(|e| e.to_string())?;
    let count = Lines::with_state(0u64, |count: &mut u64, _line: Line<'_>| {
        *count += 1;
        Flow::Continue
    });
    let job = Job::new(emit(args, args.lines_size, Some(args.width))).stdout(count);
    reactor.spawn(job);
    let mut report = reactor.run().map_err(|e| e.to_string())?.remove(0);
    let seconds = start.elapsed().as_secs_f64();
    if !report.success() {
        return Err(format!("emit into Lines failed: {report:?}"));
    }
    let lines: StatefulLines<u64> = report
        .take_sink(Stream::Stdout)
        .ok_or("no Lines sink in the report")?;
    let count = lines.into_handler().into_state();
    check_lines(count, args.lines_size.div_ceil(args.width))?;
    Ok(Sample {
        bytes: args.lines_size,
        seconds,
    })
}

/// `emit` into procpump's `Discard`: the reactor alone, the ceiling for
/// any sink on this pipe.
fn run_discard(args: &Args) -> Result<Sample, String> {
    let start = Instant::now();
    let mut reactor = Reactor::new().map_err(|e| e.to_string())?;
    let job = Job::new(emit(args, args.lines_size, Some(args.width))).stdout(Discard);
    reactor.spawn(job);
    let report = reactor.run().map_err(|e| e.to_string())?.remove(0);
    let seconds = start.elapsed().as_secs_f64();
    if !report.success() || report.stdout().map(|out| out.bytes()) != Some(args.lines_size) {
        return Err(format!("emit into Discard failed: {report:?}"));
    }
    Ok(Sample {
        bytes: args.lines_size,
        seconds,
    })
}

fn check_lines(count: u64, expected: u64) -> Result<(), String> {
    if count == expected {
        Ok(())
    } else {
        Err(format!("LINE COUNT MISMATCH: {count}, expected {expected}"))
    }
}

/// The file the file contenders write, unique to this process.
fn file_path(args: &Args) -> PathBuf {
    args.dir
        .join(format!("compare-adapters-{}.out", std::process::id()))
}

/// `emit | cat > file`.
fn run_cat(args: &Args) -> Result<Sample, String> {
    let path = file_path(args);
    let file = File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let (_, seconds) = pipeline(
        emit(args, args.file_size, None),
        Command::new("cat"),
        Stdio::from(file),
    )?;
    check_file(args, &path)?;
    Ok(Sample {
        bytes: args.file_size,
        seconds,
    })
}

/// `emit` into procpump's `FileSink`, spliced or copied.
fn run_file_sink(args: &Args, zero_copy: bool) -> Result<Sample, String> {
    let path = file_path(args);
    let start = Instant::now();
    let sink = FileSink::create(&path)
        .map_err(|e| e.to_string())?
        .zero_copy(zero_copy);
    let mut reactor = Reactor::new().map_err(|e| e.to_string())?;
    reactor.spawn(Job::new(emit(args, args.file_size, None)).stdout(sink));
    let mut report = reactor.run().map_err(|e| e.to_string())?.remove(0);
    let sink: FileSink = report
        .take_sink(Stream::Stdout)
        .ok_or("no FileSink in the report")?;
    drop(sink);
    let seconds = start.elapsed().as_secs_f64();
    if !report.success() {
        return Err(format!("emit into FileSink failed: {report:?}"));
    }
    check_file(args, &path)?;
    Ok(Sample {
        bytes: args.file_size,
        seconds,
    })
}

/// Checks the file's size, then deletes it.
fn check_file(args: &Args, path: &Path) -> Result<(), String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    std::fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    if len == args.file_size {
        Ok(())
    } else {
        Err(format!(
            "FILE SIZE MISMATCH: {len}, expected {}",
            args.file_size
        ))
    }
}

/// A comparison: its title, the peer first, then the adapters.
type Runner = fn(&Args) -> Result<Sample, String>;

fn file_splice(args: &Args) -> Result<Sample, String> {
    run_file_sink(args, true)
}

fn file_copy(args: &Args) -> Result<Sample, String> {
    run_file_sink(args, false)
}

/// Runs the rounds of one comparison, printing each run.
fn compare(args: &Args, contenders: &mut [(Contender, Runner)]) -> Result<(), String> {
    for round in 1..=args.runs {
        for (contender, run) in contenders.iter_mut() {
            let sample = run(args)?;
            println!(
                "- run {round}/{} {}: {:.2} GB/s ({:.3} s)",
                args.runs,
                contender.label,
                sample.gbps(),
                sample.seconds
            );
            contender.samples.push(sample);
        }
    }
    println!();
    Ok(())
}

/// Prints a comparison's table and ratios against its first row.
fn table(title: &str, contenders: &[(Contender, Runner)]) {
    println!("## {title}\n");
    println!("| reader | median GB/s | min – max GB/s | median s |");
    println!("|---|---:|---:|---:|");
    for (contender, _) in contenders {
        println!("{}", contender.row());
    }
    println!();
    let peer = &contenders[0].0;
    for (contender, _) in &contenders[1..] {
        println!(
            "- {} / {}: {:.2}x (ratio of median throughputs)",
            contender.label,
            peer.label,
            contender.median_gbps() / peer.median_gbps()
        );
    }
    println!();
}

/// The command line that reproduces this run.
fn reproduce_line(args: &Args) -> String {
    let exe = std::env::current_exe().unwrap_or_else(|_| "compare-adapters".into());
    let mut parts = vec![shell_quote(exe.as_os_str())];
    for (key, value) in &args.texts {
        parts.push(key.clone());
        parts.push(shell_quote(value.as_ref()));
    }
    parts.join(" ")
}

fn run(args: &Args) -> Result<(), String> {
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("# procpump adapters against their peers\n");
    println!("- nproc: {nproc}; files in {}\n", args.dir.display());
    println!("## Runs\n");
    let mut lines: Vec<(Contender, Runner)> = vec![
        (Contender::new("`wc -l`"), run_wc),
        (Contender::new("procpump `Lines`"), run_lines),
        (
            Contender::new("procpump `Discard` (no sink work)"),
            run_discard,
        ),
    ];
    compare(args, &mut lines)?;
    let mut files: Vec<(Contender, Runner)> = vec![
        (Contender::new("`cat > file`"), run_cat),
        (Contender::new("`FileSink` (splice)"), file_splice),
        (Contender::new("`FileSink` (read+write)"), file_copy),
    ];
    compare(args, &mut files)?;
    let title = format!(
        "Lines: `emit --stdout {} --line-len {}` ({} runs each, alternating)",
        args.lines_size, args.width, args.runs
    );
    table(&title, &lines);
    let title = format!(
        "Files: `emit --stdout {}` into a file ({} runs each, alternating)",
        args.file_size, args.runs
    );
    table(&title, &files);
    println!("GB/s = bytes / seconds from spawning the child to the end of the last process; GB = 10^9 bytes.\n");
    println!("Reproduce:\n\n```\n{}\n```", reproduce_line(args));
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("compare-adapters: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("compare-adapters: {message}");
            ExitCode::FAILURE
        }
    }
}
