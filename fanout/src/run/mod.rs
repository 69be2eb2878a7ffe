//! The run: a reactor driven by hand, fed jobs as slots free up; what
//! becomes of each job (retries, the job log, the summary, `--halt`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use procpump::{ChildId, Reactor, Report, Signal, Sink, Stream, StreamEnd};
use procpump_adapters::{FileSink, Spool, SpoolSink, Tail, Tee};

use crate::cli::Config;
use crate::console::{Console, Progress, StatusLine};
use crate::halt::{Counts, Halt};
use crate::inputs::Inputs;
use crate::joblog::{Entry, JobLog};
use crate::launch::{Launcher, Slot};
use crate::logins::Host;
use crate::outcome::{job_status, shown, tail_text, Outcome, Tally};
use crate::remote::Ssh;
use crate::SIGNAL;

/// How often the progress line is redrawn while nothing happens (only
/// when it is shown: on a terminal). Nothing else in fanout waits on a
/// clock: new arguments on stdin and signals wake the reactor
/// ([`procpump::Waker`]), and `--delay` is a deadline.
const REDRAW: Duration = Duration::from_millis(250);

/// Why fanout stopped starting jobs.
#[derive(Clone, Copy, Debug)]
enum Stop {
    /// `--halt`; `now`: stop the running jobs too.
    Halt {
        now: bool,
    },
    Signal(i32),
}

/// A job to run (again, with `--retries`).
#[derive(Debug)]
struct Task {
    seq: u64,
    args: Vec<OsString>,
    /// 1 for the first run.
    run: u32,
    /// The hosts (indices) where it failed: a retry goes elsewhere if it
    /// can, as GNU parallel's `--retries` does.
    failed_on: Vec<usize>,
}

/// A job handed to the reactor, not yet reported.
struct Started {
    task: Task,
    command: OsString,
    slot: usize,
    /// The index of its host in [`Run::hosts`].
    host: usize,
    start: SystemTime,
    /// The signal fanout sent it to stop it (`SIGTERM`, then `SIGKILL`).
    stop_sent: Option<Signal>,
}

/// A host's slots.
struct HostSlots {
    host: Host,
    slots: usize,
    running: usize,
}

/// Everything one run holds.
pub(crate) struct Run {
    config: Config,
    reactor: Reactor,
    launcher: Launcher,
    status: Arc<StatusLine>,
    out: Console,
    err: Console,
    joblog: Option<JobLog>,
    /// Jobs `--resume` skips.
    skip: HashSet<u64>,
    running: HashMap<ChildId, Started>,
    /// Where jobs run (this machine only, without `-S`), each with its
    /// number of slots and of jobs running there.
    hosts: Vec<HostSlots>,
    /// The shared ssh connections, with a remote host.
    ssh: Option<Ssh>,
    retries: VecDeque<Task>,
    /// Job slots in use (`{%}`, `PARALLEL_JOBSLOT`), index + 1.
    slots: Vec<bool>,
    /// The last job number given out.
    seq: u64,
    last_start: Option<Instant>,
    tally: Tally,
    total: Option<u64>,
    stopped: Option<Stop>,
    /// `--halt … fail=1`: the failing job's exit status.
    last_failure: u8,
    stop_began: Instant,
    kill_now: bool,
    summary: SpoolSink<Console>,
    began: Instant,
    progress: Progress,
}

impl Run {
    /// A run on `reactor` (whose waker the stdin reader and the signal
    /// handler hold).
    pub(crate) fn new(config: Config, sources: usize, reactor: Reactor) -> io::Result<Run> {
        let status = Arc::new(StatusLine {
            enabled: io::stderr().is_terminal(),
            shown: AtomicBool::new(false),
        });
        let out = Console::new(Box::new(io::stdout()), io::stdout().is_terminal(), &status);
        let err = Console::new(Box::new(io::stderr()), true, &status);
        let (joblog, skip) = match &config.joblog {
            Some(path) => {
                let (log, skip) = JobLog::open(path, config.resume)?;
                (Some(log), skip)
            }
            None => (None, HashSet::new()),
        };
        let now = Instant::now();
        let hosts: Vec<HostSlots> = if config.hosts.is_empty() {
            vec![Host {
                name: None,
                slots: None,
            }]
        } else {
            config.hosts.clone()
        }
        .into_iter()
        .map(|host| HostSlots {
            slots: host.slots.unwrap_or(config.jobs),
            host,
            running: 0,
        })
        .collect();
        let ssh = if hosts.iter().any(|h| h.host.name.is_some()) {
            Some(Ssh::start(config.ssh.clone(), &config.hosts)?)
        } else {
            None
        };
        let capacity: usize = hosts.iter().map(|h| h.slots).sum();
        Ok(Run {
            launcher: Launcher::new(&config, sources, &out, &err),
            reactor,
            summary: Spool::writer(err.clone()).sink(),
            slots: vec![false; capacity.clamp(1, 1 << 16)],
            hosts,
            ssh,
            status,
            out,
            err,
            joblog,
            skip,
            running: HashMap::new(),
            retries: VecDeque::new(),
            seq: 0,
            last_start: None,
            tally: Tally::default(),
            total: None,
            stopped: None,
            last_failure: 0,
            stop_began: now,
            kill_now: false,
            began: now,
            progress: Progress::new(now),
            config,
        })
    }

