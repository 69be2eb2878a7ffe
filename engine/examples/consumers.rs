//! Several children, each one's stdout read by a consumer thread of its own
//! that does real work on it (an FNV-1a hash, a byte and a line count),
//! through a bounded channel: a consumer that falls behind pauses only its
//! own child's pipe, and memory stays a few chunks per child whatever the
//! children print. Results are printed at the end, one line per child.
//!
//! ```text
//! cargo run --release -p procpump --example consumers
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use procpump::{Chunk, Job, Reactor};

/// Chunks each channel holds before its child's pipe is paused.
const CHANNEL_CAPACITY: usize = 8;

/// FNV-1a, 64 bits: simple, and it touches every byte.
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// What one consumer found in its child's output.
struct Summary {
    bytes: u64,
    lines: u64,
    chunks: u64,
    hash: u64,
    /// From the consumer's start to the end of the channel.
    elapsed: Duration,
}

/// Reads chunks until the channel closes (the child's stdout ended).
fn consume(chunks: crossbeam_channel::Receiver<Chunk>) -> Summary {
    let begin = Instant::now();
    let mut hash = Fnv1a::new();
    let (mut bytes, mut lines, mut count) = (0, 0, 0);
    for chunk in chunks {
        hash.update(&chunk);
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|&&byte| byte == b'\n').count() as u64;
        count += 1;
    }
    Summary {
        bytes,
        lines,
        chunks: count,
        hash: hash.0,
        elapsed: begin.elapsed(),
    }
}

/// The children: real commands that print a little or a lot.
fn commands() -> Vec<(&'static str, Command)> {
    let shell = |script: &str| {
        let mut sh = Command::new("sh");
        sh.args(["-c", script]);
        sh
    };
    let mut seq = Command::new("seq");
    seq.args(["1", "2000000"]);
    let mut find = Command::new("find");
    find.args(["/usr/share", "-type", "f"]);
    vec![
        ("seq 1 2000000", seq),
        ("find /usr/share -type f", find),
        ("yes | head -c 100M", shell("yes | head -c 100M")),
        ("head -c 50M /dev/zero", shell("head -c 50M /dev/zero")),
        ("ls -lR /usr/lib", shell("ls -lR /usr/lib")),
    ]
}

fn main() -> ExitCode {
    let mut reactor = match Reactor::new() {
        Ok(reactor) => reactor,
        Err(err) => {
            eprintln!("consumers: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut children = Vec::new();
    for (name, mut command) in commands() {
        // find and ls complain about what they may not read: keep quiet.
        command.stderr(std::process::Stdio::null());
        let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(CHANNEL_CAPACITY);
        let consumer = thread::spawn(move || consume(receiver));
        let id = reactor.spawn(Job::new(command).stdout(sender));
        children.push((id, name, consumer));
    }

    let begin = Instant::now();
    let reports = match reactor.run() {
        Ok(reports) => reports,
        Err(err) => {
            eprintln!("consumers: {err}");
            return ExitCode::FAILURE;
        }
    };
    let total = begin.elapsed();

    println!(
        "{:<26} {:>11} {:>9} {:>7} {:>18} {:>9}  status",
        "child", "bytes", "lines", "chunks", "fnv-1a", "time"
    );
    let mut failed = false;
    for (id, name, consumer) in children {
        let Some(report) = reports.iter().find(|report| report.id() == id) else {
            eprintln!("consumers: no report for {name}");
            return ExitCode::FAILURE;
        };
        let Ok(summary) = consumer.join() else {
            eprintln!("consumers: the consumer of {name} panicked");
            return ExitCode::FAILURE;
        };
        let status = match (report.error(), report.code(), report.signal()) {
            (Some(error), _, _) => error.to_string(),
            (None, Some(code), _) => format!("exit {code}"),
            (None, None, Some(signal)) => format!("signal {signal}"),
            (None, None, None) => "?".to_owned(),
        };
        failed |= report.error().is_some();
        // The consumer saw exactly what the reactor read.
        let read = report.stdout().map_or(0, |stdout| stdout.bytes());
        if read != summary.bytes {
            eprintln!(
                "consumers: {name}: the reactor read {read} bytes, the consumer got {}",
                summary.bytes
            );
            failed = true;
        }
        println!(
            "{name:<26} {:>11} {:>9} {:>7} {:>18x} {:>8.3}s  {status}",
            summary.bytes,
            summary.lines,
            summary.chunks,
            summary.hash,
            summary.elapsed.as_secs_f64()
        );
    }
    println!("all children done in {:.3}s", total.as_secs_f64());
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
