//! The run: a reactor driven by hand, fed jobs as slots free up, and what
//! becomes of each job. Each concern owns its state in a file of its own:
//! where and when jobs start (`schedule`: hosts, slots, retries,
//! `--delay`), the jobs running (`running`), stopping (`stopping`:
//! signals, `--halt`, the grace, the exit status), the summary and the
//! tally (`summary`), the progress line (`progress`); the job log is
//! `crate::joblog`. [`Run`] ties them together.

mod onall;
mod progress;
mod running;
mod schedule;
mod stopping;
mod summary;

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use procpump::{Reactor, Report, Sink, Stream};
use procpump_adapters::{FileSink, Tail, Tee};

use crate::bar::{GnuProgress, Now};
use crate::cli::Config;
use crate::console::{Console, StatusLine};
use crate::halt::Counts;
use crate::inputs::Inputs;
use crate::joblog::{Entry, JobLog};
use crate::launch::{Launcher, Slot};
use crate::outcome::{shown, Outcome};
use crate::remote::Ssh;
use progress::Progress;
use running::{Running, Started};
use schedule::{Placed, Schedule};
use stopping::Stopping;
use summary::{Ended, Summary};

/// Everything one run holds.
pub(crate) struct Run {
    config: Config,
    reactor: Reactor,
    launcher: Launcher,
    out: Console,
    err: Console,
    /// The shared ssh connections, with a remote host.
    ssh: Option<Ssh>,
    schedule: Schedule,
    running: Running,
    stopping: Stopping,
    joblog: Option<JobLog>,
    summary: Summary,
    progress: Progress,
    /// How many jobs there are in all, once known.
    total: Option<u64>,
    /// `--bar`, `--eta`, `--progress`: GNU parallel's texts, the jobs
    /// completed on each host, the newest job's arguments.
    gnu: Option<(GnuProgress, Vec<u64>, String)>,
}

impl Run {
    /// A run on `reactor` (whose waker the stdin reader and the signal
    /// handler hold).
    ///
    /// # Errors
    ///
    /// The job log cannot be opened, or the ssh control directory made.
    pub(crate) fn new(mut config: Config, sources: usize, reactor: Reactor) -> io::Result<Run> {
        crate::remote_cli::filter_hosts(&mut config);
        let status = Arc::new(StatusLine {
            enabled: io::stderr().is_terminal() && config.gnu_progress.is_none(),
            shown: AtomicBool::new(false),
        });
        let out = Console::new(Box::new(io::stdout()), io::stdout().is_terminal(), &status);
        let err = Console::new(Box::new(io::stderr()), true, &status);
        let (joblog, skip) = match &config.joblog {
            Some(path) => {
                let (log, skip) = JobLog::open(path, config.resume, &out)?;
                (Some(log), skip)
            }
            None => (None, HashSet::new()),
        };
        let schedule = Schedule::new(&config, skip);
        let mut ssh = match schedule.has_remote_hosts() {
            true => Some(Ssh::start(config.ssh.clone(), &config.hosts)?),
            false => None,
        };
        let mut launcher = Launcher::new(&config, sources, &out, &err);
        if let (Some(files), Some(ssh)) = (&mut launcher.files, &mut ssh) {
            files.send_basefiles(ssh);
        }
        let gnu = config.gnu_progress.map(|style| {
            let bar = GnuProgress::new(style);
            let _ = err
                .clone()
                .write_all(bar.start(&schedule.host_counts(&[])).as_bytes());
            (bar, vec![0; config.hosts.len().max(1)], String::new())
        });
        Ok(Run {
            gnu,
            launcher,
            reactor,
            summary: Summary::new(config.summary.unwrap_or(io::stderr().is_terminal()), &err),
            progress: Progress::new(Arc::clone(&status)),
            stopping: Stopping::new(config.grace),
            schedule,
            running: Running::default(),
            ssh,
            out,
            err,
            joblog,
            total: None,
            config,
        })
    }

