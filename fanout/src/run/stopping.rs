//! Stopping: why fanout starts no more jobs (`--halt`, or a signal it
//! caught), which signal the running ones get and when, and the exit
//! status that follows.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use procpump::{Report, Signal};

use crate::halt::{Counts, Halt};
use crate::outcome::{job_status, Outcome};
use crate::SIGNAL;

/// Why fanout stopped starting jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// `--halt`; `now`: stop the running jobs too.
    Halt { now: bool },
    /// `SIGINT`, `SIGTERM` or `SIGHUP`, by number.
    Signal(i32),
}

/// Whether and why the run stops, since when, and how hard.
#[derive(Debug)]
pub(super) struct Stopping {
    why: Option<Stop>,
    /// When the running jobs were first told to stop.
    began: Instant,
    /// A second signal: `SIGKILL` at once.
    kill_now: bool,
    /// `--grace`: between `SIGTERM` and `SIGKILL`.
    grace: Duration,
    /// `--halt … fail=1`: the failing job's exit status.
    last_failure: u8,
}

impl Stopping {
    /// Not stopping; a stop will give the jobs `grace` between `SIGTERM`
    /// and `SIGKILL`.
    pub(super) fn new(grace: Duration) -> Stopping {
        Stopping {
            why: None,
            began: Instant::now(),
            kill_now: false,
            grace,
            last_failure: 0,
        }
    }

    /// Whether fanout starts no more jobs.
    pub(super) fn is_stopped(&self) -> bool {
        self.why.is_some()
    }

    /// Whether the running jobs are to be stopped too (a signal, `--halt
    /// now`).
    pub(super) fn stops_running(&self) -> bool {
        matches!(self.why, Some(Stop::Signal(_) | Stop::Halt { now: true }))
    }

    /// Why fanout stopped, if it did.
    pub(super) fn why(&self) -> Option<Stop> {
        self.why
    }

    /// Stops on a signal caught since the last look.
    pub(super) fn check_signal(&mut self) {
        let signal = SIGNAL.swap(0, Ordering::SeqCst);
        if signal != 0 {
            self.stop(Stop::Signal(signal as i32));
        }
    }

    /// Starts nothing more (and, unless `--halt soon`, stops what runs). A
    /// signal while already stopping asks for `SIGKILL` at once.
    pub(super) fn stop(&mut self, why: Stop) {
        match (self.why, why) {
            (None, _) | (Some(Stop::Halt { now: false }), _) => {
                self.why = Some(why);
                self.began = Instant::now();
            }
            (Some(_), Stop::Signal(_)) => {
                self.why = Some(why);
                self.kill_now = true;
            }
            (Some(_), Stop::Halt { .. }) => {}
        }
    }

    /// The signal the running jobs get now: `SIGKILL` once the grace is
    /// over (or after a second signal), `SIGTERM` before.
    pub(super) fn signal_due(&self) -> Signal {
        if self.kill_now || self.began.elapsed() >= self.grace {
            Signal::KILL
        } else {
            Signal::TERM
        }
    }

    /// While stopping jobs of which some (`unkilled`) did not get
    /// `SIGKILL` yet: the time until it is due.
    pub(super) fn grace_left(&self, unkilled: bool) -> Option<Duration> {
        (self.stops_running() && unkilled).then(|| self.grace.saturating_sub(self.began.elapsed()))
    }

    /// After a job ended for good: stops if `halt` says so with `counts`,
    /// keeping a failing job's status for the exit status. Jobs fanout
    /// stopped itself do not count.
    pub(super) fn check_halt(
        &mut self,
        halt: &Halt,
        outcome: &Outcome,
        counts: &Counts,
        report: Option<&Report>,
    ) {
        if matches!(outcome, Outcome::Killed(_)) || self.is_stopped() {
            return;
        }
        if let Some(now) = halt.reached(counts) {
            if outcome.is_failure() {
                self.last_failure = job_status(report);
            }
            self.stop(Stop::Halt { now });
        }
    }

    /// fanout's exit status: 128 + N after signal N, else what `halt`
    /// makes of `counts`.
    pub(super) fn exit_status(&self, halt: &Halt, counts: &Counts) -> u8 {
        match self.why {
            Some(Stop::Signal(signal)) => 128u8.saturating_add(signal as u8),
            Some(Stop::Halt { .. }) => halt.exit_status(counts, true, self.last_failure),
            None => halt.exit_status(counts, false, self.last_failure),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_signal_kills_at_once_and_halt_soon_gives_way() {
        let mut stopping = Stopping::new(Duration::from_secs(60));
        stopping.stop(Stop::Halt { now: false });
        assert!(stopping.is_stopped() && !stopping.stops_running());
        stopping.stop(Stop::Signal(2));
        assert!(stopping.stops_running());
        assert_eq!(stopping.signal_due(), Signal::TERM);
        assert!(stopping.grace_left(true).is_some());
        assert_eq!(stopping.grace_left(false), None);
        stopping.stop(Stop::Signal(2));
        assert_eq!(stopping.signal_due(), Signal::KILL);
        assert_eq!(stopping.exit_status(&Halt::Never, &Counts::default()), 130);
    }
}
