//! The summary on stderr at the end: a line per job in the order they
//! ended (with a failed job's stderr tail), and the totals; and the tally
//! of outcomes the counts are made from.

use std::ffi::OsString;
use std::io::Write;
use std::time::Instant;

use procpump::{OutputReport, Report, Signal, Sink, StreamEnd};
use procpump_adapters::{Spool, SpoolSink, Tail};

use super::schedule::Unstarted;
use super::stopping::Stop;
use crate::console::Console;
use crate::halt::Counts;
use crate::outcome::{shown, tail_text, Outcome, Tally};

/// The jobs' lines (held until the end: memory, then an unnamed
/// temporary file) and the tally.
pub(super) struct Summary {
    /// `--no-summary`: false.
    enabled: bool,
    lines: SpoolSink<Console>,
    tally: Tally,
    began: Instant,
}

/// One job that ended for good, as the summary shows it.
pub(super) struct Ended<'a> {
    pub(super) seq: u64,
    /// The host's name; `None`: this machine.
    pub(super) host: Option<&'a str>,
    pub(super) command: &'a OsString,
    pub(super) outcome: &'a Outcome,
    /// `None`: it did not start.
    pub(super) report: Option<&'a Report>,
    /// A failed job's stderr tail.
    pub(super) tail: Option<&'a Tail>,
}

impl Summary {
    /// A summary to be written on `err` at the end (if `enabled`), from
    /// now.
    pub(super) fn new(enabled: bool, err: &Console) -> Summary {
        Summary {
            enabled,
            lines: Spool::writer(err.clone()).sink(),
            tally: Tally::default(),
            began: Instant::now(),
        }
    }

    /// Counts a job and adds its lines.
    pub(super) fn add(&mut self, job: &Ended<'_>) {
        self.tally.add(job.outcome);
        if !self.enabled {
            return;
        }
        let outcome = job.outcome;
        let mut text = format!(
            "[{}] {:<9} {:<13}",
            job.seq,
            outcome.word(),
            outcome.detail()
        );
        if let Some(report) = job.report {
            let bytes = |output: Option<&OutputReport>| output.map_or(0, |o| o.bytes());
            text += &format!(
                " {:>8.3}s  out {:<8} err {:<8}",
                report.duration().as_secs_f64(),
                bytes(report.stdout()),
                bytes(report.stderr()),
            );
        }
        match job.host {
            Some(host) => text += &format!(" {host}: {}\n", shown(job.command)),
            None => text += &format!(" {}\n", shown(job.command)),
        }
        if let Some(tail) = job.tail {
            text += &tail_text(tail);
        }
        let _ = self.lines.chunk(text.as_bytes());
    }

    /// The counts so far, of `total` jobs (when known).
    pub(super) fn counts(&self, total: Option<u64>) -> Counts {
        self.tally.counts(total)
    }

    /// Writes the summary on `err`: its heading, the jobs' lines, the
    /// totals, and why fanout stopped (`stop`) with what did not start.
    pub(super) fn print(&mut self, err: &mut Console, stop: Option<Stop>, unstarted: Unstarted) {
        if !self.enabled {
            return;
        }
        let _ = writeln!(err, "fanout: summary (in the order they finished)");
        self.lines.end(&StreamEnd::Eof);
        if let Some(error) = self.lines.error() {
            let _ = writeln!(err, "fanout: the summary is incomplete: {error}");
        }
        let _ = writeln!(err, "{}", self.totals(stop, unstarted));
    }

    /// The last line: how many ended which way, and why fanout stopped.
    fn totals(&self, stop: Option<Stop>, unstarted: Unstarted) -> String {
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
        let rest = match unstarted {
            Unstarted::None => String::new(),
            Unstarted::Count(count) => format!(" ({count} not started)"),
            Unstarted::Unknown => " (the rest not started)".into(),
        };
        match stop {
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
