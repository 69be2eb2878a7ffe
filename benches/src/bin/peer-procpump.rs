//! `peer-procpump SCENARIO [options] -- PROGRAM [ARGS...]`: procpump, as
//! measured by `bench-peers`.
//!
//! One [`Reactor`] with the default [`Options`], driven by `run()` on this
//! process's main thread (so the reactor is the main thread), the child's
//! stdin null unless the scenario feeds it.
//!
//! - `bulk`: stdout and stderr into [`Discard`].
//! - `duplex`: `--stdin N` filler bytes fed from a [`Source`] (no buffer of
//!   N bytes anywhere), stdout and stderr into [`Discard`].
//! - `many`: `--children N` jobs queued at once, all into [`Discard`].
//! - `latency`: stdout into a sink that stamps each line on arrival.
//! - `lines`: stdout through `procpump_adapters::Lines`, counting lines.
//! - `stall`: stdout into a bounded channel (4 chunks) whose one consumer
//!   takes a chunk, sleeps `--stall-ms`, then drains the rest; the reactor's
//!   CPU during the sleep is the figure.
//! - `file`: stdout into `procpump_adapters::FileSink` at `--output`.
//!
//! Prints one `key=value` line (see `procpump_benches::peer`).
//!
//! For profiling only (`bench-peers` never sets them), the environment
//! variables `PEER_PROCPUMP_READ_SIZE` and `PEER_PROCPUMP_PIPE_SIZE` (bytes,
//! K/M suffixes) override [`Options::read_size`] and [`Options::pipe_size`].

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io;
use std::process::{ExitCode, Stdio};
use std::thread;
use std::time::Instant;

use procpump::{Discard, Fill, Flow, Input, Job, Options, Reactor, Report, Sink, Source, Stream};
use procpump_adapters::{FileSink, Line, Lines, StatefulLines};
use procpump_benches::latency::Recorder;
use procpump_benches::parse_size;
use procpump_benches::peer::{self, PeerArgs, Record, RunError, Scenario, StallProbe, FILLER};

/// Filler bytes for a child's stdin, produced as they are asked for.
#[derive(Debug)]
struct FillerSource {
    /// Bytes still to give.
    left: u64,
}

impl Source for FillerSource {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<Fill> {
        if self.left == 0 {
            return Ok(Fill::End);
        }
        let n = usize::try_from(self.left).map_or(buf.len(), |left| left.min(buf.len()));
        buf[..n].fill(FILLER);
        self.left -= n as u64;
        Ok(Fill::Data(n))
    }

    fn remaining(&self) -> Option<u64> {
        Some(self.left)
    }
}

/// The latency sink: every chunk goes to a [`Recorder`] as it arrives.
#[derive(Debug)]
struct LatencySink(Recorder);

impl Sink for LatencySink {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self.0.chunk(chunk);
        Flow::Continue
    }
}

/// A reactor with the default options (or the profiling overrides).
fn reactor() -> Result<Reactor, RunError> {
    let mut options = Options::default();
    if let Some(bytes) = size_from_env("PEER_PROCPUMP_READ_SIZE")? {
        options = options.read_size(bytes);
    }
    if let Some(bytes) = size_from_env("PEER_PROCPUMP_PIPE_SIZE")? {
        options = options.pipe_size(bytes);
    }
    Ok(Reactor::with_options(options)?)
}

/// A byte count from the environment variable `name`, if it is set.
fn size_from_env(name: &str) -> Result<Option<usize>, RunError> {
    let Some(text) = std::env::var_os(name) else {
        return Ok(None);
    };
    let bytes = parse_size(&text.to_string_lossy()).map_err(|e| format!("{name}: {e}"))?;
    Ok(Some(
        usize::try_from(bytes).map_err(|e| format!("{name}: {e}"))?,
    ))
}

/// The job for one child of this run: stdin null unless fed.
fn job(args: &PeerArgs) -> Job {
    let mut command = args.command();
    command.stdin(Stdio::null());
    let job = Job::new(command);
    if args.stdin_bytes > 0 {
        job.stdin(Input::source(FillerSource {
            left: args.stdin_bytes,
        }))
    } else {
        job
    }
}

/// Runs the queued children; returns the reports and the wall time.
fn run(mut reactor: Reactor) -> Result<(Vec<Report>, std::time::Duration), RunError> {
    let begin = Instant::now();
    let reports = reactor.run()?;
    Ok((reports, begin.elapsed()))
}

