//! The tests GNU parallel runs on rival tools (`man parallel_alternatives`),
//! on fanout: MIX (no line mixed, `--group` contiguous), RAM (memory
//! bounded however much the jobs print), a single huge line, DISKFULL (a
//! full disk under held output: a clear error naming the job, no hang,
//! nothing silently lost) and CLEANUP (fanout killed leaves no temporary
//! file). Sizes are cut to what proves the point in seconds (each test
//! says how): memory is checked on fanout's peak RSS (`VmHWM`), so a bound
//! that holds for 100 MB per job holds for 1 GiB.

use std::time::{Duration, Instant};

use crate::support::{command, eventually, run, run_counting, wait};

/// The peak memory fanout may reach in these tests, in KiB.
const MEMORY_BOUND_KIB: u64 = 16 * 1024;

/// A job that prints `lines` lines of 100 bytes: its number, padded.
fn printer(lines: u64) -> String {
    format!("yes \"$(printf 'job%03d-%093d' {{}} 0)\" | head -n {lines}")
}

fn job_line(job: u32) -> String {
    format!("job{job:03}-{:093}", 0)
}

/// MIX: 30 jobs × 3 MB at once: in line mode every line is whole (it is
/// exactly one job's line); with `--group` each job's lines are
/// contiguous.
#[test]
fn mix_no_line_is_mixed_and_group_is_contiguous() {
    let jobs: Vec<String> = (1..=30).map(|n| n.to_string()).collect();
    for mode in ["--line-buffer", "--group"] {
        let mut args = vec!["-j", "30", "--no-summary", mode];
        let printer = printer(30_000);
        args.push(&printer);
        args.push(":::");
        args.extend(jobs.iter().map(String::as_str));
        let ran = run(&args);
        assert_eq!(ran.code(), 0, "{mode}: {}", ran.stderr);
        let mut counts = [0u32; 31];
        let mut runs = 0;
        let mut last = 0;
        for line in ran.stdout.lines() {
            let job: u32 = line.get(3..6).and_then(|n| n.parse().ok()).unwrap_or(0);
            assert!(
                (1..=30).contains(&job) && line == job_line(job),
                "{mode}: a mixed line: {line:?}"
            );
            counts[job as usize] += 1;
            if job != last {
                runs += 1;
                last = job;
            }
        }
        assert!(
            counts[1..].iter().all(|&c| c == 30_000),
            "{mode}: {counts:?}"
        );
        if mode == "--group" {
            assert_eq!(runs, 30, "--group: each job's output in one piece");
        }
    }
}

/// RAM: 20 jobs × 20 MB (GNU parallel's test prints 1 GiB each; held
/// output past 32 KiB a stream goes to files, so the bound is the same),
/// in line mode, `--group` and `-k`: fanout's memory stays under
/// [`MEMORY_BOUND_KIB`], and every line arrives whole.
#[test]
fn ram_memory_stays_bounded() {
    let jobs: Vec<String> = (1..=20).map(|n| n.to_string()).collect();
    for mode in ["--line-buffer", "--group", "-k"] {
        let printer = printer(200_000);
        let mut args = vec!["-j", "20", mode, printer.as_str(), ":::"];
        args.extend(jobs.iter().map(String::as_str));
        let (ran, counted, peak) = run_counting(&args, |line| {
            line.len() == 100 && line.starts_with(b"job") && line[6] == b'-' && line.ends_with(b"0")
        });
        assert_eq!(ran.code(), 0, "{mode}: {}", ran.stderr);
        assert_eq!(counted.newlines, 4_000_000, "{mode}");
        assert_eq!(counted.unexpected, 0, "{mode}");
        eprintln!("RAM {mode}: 400 MB printed, peak memory {peak} KiB");
        assert!(peak < MEMORY_BOUND_KIB, "{mode}: peak memory {peak} KiB");
    }
}

/// A single 4 GiB line (no newline at all), in line mode: it arrives
/// whole, in 1 MiB pieces each ended by a newline (lines longer than that
/// are split so that other jobs' lines can go between; docs/FANOUT.md), in
/// bounded memory.
#[test]
fn a_4_gib_line() {
    const SIZE: u64 = 4 << 30;
    let line = format!("head -c {SIZE} /dev/zero | tr '\\0' x");
    let (ran, counted, peak) = run_counting(&["--summary", ":::", &line], |piece| {
        piece.len() == 1 << 20 && piece.iter().all(|&b| b == b'x')
    });
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    assert_eq!(counted.newlines, SIZE >> 20);
    assert_eq!(counted.bytes, SIZE + (SIZE >> 20));
    assert_eq!(counted.unexpected, 0);
    assert!(
        ran.summary(1).contains(&format!(" out {SIZE} ")),
        "{}",
        ran.stderr
    );
    eprintln!("a 4 GiB line: {:?}, peak memory {peak} KiB", ran.elapsed);
    assert!(peak < MEMORY_BOUND_KIB, "peak memory {peak} KiB");
}

