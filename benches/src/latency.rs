//! Delivery latency: the `tick` child stamps each line with the machine's
//! monotonic clock, and a reader stamps it again when the line reaches it.
//!
//! `std::time::Instant` cannot be compared across processes (its epoch is
//! not part of its contract), so both sides read `CLOCK_MONOTONIC` through
//! [`monotonic_ns`]: one clock for every process on the machine, in
//! nanoseconds since boot.

use std::fmt;

/// Nanoseconds on `CLOCK_MONOTONIC`, comparable across processes.
pub fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a live, writable `timespec`; CLOCK_MONOTONIC always
    // exists on Linux, so the call cannot fail.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    debug_assert_eq!(rc, 0);
    let seconds = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(now.tv_nsec).unwrap_or(0);
    seconds * 1_000_000_000 + nanos
}

/// Collects one latency sample per stamped line from a stream of chunks
/// cut anywhere.
///
/// A line is timed when the chunk that completes it arrives: the reader's
/// clock is read once per chunk, as early as possible.
#[derive(Debug, Default)]
pub struct Recorder {
    /// The start of a line whose newline has not arrived yet.
    partial: Vec<u8>,
    /// Receive time minus send time, one per complete line, in ns.
    samples: Vec<u64>,
    /// Lines that were not a number (should stay 0).
    malformed: u64,
}

impl Recorder {
    /// A recorder with room for `lines` samples, so that recording does
    /// not allocate.
    pub fn with_capacity(lines: usize) -> Recorder {
        Recorder {
            partial: Vec::with_capacity(64),
            samples: Vec::with_capacity(lines),
            malformed: 0,
        }
    }

    /// Takes the next chunk of the stream, received now.
    pub fn chunk(&mut self, chunk: &[u8]) {
        self.chunk_at(chunk, monotonic_ns());
    }

    /// Takes the next chunk of the stream, received at `now` (ns on
    /// `CLOCK_MONOTONIC`).
    pub fn chunk_at(&mut self, chunk: &[u8], now: u64) {
        let mut rest = chunk;
        while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(newline);
            if self.partial.is_empty() {
                self.record(line, now);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.record(&whole, now);
                whole.clear();
                self.partial = whole;
            }
            rest = &after[1..];
        }
        self.partial.extend_from_slice(rest);
    }

    /// Records the latency of one line (a decimal send time).
    fn record(&mut self, line: &[u8], now: u64) {
        match std::str::from_utf8(line)
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
        {
            Some(sent) => self.samples.push(now.saturating_sub(sent)),
            None => self.malformed += 1,
        }
    }

    /// The distribution of what was recorded.
    pub fn summary(&self) -> Summary {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        Summary {
            lines: sorted.len() as u64,
            malformed: self.malformed,
            p50_ns: percentile(&sorted, 0.50),
            p99_ns: percentile(&sorted, 0.99),
            max_ns: sorted.last().copied().unwrap_or(0),
        }
    }
}

/// The nearest-rank percentile `q` (0 < q <= 1) of sorted values; 0 if
/// there are none.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Latency percentiles over every line of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Lines timed.
    pub lines: u64,
    /// Lines that were not a timestamp.
    pub malformed: u64,
    /// Median, ns.
    pub p50_ns: u64,
    /// 99th percentile, ns.
    pub p99_ns: u64,
    /// Largest, ns.
    pub max_ns: u64,
}

impl fmt::Display for Summary {
    /// `lines=N malformed=N p50_us=F p99_us=F max_us=F`, the keys the
    /// latency scenario's result line carries.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = |ns: u64| ns as f64 / 1000.0;
        write!(
            f,
            "lines={} malformed={} p50_us={:.1} p99_us={:.1} max_us={:.1}",
            self.lines,
            self.malformed,
            us(self.p50_ns),
            us(self.p99_ns),
            us(self.max_ns)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_chunks_are_timed_when_complete() {
        let mut recorder = Recorder::with_capacity(4);
        recorder.chunk_at(b"100\n2", 150);
        recorder.chunk_at(b"00\n300", 260);
        recorder.chunk_at(b"\nxyz\n", 400);
        let summary = recorder.summary();
        assert_eq!(summary.lines, 3);
        assert_eq!(summary.malformed, 1);
        assert_eq!(recorder.samples, vec![50, 60, 100]);
        assert_eq!(summary.max_ns, 100);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 0.50), 50);
        assert_eq!(percentile(&values, 0.99), 99);
        assert_eq!(percentile(&values, 1.0), 100);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn the_clock_moves_forward() {
        let a = monotonic_ns();
        let b = monotonic_ns();
        assert!(b >= a && a > 0);
    }
}