    /// Runs every job (or until stopped) and waits for all it started.
    pub(crate) fn drive(&mut self, inputs: &mut Inputs) -> io::Result<()> {
        loop {
            self.check_signal();
            if self.stopped.is_none() {
                self.start_more(inputs);
            }
            if matches!(
                self.stopped,
                Some(Stop::Signal(_) | Stop::Halt { now: true })
            ) {
                self.stop_running();
            }
            if self.running.is_empty() {
                let exhausted = inputs.is_exhausted() && self.retries.is_empty();
                if self.stopped.is_some() || exhausted {
                    return Ok(());
                }
            }
            // Waits for a child, an argument on stdin, a signal (all wake
            // the reactor), `--delay`, or the progress line's redraw.
            for report in self.reactor.turn(self.wait_time())? {
                self.finished(report);
            }
            self.total = inputs.total();
            self.refresh();
        }
    }

    /// How long a turn may wait: until `--delay` lets the next job start,
    /// the grace of a stop is over (`SIGKILL` is due), or the progress line
    /// is due; else until something wakes it.
    fn wait_time(&self) -> Option<Duration> {
        let redraw = self.status.enabled.then_some(REDRAW);
        [self.delay_left(), self.grace_left(), redraw]
            .into_iter()
            .flatten()
            .min()
    }

    /// While stopping what runs with `SIGTERM`: the time until `SIGKILL`.
    fn grace_left(&self) -> Option<Duration> {
        let stopping = matches!(
            self.stopped,
            Some(Stop::Signal(_) | Stop::Halt { now: true })
        );
        let unkilled = self
            .running
            .values()
            .any(|started| started.stop_sent != Some(Signal::KILL));
        (stopping && unkilled).then(|| self.config.grace.saturating_sub(self.stop_began.elapsed()))
    }

    /// With `--delay`, the time until the next job may start.
    fn delay_left(&self) -> Option<Duration> {
        let delay = self.config.delay?;
        let left = delay.checked_sub(self.last_start?.elapsed())?;
        (!left.is_zero()).then_some(left)
    }

    fn check_signal(&mut self) {
        let signal = SIGNAL.swap(0, Ordering::SeqCst);
        if signal != 0 {
            self.stop(Stop::Signal(signal as i32));
        }
    }

    /// Starts nothing more (and, unless `--halt soon`, stops what runs). A
    /// signal while already stopping asks for `SIGKILL` at once.
    fn stop(&mut self, why: Stop) {
        match (self.stopped, why) {
            (None, _) | (Some(Stop::Halt { now: false }), _) => {
                self.stopped = Some(why);
                self.stop_began = Instant::now();
            }
            (Some(_), Stop::Signal(_)) => {
                self.stopped = Some(why);
                self.kill_now = true;
            }
            (Some(_), Stop::Halt { .. }) => {}
        }
    }

    /// Hands the reactor jobs until `--jobs` run (or `--delay` says wait).
    fn start_more(&mut self, inputs: &mut Inputs) {
        while self.stopped.is_none() {
            if self.free_host(&[]).is_none() || self.delay_left().is_some() {
                break;
            }
            let task = match self.retries.pop_front() {
                Some(task) => task,
                None => {
                    let Some(args) = inputs.next() else { break };
                    self.seq += 1;
                    if self.skip.contains(&self.seq) {
                        if let Some(held) = &self.launcher.held {
                            held.finish(self.seq);
                        }
                        continue;
                    }
                    Task {
                        seq: self.seq,
                        args,
                        run: 1,
                        failed_on: Vec::new(),
                    }
                }
            };
            let Some(host) = self.free_host(&task.failed_on) else {
                // Only hosts it failed on have room: it waits for another.
                self.retries.push_front(task);
                break;
            };
            self.launch(task, host);
        }
    }