/// DISKFULL: held output (`--group`, `-k`) that the disk cannot take. A
/// file size limit (`ulimit -f`, `SIGXFSZ` ignored) makes fanout's writes
/// to its temporary files fail as on a full disk: fanout names the job,
/// prints what it held, counts the job as failed, does not hang, and the
/// other jobs are whole.
#[test]
fn diskfull_names_the_job_and_loses_nothing_silently() {
    for mode in ["--group", "-k"] {
        // 1024-byte blocks: 2 MiB of file at most.
        let script = format!(
            "trap '' XFSZ; ulimit -f 2048; exec '{}' {mode} --no-summary \"$@\"",
            crate::support::fanout().display()
        );
        let mut child = std::process::Command::new("sh");
        child
            .args(["-c", &script, "sh", "-j", "2", ":::"])
            .arg("sleep 0.5; echo small")
            .arg("seq 1 1000000; echo big done >&2")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let ran = wait(child.spawn().unwrap(), Instant::now());
        assert_eq!(ran.code(), 1, "{mode}: {}", ran.stderr);
        assert!(
            ran.stderr
                .contains("fanout: job 2 (seq 1 1000000; echo big done >&2): output lost: "),
            "{mode}: {}",
            ran.stderr
        );
        assert!(ran.stderr.contains("big done\n"), "{mode}: {}", ran.stderr);
        // What was held before the disk filled is printed, in order (its
        // last line cut where the disk filled).
        assert!(ran.stdout.contains("small\n"), "{mode}");
        let held = ran.stdout.replacen("small\n", "", 1);
        let printed: Vec<&str> = held.lines().collect();
        assert!(printed.len() > 1000, "{mode}: {} lines", printed.len());
        let (last, whole) = printed.split_last().unwrap();
        for (n, line) in whole.iter().enumerate() {
            assert_eq!(line.parse::<usize>().ok(), Some(n + 1), "{mode}");
        }
        let next = (whole.len() + 1).to_string();
        assert!(next.starts_with(last), "{mode}: {last:?} then {next}");
    }
}

/// CLEANUP: fanout killed with `SIGKILL` while it holds output in
/// temporary files leaves none behind (they have no name), and its jobs,
/// whose pipes then have no reader, end on their next write.
#[test]
fn cleanup_sigkill_leaves_no_temporary_file() {
    let dir = std::env::temp_dir().join(format!("fanout-cleanup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (first, marker) = (
        crate::support::unique_sleep(),
        crate::support::unique_sleep(),
    );
    let oldest = format!("sleep {first}");
    let job = format!("seq 1 300000; sleep {marker}; while :; do echo more; sleep 0.1; done");
    let began = Instant::now();
    let mut fanout = command(&["-k", "-j", "3", ":::", &oldest, &job, &job]);
    let child = fanout.env("TMPDIR", &dir).spawn().unwrap();
    let pid = child.id();
    // Both later jobs hold their output in files, then sleep.
    let holding = eventually(Duration::from_secs(20), || {
        crate::support::processes_with(&marker).len() == 2 && deleted_files(pid) >= 2
    });
    let fanout_pid = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::kill_process(fanout_pid, rustix::process::Signal::KILL).unwrap();
    let ran = wait(child, began);
    assert!(holding, "the jobs did not hold output in files: {ran:?}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "files left");
    // The jobs outlive fanout (docs/FANOUT.md): the writers end on their
    // next write (SIGPIPE) once their sleep is over; the oldest job is
    // ended here.
    for sleeper in [&first, &marker] {
        for sleep in crate::support::processes_with(sleeper) {
            let sleep = rustix::process::Pid::from_raw(sleep as i32).unwrap();
            let _ = rustix::process::kill_process(sleep, rustix::process::Signal::KILL);
        }
    }
    let gone = eventually(Duration::from_secs(5), || !processes_running(&job));
    assert!(gone, "the writing jobs did not end");
    std::fs::remove_dir_all(dir).unwrap();
}

/// How many deleted (unnamed) files process `pid` has open.
fn deleted_files(pid: u32) -> usize {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter(|target| target.to_string_lossy().ends_with("(deleted)"))
        .count()
}

/// Whether a live process has `text` in its command line.
fn processes_running(text: &str) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    dir.flatten().any(|entry| {
        std::fs::read(entry.path().join("cmdline"))
            .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(text))
    })
}

/// `-k` on 1,000 jobs × 1 MiB, the first one slowest: the 999 others'
/// output is held meanwhile (most of it in unnamed files), printed in
/// order, and fanout's memory stays under [`MEMORY_BOUND_KIB`].
#[test]
fn keep_order_on_a_thousand_jobs_stays_bounded() {
    let jobs: Vec<String> = (1..=1000).map(|n| n.to_string()).collect();
    let template = format!("[ {{}} = 1 ] && sleep 1; yes {:01023} | head -c 1048576", 0);
    let mut args = vec!["-k", "-j", "16", template.as_str(), ":::"];
    args.extend(jobs.iter().map(String::as_str));
    let (ran, counted, peak) = run_counting(&args, |line| line.len() == 1023);
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    assert_eq!(counted.bytes, 1000 << 20);
    assert_eq!(counted.unexpected, 0);
    eprintln!(
        "-k, 1,000 jobs × 1 MiB: {:?}, peak memory {peak} KiB",
        ran.elapsed
    );
    assert!(peak < MEMORY_BOUND_KIB, "peak memory {peak} KiB");
}
