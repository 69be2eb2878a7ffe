//! [`communicate`]: run one command, feed it bytes, capture its output up
//! to a limit — the safe replacement for [`Command::output`].

use std::fmt;
use std::io;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use procpump::{Input, Job, Reactor, Report, Stream};

use crate::limited::Limited;

/// What [`communicate`] captured: the exit status, and each output stream
/// up to its limit, with how much was dropped past it.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use procpump_adapters::communicate;
/// use std::process::Command;
///
/// let captured = communicate(Command::new("cat"), "hello", 1024)?;
/// assert!(captured.status.success());
/// assert_eq!(captured.stdout, b"hello");
/// assert!(!captured.stdout_truncated());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Captured {
    /// How the child ended.
    pub status: ExitStatus,
    /// Its stdout, up to the limit.
    pub stdout: Vec<u8>,
    /// Its stderr, up to the limit.
    pub stderr: Vec<u8>,
    /// Bytes of stdout dropped past the limit.
    pub stdout_dropped: u64,
    /// Bytes of stderr dropped past the limit.
    pub stderr_dropped: u64,
    /// Bytes of the input the child did not read (it exited or closed its
    /// stdin first).
    pub stdin_unsent: u64,
    /// True when the child was stopped by [`Communicate::timeout`].
    pub timed_out: bool,
}

impl Captured {
    /// True when stdout went past the limit.
    pub fn stdout_truncated(&self) -> bool {
        self.stdout_dropped > 0
    }

    /// True when stderr went past the limit.
    pub fn stderr_truncated(&self) -> bool {
        self.stderr_dropped > 0
    }
}

impl fmt::Debug for Captured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Captured")
            .field("status", &self.status)
            .field("stdout", &String::from_utf8_lossy(&self.stdout))
            .field("stderr", &String::from_utf8_lossy(&self.stderr))
            .field("stdout_dropped", &self.stdout_dropped)
            .field("stderr_dropped", &self.stderr_dropped)
            .field("stdin_unsent", &self.stdin_unsent)
            .field("timed_out", &self.timed_out)
            .finish()
    }
}

/// Runs `command`, writes `input` to its stdin, and captures its stdout and
/// stderr, each up to `limit` bytes.
///
/// Unlike [`Command::output`], memory is bounded by the limits whatever the
/// child prints: past its limit a stream is still read to the end (so the
/// child never blocks on a full pipe) and the bytes are counted, not kept.
/// The input is written only as fast as the child reads it, while its
/// output is read: no deadlock. A non-zero exit is not an error: look at
/// [`Captured::status`]. For more control, see [`Communicate`].
///
/// # Errors
///
/// The child's [`Error`](procpump::Error), naming the program: it could
/// not be started ([`Error::Spawn`](procpump::Error::Spawn), to match on),
/// a pipe or waiting failed; or the reactor failed.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use procpump_adapters::communicate;
/// use std::process::Command;
///
/// let mut sh = Command::new("sh");
/// sh.args(["-c", "seq 100000; echo oops >&2; exit 3"]);
/// let captured = communicate(sh, "", 10)?;
/// assert_eq!(captured.status.code(), Some(3));
/// assert_eq!(captured.stdout, b"1\n2\n3\n4\n5\n");
/// assert!(captured.stdout_truncated());
/// assert_eq!(captured.stderr, b"oops\n");
///
/// let err = communicate(Command::new("no-such-program"), "", 10).unwrap_err();
/// assert!(err.to_string().contains("no-such-program"));
/// assert!(matches!(err, procpump::Error::Spawn { .. }));
/// # Ok(())
/// # }
/// ```
pub fn communicate(
    command: Command,
    input: impl Into<Input>,
    limit: usize,
) -> procpump::Result<Captured> {
    Communicate::new(command).stdin(input).limit(limit).run()
}

