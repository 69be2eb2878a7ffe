//! Shared helpers for the procpump integration tests, and for the tiny child
//! programs in `src/bin/` that those tests spawn.
//!
//! * A deterministic, position-dependent byte pattern ([`pattern_byte`],
//!   [`fill_pattern`], [`PatternReader`], [`PatternChecker`]): the byte at
//!   offset `i` of the stream for `seed` depends only on `seed` and `i`, so a
//!   stream can be generated and checked in chunks of any size, cut anywhere.
//! * Process-state probes for leak checks: [`open_fds`], [`open_fd_list`],
//!   [`live_children`], [`process_group_members`], [`live_members`],
//!   [`tagged`], [`alive`]; of CPU time and memory: [`thread_cpu`],
//!   [`process_cpu`], [`status_kib`]; cleanup after a failed check:
//!   [`kill_and_reap_children`], [`kill_group`], [`kill_pid`].
//! * Waiting: [`eventually`] for outside state with no event to wait on,
//!   [`within`] to turn a hang into a failure.
//! * [`sinks`]: sinks that verify ([`sinks::CheckSink`]) or collect
//!   ([`sinks::Collect`]) a stream and record the calls made on them, to be
//!   taken back from the report; and sinks that tell the test which thread
//!   the reactor runs on, that a child started, or that it printed a word.
//! * [`programs`]: builders for the child programs, one for each (`pp_emit`,
//!   `pp_sleep`, ...); [`bin`]: the path of one of them.
//! * [`line_text`]: the exact line `pp-lines` prints, so tests can check it.
//! * [`alone`]: runs a test alone in a fresh process of its test binary,
//!   for tests that watch their whole process.
//! * [`child`]: small helpers used by the child programs themselves.
//! * [`sshd`]: a private OpenSSH server on 127.0.0.1 for end-to-end tests
//!   over `ssh`.
//! * [`slurm`]: a private single-node Slurm cluster for end-to-end tests
//!   of `srun`, `salloc` and `sbatch`.
//! * The README's Rust examples, compiled and run as doc tests of this
//!   crate (`ReadmeExamples`, under `cfg(doctest)`), warnings denied.

#![doc(test(attr(deny(warnings))))]

/// The README's Rust examples, each compiled and run by `cargo test` as
/// this crate's doc tests: an example that no longer builds, warns or
/// fails fails the suite.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

pub mod alone;
mod probes;
pub mod programs;
pub mod sinks;

pub use probes::*;

/// Golden-ratio increment of splitmix64.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The splitmix64 output mixing function (a bijection on `u64`).
#[inline(always)]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Per-seed key, so that different seeds give unrelated streams.
#[inline(always)]
fn seed_key(seed: u64) -> u64 {
    mix64(seed.wrapping_add(GOLDEN))
}

/// The 8-byte word covering offsets `8 * block .. 8 * block + 8`.
#[inline(always)]
fn pattern_word(key: u64, block: u64) -> u64 {
    mix64(block.wrapping_mul(GOLDEN) ^ key)
}

/// The byte at `offset` of the pattern stream for `seed`.
///
/// Byte `i` is the `(i % 8)`-th little-endian byte of a splitmix64-style hash
/// of `(seed, i / 8)`. Identical to what [`fill_pattern`] produces.
pub fn pattern_byte(seed: u64, offset: u64) -> u8 {
    let word = pattern_word(seed_key(seed), offset / 8);
    word.to_le_bytes()[(offset % 8) as usize]
}

/// Fills `buf` with the pattern stream for `seed`, starting at stream
/// position `offset` (so `buf[k] == pattern_byte(seed, offset + k)`).
///
/// Works 8 bytes at a time; several GB/s in an optimised build.
pub fn fill_pattern(seed: u64, offset: u64, buf: &mut [u8]) {
    if buf.is_empty() {
        return;
    }
    let key = seed_key(seed);
    let mut block = offset / 8;
    let skip = (offset % 8) as usize;
    let mut rest = buf;
    if skip != 0 {
        // Unaligned head: the tail bytes of one word.
        let word = pattern_word(key, block).to_le_bytes();
        let n = (8 - skip).min(rest.len());
        rest[..n].copy_from_slice(&word[skip..skip + n]);
        rest = &mut rest[n..];
        block += 1;
    }
    let mut words = rest.chunks_exact_mut(8);
    for out in &mut words {
        out.copy_from_slice(&pattern_word(key, block).to_le_bytes());
        block += 1;
    }
    let tail = words.into_remainder();
    if !tail.is_empty() {
        let word = pattern_word(key, block).to_le_bytes();
        let n = tail.len();
        tail.copy_from_slice(&word[..n]);
    }
}

