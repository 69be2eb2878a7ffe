//! `pp-fault MODE [OPTIONS]`: the misbehaving children of the lifecycle
//! tests and the fault suite. Every option is `--name VALUE`; `--tag T` is
//! accepted by every mode and ignored, so that a test can find every
//! process it started (grandchildren too) by scanning `/proc/*/cmdline`.
//!
//! Modes (sizes accept K/M/G; "pattern" is the byte pattern of
//! `procpump_tests::fill_pattern` for `--seed S`, default 1):
//!
//! - `trickle --len N`: writes N pattern bytes to stdout, one `write(2)` per
//!   byte, then exits 0.
//! - `line --len N`: writes one line of N bytes (the pattern with every
//!   `\n` replaced by a space) and a final `\n`, in writes of up to 1 MiB.
//! - `hold --stdout N [--close 1] [--ms MS]`: writes N pattern bytes to
//!   stdout, closes stdout and stderr if `--close 1`, then sleeps MS
//!   milliseconds (default: for ever) and exits 0. Never reads stdin.
//! - `grandchild --stdout N --more M --hold-ms H --holders K [--ms MS]`:
//!   writes N pattern bytes to stdout, then starts K grandchildren that
//!   inherit stdout and stderr (K >= 1): the first sleeps H ms, writes
//!   pattern bytes N..N+M to stdout and exits; the others sleep H ms and
//!   exit. Then sleeps MS ms (default 0) and exits 0.
//! - `part --offset O --len L --delay-ms H`: sleeps H ms, writes pattern
//!   bytes O..O+L to stdout, exits 0 (3 on EPIPE).
//! - `escape --holders K`: starts one grandchild that leaves the process
//!   group with `setsid` and sleeps for ever, and K grandchildren that just
//!   sleep (all with stdio on /dev/null); prints `escapee PID` for the
//!   first and `holder PID` for each other, then `ready`, and sleeps for
//!   ever.
//! - `setsid-sleep`: `setsid()`, then sleeps for ever.
//! - `sleep`: sleeps for ever.
//! - `interleave --count N`: for i in 0..N writes `o{i}\n` to stdout then
//!   `e{i}\n` to stderr, one `write(2)` each.
//!
//! Exit status: as above; 2 on argument errors; 3 if a write fails with
//! EPIPE; 1 on other errors.

use procpump_tests::child::{
    is_broken_pipe, parse_or_exit, size_or_exit, stderr_file, stdout_file, usage_error,
};
use procpump_tests::fill_pattern;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{exit, Command, Stdio};
use std::time::Duration;

const PROG: &str = "pp-fault";

/// The options given as `--name VALUE` pairs.
struct Options(HashMap<String, String>);

impl Options {
    fn parse(args: impl Iterator<Item = String>) -> Options {
        let mut options = HashMap::new();
        let mut args = args;
        while let Some(arg) = args.next() {
            let Some(name) = arg.strip_prefix("--") else {
                usage_error(PROG, &format!("unexpected argument {arg:?}"));
            };
            let value = args
                .next()
                .unwrap_or_else(|| usage_error(PROG, &format!("option {arg} needs a value")));
            options.insert(name.to_owned(), value);
        }
        Options(options)
    }

    fn size(&self, name: &str, default: u64) -> u64 {
        self.0
            .get(name)
            .map_or(default, |value| size_or_exit(PROG, name, value))
    }

    fn number(&self, name: &str, default: u64) -> u64 {
        self.0
            .get(name)
            .map_or(default, |value| parse_or_exit(PROG, name, value))
    }

    fn millis(&self, name: &str) -> Option<Duration> {
        self.0
            .get(name)
            .map(|value| Duration::from_millis(parse_or_exit(PROG, name, value)))
    }

    fn tag(&self) -> &str {
        self.0.get("tag").map_or("", String::as_str)
    }
}

fn write_or_exit(out: &mut File, bytes: &[u8]) {
    if let Err(err) = out.write_all(bytes) {
        exit(if is_broken_pipe(&err) { 3 } else { 1 });
    }
}

/// Writes pattern bytes `offset..offset + len` of `seed`, mapped by `map`.
fn write_pattern(out: &mut File, seed: u64, offset: u64, len: u64, map: fn(&mut [u8])) {
    let mut buf = vec![0u8; len.min(1 << 20) as usize];
    let mut at = offset;
    while at < offset + len {
        let n = (offset + len - at).min(buf.len() as u64) as usize;
        fill_pattern(seed, at, &mut buf[..n]);
        map(&mut buf[..n]);
        write_or_exit(out, &buf[..n]);
        at += n as u64;
    }
}

