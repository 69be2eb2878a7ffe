//! The run: a reactor driven by hand, fed commands as slots free up.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use procpump::{ChildId, Job, Reactor, Report, Signal, Sink, Stream, StreamEnd};
use procpump_adapters::{FileSink, Spool, SpoolSink, Tagged, Tail, Tee};

use crate::cli::Config;
use crate::commands::Commands;
use crate::console::{group_writer, human, Console, Counter, StatusLine};
use crate::outcome::{shown, tail_text, Outcome, Tally};
use crate::SIGNAL;

/// How long one turn of the loop may wait: the latency of Ctrl-C and of
/// the progress line.
pub(crate) const TICK: Duration = Duration::from_millis(50);

/// The least time between two drawings of the progress line.
const REDRAW: Duration = Duration::from_millis(100);

/// Why fanout stopped starting commands.
#[derive(Clone, Copy, Debug)]
enum Stop {
    Halt,
    Signal(i32),
}

/// A command handed to the reactor, not yet reported.
struct Started {
    index: u64,
    line: OsString,
    /// The signal fanout sent it to stop it (`SIGTERM`, then `SIGKILL`).
    stop_sent: Option<Signal>,
}

/// The progress line's state.
struct Progress {
    drawn: Instant,
    bytes: u64,
    rate: f64,
}

/// Everything one run holds: the reactor, the commands handed to it (at
/// most `--jobs`), the consoles, the tally and the summary.
pub(crate) struct Run {
    config: Config,
    tag: bool,
    reactor: Reactor,
    status: Arc<StatusLine>,
    out: Console,
    err: Console,
    /// Line mode (not `--group`): the tagged writers on stdout and stderr.
    lines: Option<(Tagged<Console>, Tagged<Console>)>,
    running: HashMap<ChildId, Started>,
    started: u64,
    tally: Tally,
    stopped: Option<Stop>,
    /// When fanout began stopping the running commands.
    stop_began: Instant,
    /// `SIGKILL` at once (a second signal came), not after the grace.
    kill_now: bool,
    summary: SpoolSink<Console>,
    bytes: Arc<AtomicU64>,
    began: Instant,
    progress: Progress,
}

impl Run {
    pub(crate) fn new(config: Config, tag: bool) -> io::Result<Run> {
        let status = Arc::new(StatusLine {
            enabled: io::stderr().is_terminal(),
            shown: AtomicBool::new(false),
        });
        let out = Console::new(Box::new(io::stdout()), io::stdout().is_terminal(), &status);
        let err = Console::new(Box::new(io::stderr()), true, &status);
        let lines =
            (!config.group).then(|| (Tagged::writer(out.clone()), Tagged::writer(err.clone())));
        let now = Instant::now();
        Ok(Run {
            tag,
            reactor: Reactor::new()?,
            summary: Spool::writer(err.clone()).sink(),
            status,
            out,
            err,
            lines,
            running: HashMap::new(),
            started: 0,
            tally: Tally::default(),
            stopped: None,
            stop_began: now,
            kill_now: false,
            bytes: Arc::new(AtomicU64::new(0)),
            began: now,
            progress: Progress {
                drawn: now,
                bytes: 0,
                rate: 0.0,
            },
            config,
        })
    }

    /// Runs every command (or until stopped) and waits for all it started.
    pub(crate) fn drive(&mut self, commands: &mut Commands) -> io::Result<()> {
        loop {
            self.check_signal();
            if self.stopped.is_none() {
                self.start_more(commands);
            }
            if self.stopped.is_some() {
                self.stop_running();
            }
            if self.running.is_empty() {
                if self.stopped.is_some() || commands.is_exhausted() {
                    return Ok(());
                }
                commands.wait(TICK);
            } else {
                for report in self.reactor.turn(Some(TICK))? {
                    self.finished(report);
                }
            }
            self.refresh(commands.total(self.started));
        }
    }

    fn check_signal(&mut self) {
        let signal = SIGNAL.swap(0, Ordering::SeqCst);
        if signal != 0 {
            self.stop(Stop::Signal(signal as i32));
        }
    }