/// An [`io::Read`] that yields exactly `len` bytes of the pattern for `seed`
/// (offsets `0..len`), then EOF.
#[derive(Debug, Clone)]
pub struct PatternReader {
    seed: u64,
    pos: u64,
    len: u64,
}

impl PatternReader {
    /// A reader of the first `len` bytes of the pattern stream for `seed`.
    pub fn new(seed: u64, len: u64) -> Self {
        PatternReader { seed, pos: 0, len }
    }

    /// Bytes already produced.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Bytes still to produce before EOF.
    pub fn remaining(&self) -> u64 {
        self.len - self.pos
    }
}

impl io::Read for PatternReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.remaining()).unwrap_or(usize::MAX));
        fill_pattern(self.seed, self.pos, &mut buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

/// Size of the checker's reusable expected-pattern buffer.
const CHECK_BUF: usize = 64 * 1024;

/// Verifies that a byte stream, fed in arbitrary chunks, is the pattern for
/// `seed` starting at offset 0.
///
/// Comparison is done in bulk: the expected bytes are generated into a
/// reusable buffer and compared slice against slice. After the first
/// mismatch, further bytes are only counted, not compared.
///
/// It also implements [`io::Write`] (never failing), so
/// `std::io::copy(&mut reader, &mut checker)` works.
#[derive(Debug, Clone)]
pub struct PatternChecker {
    seed: u64,
    bytes: u64,
    /// (offset, expected, actual) of the first wrong byte.
    mismatch: Option<(u64, u8, u8)>,
    expected: Vec<u8>,
}

impl PatternChecker {
    /// A checker for the pattern stream of `seed`, at offset 0.
    pub fn new(seed: u64) -> Self {
        PatternChecker {
            seed,
            bytes: 0,
            mismatch: None,
            expected: vec![0; CHECK_BUF],
        }
    }

    /// The seed this checker verifies against.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Checks the next `chunk` of the stream (any length, including 0).
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.mismatch.is_some() {
            self.bytes += chunk.len() as u64;
            return;
        }
        let mut at = 0;
        while at < chunk.len() {
            let piece = &chunk[at..chunk.len().min(at + CHECK_BUF)];
            let expected = &mut self.expected[..piece.len()];
            fill_pattern(self.seed, self.bytes, expected);
            if expected != piece {
                let k = expected
                    .iter()
                    .zip(piece)
                    .position(|(e, a)| e != a)
                    .expect("slices differ");
                self.mismatch = Some((self.bytes + k as u64, expected[k], piece[k]));
                self.bytes += (chunk.len() - at) as u64;
                return;
            }
            self.bytes += piece.len() as u64;
            at += piece.len();
        }
    }

    /// Total bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Stream offset of the first byte that differed from the pattern.
    pub fn first_mismatch(&self) -> Option<u64> {
        self.mismatch.map(|(offset, _, _)| offset)
    }

    /// `Ok(())` if every byte fed matched the pattern and exactly
    /// `expected_len` bytes were fed; otherwise a message describing the
    /// first problem (mismatch offset with expected/actual byte, or the
    /// length difference).
    pub fn verify(&self, expected_len: u64) -> Result<(), String> {
        let mut msg = String::new();
        if let Some((offset, expected, actual)) = self.mismatch {
            let _ = write!(
                msg,
                "pattern (seed {}) mismatch at byte offset {offset}: expected {expected:#04x}, got {actual:#04x}",
                self.seed
            );
        }
        if self.bytes != expected_len {
            if !msg.is_empty() {
                msg.push_str("; ");
            }
            let _ = write!(
                msg,
                "pattern (seed {}) length mismatch: expected {expected_len} bytes, got {} ({})",
                self.seed,
                self.bytes,
                if self.bytes < expected_len {
                    format!("{} short", expected_len - self.bytes)
                } else {
                    format!("{} extra", self.bytes - expected_len)
                }
            );
        }
        if msg.is_empty() {
            Ok(())
        } else {
            Err(msg)
        }
    }
}

