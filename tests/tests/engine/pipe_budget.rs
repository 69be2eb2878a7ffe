//! Pipes are enlarged only within the reactor's budget
//! (`Options::pipe_budget`), because the kernel charges pipe pages to the
//! user and cuts every new pipe of a user who passes its soft limit.
//!
//! The children report the size of their own stdout pipe (`F_GETPIPE_SZ`)
//! after filling it, while the pipe is still open. The reactor (this test's
//! thread) runs on CPU 0 and the children on CPU 1. A child that shares the
//! reactor's CPU gets a pipe the size of one read instead, and a pipe
//! follows its child from one CPU to the other: both are tested too.

use std::path::Path;
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

/// Writes 64 MiB to stdout on each CPU of `cpus` in turn, reporting the
/// pipe's size on stderr after each (a line each), and keeps the pipe open
/// for a second, so that concurrent children overlap. It pauses a
/// millisecond after each 1 MiB: the kernel refuses to shrink a pipe below
/// what it holds, and a writer on the reactor's CPU that never paused could
/// refill the pipe after every read and keep it from ever shrinking.
fn filler(cpus: &[usize]) -> Command {
    filler_with(cpus, None, None, 1.0)
}

/// [`filler`], waiting for the file `after` to exist before it starts,
/// creating the file `then` once done, and holding its pipe open for
/// `hold` seconds.
fn filler_with(cpus: &[usize], after: Option<&Path>, then: Option<&Path>, hold: f64) -> Command {
    let script = format!(
        "import fcntl, os, sys, time\n\
         after, then = {after:?}, {then:?}\n\
         while after and not os.path.exists(after): time.sleep(0.01)\n\
         data = b'x' * (1 << 20)\n\
         for cpu in {cpus:?}:\n\
         \x20   os.sched_setaffinity(0, {{cpu}})\n\
         \x20   for _ in range(64): os.write(1, data); time.sleep(0.001)\n\
         \x20   sys.stderr.write(str(fcntl.fcntl(1, {F_GETPIPE_SZ})) + '\\n')\n\
         \x20   sys.stderr.flush()\n\
         if then: open(then, 'w').close()\n\
         time.sleep({hold})\n",
        after = after.map_or(String::new(), |path| path.display().to_string()),
        then = then.map_or(String::new(), |path| path.display().to_string()),
    );
    let mut command = Command::new("python3");
    command.args(["-c", &script]);
    command
}

/// Runs `children` fillers at once, moving through `cpus`, the reactor on
/// CPU 0, and returns the pipe sizes each one reported.
fn pipe_sizes_moving(options: Options, children: usize, cpus: &[usize]) -> Vec<Vec<usize>> {
    pin_here(0);
    let mut reactor = Reactor::with_options(options).unwrap();
    for _ in 0..children {
        reactor.spawn(
            Job::new(filler(cpus))
                .stdout(Discard)
                .stderr(Collect::new()),
        );
    }
    let reports = reactor.run().unwrap();
    assert_eq!(reports.len(), children);
    reports
        .into_iter()
        .map(|report| reported_sizes(report, cpus.len()))
        .collect()
}

/// Runs `children` fillers at once on `cpu`, the reactor on CPU 0, and
/// returns each one's reported pipe size.
fn pipe_sizes(options: Options, children: usize, cpu: usize) -> Vec<usize> {
    pipe_sizes_moving(options, children, &[cpu])
        .into_iter()
        .map(|sizes| sizes[0])
        .collect()
}

fn reported_sizes(mut report: Report, phases: usize) -> Vec<usize> {
    assert!(report.success(), "{report:?}");
    assert_eq!(report.stdout().unwrap().bytes(), (64 << 20) * phases as u64);
    let stderr: Collect = report.take_sink(Stream::Stderr).unwrap();
    let text = String::from_utf8_lossy(&stderr.bytes).into_owned();
    let sizes: Vec<usize> = text
        .lines()
        .map(|line| {
            line.parse()
                .unwrap_or_else(|_| panic!("not a pipe size: {text:?}"))
        })
        .collect();
    assert_eq!(sizes.len(), phases, "{text:?}");
    sizes
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
fn the_pipe_of_a_child_on_the_reactors_cpu_is_the_size_of_one_read() {
    // On one CPU a pipe that stays in cache is the faster.
    let sizes = pipe_sizes(Options::new().pipe_budget(usize::MAX), 1, 0);
    assert_eq!(sizes, [256 << 10]);
    let options = Options::new().pipe_budget(usize::MAX).read_size(64 << 10);
    assert_eq!(pipe_sizes(options, 1, 0), [64 << 10]);
}

#[test]
fn a_pipe_follows_its_child_from_cpu_to_cpu() {
    let sizes = pipe_sizes_moving(Options::new().pipe_budget(usize::MAX), 1, &[1, 0, 1]);
    assert_eq!(sizes, [vec![1 << 20, 256 << 10, 1 << 20]]);
}

#[test]
fn a_pipe_made_smaller_gives_its_budget_back() {
    // Room for one 1 MiB pipe and one of 256 KiB, not two of 1 MiB. The
    // first child fills its pipe on CPU 1 (1 MiB), moves to the reactor's
    // CPU (256 KiB), says so through a file and holds its pipe open; only
    // then does the second child fill its own pipe on CPU 1, which has
    // room for 1 MiB only if the first one's shrinking gave bytes back.
    let budget = ((1 << 20) - (64 << 10)) + ((256 << 10) - (64 << 10));
    let flag = std::env::temp_dir().join(format!("procpump-shrunk-{}", std::process::id()));
    let _ = std::fs::remove_file(&flag);
    pin_here(0);
    let mut reactor = Reactor::with_options(Options::new().pipe_budget(budget)).unwrap();
    let first = reactor.spawn(
        Job::new(filler_with(&[1, 0], None, Some(&flag), 3.0))
            .stdout(Discard)
            .stderr(Collect::new()),
    );
    reactor.spawn(
        Job::new(filler_with(&[1], Some(&flag), None, 0.0))
            .stdout(Discard)
            .stderr(Collect::new()),
    );
    let reports = reactor.run().unwrap();
    let _ = std::fs::remove_file(&flag);
    let mut sizes: Vec<(bool, Vec<usize>)> = reports
        .into_iter()
        .map(|report| {
            let phases = if report.id() == first { 2 } else { 1 };
            (report.id() == first, reported_sizes(report, phases))
        })
        .collect();
    sizes.sort();
    assert_eq!(
        sizes,
        [(false, vec![1 << 20]), (true, vec![1 << 20, 256 << 10])]
    );
}
