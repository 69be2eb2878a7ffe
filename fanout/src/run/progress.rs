//! The progress line on stderr (on a terminal only): jobs done, of how
//! many, running, failed, killed, the output's rate and the time left.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::console::StatusLine;
use crate::halt::Counts;

/// How often the progress line is redrawn while nothing happens (only
/// when it is shown: on a terminal). Nothing else in fanout waits on a
/// clock: new arguments on stdin and signals wake the reactor
/// ([`procpump::Waker`]), and `--delay` is a deadline.
const REDRAW: Duration = Duration::from_millis(250);

/// The least time between two drawings of the line.
const LEAST_BETWEEN: Duration = Duration::from_millis(100);

/// The progress line's state: when it was drawn, the bytes then, the rate.
#[derive(Debug)]
pub(super) struct Progress {
    status: Arc<StatusLine>,
    began: Instant,
    drawn: Instant,
    bytes: u64,
    rate: f64,
}

impl Progress {
    /// The line drawn on `status` (if it is enabled), from now.
    pub(super) fn new(status: Arc<StatusLine>) -> Progress {
        let now = Instant::now();
        Progress {
            status,
            began: now,
            drawn: now,
            bytes: 0,
            rate: 0.0,
        }
    }

    /// How long the run may wait before the line is due again; `None`
    /// when it is not shown.
    pub(super) fn redraw_in(&self) -> Option<Duration> {
        self.status.enabled.then_some(REDRAW)
    }

    /// Redraws the line when it is due, with `bytes` of output so far.
    pub(super) fn draw(&mut self, bytes: u64, running: usize, counts: &Counts) {
        let now = Instant::now();
        let since = now - self.drawn;
        if !self.status.enabled || since < LEAST_BETWEEN {
            return;
        }
        let rate = (bytes - self.bytes) as f64 / since.as_secs_f64();
        self.rate = 0.7 * self.rate + 0.3 * rate;
        (self.drawn, self.bytes) = (now, bytes);
        let per_job = self.began.elapsed().as_secs_f64() / counts.ended().max(1) as f64;
        self.status
            .draw(&text(counts, running, self.rate as u64, per_job));
    }

    /// Takes the line off the terminal.
    pub(super) fn clear(&self) {
        self.status.clear();
    }
}

/// The line: jobs done (of how many), running, failed, killed (by fanout:
/// neither failed nor succeeded), bytes/s,
/// and the time left at `per_job` seconds a job, the pace so far.
fn text(counts: &Counts, running: usize, rate: u64, per_job: f64) -> String {
    let done = counts.ended();
    let (total, eta) = match counts.total {
        Some(total) if done > 0 => {
            let left = total.saturating_sub(done) as f64 * per_job;
            (format!("/{total}"), format!(", ETA {left:.0}s"))
        }
        Some(total) => (format!("/{total}"), String::new()),
        None => (String::new(), String::new()),
    };
    let killed = match counts.killed {
        0 => String::new(),
        killed => format!(", {killed} killed"),
    };
    format!(
        "fanout: {done}{total} done, {running} running, {} failed{killed}, {}/s{eta}",
        counts.failed,
        human(rate),
    )
}

/// Bytes for people: 999 B, 1.2 kB, 3.4 MB, 5.6 GB.
fn human(bytes: u64) -> String {
    match bytes {
        0..=999 => format!("{bytes} B"),
        1_000..=999_999 => format!("{:.1} kB", bytes as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.1} GB", bytes as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_how_the_jobs_ended() {
        let counts = Counts {
            failed: 1,
            succeeded: 2,
            killed: 1,
            total: Some(8),
        };
        assert_eq!(
            text(&counts, 3, 1_500, 2.0),
            "fanout: 4/8 done, 3 running, 1 failed, 1 killed, 1.5 kB/s, ETA 8s"
        );
        let none = Counts::default();
        assert_eq!(
            text(&none, 0, 0, 0.0),
            "fanout: 0 done, 0 running, 0 failed, 0 B/s"
        );
    }
}