/// A [`communicate`] with its options spelled out.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use procpump_adapters::Communicate;
/// use std::process::Command;
///
/// let mut sh = Command::new("sh");
/// sh.args(["-c", "cat; echo done >&2"]);
/// let captured = Communicate::new(sh)
///     .stdin("some input")
///     .stdout_limit(4)
///     .stderr_limit(1024)
///     .run()?;
/// assert_eq!(captured.stdout, b"some");
/// assert_eq!(captured.stdout_dropped, 6);
/// assert_eq!(captured.stderr, b"done\n");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Communicate {
    command: Command,
    input: Option<Input>,
    limits: [usize; 2],
    timeout: Option<Duration>,
}

/// The default limit of each captured stream: 16 MiB.
pub const DEFAULT_CAPTURE_LIMIT: usize = 16 * 1024 * 1024;

impl Communicate {
    /// Runs `command` with no input (its stdin is `/dev/null`, as with
    /// [`Command::output`]) and limits of 16 MiB.
    pub fn new(command: Command) -> Communicate {
        Communicate {
            command,
            input: None,
            limits: [DEFAULT_CAPTURE_LIMIT; 2],
            timeout: None,
        }
    }

    /// What the child reads on stdin.
    pub fn stdin(mut self, input: impl Into<Input>) -> Communicate {
        self.input = Some(input.into());
        self
    }

    /// The limit of both stdout and stderr, in bytes.
    pub fn limit(mut self, bytes: usize) -> Communicate {
        self.limits = [bytes; 2];
        self
    }

    /// The limit of stdout, in bytes.
    pub fn stdout_limit(mut self, bytes: usize) -> Communicate {
        self.limits[0] = bytes;
        self
    }

    /// The limit of stderr, in bytes.
    pub fn stderr_limit(mut self, bytes: usize) -> Communicate {
        self.limits[1] = bytes;
        self
    }

    /// Stops the child if it runs longer than `timeout` (see
    /// [`Job::timeout`]): [`Captured::timed_out`] then says so, and
    /// [`Captured::status`] tells the signal. Default: no timeout.
    pub fn timeout(mut self, timeout: Duration) -> Communicate {
        self.timeout = Some(timeout);
        self
    }

    /// Runs the command to its end.
    ///
    /// # Errors
    ///
    /// As [`communicate`].
    pub fn run(self) -> procpump::Result<Captured> {
        let Communicate {
            command,
            input,
            limits,
            timeout,
        } = self;
        let mut job = Job::new(command)
            .stdout(Limited::new(limits[0]))
            .stderr(Limited::new(limits[1]));
        if let Some(input) = input {
            job = job.stdin(input);
        }
        if let Some(timeout) = timeout {
            job = job.timeout(timeout);
        }
        let mut reactor = Reactor::new()?;
        let id = reactor.spawn(job);
        let mut report = reactor
            .run()?
            .pop()
            .ok_or(procpump::Error::Stopped { child: id })?;
        captured(&mut report)
    }
}

/// Turns the report into what was captured, or the child's error.
fn captured(report: &mut Report) -> procpump::Result<Captured> {
    if let Some(err) = report.error() {
        return Err(err.clone());
    }
    let status = report.status().ok_or_else(|| procpump::Error::Wait {
        child: report.id(),
        program: report.program().to_owned(),
        source: io::Error::other("no exit status"),
    })?;
    let stdin_unsent = report.stdin().map_or(0, |stdin| stdin.unsent());
    let timed_out = report.timed_out();
    let mut take = |stream| {
        report
            .take_sink::<Limited>(stream)
            .map_or((Vec::new(), 0), |kept| {
                let dropped = kept.dropped();
                (kept.into_bytes(), dropped)
            })
    };
    let (stdout, stdout_dropped) = take(Stream::Stdout);
    let (stderr, stderr_dropped) = take(Stream::Stderr);
    Ok(Captured {
        status,
        stdout,
        stderr,
        stdout_dropped,
        stderr_dropped,
        stdin_unsent,
        timed_out,
    })
}