    /// Starts nothing more, and stops what runs. A signal while already
    /// stopping asks for `SIGKILL` at once (and for exit code 128 + N).
    fn stop(&mut self, why: Stop) {
        match (self.stopped, why) {
            (None, _) => {
                self.stopped = Some(why);
                self.stop_began = Instant::now();
            }
            (Some(_), Stop::Signal(_)) => {
                self.stopped = Some(why);
                self.kill_now = true;
            }
            (Some(_), Stop::Halt) => {}
        }
    }

    /// Hands the reactor commands until `--jobs` are out.
    fn start_more(&mut self, commands: &mut Commands) {
        while self.running.len() < self.config.jobs && self.stopped.is_none() {
            let Some(line) = commands.next() else { break };
            self.started += 1;
            let index = self.started;
            match self.job(index, &line) {
                Ok(job) => {
                    let id = self.reactor.spawn(job);
                    let started = Started {
                        index,
                        line,
                        stop_sent: None,
                    };
                    self.running.insert(id, started);
                }
                Err(err) => self.record(index, &line, Outcome::NotRun(err.to_string()), None),
            }
        }
    }

    /// The job for command `index`: `sh -c LINE` in its own process group,
    /// each stream through a [`Tee`].
    fn job(&self, index: u64, line: &OsString) -> io::Result<Job> {
        let tag = if self.tag {
            format!("[{index}] ")
        } else {
            String::new()
        };
        let mut stdout = Tee::new();
        let mut stderr = Tee::new();
        if self.config.tail > 0 {
            stderr.push(Tail::new(self.config.tail));
        }
        for (tee, console, which) in [(&mut stdout, &self.out, 0), (&mut stderr, &self.err, 1)] {
            match &self.lines {
                Some(tagged) => tee.push([&tagged.0, &tagged.1][which].sink(tag.clone())),
                None => tee.push(Spool::writer(group_writer(console, &tag)).sink()),
            }
            tee.push(Counter(Arc::clone(&self.bytes)));
        }
        if let Some(dir) = &self.config.log_dir {
            stdout.push(FileSink::create(dir.join(format!("{index}.out")))?);
            stderr.push(FileSink::create(dir.join(format!("{index}.err")))?);
        }
        let mut command = Command::new("sh");
        command.arg("-c").arg(line).stdin(Stdio::null());
        command.env("FANOUT_INDEX", index.to_string());
        let mut job = Job::new(command)
            .stdout(stdout)
            .stderr(stderr)
            .process_group(true)
            .grace(self.config.grace);
        if let Some(timeout) = self.config.timeout {
            job = job.timeout(timeout);
        }
        Ok(job)
    }

    /// Stops the process group of every command still running, as a
    /// timeout does: `SIGTERM`, then `SIGKILL` once the grace is over (or
    /// at once after a second signal). A command the reactor has not
    /// started yet is signalled on a later turn.
    fn stop_running(&mut self) {
        let kill = self.kill_now || self.stop_began.elapsed() >= self.config.grace;
        let signal = if kill { Signal::KILL } else { Signal::TERM };
        for (&id, started) in &mut self.running {
            if started.stop_sent == Some(signal) || started.stop_sent == Some(Signal::KILL) {
                continue;
            }
            match self.reactor.signal(id, signal) {
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                _ => started.stop_sent = Some(signal),
            }
        }
    }

    /// A command was reported: count it, keep its summary, check its logs.
    fn finished(&mut self, mut report: Report) {
        let Some(started) = self.running.remove(&report.id()) else {
            return;
        };
        let outcome = Outcome::of(&report, started.stop_sent.is_some());
        let mut stdout: Option<Tee> = report.take_sink(Stream::Stdout);
        let mut stderr: Option<Tee> = report.take_sink(Stream::Stderr);
        for tee in [&mut stdout, &mut stderr].into_iter().flatten() {
            self.check_log(started.index, tee);
        }
        let tail = match (&outcome, stderr.as_mut()) {
            (outcome, Some(tee)) if outcome.is_failure() => take::<Tail>(tee),
            _ => None,
        };
        let numbers = Some((&report, tail.as_ref()));
        self.record(started.index, &started.line, outcome, numbers);
    }

    /// Warns when a log file could not be written.
    fn check_log(&mut self, index: u64, tee: &mut Tee) {
        if let Some(error) = take::<FileSink>(tee).and_then(|mut file| file.take_error()) {
            let _ = writeln!(self.err, "fanout: [{index}] log file: {error}");
        }
    }