fn sleep_for_ever() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn sleep_then_exit(ms: Option<Duration>) -> ! {
    match ms {
        Some(ms) => {
            std::thread::sleep(ms);
            exit(0)
        }
        None => sleep_for_ever(),
    }
}

fn stdout() -> File {
    stdout_file().unwrap_or_else(|_| exit(1))
}

/// Closes fds 1 and 2 themselves (not duplicates).
fn close_stdout_and_stderr() {
    for fd in [1, 2] {
        // SAFETY: fds 1 and 2 are open and nothing else in this program
        // uses them after this point; the OwnedFd closes them on drop.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
    }
}

/// Starts this program again in another mode.
fn again(mode: &str, args: &[String], tag: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap_or_else(|_| exit(1)));
    command.arg(mode).args(args).args(["--tag", tag]);
    command
}

fn main() {
    procpump_tests::child::default_signals();
    let mut args = std::env::args().skip(1);
    let mode = args
        .next()
        .unwrap_or_else(|| usage_error(PROG, "missing MODE"));
    let options = Options::parse(args);
    let seed = options.number("seed", 1);
    match mode.as_str() {
        "trickle" => {
            let mut out = stdout();
            let mut byte = [0u8];
            for offset in 0..options.size("len", 0) {
                fill_pattern(seed, offset, &mut byte);
                write_or_exit(&mut out, &byte);
            }
        }
        "line" => {
            let mut out = stdout();
            write_pattern(&mut out, seed, 0, options.size("len", 0), |buf| {
                for byte in buf {
                    if *byte == b'\n' {
                        *byte = b' ';
                    }
                }
            });
            write_or_exit(&mut out, b"\n");
        }
        "hold" => {
            let mut out = stdout();
            write_pattern(&mut out, seed, 0, options.size("stdout", 0), |_| {});
            drop(out);
            if options.number("close", 0) == 1 {
                close_stdout_and_stderr();
            }
            sleep_then_exit(options.millis("ms"));
        }
        "grandchild" => grandchild(&options, seed),
        "part" => {
            if let Some(delay) = options.millis("delay-ms") {
                std::thread::sleep(delay);
            }
            let mut out = stdout();
            let offset = options.size("offset", 0);
            write_pattern(&mut out, seed, offset, options.size("len", 0), |_| {});
        }
        "escape" => escape(&options),
        "setsid-sleep" => {
            if rustix::process::setsid().is_err() {
                exit(1);
            }
            sleep_for_ever();
        }
        "sleep" => sleep_for_ever(),
        "interleave" => {
            let mut out = stdout();
            let mut err = stderr_file().unwrap_or_else(|_| exit(1));
            for i in 0..options.number("count", 0) {
                write_or_exit(&mut out, format!("o{i}\n").as_bytes());
                write_or_exit(&mut err, format!("e{i}\n").as_bytes());
            }
        }
        _ => usage_error(PROG, &format!("unknown mode {mode:?}")),
    }
}

fn grandchild(options: &Options, seed: u64) {
    let mut out = stdout();
    let len = options.size("stdout", 0);
    write_pattern(&mut out, seed, 0, len, |_| {});
    drop(out);
    let hold = options.number("hold-ms", 0).to_string();
    let more = options.size("more", 0);
    for k in 0..options.number("holders", 1).max(1) {
        let part_len = if k == 0 { more } else { 0 };
        let args = [
            "--seed".to_owned(),
            seed.to_string(),
            "--offset".to_owned(),
            len.to_string(),
            "--len".to_owned(),
            part_len.to_string(),
            "--delay-ms".to_owned(),
            hold.clone(),
        ];
        // Not waited for: the grandchildren outlive this child.
        if again("part", &args, options.tag()).spawn().is_err() {
            exit(1);
        }
    }
    sleep_then_exit(Some(options.millis("ms").unwrap_or_default()));
}

#[allow(clippy::print_stdout)]
fn escape(options: &Options) {
    let start = |mode: &str| {
        again(mode, &[], options.tag())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|_| exit(1))
            .id()
    };
    let escapee = start("setsid-sleep");
    let mut lines = format!("escapee {escapee}\n");
    for _ in 0..options.number("holders", 0) {
        lines.push_str(&format!("holder {}\n", start("sleep")));
    }
    // The escapee must have left the group before the test goes on.
    let own = rustix::process::getpgid(None).unwrap_or_else(|_| exit(1));
    let escapee = i32::try_from(escapee)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .unwrap_or_else(|| exit(1));
    while rustix::process::getpgid(Some(escapee)).unwrap_or_else(|_| exit(1)) == own {
        std::thread::sleep(Duration::from_millis(1));
    }
    lines.push_str("ready\n");
    write_or_exit(&mut stdout(), lines.as_bytes());
    sleep_for_ever();
}