    /// Runs every job (or until stopped) and waits for all it started.
    ///
    /// # Errors
    ///
    /// The reactor failed.
    pub(crate) fn drive(&mut self, inputs: &mut Inputs) -> io::Result<()> {
        loop {
            self.stopping.check_signal();
            self.start_more(inputs);
            if self.stopping.stops_running() {
                let signal = self.stopping.signal_due();
                self.running.signal_all(&mut self.reactor, signal);
            }
            if self.running.is_empty()
                && (self.stopping.is_stopped() || self.schedule.is_done(inputs))
            {
                return Ok(());
            }
            // Waits for a child, an argument on stdin, a signal (all wake
            // the reactor), `--delay`, the grace's end, or the progress
            // line's redraw.
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
        let grace = self.stopping.grace_left(self.running.any_unkilled());
        let gnu = self.gnu.as_ref().map(|(bar, _, _)| bar.redraw_in());
        [
            self.schedule.delay_left(),
            grace,
            self.progress.redraw_in(),
            gnu,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Hands the reactor jobs until every slot is taken (or `--delay` says
    /// wait, or the run stops).
    fn start_more(&mut self, inputs: &mut Inputs) {
        while !self.stopping.is_stopped() {
            let held = self.launcher.held.as_ref();
            let skipped = |seq| {
                if let Some(held) = held {
                    held.finish(seq);
                }
            };
            let Some(placed) = self.schedule.next(inputs, skipped) else {
                break;
            };
            self.launch(placed);
        }
    }

    /// Starts a placed job, or ends it at once when it cannot be made.
    fn launch(&mut self, Placed { task, host, slot }: Placed) {
        fn slot_of<'a>(task: &'a schedule::Task, slot: usize, host: &'a str) -> Slot<'a> {
            Slot {
                seq: task.seq,
                slot: slot + 1,
                args: &task.args,
                host,
            }
        }
        let label = self.schedule.host(host).label().to_owned();
        let command = self.launcher.command(slot_of(&task, slot, &label));
        let remote = match (&self.ssh, &self.schedule.host(host).name) {
            (Some(ssh), Some(name)) => Some((ssh, name.as_str())),
            _ => None,
        };
        let job = self
            .launcher
            .job(&self.config, slot_of(&task, slot, &label), &command, remote);
        let job = match &task.block {
            Some(block) => job.map(|job| job.stdin(block.input())),
            None => job,
        };
        if self.config.trace {
            self.trace(&command);
        }
        if let Some((_, _, newest)) = &mut self.gnu {
            *newest = shown(&crate::launch::join(&task.args));
        }
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
                self.running.insert(id, started);
            }
            Err(err) => {
                self.schedule.release(host, slot);
                self.ended(started, Outcome::NotRun(err.to_string()), None, None);
            }
        }
    }

    /// `-t`: the command on stderr, as it starts.
    fn trace(&mut self, command: &std::ffi::OsStr) {
        use std::os::unix::ffi::OsStrExt;
        let _ = self.err.write_all(command.as_bytes());
        let _ = self.err.write_all(b"\n");
    }

    /// A job was reported: run it again (`--retries`), or count it, log
    /// it, keep its summary, print its held output.
    fn finished(&mut self, mut report: Report) {
        let Some(started) = self.running.remove(report.id()) else {
            return;
        };
        self.schedule.release(started.host, started.slot);
        let outcome = Outcome::of(&report, started.stop_sent.is_some());
        let outcome =
            crate::pipe::check_read(outcome, &report, &started.task.block, started.task.seq);
        let mut stdout: Option<Tee> = report.take_sink(Stream::Stdout);
        let mut stderr: Option<Tee> = report.take_sink(Stream::Stderr);
        for tee in [&mut stdout, &mut stderr].into_iter().flatten() {
            self.check_files(started.task.seq, tee);
        }
        let again = self.schedule.may_retry(&started.task) && !self.stopping.is_stopped();
        if outcome.is_failure() && again {
            self.schedule.retry(&started.task, started.host);
            return;
        }
        let tail = match (&outcome, stderr.as_mut()) {
            (outcome, Some(tee)) if outcome.is_failure() => take::<Tail>(tee),
            _ => None,
        };
        self.ended(started, outcome, Some(&report), tail.as_ref());
    }

    /// A job ended for good: its held output, the job log, the summary
    /// and the tally, `--halt`.
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
        self.log(&started, &outcome, report);
        if let Some(completed) = self.gnu.as_mut().and_then(|g| g.1.get_mut(started.host)) {
            *completed += 1;
        }
        let host = self.schedule.host(started.host).name.clone();
        self.summary.add(&Ended {
            seq,
            host: host.as_deref(),
            command: &started.command,
            outcome: &outcome,
            report,
            tail,
        });
        let counts = self.counts();
        let halt = &self.config.halt;
        self.stopping.check_halt(halt, &outcome, &counts, report);
    }

    /// Writes a job's line in the job log, if there is one.
    fn log(&mut self, started: &Started, outcome: &Outcome, report: Option<&Report>) {
        let Some(log) = &mut self.joblog else {
            return;
        };
        let (exitval, signal) = outcome.exitval_and_signal(report);
        let entry = Entry {
            seq: started.task.seq,
            host: self.schedule.host(started.host).label(),
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

    /// The counts so far: the one place they are made.
    fn counts(&self) -> Counts {
        self.summary.counts(self.total)
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

    /// After a turn: writes out what the sinks wrote, redraws the progress
    /// line when it is due.
    fn refresh(&mut self) {
        let _ = self.out.flush();
        let _ = self.err.flush();
        let bytes = self.launcher.bytes.load(Ordering::Relaxed);
        let counts = self.counts();
        self.progress.draw(bytes, self.running.len(), &counts);
        self.draw_gnu(false);
    }

    /// `--bar`, `--eta`, `--progress`: redraws GNU parallel's text when
    /// it is due (`last`: the last time, always).
    fn draw_gnu(&mut self, last: bool) {
        let Some((bar, completed, newest)) = &mut self.gnu else {
            return;
        };
        let hosts = self.schedule.host_counts(completed);
        let now = Now {
            hosts: &hosts,
            started: self.schedule.started(),
            completed: completed.iter().sum(),
            total: self.total,
            newest,
        };
        if let Some(text) = bar.draw(&now, last) {
            let _ = self.err.write_all(text.as_bytes());
            let _ = self.err.flush();
        }
    }

    /// Prints what is still held and the summary; returns the exit status.
    pub(crate) fn finish(mut self, inputs: &mut Inputs) -> u8 {
        if let Some(held) = &self.launcher.held {
            held.print_all();
        }
        let _ = self.out.flush();
        self.progress.clear();
        self.total = inputs.total();
        self.draw_gnu(true);
        let mut err = self.err.clone();
        let unstarted = self.schedule.unstarted(inputs);
        self.summary.print(&mut err, self.stopping.why(), unstarted);
        if let Some(error) = inputs.take_error() {
            let _ = writeln!(err, "fanout: {error}");
            let _ = err.flush();
            return 255;
        }
        let _ = err.flush();
        self.stopping.exit_status(&self.config.halt, &self.counts())
    }
}

/// Takes back the first member of `tee` that is an `S`.
fn take<S: Sink + 'static>(tee: &mut Tee) -> Option<S> {
    (0..tee.len()).find_map(|index| tee.take::<S>(index))
}
