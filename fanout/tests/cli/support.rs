//! Helpers shared by the tests: the built `fanout`, ways to run it and
//! look at what it left.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The longest any one run of fanout may take in these tests: past it the
/// run is killed and the test fails (rather than hangs).
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The path of the `fanout` binary Cargo built for these tests.
pub fn fanout() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_fanout"))
}

/// Whether `condition` holds within `limit` (checked every 5 ms).
pub fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// What one run of fanout did.
#[derive(Debug)]
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Ran {
    /// The exit status (panics if fanout was killed by a signal).
    pub fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("fanout died by a signal: {self:?}"))
    }

    /// The summary line of job `index` (`[index] outcome detail ...`).
    pub fn summary(&self, index: u64) -> &str {
        let prefix = format!("[{index}] ");
        let mut after = self
            .stderr
            .split_once("fanout: summary")
            .unwrap_or_else(|| panic!("no summary in {self:?}"))
            .1
            .lines();
        after
            .find(|line| line.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no summary line for [{index}] in {}", self.stderr))
    }

    /// What the jobs wrote to stderr: what fanout's stderr holds
    /// before its summary.
    pub fn command_stderr(&self) -> &str {
        self.stderr
            .split_once("fanout: summary")
            .map_or(self.stderr.as_str(), |(before, _)| before)
    }

    /// The last line of stderr: the totals.
    pub fn totals(&self) -> &str {
        self.stderr.lines().last().unwrap_or_default()
    }
}

/// A `fanout` command with these arguments, stdout and stderr piped.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(fanout());
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs fanout with `args` (stdin empty) to the end.
pub fn run(args: &[&str]) -> Ran {
    wait(command(args).spawn().expect("start fanout"), Instant::now())
}

/// Runs fanout with `args`, feeding it `stdin`.
pub fn run_with_stdin(args: &[&str], stdin: Vec<u8>) -> Ran {
    let began = Instant::now();
    let mut child = command(args)
        .stdin(Stdio::piped())
        .spawn()
        .expect("start fanout");
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || pipe.write_all(&stdin));
    let ran = wait(child, began);
    writer.join().unwrap().expect("write fanout's stdin");
    ran
}

/// Reads a started fanout's stdout and stderr to their ends and waits for
/// it; kills it and panics past [`DEADLINE`].
pub fn wait(mut child: Child, began: Instant) -> Ran {
    let pid = child.id();
    let watchdog = std::thread::spawn(move || {
        let deadline = began + DEADLINE;
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            if !is_alive(pid) {
                return false;
            }
        }
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        true
    });
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        match stdout {
            Some(mut stdout) => stdout.read_to_string(&mut text).map(|_| text),
            None => Ok(text),
        }
    });
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    let elapsed = began.elapsed();
    let stdout = reader.join().unwrap().unwrap();
    assert!(
        !watchdog.join().unwrap(),
        "fanout ran past {DEADLINE:?}: {stderr}"
    );
    Ran {
        status,
        stdout,
        stderr,
        elapsed,
    }
}

/// True while process `pid` exists and is not a zombie.
fn is_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

/// A number of seconds to `sleep` that no other process uses, so the
/// sleepers a test starts can be found in `/proc` by their argument
/// (e.g. `"30.0012345"`).
pub fn unique_sleep() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("30.{:05}{:03}", std::process::id() % 100_000, n)
}

/// The live processes (not zombies) that have `arg` as one of their
/// arguments.
pub fn processes_with(arg: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if cmdline.split(|&b| b == 0).any(|a| a == arg.as_bytes()) && is_alive(pid) {
            found.push(pid);
        }
    }
    found
}

/// Samples a running process's peak resident memory (`VmHWM`, which only
/// grows) until it exits; returns the last value read, in KiB.
pub fn peak_kib(pid: u32) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) else {
                break; // a zombie: it has no memory any more
            };
            peak = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            std::thread::sleep(Duration::from_millis(10));
        }
        peak
    })
}

/// What a run printed on stdout, counted rather than kept.
#[derive(Debug, Default)]
pub struct Counted {
    pub bytes: u64,
    pub newlines: u64,
    /// Lines that are not one of the lines the caller expects.
    pub unexpected: u64,
}

/// Runs fanout with `args`, counting its stdout (each line checked by
/// `expected`, which gets it without its newline) instead of keeping it;
/// returns the run (its stdout empty), the count and the peak memory in
/// KiB.
pub fn run_counting(
    args: &[&str],
    mut expected: impl FnMut(&[u8]) -> bool + Send + 'static,
) -> (Ran, Counted, u64) {
    use std::io::BufRead;
    let began = Instant::now();
    let mut child = command(args).spawn().expect("start fanout");
    let peak = peak_kib(child.id());
    let stdout = child.stdout.take().unwrap();
    let counter = std::thread::spawn(move || {
        let mut counted = Counted::default();
        let mut reader = std::io::BufReader::with_capacity(1 << 20, stdout);
        let mut line = Vec::new();
        loop {
            line.clear();
            // Lines are read in pieces of at most 1 MiB and a newline.
            let n = (&mut reader)
                .take((1 << 20) + 1)
                .read_until(b'\n', &mut line)
                .unwrap();
            if n == 0 {
                break;
            }
            counted.bytes += n as u64;
            if line.ends_with(b"\n") {
                counted.newlines += 1;
                if !expected(&line[..line.len() - 1]) {
                    counted.unexpected += 1;
                }
            }
        }
        counted
    });
    let ran = wait(child, began);
    (ran, counter.join().unwrap(), peak.join().unwrap())
}