    /// A host with a free slot, not one of `avoid` (the hosts a job failed
    /// on) unless it failed on every host.
    fn free_host(&self, avoid: &[usize]) -> Option<usize> {
        let free = |index: &usize| self.hosts[*index].running < self.hosts[*index].slots;
        let everywhere = (0..self.hosts.len()).all(|index| avoid.contains(&index));
        (0..self.hosts.len())
            .filter(free)
            .find(|index| everywhere || !avoid.contains(index))
    }

    fn launch(&mut self, task: Task, host: usize) {
        let slot = self.slots.iter().position(|used| !used).unwrap_or(0);
        self.slots[slot] = true;
        fn slot_of(task: &Task, slot: usize) -> Slot<'_> {
            Slot {
                seq: task.seq,
                slot: slot + 1,
                args: &task.args,
            }
        }
        let command = self.launcher.command(slot_of(&task, slot));
        self.last_start = Some(Instant::now());
        let remote = match (&self.ssh, &self.hosts[host].host.name) {
            (Some(ssh), Some(name)) => Some((ssh, name.as_str())),
            _ => None,
        };
        let job = self
            .launcher
            .job(&self.config, slot_of(&task, slot), &command, remote);
        let started = Started {
            command,
            slot,
            host,
            start: SystemTime::now(),
            stop_sent: None,
            task,
        };
        match job {
            Ok(job) => {
                let id = self.reactor.spawn(job);
                self.hosts[host].running += 1;
                self.running.insert(id, started);
            }
            Err(err) => {
                self.slots[slot] = false;
                self.ended(started, Outcome::NotRun(err.to_string()), None, None);
            }
        }
    }

    /// Stops the process group of every job still running, as a timeout
    /// does: `SIGTERM`, then `SIGKILL` once the grace is over (or at once
    /// after a second signal).
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

    /// A job was reported: run it again (`--retries`), or count it, log
    /// it, keep its summary, print its held output.
    fn finished(&mut self, mut report: Report) {
        let Some(started) = self.running.remove(&report.id()) else {
            return;
        };
        self.slots[started.slot] = false;
        self.hosts[started.host].running -= 1;
        let outcome = Outcome::of(&report, started.stop_sent.is_some());
        let mut stdout: Option<Tee> = report.take_sink(Stream::Stdout);
        let mut stderr: Option<Tee> = report.take_sink(Stream::Stderr);
        for tee in [&mut stdout, &mut stderr].into_iter().flatten() {
            self.check_files(started.task.seq, tee);
        }
        let runs_left = started.task.run < self.config.retries;
        if outcome.is_failure() && runs_left && self.stopped.is_none() {
            let task = &started.task;
            let mut failed_on = task.failed_on.clone();
            failed_on.push(started.host);
            self.retries.push_front(Task {
                seq: task.seq,
                args: task.args.clone(),
                run: task.run + 1,
                failed_on,
            });
            return;
        }
        let tail = match (&outcome, stderr.as_mut()) {
            (outcome, Some(tee)) if outcome.is_failure() => take::<Tail>(tee),
            _ => None,
        };
        self.ended(started, outcome, Some(&report), tail.as_ref());
    }

    /// A job ended for good: its held output, the job log, the summary,
    /// the tally, `--halt`.
    fn ended(
        &mut self,
        started: Started,
        mut outcome: Outcome,
        report: Option<&Report>,
        tail: Option<&Tail>,
    ) {
        let seq = started.task.seq;
        let lost = self
            .launcher
            .held
            .as_ref()
            .and_then(|held| held.finish(seq));
        if let Some(error) = lost {
            let _ = writeln!(
                self.err,
                "fanout: job {seq} ({}): output lost: {error}",
                shown(&started.command)
            );
            outcome = Outcome::Failed(format!("output lost: {error}"));
        }
        if let Some(log) = &mut self.joblog {
            let (exitval, signal) = outcome.exitval_and_signal(report);
            let entry = Entry {
                seq,
                host: self.hosts[started.host].host.label(),
                start: started.start,
                runtime: report.map_or(Duration::ZERO, Report::duration),
                received: report.and_then(Report::stdout).map_or(0, |o| o.bytes()),
                exitval,
                signal,
                command: &started.command,
            };
            if let Err(err) = log.write(&entry) {
                let _ = writeln!(self.err, "fanout: joblog: {err}");
            }
        }
        let host = self.hosts[started.host].host.name.clone();
        self.record(
            seq,
            host.as_deref(),
            &started.command,
            &outcome,
            report,
            tail,
        );
        self.tally.add(&outcome);
        self.check_halt(&outcome, report);
    }

    fn check_halt(&mut self, outcome: &Outcome, report: Option<&Report>) {
        if matches!(outcome, Outcome::Killed(_)) || self.stopped.is_some() {
            return;
        }
        let counts = self.counts();
        if let Some(now) = self.config.halt.reached(&counts) {
            if outcome.is_failure() {
                self.last_failure = job_status(report);
            }
            self.stop(Stop::Halt { now });
        }
    }

    fn counts(&self) -> Counts {
        Counts {
            failed: self.tally.failures(),
            succeeded: self.tally.ok,
            total: self.total,
        }
    }

    /// Warns when a file of `--results` or `--log-dir` could not be
    /// written.
    fn check_files(&mut self, seq: u64, tee: &mut Tee) {
        while let Some(mut file) = take::<FileSink>(tee) {
            if let Some(error) = file.take_error() {
                let path = file.path().display().to_string();
                let _ = writeln!(self.err, "fanout: job {seq}: {path}: {error}");
            }
        }
    }

    /// Adds a job's lines to the summary.
    fn record(
        &mut self,
        seq: u64,
        host: Option<&str>,
        command: &OsString,
        outcome: &Outcome,
        report: Option<&Report>,
        tail: Option<&Tail>,
    ) {
        if !self.config.summary {
            return;
        }
        let mut text = format!("[{seq}] {:<9} {:<13}", outcome.word(), outcome.detail());
        if let Some(report) = report {
            let bytes = |output: Option<&procpump::OutputReport>| output.map_or(0, |o| o.bytes());
            text += &format!(
                " {:>8.3}s  out {:<8} err {:<8}",
                report.duration().as_secs_f64(),
                bytes(report.stdout()),
                bytes(report.stderr()),
            );
        }
        match host {
            Some(host) => text += &format!(" {host}: {}\n", shown(command)),
            None => text += &format!(" {}\n", shown(command)),
        }
        if let Some(tail) = tail {
            text += &tail_text(tail);
        }
        let _ = self.summary.chunk(text.as_bytes());
    }

    /// After a turn: writes out what the sinks wrote, redraws the progress
    /// line when it is due.
    fn refresh(&mut self) {
        let _ = self.out.flush();
        let _ = self.err.flush();
        let counts = Counts {
            failed: self.tally.failures(),
            succeeded: self.tally.done() - self.tally.failures(),
            total: self.total,
        };
        let bytes = self.launcher.bytes.load(Ordering::Relaxed);
        let running = self.running.len();
        self.progress.draw(&self.status, bytes, running, &counts);
    }

    /// Prints what is still held and the summary; returns the exit status.
    pub(crate) fn finish(mut self, inputs: &mut Inputs) -> u8 {
        if let Some(held) = &self.launcher.held {
            held.print_all();
        }
        let _ = self.out.flush();
        self.status.clear();
        let mut err = self.err.clone();
        if self.config.summary {
            let _ = writeln!(err, "fanout: summary (in the order they finished)");
            self.summary.end(&StreamEnd::Eof);
            if let Some(error) = self.summary.error() {
                let _ = writeln!(err, "fanout: the summary is incomplete: {error}");
            }
            let _ = writeln!(err, "{}", self.totals(inputs));
        }
        let _ = err.flush();
        let halted = matches!(self.stopped, Some(Stop::Halt { .. }));
        match self.stopped {
            Some(Stop::Signal(signal)) => 128u8.saturating_add(signal as u8),
            _ => {
                let halt: &Halt = &self.config.halt;
                halt.exit_status(&self.counts(), halted, self.last_failure)
            }
        }
    }

    /// The last line: how many ended which way, and why fanout stopped.
    fn totals(&self, inputs: &mut Inputs) -> String {
        let tally = &self.tally;
        let plural = if tally.done() == 1 { "" } else { "s" };
        let mut text = format!(
            "fanout: {} job{plural} in {:.3}s: {} ok",
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
        let rest = match inputs.total() {
            _ if inputs.is_exhausted() && self.retries.is_empty() => String::new(),
            Some(total) => format!(" ({} not started)", total - self.seq),
            None => " (the rest not started)".into(),
        };
        match self.stopped {
            Some(Stop::Halt { .. }) => text += &format!("; halted{rest}"),
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
