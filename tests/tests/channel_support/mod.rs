//! Helpers shared by the `channel_*` and `background_*` tests: a watchdog
//! that turns a hang into a failure, CPU time of a thread or of the whole
//! process, memory of the process, and a sink that learns which thread the
//! reactor runs on.
//!
//! Each test binary uses some of these, so unused ones are allowed.

#![allow(dead_code)]

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use procpump::{Flow, Sink, StreamContext};

/// Runs `f` on a thread of its own and returns what it returns, or panics
/// naming `what` if it has not returned within `limit`: a hang in the code
/// under test fails the test instead of stalling the whole run.
pub fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, result) = crossbeam_channel::bounded(1);
    let worker = thread::Builder::new()
        .name(format!("watched: {what}"))
        .spawn(move || {
            let _ = done.send(f());
        })
        .expect("spawn a watched thread");
    match result.recv_timeout(limit) {
        Ok(value) => {
            worker.join().expect("watched thread");
            value
        }
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
            panic!("hung: {what} did not finish within {limit:?}")
        }
        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
            // The closure panicked: re-raise its panic here.
            match worker.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => unreachable!("the worker sends before it returns"),
            }
        }
    }
}

/// `/proc` reports CPU times in clock ticks of `USER_HZ`, which Linux fixes
/// at 100 per second for every architecture it exports them on.
const USER_HZ: u64 = 100;

/// utime + stime of a `/proc/.../stat` line (fields 14 and 15, counted
/// after the `)` that ends the command name, which may contain spaces).
fn stat_cpu(stat: &str) -> Duration {
    let rest = &stat[stat.rfind(')').expect("a stat line") + 1..];
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    // `rest` starts at field 3 (state), so field n is at index n - 3.
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    Duration::from_millis(ticks * 1000 / USER_HZ)
}

/// CPU time (user + system) used so far by thread `tid` of this process.
pub fn thread_cpu(tid: i32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
        .unwrap_or_else(|err| panic!("reading the stat of thread {tid}: {err}"));
    stat_cpu(&stat)
}

/// CPU time (user + system) used so far by this whole process, every
/// thread included.
pub fn process_cpu() -> Duration {
    stat_cpu(&std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat"))
}

/// The kernel's id of the calling thread.
pub fn current_tid() -> i32 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("/proc/thread-self/stat");
    stat.split_ascii_whitespace()
        .next()
        .and_then(|tid| tid.parse().ok())
        .expect("a thread id")
}

/// The threads of this process named `name` (their `comm`, which the
/// kernel cuts to 15 bytes).
pub fn threads_named(name: &str) -> Vec<i32> {
    let name = &name[..name.len().min(15)];
    let mut tids = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .flatten()
    {
        let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim_end() == name {
            tids.push(tid);
        }
    }
    tids
}

/// A field of `/proc/self/status` in KiB (`"VmRSS"`, `"VmHWM"`).
pub fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.split_ascii_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// A sink that throws its bytes away and records, in `start`, the id of
/// the thread it runs on: the reactor's.
#[derive(Debug, Clone, Default)]
pub struct ThreadProbe {
    tid: Arc<AtomicI32>,
}

impl ThreadProbe {
    /// A probe that has not run yet.
    pub fn new() -> ThreadProbe {
        ThreadProbe::default()
    }

    /// The reactor thread's id, once the sink has started.
    pub fn tid(&self) -> Option<i32> {
        match self.tid.load(Ordering::Acquire) {
            0 => None,
            tid => Some(tid),
        }
    }
}

impl Sink for ThreadProbe {
    fn chunk(&mut self, _chunk: &[u8]) -> Flow {
        Flow::Continue
    }

    fn start(&mut self, _context: &StreamContext<'_>) {
        self.tid.store(current_tid(), Ordering::Release);
    }
}