/// Totals over the reports: children, failures, bytes per stream.
fn totals(reports: &[Report], elapsed: std::time::Duration) -> Record {
    let sum = |stream: fn(&Report) -> u64| reports.iter().map(stream).sum::<u64>();
    let failed = reports.iter().filter(|r| !r.success()).count();
    if let Some(error) = reports.iter().find_map(Report::error) {
        eprintln!("peer-procpump: first error: {error}");
    }
    Record::new()
        .with("children", reports.len())
        .with("failed", failed)
        .with("stdout_bytes", sum(|r| r.stdout().map_or(0, |s| s.bytes())))
        .with("stderr_bytes", sum(|r| r.stderr().map_or(0, |s| s.bytes())))
        .with("stdin_bytes", sum(|r| r.stdin().map_or(0, |s| s.written())))
        .seconds(elapsed)
}

/// `bulk`, `duplex`, `many`: everything into [`Discard`].
fn discard(args: &PeerArgs) -> Result<Record, RunError> {
    let mut reactor = reactor()?;
    for _ in 0..args.children {
        reactor.spawn(job(args).stdout(Discard).stderr(Discard));
    }
    let (reports, elapsed) = run(reactor)?;
    Ok(totals(&reports, elapsed))
}

/// `latency`: each line timed in the sink, on the reactor's thread.
fn latency(args: &PeerArgs) -> Result<Record, RunError> {
    let mut reactor = reactor()?;
    let sink = LatencySink(Recorder::with_capacity(1 << 16));
    reactor.spawn(job(args).stdout(sink).stderr(Discard));
    let (mut reports, elapsed) = run(reactor)?;
    let summary = reports
        .first_mut()
        .and_then(|report| report.take_sink::<LatencySink>(Stream::Stdout))
        .ok_or("no latency sink in the report")?
        .0
        .summary();
    Ok(Record::new()
        .append(summary)
        .with("failed", reports.iter().filter(|r| !r.success()).count())
        .seconds(elapsed))
}

/// Counts a line.
fn count_line(count: &mut u64, _line: Line<'_>) -> Flow {
    *count += 1;
    Flow::Continue
}

/// `lines`: stdout through [`Lines`], counting.
fn lines(args: &PeerArgs) -> Result<Record, RunError> {
    let mut reactor = reactor()?;
    let counter = Lines::with_state(0u64, count_line);
    reactor.spawn(job(args).stdout(counter).stderr(Discard));
    let (mut reports, elapsed) = run(reactor)?;
    let report = reports.first_mut().ok_or("no report")?;
    let counter: StatefulLines<u64> = report
        .take_sink(Stream::Stdout)
        .ok_or("no Lines sink in the report")?;
    Ok(totals(&reports, elapsed).with("lines", counter.handler().state()))
}

/// `stall`: a bounded channel whose consumer sleeps after its first chunk.
fn stall(args: &PeerArgs) -> Result<Record, RunError> {
    let (sender, receiver) = crossbeam_channel::bounded::<procpump::Chunk>(4);
    let probe = StallProbe::current();
    let pause = args.stall;
    let consumer = thread::Builder::new().name("consumer".into()).spawn(
        move || -> Result<(u64, peer::StallCost), String> {
            let first = receiver.recv().map_err(|e| e.to_string())?;
            let cost = probe.stall(pause)?;
            let rest: usize = receiver.iter().map(|chunk| chunk.len()).sum();
            Ok((first.len() as u64 + rest as u64, cost))
        },
    )?;
    let mut reactor = reactor()?;
    reactor.spawn(job(args).stdout(sender).stderr(Discard));
    let (reports, elapsed) = run(reactor)?;
    let (consumed, cost) = consumer
        .join()
        .map_err(|_| "the consumer panicked".to_owned())??;
    Ok(totals(&reports, elapsed)
        .with("consumed", consumed)
        .append(cost))
}

/// `file`: stdout into a [`FileSink`].
fn file(args: &PeerArgs) -> Result<Record, RunError> {
    let path = args.output_path()?;
    let mut reactor = reactor()?;
    reactor.spawn(job(args).stdout(FileSink::create(path)?).stderr(Discard));
    let (mut reports, elapsed) = run(reactor)?;
    let report = reports.first_mut().ok_or("no report")?;
    let sink: FileSink = report
        .take_sink(Stream::Stdout)
        .ok_or("no FileSink in the report")?;
    if let Some(err) = sink.error() {
        return Err(RunError::Failed(format!("FileSink: {err}")));
    }
    let spliced = sink.spliced_bytes();
    let written = sink.finish()?;
    Ok(totals(&reports, elapsed)
        .with("file_bytes", written)
        .with("spliced_bytes", spliced))
}

/// Runs the scenario.
fn measure(args: &PeerArgs) -> Result<Record, RunError> {
    match args.scenario {
        Scenario::Bulk | Scenario::Duplex | Scenario::Many => discard(args),
        Scenario::Latency => latency(args),
        Scenario::Lines => lines(args),
        Scenario::Stall => stall(args),
        Scenario::File => file(args),
    }
}

/// Entry point: see [`peer::runner_main`].
fn main() -> ExitCode {
    peer::runner_main("peer-procpump", measure)
}