impl io::Write for PatternChecker {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.feed(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The path of this package's child program `name` (e.g. `"pp-emit"`), as
/// built by cargo next to the running test executable.
///
/// Test executables live in `target/<profile>/deps/`, binaries in
/// `target/<profile>/`; if the running executable is not in a `deps`
/// directory, its own directory is used.
///
/// # Panics
///
/// If the program file does not exist (with a message saying where it was
/// looked for).
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe
        .parent()
        .expect("executable has a parent directory")
        .to_path_buf();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "child program {name:?} not found at {} (it is built by `cargo build -p procpump-tests` \
         and by `cargo test -p procpump-tests` for integration tests)",
        path.display()
    );
    path
}

/// The exact line number `i` that `pp-lines --width width` prints:
/// `"{i} "` followed by filler characters up to `width` bytes including the
/// trailing `'\n'`. If `"{i} \n"` is already longer than `width`, no filler
/// is added (the line is longer than `width`). Lines are numbered from 0.
///
/// The filler is the lowercase alphabet, cycled, starting at `'a' + i % 26`.
pub fn line_text(i: u64, width: usize) -> String {
    let mut line = format!("{i} ");
    let start = (i % 26) as u8;
    let mut k = 0u8;
    while line.len() + 1 < width {
        line.push(char::from(b'a' + (start + k) % 26));
        k = (k + 1) % 26;
    }
    line.push('\n');
    line
}

/// Runs `f` on a thread of its own and returns what it returns, or panics
/// naming `what` if it has not returned within `limit`: a hang in the code
/// under test fails the test instead of stalling the whole run. A panic in
/// `f` is raised again here.
pub fn within<T: Send + 'static>(
    limit: std::time::Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, result) = crossbeam_channel::bounded(1);
    let worker = std::thread::Builder::new()
        .name(format!("watched: {what}"))
        .spawn(move || {
            let _ = done.send(f());
        })
        .expect("spawn a watched thread");
    match result.recv_timeout(limit) {
        Ok(value) => {
            worker.join().expect("watched thread");
            value
        }
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
            panic!("hung: {what} did not finish within {limit:?}")
        }
        Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
            // The closure panicked: re-raise its panic here.
            match worker.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => unreachable!("the worker sends before it returns"),
            }
        }
    }
}

