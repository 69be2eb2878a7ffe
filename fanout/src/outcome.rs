//! What became of each command: its outcome, the tally, and its lines in
//! the summary.

use std::ffi::OsString;

use procpump::{Report, Signal};
use procpump_adapters::Tail;

use crate::halt::Counts;

/// The longest command text shown in the summary, in characters.
pub(crate) const SHOWN_COMMAND: usize = 60;

/// How a command ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Ok,
    /// Non-zero exit, a signal, or a pipe error.
    Failed(String),
    TimedOut(String),
    /// Stopped by fanout (after a failure, or on Ctrl-C).
    Killed(String),
    /// It could not start (or its log files could not be created).
    NotRun(String),
}

impl Outcome {
    pub(crate) fn of(report: &Report, stopped: bool) -> Outcome {
        if report.status().is_none() {
            let why = report
                .error()
                .map_or("did not start".into(), |e| e.to_string());
            return Outcome::NotRun(why);
        }
        let status = match (report.code(), report.signal()) {
            (Some(code), _) => format!("exit {code}"),
            (None, Some(signal)) => Signal::from_number(signal)
                .map_or_else(|| format!("signal {signal}"), |s| s.to_string()),
            (None, None) => "unknown status".into(),
        };
        match report.error() {
            _ if report.success() => Outcome::Ok,
            _ if report.timed_out() => Outcome::TimedOut(status),
            _ if stopped => Outcome::Killed(status),
            Some(error) => Outcome::Failed(format!("{status}, {error}")),
            None => Outcome::Failed(status),
        }
    }

    pub(crate) fn word(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed(_) => "failed",
            Outcome::TimedOut(_) => "timed-out",
            Outcome::Killed(_) => "killed",
            Outcome::NotRun(_) => "not-run",
        }
    }

    pub(crate) fn detail(&self) -> &str {
        match self {
            Outcome::Ok => "exit 0",
            Outcome::Failed(detail)
            | Outcome::TimedOut(detail)
            | Outcome::Killed(detail)
            | Outcome::NotRun(detail) => detail,
        }
    }

    /// The job log's Exitval and Signal, GNU parallel's: the exit code and
    /// 0; 0 and the signal that killed it; -1 and the signal when fanout
    /// stopped it (timeout, `--halt now`, Ctrl-C); -1 and 0 when it could
    /// not start.
    pub(crate) fn exitval_and_signal(&self, report: Option<&Report>) -> (i32, i32) {
        let code = report.and_then(Report::code);
        let signal = report.and_then(Report::signal).unwrap_or(0);
        match self {
            Outcome::Ok => (0, 0),
            Outcome::Failed(_) => (code.unwrap_or(0), signal),
            Outcome::TimedOut(_) | Outcome::Killed(_) | Outcome::NotRun(_) => (-1, signal),
        }
    }

    /// Counts in the exit status (and in `--halt … fail`).
    pub(crate) fn is_failure(&self) -> bool {
        matches!(
            self,
            Outcome::Failed(_) | Outcome::TimedOut(_) | Outcome::NotRun(_)
        )
    }
}

/// How many ended which way.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) ok: u64,
    pub(crate) failed: u64,
    pub(crate) timed_out: u64,
    pub(crate) killed: u64,
    pub(crate) not_run: u64,
}

impl Tally {
    pub(crate) fn add(&mut self, outcome: &Outcome) {
        *match outcome {
            Outcome::Ok => &mut self.ok,
            Outcome::Failed(_) => &mut self.failed,
            Outcome::TimedOut(_) => &mut self.timed_out,
            Outcome::Killed(_) => &mut self.killed,
            Outcome::NotRun(_) => &mut self.not_run,
        } += 1;
    }

    pub(crate) fn done(&self) -> u64 {
        self.ok + self.failures() + self.killed
    }

    pub(crate) fn failures(&self) -> u64 {
        self.failed + self.timed_out + self.not_run
    }

    /// The counts `--halt`, the exit status and the progress line read,
    /// of `total` jobs (when known): a job fanout stopped is neither a
    /// success nor a failure.
    pub(crate) fn counts(&self, total: Option<u64>) -> Counts {
        Counts {
            failed: self.failures(),
            succeeded: self.ok,
            killed: self.killed,
            total,
        }
    }
}

/// A failed job's own exit status, for `--halt now,fail=1` (as GNU
/// parallel: its exit code, 128 + N for signal N).
pub(crate) fn job_status(report: Option<&Report>) -> u8 {
    match report.map(|r| (r.code(), r.signal())) {
        Some((Some(code), _)) => code as u8,
        Some((None, Some(signal))) => 128u8.saturating_add(signal as u8),
        _ => 255,
    }
}

/// The command as the summary shows it: one line, at most
/// [`SHOWN_COMMAND`] characters.
pub(crate) fn shown(line: &OsString) -> String {
    let text = line.to_string_lossy();
    let mut shown: String = text
        .chars()
        .take(SHOWN_COMMAND)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > SHOWN_COMMAND {
        shown.push('…');
    }
    shown
}

/// A failed command's stderr tail, each line indented.
pub(crate) fn tail_text(tail: &Tail) -> String {
    let bytes = tail.bytes();
    if bytes.is_empty() {
        return String::new();
    }
    let mut text = String::new();
    if tail.dropped() > 0 {
        text += &format!(
            "    (the last {} of {} bytes of stderr)\n",
            bytes.len(),
            tail.total()
        );
    }
    for line in String::from_utf8_lossy(&bytes).lines() {
        text += &format!("    | {line}\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_job_is_neither_a_success_nor_a_failure() {
        let mut tally = Tally::default();
        for outcome in [
            Outcome::Ok,
            Outcome::Killed("SIGTERM".into()),
            Outcome::Failed("exit 1".into()),
            Outcome::TimedOut("SIGTERM".into()),
        ] {
            tally.add(&outcome);
        }
        let counts = tally.counts(Some(5));
        assert_eq!(
            counts,
            Counts {
                failed: 2,
                succeeded: 1,
                killed: 1,
                total: Some(5)
            }
        );
        assert_eq!(counts.ended(), tally.done());
    }
}