    /// Counts an outcome and adds its lines to the summary.
    fn record(
        &mut self,
        index: u64,
        line: &OsString,
        outcome: Outcome,
        numbers: Option<(&Report, Option<&Tail>)>,
    ) {
        let mut text = format!("[{index}] {:<9} {:<13}", outcome.word(), outcome.detail());
        if let Some((report, _)) = numbers {
            let bytes = |output: Option<&procpump::OutputReport>| output.map_or(0, |o| o.bytes());
            text += &format!(
                " {:>8.3}s  out {:<8} err {:<8}",
                report.duration().as_secs_f64(),
                bytes(report.stdout()),
                bytes(report.stderr()),
            );
        }
        text += &format!(" {}\n", shown(line));
        if let Some((_, Some(tail))) = numbers {
            text += &tail_text(tail);
        }
        let _ = self.summary.chunk(text.as_bytes());
        if outcome.is_failure() && self.config.halt_on_failure {
            self.stop(Stop::Halt);
        }
        self.tally.add(&outcome);
    }

    /// After a turn: writes out what the sinks wrote, redraws the progress
    /// line when it is due.
    fn refresh(&mut self, total: Option<u64>) {
        let _ = self.out.flush();
        let _ = self.err.flush();
        let now = Instant::now();
        let since = now - self.progress.drawn;
        if !self.status.enabled || since < REDRAW {
            return;
        }
        let bytes = self.bytes.load(Ordering::Relaxed);
        let rate = (bytes - self.progress.bytes) as f64 / since.as_secs_f64();
        self.progress = Progress {
            drawn: now,
            bytes,
            rate: 0.7 * self.progress.rate + 0.3 * rate,
        };
        let total = total.map_or(String::new(), |total| format!("/{total}"));
        let text = format!(
            "fanout: {}{total} done, {} running, {} failed, {}/s",
            self.tally.done(),
            self.running.len(),
            self.tally.failures(),
            human(self.progress.rate as u64),
        );
        self.status.draw(&text);
    }

    /// Prints the summary; returns the exit code.
    pub(crate) fn finish(mut self, commands: &Commands) -> u8 {
        let _ = self.out.flush();
        self.status.clear();
        let mut err = self.err.clone();
        let _ = writeln!(err, "fanout: summary (in the order they finished)");
        self.summary.end(&StreamEnd::Eof);
        if let Some(error) = self.summary.error() {
            let _ = writeln!(err, "fanout: the summary is incomplete: {error}");
        }
        let _ = writeln!(err, "{}", self.totals(commands));
        let _ = err.flush();
        match self.stopped {
            Some(Stop::Signal(signal)) => 128u8.saturating_add(signal as u8),
            _ => match self.tally.failures() {
                failures @ 0..=100 => failures as u8,
                _ => 101,
            },
        }
    }

    /// The last line: how many ended which way, and why fanout stopped.
    fn totals(&self, commands: &Commands) -> String {
        let tally = &self.tally;
        let plural = if tally.done() == 1 { "" } else { "s" };
        let mut text = format!(
            "fanout: {} command{plural} in {:.3}s: {} ok",
            tally.done(),
            self.began.elapsed().as_secs_f64(),
            tally.ok,
        );
        for (count, what) in [
            (tally.failed, "failed"),
            (tally.timed_out, "timed out"),
            (tally.not_run, "could not start"),
            (tally.killed, "killed"),
        ] {
            if count > 0 {
                text += &format!(", {count} {what}");
            }
        }
        let rest = match commands.remaining() {
            Some(0) => String::new(),
            Some(n) => format!(" ({n} not started)"),
            None if commands.is_exhausted() => String::new(),
            None => " (the rest not started)".into(),
        };
        match self.stopped {
            Some(Stop::Halt) => text += &format!("; halted after a failure{rest}"),
            Some(Stop::Signal(signal)) => {
                let name =
                    Signal::from_number(signal).map_or(signal.to_string(), |s| s.to_string());
                text += &format!("; interrupted by {name}{rest}");
            }
            None => {}
        }
        text
    }
}

/// Takes back the first member of `tee` that is an `S`.
fn take<S: Sink + 'static>(tee: &mut Tee) -> Option<S> {
    (0..tee.len()).find_map(|index| tee.take::<S>(index))
}
