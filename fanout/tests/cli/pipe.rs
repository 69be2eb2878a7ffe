//! `--pipe`: stdin cut into blocks of whole records, each block the stdin
//! of one job. The block counts are GNU parallel's (20221122, the same
//! commands run by hand); `--pipe -k cat` gives the input back byte for
//! byte; a job that fails or does not read its block is counted, its
//! block named; a read error on stdin ends fanout with 255.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};

use crate::support::{fanout, peak_kib, run_with_stdin};

/// `seq 1 N`, as bytes.
fn seq(n: u32) -> Vec<u8> {
    (1..=n)
        .map(|i| format!("{i}\n"))
        .collect::<String>()
        .into_bytes()
}

/// Pseudo-random bytes (xorshift), the same each run.
fn random_bytes(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Runs fanout with `args` (any bytes) on `input`; its stdout as bytes,
/// its stderr, its exit status.
fn run_bytes(args: &[&[u8]], input: Vec<u8>) -> (Vec<u8>, String, i32) {
    let mut child = Command::new(fanout())
        .args(args.iter().map(|a| OsStr::from_bytes(a)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fanout");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let status = child.wait().unwrap();
    let _ = writer.join().unwrap();
    (
        out,
        errors.join().unwrap().unwrap(),
        status.code().unwrap_or(-1),
    )
}

#[test]
fn block_counts_are_gnu_parallels() {
    // `seq 1 1000000 | parallel --pipe -k wc -l`.
    let ran = run_with_stdin(&["--pipe", "-k", "wc", "-l"], seq(1_000_000));
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    let counts: Vec<&str> = ran.stdout.lines().map(str::trim).collect();
    let gnu = [
        "165668", "149796", "149796", "149796", "149796", "149796", "85352",
    ];
    assert_eq!(counts, gnu);
    // `seq 1 30 | parallel --pipe --block 20 -k wc -l`.
    let ran = run_with_stdin(&["--pipe", "--block", "20", "-k", "wc", "-l"], seq(30));
    let counts: Vec<&str> = ran.stdout.lines().map(str::trim).collect();
    assert_eq!(counts, ["9", "6", "6", "6", "3"]);
}

#[test]
fn n_records_a_job() {
    // `seq 1 10 | parallel --pipe -N 3 -k wc -l`: 3 3 3 1; with cat: the input.
    let ran = run_with_stdin(
        &["--summary", "--pipe", "-N", "3", "-k", "wc", "-l"],
        seq(10),
    );
    let counts: Vec<&str> = ran.stdout.lines().map(str::trim).collect();
    assert_eq!(counts, ["3", "3", "3", "1"]);
    let ran = run_with_stdin(&["--summary", "--pipe", "-N", "3", "-k", "cat"], seq(10));
    assert_eq!(ran.stdout.as_bytes(), seq(10));
    assert!(ran.totals().ends_with(": 4 ok"), "{}", ran.totals());
}

#[test]
fn cat_gives_random_bytes_back_exactly() {
    let input = random_bytes(3_000_001);
    let cases: [&[&[u8]]; 5] = [
        &[b"--block", b"10k"],
        &[b"--recend", b"\x03\xff", b"--block", b"7k"],
        &[b"--recend", b"", b"--recstart", b"\xfe", b"--block", b"1k"],
        &[
            b"--recend",
            b"\x01",
            b"--recstart",
            b"\x02",
            b"--block",
            b"3k",
        ],
        &[b"--recend", b"\x01", b"-N", b"9"],
    ];
    for case in cases {
        let mut args: Vec<&[u8]> = vec![b"--pipe", b"-k", b"-j", b"4"];
        args.extend_from_slice(case);
        args.push(b"cat");
        let (out, err, code) = run_bytes(&args, input.clone());
        assert_eq!(code, 0, "{case:?}: {err}");
        assert!(
            out == input,
            "{case:?}: {} bytes back of {}",
            out.len(),
            input.len()
        );
    }
}

#[test]
fn every_record_reaches_exactly_one_job() {
    // Unordered, many jobs at once: each line once, none cut.
    let (out, err, code) = run_bytes(
        &[b"--pipe", b"-j", b"8", b"--block", b"3k", b"cat"],
        seq(100_000),
    );
    assert_eq!(code, 0, "{err}");
    let mut lines: Vec<u32> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    lines.sort_unstable();
    assert!(lines == (1..=100_000).collect::<Vec<u32>>());
}

#[test]
fn empty_stdin_runs_no_job() {
    let ran = run_with_stdin(&["--pipe", "wc", "-l"], Vec::new());
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    assert_eq!(ran.stdout, "");
}

#[test]
fn failed_jobs_are_counted_and_their_blocks_named() {
    // 20 blocks of about 100 KiB, each job exits 3: exit status 20.
    let ran = run_with_stdin(
        &["--summary", "--pipe", "--block", "100k", "exit 3"],
        seq(300_000),
    );
    assert_eq!(ran.code(), 20, "{}", ran.stderr);
    let first = ran.summary(1);
    assert!(first.contains("exit 3, block 1 (bytes 0-"), "{first}");
}

#[test]
fn a_job_that_does_not_read_its_block_failed() {
    // Two blocks of about 3 MiB, more than a pipe holds even once the
    // engine has enlarged it (1 MiB), and `true` reads none of them.
    let ran = run_with_stdin(
        &["--summary", "--pipe", "--block", "3M", "true"],
        seq(900_000),
    );
    assert_eq!(ran.code(), 2, "{}", ran.stderr);
    let first = ran.summary(1);
    assert!(
        first.contains("before reading all of block 1 (bytes 0-"),
        "{first}"
    );
}

#[test]
fn a_retried_job_gets_its_block_again() {
    let dir = std::env::temp_dir().join(format!("fanout-pipe-retry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The first run of each job fails without reading; the second cats.
    let script = format!(
        "m={}/$PARALLEL_SEQ; test -e $m || {{ touch $m; exit 1; }}; cat",
        dir.display()
    );
    let input = seq(50_000);
    let ran = run_with_stdin(
        &["--pipe", "-k", "--retries", "2", "--block", "50k", &script],
        input.clone(),
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(ran.code(), 0, "{}", ran.stderr);
    assert!(
        ran.stdout.as_bytes() == input,
        "{} bytes back",
        ran.stdout.len()
    );
}

#[test]
fn halt_stops_at_the_first_failed_block() {
    let ran = run_with_stdin(
        &[
            "--summary",
            "--pipe",
            "-j",
            "1",
            "-N",
            "1",
            "--halt",
            "now,fail=1",
            "exit 4",
        ],
        seq(100),
    );
    assert_eq!(ran.code(), 4, "{}", ran.stderr);
    assert!(ran.totals().contains("1 failed"), "{}", ran.totals());
}

#[test]
fn a_read_error_on_stdin_is_exit_255() {
    // A directory as stdin: read fails with EISDIR.
    let out = Command::new(fanout())
        .args(["--pipe", "cat"])
        .stdin(std::fs::File::open("/").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(255));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fanout: cannot read stdin: "), "{stderr}");
}

#[test]
fn bad_block_sizes_are_usage_errors() {
    for size in ["-1", "-1M", "0", "lots"] {
        let ran = run_with_stdin(&["--pipe", "--block", size, "cat"], Vec::new());
        assert_eq!(ran.code(), 255, "{size}: {}", ran.stderr);
        assert!(ran.stderr.starts_with("fanout: --block"), "{}", ran.stderr);
    }
}

#[test]
fn memory_stays_at_a_few_blocks() {
    // 64 MiB of lines through `wc -l`: fanout holds a few 1 MiB blocks.
    let mut child = Command::new(fanout())
        .args(["--pipe", "-j", "4", "wc", "-l"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let peak = peak_kib(child.id());
    let mut stdin = child.stdin.take().unwrap();
    let line = [b'x'; 63].iter().chain(b"\n").copied().collect::<Vec<u8>>();
    let chunk = line.repeat(1 << 14);
    for _ in 0..64 {
        stdin.write_all(&chunk).unwrap();
    }
    drop(stdin);
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(child.wait().unwrap().success());
    let lines: u64 = out.lines().map(|l| l.trim().parse::<u64>().unwrap()).sum();
    assert_eq!(lines, 1 << 20);
    let peak = peak.join().unwrap();
    eprintln!("--pipe, 64 MiB into wc -l at -j 4: peak memory {peak} KiB");
    assert!(peak < 16 * 1024, "peak memory {peak} KiB");
}
