//! One consumer thread follows many children through events mode: a single
//! channel carries every child's output chunks, the end of each of its
//! streams, and finally its exit with its report, in the order they
//! happened. The consumer prints a timeline (the first lines of each
//! stream, each end, each exit) and a summary.
//!
//! ```text
//! cargo run -p procpump --example events
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::process::{Command, ExitCode};
use std::thread;
use std::time::Instant;

use procpump::{ChildId, Event, Job, OutputReport, Reactor, Report, Stream};

/// Lines of each stream shown in the timeline; the rest are only counted.
const SHOWN_LINES: usize = 3;
/// Events the channel holds before the reactor pauses the pipes feeding it.
const CHANNEL_CAPACITY: usize = 64;

/// The children: real commands that print, fail, sleep, die.
fn commands() -> Vec<(&'static str, Command)> {
    let shell = |script: &str| {
        let mut sh = Command::new("sh");
        sh.args(["-c", script]);
        sh
    };
    let mut seq = Command::new("seq");
    seq.args(["1", "100000"]);
    let mut ls = Command::new("ls");
    ls.args(["/", "/nonexistent"]);
    let mut find = Command::new("find");
    find.args(["/etc", "-maxdepth", "1", "-name", "*.conf"]);
    vec![
        ("seq 1 100000", seq),
        (
            "ticker",
            shell("for i in 1 2 3; do echo tick $i; sleep 0.1; done; exit 3"),
        ),
        (
            "slow starter",
            shell("echo starting; sleep 0.2; echo warning >&2; echo done"),
        ),
        ("ls / /nonexistent", ls),
        ("find /etc -name *.conf", find),
        ("self-kill", shell("echo bye; kill -9 $$")),
        (
            "missing program",
            Command::new("procpump-example-no-such-program"),
        ),
    ]
}

/// One stream of one child, as the timeline shows it.
#[derive(Default)]
struct StreamView {
    partial: Vec<u8>,
    lines_shown: usize,
    bytes: u64,
    chunks: u64,
}

/// Prints the first lines of a stream as its chunks arrive.
fn show_output(view: &mut StreamView, tag: &str, bytes: &[u8]) {
    view.bytes += bytes.len() as u64;
    view.chunks += 1;
    if view.lines_shown >= SHOWN_LINES {
        return;
    }
    view.partial.extend_from_slice(bytes);
    while view.lines_shown < SHOWN_LINES {
        let Some(newline) = view.partial.iter().position(|&b| b == b'\n') else {
            break;
        };
        let line: Vec<u8> = view.partial.drain(..=newline).collect();
        println!("{tag} | {}", String::from_utf8_lossy(&line).trim_end());
        view.lines_shown += 1;
        if view.lines_shown == SHOWN_LINES {
            println!("{tag} | ...");
        }
    }
    if view.lines_shown >= SHOWN_LINES {
        view.partial = Vec::new();
    }
}

fn outcome(report: &Report) -> String {
    match (report.error(), report.code(), report.signal()) {
        (Some(error), _, _) => format!("failed: {error}"),
        (None, Some(code), _) => format!("exit {code}"),
        (None, None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None, None) => "unknown".to_owned(),
    }
}

/// One line of the summary, taken from a child's report.
struct Row {
    id: ChildId,
    stdout: u64,
    stderr: u64,
    seconds: f64,
    outcome: String,
}

impl Row {
    fn new(report: &Report) -> Row {
        let bytes = |output: Option<&OutputReport>| output.map_or(0, |o| o.bytes());
        Row {
            id: report.id(),
            stdout: bytes(report.stdout()),
            stderr: bytes(report.stderr()),
            seconds: report.duration().as_secs_f64(),
            outcome: outcome(report),
        }
    }
}

/// Follows every child until the channel closes; returns the summary.
fn follow(
    events: crossbeam_channel::Receiver<Event>,
    names: HashMap<ChildId, &'static str>,
    begin: Instant,
) -> Vec<Row> {
    let mut views: HashMap<(ChildId, Stream), StreamView> = HashMap::new();
    let mut rows = Vec::new();
    let stamp = |child: ChildId| {
        let name = names.get(&child).copied().unwrap_or("?");
        format!("{:>8.3}s {child} {name}", begin.elapsed().as_secs_f64())
    };
    for event in events {
        match event {
            Event::Output(chunk) => {
                let view = views.entry((chunk.child(), chunk.stream())).or_default();
                let tag = format!("{} {}", stamp(chunk.child()), chunk.stream());
                show_output(view, &tag, &chunk);
            }
            Event::End { child, stream, end } => {
                let view = views.entry((child, stream)).or_default();
                if !view.partial.is_empty() {
                    let tag = format!("{} {stream}", stamp(child));
                    println!("{tag} | {}", String::from_utf8_lossy(&view.partial));
                }
                println!(
                    "{} {stream} ended: {end:?} after {} bytes in {} chunks",
                    stamp(child),
                    view.bytes,
                    view.chunks
                );
            }
            Event::Exited(report) => {
                println!("{} done: {}", stamp(report.id()), outcome(&report));
                // Keep what the summary needs and let the report go: it
                // holds the child's sinks.
                rows.push(Row::new(&report));
            }
            // Events added in later versions.
            _ => {}
        }
    }
    rows
}

fn main() -> ExitCode {
    let mut reactor = match Reactor::new() {
        Ok(reactor) => reactor,
        Err(err) => {
            eprintln!("events: {err}");
            return ExitCode::FAILURE;
        }
    };
    let (events, receiver) = crossbeam_channel::bounded::<Event>(CHANNEL_CAPACITY);
    let mut names = HashMap::new();
    for (name, command) in commands() {
        let id = reactor.spawn(Job::new(command).events(events.clone()));
        names.insert(id, name);
    }
    // The jobs hold the only senders now: the channel closes when the last
    // child has been reported.
    drop(events);

    let begin = Instant::now();
    let consumer = {
        let names = names.clone();
        thread::spawn(move || follow(receiver, names, begin))
    };
    match reactor.run() {
        // In events mode the reports go to the channel, not here.
        Ok(reports) => debug_assert!(reports.is_empty()),
        Err(err) => {
            eprintln!("events: {err}");
            return ExitCode::FAILURE;
        }
    }
    drop(reactor);
    let Ok(mut rows) = consumer.join() else {
        eprintln!("events: the consumer panicked");
        return ExitCode::FAILURE;
    };

    rows.sort_by_key(|row| row.id);
    println!();
    println!(
        "{:<4} {:<24} {:>10} {:>8} {:>9}  outcome",
        "id", "child", "stdout", "stderr", "time"
    );
    for row in &rows {
        println!(
            "{:<4} {:<24} {:>10} {:>8} {:>8.3}s  {}",
            row.id.to_string(),
            names.get(&row.id).copied().unwrap_or("?"),
            row.stdout,
            row.stderr,
            row.seconds,
            row.outcome
        );
    }
    if rows.len() == names.len() {
        ExitCode::SUCCESS
    } else {
        eprintln!("events: {} children, {} reports", names.len(), rows.len());
        ExitCode::FAILURE
    }
}