/// Polls `condition` every few milliseconds until it holds or `limit` has
/// passed; returns whether it held. For checks of outside state that has no
/// event to wait on (a process another process reaps, say), never as a
/// substitute for an event the code under test provides.
pub fn eventually(limit: std::time::Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

pub mod child {
    //! Helpers for the child programs in `src/bin/`: argument parsing with
    //! exit code 2 on errors, and unbuffered handles on the standard streams.

    /// Restores the default action of the signals the tests stop children
    /// with, other than `SIGTERM` (`SIGINT`, `SIGQUIT`, `SIGHUP`, `SIGUSR1`,
    /// `SIGUSR2`). A process inherits ignored signals across `exec`: under a
    /// non-interactive shell's `&`, or `nohup`, the test runner, and so every
    /// child, would ignore `SIGINT` or `SIGHUP`, and a test that expects the
    /// child to die of one would fail for a reason outside the library.
    /// `SIGTERM` is left as inherited, because some tests make a child
    /// ignore it on purpose (`trap "" TERM; exec ...`).
    pub fn default_signals() {
        for signal in [
            libc::SIGINT,
            libc::SIGQUIT,
            libc::SIGHUP,
            libc::SIGUSR1,
            libc::SIGUSR2,
        ] {
            // SAFETY: setting a standard signal's disposition to SIG_DFL
            // installs no handler, touches no memory of ours, and happens
            // at the start of `main`, before any other thread exists.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
            }
        }
    }

    use std::fs::File;
    use std::io;
    use std::os::fd::AsFd;

    /// Prints `"{prog}: {msg}"` on stderr and exits with status 2 (argument
    /// error).
    #[allow(clippy::print_stderr)]
    pub fn usage_error(prog: &str, msg: &str) -> ! {
        eprintln!("{prog}: {msg}");
        std::process::exit(2)
    }

    /// Parses a byte count with an optional suffix `K`, `M` or `G` (powers of
    /// 1024, case-insensitive, optional trailing `B`/`iB`): `"100"`,
    /// `"256K"`, `"1M"`, `"4G"`, `"4GiB"`.
    pub fn parse_size(s: &str) -> Result<u64, String> {
        let t = s.trim();
        let t = t
            .strip_suffix("iB")
            .or_else(|| t.strip_suffix("ib"))
            .or_else(|| t.strip_suffix(['B', 'b']))
            .unwrap_or(t);
        let (digits, mult) = match t.chars().last() {
            Some('k' | 'K') => (&t[..t.len() - 1], 1u64 << 10),
            Some('m' | 'M') => (&t[..t.len() - 1], 1 << 20),
            Some('g' | 'G') => (&t[..t.len() - 1], 1 << 30),
            _ => (t, 1),
        };
        digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(mult))
            .ok_or_else(|| format!("invalid size {s:?} (expected e.g. 100, 64K, 1M, 4G)"))
    }

    /// Parses `s` as a number of type `T`, or exits via [`usage_error`] with
    /// a message naming `what`.
    pub fn parse_or_exit<T: std::str::FromStr>(prog: &str, what: &str, s: &str) -> T {
        s.parse()
            .unwrap_or_else(|_| usage_error(prog, &format!("invalid {what}: {s:?}")))
    }

    /// [`parse_size`], or exits via [`usage_error`].
    pub fn size_or_exit(prog: &str, what: &str, s: &str) -> u64 {
        parse_size(s).unwrap_or_else(|e| usage_error(prog, &format!("{what}: {e}")))
    }

    /// The value following option `opt` in `args`, or exits via
    /// [`usage_error`] if there is none.
    pub fn value_or_exit(prog: &str, opt: &str, args: &mut impl Iterator<Item = String>) -> String {
        args.next()
            .unwrap_or_else(|| usage_error(prog, &format!("option {opt} needs a value")))
    }

    fn dup(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<File> {
        Ok(File::from(fd.try_clone_to_owned()?))
    }

    /// An unbuffered [`File`] writing to standard output (a duplicate of fd
    /// 1, so each `write` is exactly one `write(2)`).
    pub fn stdout_file() -> io::Result<File> {
        dup(io::stdout().as_fd())
    }

    /// An unbuffered [`File`] writing to standard error (a duplicate of fd 2).
    pub fn stderr_file() -> io::Result<File> {
        dup(io::stderr().as_fd())
    }

    /// An unbuffered [`File`] reading standard input (a duplicate of fd 0;
    /// dropping it does not close fd 0).
    pub fn stdin_file() -> io::Result<File> {
        dup(io::stdin().as_fd())
    }

    /// True if `e` is a broken-pipe error (`EPIPE`: the reader went away).
    pub fn is_broken_pipe(e: &io::Error) -> bool {
        e.kind() == io::ErrorKind::BrokenPipe
    }
}

