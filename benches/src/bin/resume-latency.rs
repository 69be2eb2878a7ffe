//! `resume-latency [--samples N] [--pause-us US]`: how soon a stream paused
//! on a full chunk channel resumes once the consumer takes a chunk.
//!
//! A background reactor runs `yes` with its stdout going into a chunk
//! channel of capacity 1. For each sample the consumer waits until the
//! channel is full and lets the reactor pause with the next chunk in hand
//! (`--pause-us`, default 300 µs), takes one chunk, and times how long the
//! next one takes to arrive: the watcher thread sees the room, notifies
//! the poller, the reactor wakes and sends. It prints the distribution:
//!
//! ```text
//! resume: samples=N p50=... p90=... p99=... max=... mean=...
//! baseline: samples=N p50=... p90=... p99=... max=... mean=...
//! ```
//!
//! The baseline is the same measurement with a plain thread blocked in
//! `send` on the full channel instead of the reactor: the floor set by
//! crossbeam's own hand-off and thread wake-up.
//!
//! ```text
//! cargo run --release -p procpump-benches --bin resume-latency -- --samples 5000
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use procpump::{ChannelSink, Chunk, Handle, Job, OnDisconnect};

const USAGE: &str = "usage: resume-latency [--samples N] [--pause-us US]";

struct Args {
    samples: usize,
    pause: Duration,
}

fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        samples: 5000,
        pause: Duration::from_micros(300),
    };
    while let Some(arg) = argv.next() {
        let mut value = |name: &str| {
            argv.next()
                .ok_or_else(|| format!("{name} needs a value"))?
                .parse::<u64>()
                .map_err(|_| format!("{name}: not a number"))
        };
        match arg.as_str() {
            "--samples" => args.samples = value("--samples")?.max(1) as usize,
            "--pause-us" => args.pause = Duration::from_micros(value("--pause-us")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    Ok(args)
}

/// Takes `samples` measurements from a channel of capacity 1 that
/// something refills as soon as it has room.
fn measure<T>(receiver: &Receiver<T>, args: &Args) -> Result<Vec<Duration>, String> {
    let mut latencies = Vec::with_capacity(args.samples);
    for _ in 0..args.samples {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !receiver.is_full() {
            if Instant::now() > deadline {
                return Err("the channel did not fill within 10 s".into());
            }
            thread::sleep(Duration::from_micros(20));
        }
        thread::sleep(args.pause);
        receiver.recv().map_err(|_| "the channel closed")?;
        let taken = Instant::now();
        receiver.recv().map_err(|_| "the channel closed")?;
        latencies.push(taken.elapsed());
    }
    Ok(latencies)
}

fn summary(name: &str, mut latencies: Vec<Duration>) {
    latencies.sort();
    let n = latencies.len();
    let at = |q: f64| latencies[((n - 1) as f64 * q).round() as usize];
    let mean = latencies.iter().sum::<Duration>() / n as u32;
    println!(
        "{name}: samples={n} p50={:?} p90={:?} p99={:?} max={:?} mean={mean:?}",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}

fn resume(args: &Args) -> Result<Vec<Duration>, String> {
    let handle = Handle::start().map_err(|e| e.to_string())?;
    let (sender, receiver) = crossbeam_channel::bounded::<Chunk>(1);
    // Dropping the receiver closes the pipe: `yes` dies of SIGPIPE.
    let sink = ChannelSink::new(sender).on_disconnect(OnDisconnect::Close);
    let child = handle.spawn(Job::new(Command::new("yes")).stdout(sink));
    let latencies = measure(&receiver, args);
    drop(receiver);
    let report = child.wait().map_err(|e| e.to_string())?;
    if let Some(error) = report.error() {
        return Err(format!("yes: {error}"));
    }
    handle.shutdown();
    latencies
}

fn baseline(args: &Args) -> Result<Vec<Duration>, String> {
    let (sender, receiver) = crossbeam_channel::bounded::<Vec<u8>>(1);
    let producer = thread::spawn(move || while sender.send(vec![b'y'; 8192]).is_ok() {});
    let latencies = measure(&receiver, args);
    drop(receiver);
    producer.join().map_err(|_| "the producer panicked")?;
    latencies
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("resume-latency: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    for (name, run) in [
        (
            "resume",
            resume as fn(&Args) -> Result<Vec<Duration>, String>,
        ),
        ("baseline", baseline),
    ] {
        match run(&args) {
            Ok(latencies) => summary(name, latencies),
            Err(message) => {
                eprintln!("resume-latency: {name}: {message}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
