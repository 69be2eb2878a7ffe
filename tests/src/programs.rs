//! Builders for the child programs in `src/bin/`: one for each program,
//! named after it, giving the [`Command`] to hand to a `procpump::Job`.
//! Sizes are in bytes, times in milliseconds; what each program does is in
//! the docs of its file (`src/bin/pp-*.rs`).
//!
//! ```no_run
//! use procpump::{Job, Reactor};
//! use procpump_tests::programs::{pp_emit, pp_sleep};
//!
//! let mut reactor = Reactor::new()?;
//! reactor.spawn(Job::new(pp_emit().stdout(1 << 20).seed(7).command()));
//! reactor.spawn(Job::new(pp_sleep(30_000)));
//! # Ok::<(), procpump::Error>(())
//! ```

use std::process::Command;

use crate::bin;

/// `pp-sleep MS`: sleeps `ms` milliseconds, then exits 0.
pub fn pp_sleep(ms: u64) -> Command {
    let mut sleep = Command::new(bin("pp-sleep"));
    sleep.arg(ms.to_string());
    sleep
}

/// `pp-emit`: writes the pattern to stdout and stderr, then exits; see
/// [`Emit`] for what it writes.
pub fn pp_emit() -> Emit {
    Emit::default()
}

/// The options of `pp-emit`, which writes `stdout` bytes of the pattern for
/// `seed` to stdout and `stderr` bytes of the pattern for `seed + 1` to
/// stderr, in alternating writes of `chunk` bytes, then exits with `exit`.
/// An option not set is not passed: the program's own default holds (no
/// bytes, seed 1, chunks of 1 MiB, exit 0).
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct Emit {
    stdout: Option<u64>,
    stderr: Option<u64>,
    seed: Option<u64>,
    chunk: Option<u64>,
    exit: Option<i32>,
}

impl Emit {
    /// Writes `bytes` to stdout (`--stdout`).
    pub fn stdout(mut self, bytes: u64) -> Emit {
        self.stdout = Some(bytes);
        self
    }

    /// Writes `bytes` to stderr (`--stderr`).
    pub fn stderr(mut self, bytes: u64) -> Emit {
        self.stderr = Some(bytes);
        self
    }

    /// The pattern of `seed` on stdout, of `seed + 1` on stderr (`--seed`).
    pub fn seed(mut self, seed: u64) -> Emit {
        self.seed = Some(seed);
        self
    }

    /// Writes `bytes` at a time, alternating between the streams
    /// (`--chunk`).
    pub fn chunk(mut self, bytes: u64) -> Emit {
        self.chunk = Some(bytes);
        self
    }

    /// Exits with `code` once done (`--exit`).
    pub fn exit(mut self, code: i32) -> Emit {
        self.exit = Some(code);
        self
    }

    /// The command line.
    pub fn command(&self) -> Command {
        let mut emit = Command::new(bin("pp-emit"));
        let options = [
            ("--stdout", self.stdout.map(|n| n.to_string())),
            ("--stderr", self.stderr.map(|n| n.to_string())),
            ("--seed", self.seed.map(|n| n.to_string())),
            ("--chunk", self.chunk.map(|n| n.to_string())),
            ("--exit", self.exit.map(|n| n.to_string())),
        ];
        for (name, value) in options {
            if let Some(value) = value {
                emit.args([name, &value]);
            }
        }
        emit
    }
}

/// `pp-cat`: copies its stdin to its stdout until end of file.
pub fn pp_cat() -> Command {
    Command::new(bin("pp-cat"))
}

/// `pp-cat --stderr LEN --seed SEED`: copies its stdin to its stdout while
/// another thread writes `len` bytes of the pattern for `seed` to stderr
/// (the classic pipe-deadlock child).
pub fn pp_cat_with_stderr(len: u64, seed: u64) -> Command {
    let mut cat = pp_cat();
    cat.args(["--stderr", &len.to_string(), "--seed", &seed.to_string()]);
    cat
}

/// `pp-exit CODE [--stdout TEXT] [--stderr TEXT]`: writes `stdout` and
/// `stderr` as given (an empty one is not passed), then exits with `code`.
pub fn pp_exit(code: i32, stdout: &str, stderr: &str) -> Command {
    let mut exit = Command::new(bin("pp-exit"));
    exit.arg(code.to_string());
    for (name, text) in [("--stdout", stdout), ("--stderr", stderr)] {
        if !text.is_empty() {
            exit.args([name, text]);
        }
    }
    exit
}

/// `pp-signal SIGNAL`: prints `"about to die\n"`, then kills itself with
/// signal number `signal`.
pub fn pp_signal(signal: i32) -> Command {
    let mut victim = Command::new(bin("pp-signal"));
    victim.arg(signal.to_string());
    victim
}

/// `pp-read-some BYTES --sleep-ms MS`: reads `bytes` of its stdin (or up to
/// its end), closes it, prints how many it read, sleeps `sleep_ms`, exits 0.
pub fn pp_read_some(bytes: u64, sleep_ms: u64) -> Command {
    let mut some = Command::new(bin("pp-read-some"));
    some.args([
        bytes.to_string(),
        "--sleep-ms".to_owned(),
        sleep_ms.to_string(),
    ]);
    some
}

/// `pp-check --seed SEED [--len LEN]`: checks that its stdin is the pattern
/// for `seed` (exactly `len` bytes long, if given) and prints its length.
pub fn pp_check(seed: u64, len: Option<u64>) -> Command {
    let mut check = Command::new(bin("pp-check"));
    check.args(["--seed", &seed.to_string()]);
    if let Some(len) = len {
        check.args(["--len", &len.to_string()]);
    }
    check
}

/// `pp-lines --count COUNT --width WIDTH`: prints `count` numbered lines of
/// `width` bytes ([`line_text`](crate::line_text)).
pub fn pp_lines(count: u64, width: usize) -> Command {
    let mut lines = Command::new(bin("pp-lines"));
    lines.args(["--count", &count.to_string(), "--width", &width.to_string()]);
    lines
}

/// `pp-fault MODE`, the misbehaving child of the lifecycle tests: add the
/// mode's options (`--name value`) to the command.
pub fn pp_fault(mode: &str) -> Command {
    let mut fault = Command::new(bin("pp-fault"));
    fault.arg(mode);
    fault
}

/// `pp-spool-victim`: spools 8 MiB into an unnamed file in `$TMPDIR`,
/// prints `spooled`, and waits to be killed.
pub fn pp_spool_victim() -> Command {
    Command::new(bin("pp-spool-victim"))
}
