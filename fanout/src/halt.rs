//! `--halt WHEN,WHY=N`: when to stop starting jobs (`soon`) or to stop the
//! running ones too (`now`), and the exit status it leads to, as GNU
//! parallel does.

/// What `--halt` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    Fail,
    Success,
    Done,
}

/// A count, or a percentage of the jobs ended so far.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Threshold {
    Count(u64),
    Percent(f64),
}

/// The `--halt` policy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Halt {
    Never,
    When {
        /// `now`: stop the running jobs; `soon`: let them end.
        now: bool,
        why: Why,
        threshold: Threshold,
    },
}

/// How many jobs ended which way so far, and of how many in all (when
/// known). Made in one place (`Tally::counts`), so that `--halt`, the
/// exit status and the progress line agree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Failed: a non-zero exit, a signal, a timeout, not started.
    pub(crate) failed: u64,
    /// Exited 0.
    pub(crate) succeeded: u64,
    /// Stopped by fanout (`--halt now`, a signal): neither.
    pub(crate) killed: u64,
    pub(crate) total: Option<u64>,
}

impl Counts {
    /// The jobs that ended, whichever way.
    pub(crate) fn ended(&self) -> u64 {
        self.failed + self.succeeded + self.killed
    }
}

impl Halt {
    /// Parses `0`, `1`, `2`, or `now|soon,fail|success|done=N|N%`.
    ///
    /// # Errors
    ///
    /// A message naming what is wrong.
    pub(crate) fn parse(text: &str) -> Result<Halt, String> {
        let count = |now, n| Halt::When {
            now,
            why: Why::Fail,
            threshold: Threshold::Count(n),
        };
        match text {
            "0" | "never" => return Ok(Halt::Never),
            "1" => return Ok(count(false, 1)),
            "2" => return Ok(count(true, 1)),
            _ => {}
        }
        let wrong = || format!("--halt needs now|soon,fail|success|done=N|N%, not {text:?}");
        let (when, rest) = text.split_once(',').ok_or_else(wrong)?;
        let (why, value) = rest.split_once('=').ok_or_else(wrong)?;
        let now = match when {
            "now" => true,
            "soon" => false,
            _ => return Err(wrong()),
        };
        let why = match why {
            "fail" => Why::Fail,
            "success" => Why::Success,
            "done" => Why::Done,
            _ => return Err(wrong()),
        };
        let threshold = match value.strip_suffix('%') {
            Some(percent) => match percent.parse::<f64>() {
                Ok(p) if p > 0.0 && p <= 100.0 => Threshold::Percent(p),
                _ => return Err(wrong()),
            },
            None => match value.parse::<u64>() {
                Ok(n) if n > 0 => Threshold::Count(n),
                _ => return Err(wrong()),
            },
        };
        Ok(Halt::When {
            now,
            why,
            threshold,
        })
    }

    /// Whether the policy is met with these counts; `Some(now)` if so.
    pub(crate) fn reached(&self, counts: &Counts) -> Option<bool> {
        let Halt::When {
            now,
            why,
            threshold,
        } = *self
        else {
            return None;
        };
        let counted = match why {
            Why::Fail => counts.failed,
            Why::Success => counts.succeeded,
            Why::Done => counts.failed + counts.succeeded,
        };
        let met = match threshold {
            Threshold::Count(n) => counted >= n,
            // Of the jobs ended so far, as GNU parallel counts.
            Threshold::Percent(p) => {
                let done = (counts.failed + counts.succeeded).max(1);
                counted as f64 * 100.0 >= p * done as f64
            }
        };
        met.then_some(now)
    }

    /// The exit status after the run, GNU parallel's: with `fail=1` it is
    /// the failing job's own (`last_failure`), with `fail=N%` the
    /// percentage of jobs that failed (rounded up), after `success=…` 0,
    /// else the number of failures (101 for more than 100).
    pub(crate) fn exit_status(&self, counts: &Counts, halted: bool, last_failure: u8) -> u8 {
        let failed = counts.failed;
        match *self {
            Halt::When {
                why: Why::Fail,
                threshold: Threshold::Count(1),
                ..
            } if halted => last_failure,
            Halt::When {
                why: Why::Success, ..
            } if halted => 0,
            Halt::When {
                why: Why::Fail,
                threshold: Threshold::Percent(_),
                ..
            } if halted => {
                let all = counts.total.unwrap_or(failed + counts.succeeded).max(1);
                (failed * 100).div_ceil(all).min(100) as u8
            }
            _ => failures_status(failed),
        }
    }
}

/// 0–100: the number of failures; 101: more.
pub(crate) fn failures_status(failed: u64) -> u8 {
    failed.min(101) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_gnu_parallels_forms() {
        assert_eq!(Halt::parse("0"), Ok(Halt::Never));
        assert_eq!(
            Halt::parse("2"),
            Ok(Halt::When {
                now: true,
                why: Why::Fail,
                threshold: Threshold::Count(1)
            })
        );
        assert_eq!(
            Halt::parse("soon,done=30%"),
            Ok(Halt::When {
                now: false,
                why: Why::Done,
                threshold: Threshold::Percent(30.0)
            })
        );
        for bad in ["later,fail=1", "now,fail", "now,fail=0", "now,win=1", "3"] {
            assert!(Halt::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reached_and_exit_statuses() {
        let halt = Halt::parse("now,fail=50%").unwrap();
        // 1 failure of 3 ended is 33%: not yet; 2 of 4 is 50%.
        let one = Counts {
            failed: 1,
            succeeded: 2,
            killed: 0,
            total: Some(6),
        };
        assert_eq!(halt.reached(&one), None);
        let counts = Counts { failed: 2, ..one };
        assert_eq!(halt.reached(&counts), Some(true));
        // GNU parallel: `--halt now,fail=50% 'exit {}' ::: 0 0 3 4 0 0`
        // exits 34 (2 of 6 failed, rounded up).
        assert_eq!(halt.exit_status(&counts, true, 4), 34);
        let first = Halt::parse("now,fail=1").unwrap();
        assert_eq!(first.exit_status(&counts, true, 3), 3);
        assert_eq!(first.exit_status(&counts, false, 3), 2);
        assert_eq!(failures_status(300), 101);
    }
}
