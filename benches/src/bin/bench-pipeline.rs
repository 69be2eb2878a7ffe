//! `bench-pipeline [--runs N] [--size SIZE]`
//!
//! `head -c SIZE /dev/zero | cat | cat | wc -c` (SIZE 4G by default) run
//! two ways, alternately, round after round, so that the load of a shared
//! machine falls on both alike: as a `procpump::Pipeline` (wc's stdout
//! into a sink), and by `sh -c` (its stdout collected by
//! `Command::output`). Prints each run, the medians and the ratio.
//!
//! Build: `cargo build --release -p procpump-benches --bin bench-pipeline`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::Command;
use std::time::{Duration, Instant};

use procpump::{Flow, Job, Pipeline, Reactor};

fn command(program: &str, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command.args(args);
    command
}

/// One run through a procpump pipeline; returns its time and wc's count.
fn through_procpump(size: &str) -> (Duration, String) {
    let start = Instant::now();
    let mut counted = Vec::new();
    let pipeline = Pipeline::new(Job::new(command("head", &["-c", size, "/dev/zero"])))
        .pipe(Job::new(command("cat", &[])))
        .pipe(Job::new(command("cat", &[])))
        .pipe(
            Job::new(command("wc", &["-c"])).stdout(move |chunk: &[u8]| {
                counted.extend_from_slice(chunk);
                Flow::Continue
            }),
        );
    let mut reactor = Reactor::new().expect("a reactor");
    reactor.spawn(pipeline.into());
    let report = reactor.run().expect("the run").remove(0);
    let elapsed = start.elapsed();
    assert!(report.success(), "{report}");
    let bytes = report.stdout().map_or(0, |out| out.bytes());
    (elapsed, format!("{bytes} bytes of wc output"))
}

/// One run of the same pipeline by `sh -c`.
fn through_sh(size: &str) -> (Duration, String) {
    let script = format!("head -c {size} /dev/zero | cat | cat | wc -c");
    let start = Instant::now();
    let output = command("sh", &["-c", &script]).output().expect("sh");
    let elapsed = start.elapsed();
    assert!(output.status.success());
    (
        elapsed,
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
    )
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut runs, mut size) = (5, String::from("4G"));
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--size" => size = args.next().expect("--size SIZE"),
            other => panic!("unknown argument {other}"),
        }
    }
    let (mut procpump, mut sh, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..runs {
        // Alternate which goes first.
        let pair = if round % 2 == 0 {
            let a = through_procpump(&size);
            (a, through_sh(&size))
        } else {
            let b = through_sh(&size);
            (through_procpump(&size), b)
        };
        let ((pp, pp_note), (shell, sh_note)) = pair;
        println!(
            "round {round}: Pipeline {:.3} s ({pp_note}), sh -c {:.3} s (wc: {sh_note}), ratio {:.3}",
            pp.as_secs_f64(),
            shell.as_secs_f64(),
            pp.as_secs_f64() / shell.as_secs_f64()
        );
        ratios.push(pp.as_secs_f64() / shell.as_secs_f64());
        procpump.push(pp);
        sh.push(shell);
    }
    let (pp, shell) = (median(&mut procpump), median(&mut sh));
    ratios.sort_by(f64::total_cmp);
    println!(
        "median: Pipeline {:.3} s, sh -c {:.3} s, ratio of medians {:.3}, median of the rounds' ratios {:.3}",
        pp.as_secs_f64(),
        shell.as_secs_f64(),
        pp.as_secs_f64() / shell.as_secs_f64(),
        ratios[ratios.len() / 2]
    );
}