pub mod slurm;
pub mod sshd;
mod temp_dir;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A small deterministic generator for the tests' random cuts.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(GOLDEN);
            mix64(self.0)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn fill_matches_pattern_byte_at_any_alignment() {
        for seed in [0, 1, 2, u64::MAX] {
            for offset in 0..20u64 {
                for len in 0..40usize {
                    let mut buf = vec![0u8; len];
                    fill_pattern(seed, offset, &mut buf);
                    for (k, &b) in buf.iter().enumerate() {
                        assert_eq!(b, pattern_byte(seed, offset + k as u64));
                    }
                }
            }
        }
        // Far offsets too.
        let mut buf = [0u8; 29];
        fill_pattern(7, (1 << 40) + 3, &mut buf);
        for (k, &b) in buf.iter().enumerate() {
            assert_eq!(b, pattern_byte(7, (1 << 40) + 3 + k as u64));
        }
    }

    #[test]
    fn seeds_differ() {
        let mut a = vec![0u8; 4096];
        let mut b = vec![0u8; 4096];
        fill_pattern(1, 0, &mut a);
        fill_pattern(2, 0, &mut b);
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert!(same < 64, "{same} equal bytes");
        // Seed 2 is not seed 1 shifted by a few words.
        fill_pattern(1, 8, &mut a);
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert!(same < 64, "{same} equal bytes");
    }

    #[test]
    fn reader_and_checker_agree_across_random_cuts() {
        let mut rng = Rng(42);
        for round in 0..20u64 {
            let len = rng.below(300_000);
            let seed = rng.next();
            let mut reader = PatternReader::new(seed, len);
            let mut checker = PatternChecker::new(seed);
            let mut buf = vec![0u8; 200_000];
            loop {
                let want = rng.below(if round % 2 == 0 { 20 } else { 200_000 }) as usize + 1;
                let n = reader.read(&mut buf[..want]).unwrap();
                if n == 0 {
                    break;
                }
                // Feed the read data in further random sub-cuts.
                let mut at = 0;
                while at < n {
                    let cut = (rng.below((n - at) as u64) as usize + 1).min(n - at);
                    checker.feed(&buf[at..at + cut]);
                    at += cut;
                }
            }
            assert_eq!(reader.remaining(), 0);
            assert_eq!(checker.bytes(), len);
            assert_eq!(checker.first_mismatch(), None);
            checker.verify(len).unwrap();
            assert!(checker.verify(len + 1).unwrap_err().contains("1 short"));
            if len > 0 {
                assert!(checker.verify(len - 1).unwrap_err().contains("1 extra"));
            }
        }
    }

    #[test]
    fn io_copy_into_checker() {
        let mut checker = PatternChecker::new(9);
        let n = io::copy(&mut PatternReader::new(9, 1_000_003), &mut checker).unwrap();
        assert_eq!(n, 1_000_003);
        checker.verify(1_000_003).unwrap();
    }

    #[test]
    fn corrupted_byte_detected_at_right_offset() {
        let mut rng = Rng(7);
        for _ in 0..50 {
            let len = rng.below(500_000) + 1;
            let bad = rng.below(len);
            let mut data = vec![0u8; len as usize];
            PatternReader::new(3, len).read_exact(&mut data).unwrap();
            data[bad as usize] ^= 1 << rng.below(8);
            let mut checker = PatternChecker::new(3);
            let mut at = 0usize;
            while at < data.len() {
                let cut = (rng.below(100_000) as usize + 1).min(data.len() - at);
                checker.feed(&data[at..at + cut]);
                at += cut;
            }
            assert_eq!(checker.bytes(), len);
            assert_eq!(checker.first_mismatch(), Some(bad));
            let err = checker.verify(len).unwrap_err();
            assert!(
                err.contains(&format!("mismatch at byte offset {bad}:")),
                "{err}"
            );
            assert!(!err.contains("length"), "{err}");
        }
        // Wrong seed: mismatch at (or very near) the start.
        let mut checker = PatternChecker::new(4);
        checker.feed(&[pattern_byte(3, 0)]);
        checker.feed(&[0; 100]);
        assert!(checker.first_mismatch().unwrap() < 3);
        assert_eq!(checker.bytes(), 101);
    }

    #[test]
    #[should_panic(expected = "child program \"pp-no-such-program\" not found at")]
    fn bin_missing_panics_clearly() {
        bin("pp-no-such-program");
    }

    #[test]
    fn line_text_width() {
        assert_eq!(line_text(0, 8), "0 abcde\n");
        assert_eq!(line_text(1, 8), "1 bcdef\n");
        assert_eq!(line_text(12345, 4), "12345 \n");
        for i in [0, 9, 10, 999, 123_456] {
            assert_eq!(line_text(i, 80).len(), 80);
        }
    }

    #[test]
    fn sizes() {
        use child::parse_size;
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("1m"), Ok(1 << 20));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("2MB"), Ok(2 << 20));
        assert!(parse_size("").is_err());
        assert!(parse_size("x").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999G").is_err());
    }
}
