//! Measuring a process from outside: its peak memory and threads while it
//! runs (/proc), and its peak RSS when it is reaped (`wait4`).

use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rustix::fs::{Mode, OFlags};

/// What the /proc sampler saw of a process while it ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcPeak {
    /// The largest `VmHWM` (its own peak RSS, children excluded), KiB.
    pub hwm_kib: u64,
    /// The largest `Threads:` count.
    pub threads: u64,
    /// How many times /proc/PID/status was read.
    pub samples: u64,
}

/// Polls a running process's /proc/PID/status for `VmHWM` and `Threads`.
///
/// It reads through a descriptor of the /proc/PID directory opened while
/// the process is known to be alive (an unreaped child of ours), so a
/// reused pid cannot be misread. `VmHWM` is a high-water mark, so sampling
/// misses nothing but growth in the last interval; a thread count can miss
/// threads that live shorter than the interval.
#[derive(Debug)]
pub struct ProcSampler {
    /// Set to end the polling.
    stop: Arc<AtomicBool>,
    /// The polling thread.
    thread: JoinHandle<ProcPeak>,
}

impl ProcSampler {
    /// Starts polling `pid` (an unreaped child of ours) every `interval`.
    ///
    /// # Errors
    ///
    /// If /proc/PID cannot be opened or the thread cannot start.
    pub fn start(pid: u32, interval: Duration) -> Result<ProcSampler, String> {
        let path = format!("/proc/{pid}");
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir = rustix::fs::open(&path, flags, Mode::empty())
            .map_err(|e| format!("cannot open {path}: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name("proc-sampler".to_owned())
            .spawn(move || poll_status(&dir, &flag, interval))
            .map_err(|e| format!("cannot start the /proc sampler: {e}"))?;
        Ok(ProcSampler { stop, thread })
    }

    /// Stops polling and returns the peaks seen.
    pub fn finish(self) -> ProcPeak {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// Samples until told to stop or the process has exited.
fn poll_status(proc_dir: &OwnedFd, stop: &AtomicBool, interval: Duration) -> ProcPeak {
    let mut peak = ProcPeak::default();
    while !stop.load(Ordering::Relaxed) {
        let Some((hwm, threads)) = read_status(proc_dir) else {
            break;
        };
        peak.hwm_kib = peak.hwm_kib.max(hwm);
        peak.threads = peak.threads.max(threads);
        peak.samples += 1;
        thread::sleep(interval);
    }
    peak
}

/// `VmHWM` (KiB) and `Threads` from `status` under `proc_dir`; `None` once
/// the process has exited (a zombie has no memory lines) or is gone.
fn read_status(proc_dir: &OwnedFd) -> Option<(u64, u64)> {
    let fd = rustix::fs::openat(
        proc_dir,
        "status",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    );
    let mut text = String::new();
    File::from(fd.ok()?).read_to_string(&mut text).ok()?;
    let field = |name: &str| -> Option<u64> {
        let value = text.lines().find_map(|l| l.strip_prefix(name))?.trim();
        value.trim_end_matches("kB").trim().parse().ok()
    };
    Some((field("VmHWM:")?, field("Threads:")?))
}

/// What `wait4` returned for a reaped child.
#[derive(Clone, Copy, Debug)]
pub struct Reaped {
    /// The raw wait status.
    pub status: libc::c_int,
    /// `ru_maxrss` in KiB: on Linux, the largest of the child's own peak
    /// and the peaks of the children *it* reaped (a maximum, not a sum).
    pub max_rss_kib: u64,
}

impl Reaped {
    /// True for a clean `exit(0)`.
    pub fn success(&self) -> bool {
        libc::WIFEXITED(self.status) && libc::WEXITSTATUS(self.status) == 0
    }

    /// `exit code N` or `signal N`.
    pub fn describe(&self) -> String {
        if libc::WIFEXITED(self.status) {
            format!("exit code {}", libc::WEXITSTATUS(self.status))
        } else if libc::WIFSIGNALED(self.status) {
            format!("signal {}", libc::WTERMSIG(self.status))
        } else {
            format!("wait status {:#x}", self.status)
        }
    }
}

/// Reaps `pid` (a child of ours) with `wait4`, retrying on `EINTR`.
///
/// # Errors
///
/// If `wait4` fails (not our child, already reaped).
pub fn wait4(pid: u32) -> Result<Reaped, String> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| format!("pid {pid} out of range"))?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is a plain C struct of integers; all-zero is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live, writable locals of the right
        // types.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            return Ok(Reaped {
                status,
                max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
            });
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4({pid}) failed: {err}"));
        }
    }
}

/// A measured process's stdout, what `wait4` said of it, and what the
/// /proc sampler saw while it ran.
#[derive(Debug)]
pub struct Measured {
    /// Everything it printed on stdout.
    pub output: String,
    /// Its exit and peak RSS.
    pub reaped: Reaped,
    /// Its own peaks while it ran.
    pub peak: ProcPeak,
}

/// Runs `command` (stdin null, stdout captured, stderr inherited), samples
/// it every `interval` while it runs, reads all it prints, and reaps it
/// with `wait4` (not `Child::wait`, to get its rusage).
///
/// # Errors
///
/// If it cannot be spawned, sampled, read or reaped, or does not exit 0;
/// each message names the command line, as `shown`.
pub fn run_sampled(
    command: &mut Command,
    shown: &str,
    interval: Duration,
) -> Result<Measured, String> {
    let fail = |why: String| format!("run failed: `{shown}`: {why}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| fail(format!("cannot spawn: {e}")))?;
    let sampler = ProcSampler::start(child.id(), interval);
    let mut output = String::new();
    let read = child
        .stdout
        .take()
        .map_or(Ok(0), |mut out| out.read_to_string(&mut output));
    let reaped = wait4(child.id()).map_err(&fail)?;
    let peak = sampler.map_err(&fail)?.finish();
    read.map_err(|e| fail(format!("cannot read its output: {e}")))?;
    if !reaped.success() {
        return Err(fail(format!("{} (output: {output:?})", reaped.describe())));
    }
    Ok(Measured {
        output,
        reaped,
        peak,
    })
}

/// Converts KiB to MiB.
pub fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A small /proc file, trimmed, or why it could not be read.
pub fn proc_text(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|e| format!("unavailable ({e})"))
}

/// The CPU model name from /proc/cpuinfo.
pub fn cpu_model() -> String {
    proc_text("/proc/cpuinfo")
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map_or_else(|| "unknown".to_owned(), |(_, m)| m.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    #[allow(clippy::zombie_processes)] // reaped by `wait4`, which clippy cannot see
    fn samples_and_reaps_a_child() {
        let child = Command::new("sleep")
            .arg("0.2")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let sampler = ProcSampler::start(child.id(), Duration::from_millis(5)).unwrap();
        let reaped = wait4(child.id()).unwrap();
        let peak = sampler.finish();
        assert!(reaped.success(), "{}", reaped.describe());
        assert!(reaped.max_rss_kib > 0);
        assert!(peak.samples > 0 && peak.threads == 1 && peak.hwm_kib > 0);
    }
}
