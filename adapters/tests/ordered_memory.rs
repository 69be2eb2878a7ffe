//! `Ordered`: 1,000 children printing 1 MiB each, finishing in any order,
//! come out in order while the process's peak memory (VmHWM) grows by at
//! most 8 MiB.
//!
//! A test binary of its own, with one test: it measures the whole
//! process's memory, which other tests beside it would disturb.

use std::io::{self, Write};
use std::process::Command;

use procpump::{Job, Options, Reactor};
use procpump_adapters::Ordered;

const JOBS: u64 = 1000;
const EACH: u64 = 1 << 20;

/// Job `job`'s line, repeated to make its output.
fn line(job: u64) -> Vec<u8> {
    format!("job-{job:04}\n").into_bytes()
}

/// Checks each byte it is given against the jobs' outputs, in order,
/// keeping nothing.
struct Check {
    job: u64,
    offset: u64,
    /// Job `job`'s line, repeated past 64 KiB.
    expected: Vec<u8>,
}

impl Check {
    fn new() -> Check {
        Check {
            job: 0,
            offset: 0,
            expected: line(0).repeat(8000),
        }
    }
}

impl Write for Check {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.job >= JOBS {
            panic!("{} bytes after the last job", buf.len());
        }
        let width = line(self.job).len() as u64;
        let n = buf.len().min(64 << 10).min((EACH - self.offset) as usize);
        let at = (self.offset % width) as usize;
        assert!(
            buf[..n] == self.expected[at..at + n],
            "job {} differs near offset {}",
            self.job,
            self.offset
        );
        self.offset += n as u64;
        if self.offset == EACH {
            self.job += 1;
            self.offset = 0;
            self.expected = line(self.job).repeat(8000);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// VmHWM of this process, in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
#[allow(clippy::print_stderr)] // the figures, for docs/BENCHMARKS.md and the changelog
fn a_thousand_outputs_of_1_mib_in_order_within_8_mib() {
    let before = peak_kib();
    let out = Ordered::writer(Check::new());
    let options = Options::new().max_running(16);
    let mut reactor = Reactor::with_options(options).unwrap();
    for job in 0..JOBS {
        // Later jobs sleep less, so most finish before the ones before.
        let script = format!(
            "sleep 0.0{}; yes job-{job:04} | head -c {EACH}",
            9 - job % 10
        );
        let mut sh = Command::new("sh");
        sh.args(["-c", &script]);
        reactor.spawn(Job::new(sh).stdout(out.sink()));
    }
    let started = std::time::Instant::now();
    for report in reactor.run().unwrap() {
        assert!(report.success(), "{report:?}");
    }
    let after = peak_kib();
    let peak_held = out.peak_resident();
    let check = out.into_inner().unwrap();
    assert_eq!((check.job, check.offset), (JOBS, 0), "not every byte came");
    let growth = after.saturating_sub(before);
    eprintln!(
        "{JOBS} x 1 MiB in order: {:.1} s, VmHWM {before} -> {after} KiB (+{growth} KiB), \
         held in memory at most {} KiB",
        started.elapsed().as_secs_f64(),
        peak_held >> 10
    );
    assert!(growth <= 8 << 10, "VmHWM grew by {growth} KiB");
}
