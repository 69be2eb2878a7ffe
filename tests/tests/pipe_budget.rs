//! Pipes are enlarged only within the reactor's budget
//! (`Options::pipe_budget`), because the kernel charges pipe pages to the
//! user and cuts every new pipe of a user who passes its soft limit.
//!
//! The children report the size of their own stdout pipe (`F_GETPIPE_SZ`)
//! after filling it, while the pipe is still open. The reactor (this test's
//! thread) runs on CPU 0 and the children on CPU 1: the reactor leaves the
//! pipe of a child that shares its CPU as it is, which is tested too.

use std::process::Command;

use procpump::{Discard, Job, Options, Reactor, Report, Stream};
use procpump_tests::sinks::Collect;

const F_GETPIPE_SZ: u32 = 1032;

/// Pins the calling thread to `cpu`.
fn pin_here(cpu: usize) {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).expect("pin the test thread");
}

/// Writes 64 MiB to stdout, reports the pipe's size on stderr, and keeps
/// the pipe open for a second, so that concurrent children overlap. Runs
/// on `cpu`.
fn filler(cpu: usize) -> Command {
    let script = format!(
        "import fcntl, os, sys, time\n\
         data = b'x' * (1 << 20)\n\
         for _ in range(64): os.write(1, data)\n\
         sys.stderr.write(str(fcntl.fcntl(1, {F_GETPIPE_SZ})))\n\
         sys.stderr.flush()\n\
         time.sleep(1)\n"
    );
    let mut command = Command::new("taskset");
    command.args(["-c", &cpu.to_string(), "python3", "-c", &script]);
    command
}

/// Runs `children` fillers at once on `cpu`, the reactor on CPU 0, and
/// returns each one's reported pipe size.
fn pipe_sizes(options: Options, children: usize, cpu: usize) -> Vec<usize> {
    pin_here(0);
    let mut reactor = Reactor::with_options(options).unwrap();
    for _ in 0..children {
        reactor.spawn(Job::new(filler(cpu)).stdout(Discard).stderr(Collect::new()));
    }
    let reports = reactor.run().unwrap();
    assert_eq!(reports.len(), children);
    reports.into_iter().map(reported_size).collect()
}

fn reported_size(mut report: Report) -> usize {
    assert!(report.success(), "{report:?}");
    assert_eq!(report.stdout().unwrap().bytes(), 64 << 20);
    let stderr: Collect = report.take_sink(Stream::Stderr).unwrap();
    let text = String::from_utf8_lossy(&stderr.bytes).into_owned();
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a pipe size: {text:?}"))
}

#[test]
fn a_full_pipe_is_enlarged_when_the_budget_allows() {
    let sizes = pipe_sizes(Options::new().pipe_budget(usize::MAX), 1, 1);
    assert_eq!(sizes, [1 << 20]);
}

#[test]
fn no_pipe_is_enlarged_without_a_budget() {
    let sizes = pipe_sizes(Options::new().pipe_budget(0), 2, 1);
    assert_eq!(sizes, [64 << 10, 64 << 10]);
}

#[test]
fn the_budget_is_shared_by_the_pipes_alive_at_once() {
    // Room for one enlarged pipe (1 MiB - 64 KiB), not two.
    let sizes = pipe_sizes(Options::new().pipe_budget(3 << 19), 3, 1);
    let enlarged = sizes.iter().filter(|&&size| size == 1 << 20).count();
    assert_eq!(enlarged, 1, "{sizes:?}");
    assert!(
        sizes
            .iter()
            .all(|&size| size == 1 << 20 || size == 64 << 10),
        "{sizes:?}"
    );
}

#[test]
fn the_pipe_of_a_child_on_the_reactors_cpu_is_left_as_it_is() {
    // On one CPU the default pipe, which stays in cache, is the faster.
    let sizes = pipe_sizes(Options::new().pipe_budget(usize::MAX), 1, 0);
    assert_eq!(sizes, [64 << 10]);
}
