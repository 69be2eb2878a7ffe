//! Helpers shared by the `fanout_*` tests: the `fanout` example, built
//! once per test binary, and ways to run it and look at what it left.
//!
//! Cargo does not build another package's examples for these tests, so
//! [`fanout`] runs `cargo build -p procpump-adapters --example fanout`
//! once, with the profile and target directory of this test binary (a
//! no-op when `cargo test --workspace` already built it).
//!
//! Each test binary uses some of these, so unused ones are allowed.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The longest any one run of fanout may take in these tests: past it the
/// run is killed and the test fails (rather than hangs).
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The path of the `fanout` example, built on first use.
pub fn fanout() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(build)
}

fn build() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test binary>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary is in target/<profile>/deps");
    let target_dir = profile_dir.parent().expect("a target directory");
    let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") | None => "dev",
        Some(name) => name,
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "procpump-adapters",
            "--example",
            "fanout",
        ])
        .args(["--profile", profile])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(
        status.success(),
        "cargo build of the fanout example failed: {status}"
    );
    let path = profile_dir.join("examples").join("fanout");
    assert!(path.is_file(), "no fanout at {}", path.display());
    path
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
    /// The exit code (panics if fanout was killed by a signal).
    pub fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("fanout died by a signal: {self:?}"))
    }

    /// The summary line of command `index` (`[index] outcome detail ...`).
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

    /// What the commands wrote to stderr: what fanout's stderr holds
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
