//! What became of a child: its [`Report`].

use std::fmt;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use std::any::Any;

use crate::io::BoxSink;
use crate::job::builder::Label;
use crate::{ChildId, Error, Signal, Sink, Stream, StreamEnd};

/// How one of the child's output streams went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputReport {
    bytes: u64,
    discarded: u64,
    end: StreamEnd,
}

impl OutputReport {
    pub(crate) fn new(bytes: u64, discarded: u64, end: StreamEnd) -> OutputReport {
        OutputReport {
            bytes,
            discarded,
            end,
        }
    }

    /// Bytes read from the pipe (handed to the sink, or discarded).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Of those, the bytes thrown away after the sink returned
    /// [`Flow::Discard`](crate::Flow::Discard) (for a channel sink: after
    /// its consumers went away), the chunk it returned that for included.
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// Why the stream ended.
    pub fn end(&self) -> &StreamEnd {
        &self.end
    }
}

/// How the child's stdin went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputReport {
    written: u64,
    unsent: u64,
    end: StreamEnd,
}

impl InputReport {
    pub(crate) fn new(written: u64, unsent: u64, end: StreamEnd) -> InputReport {
        InputReport {
            written,
            unsent,
            end,
        }
    }

    /// Bytes written into the pipe.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Bytes taken from the source but not written, plus what the source
    /// said it still held, when the stream ended early (the child closed
    /// its stdin, or was killed). Zero when the stream ended normally.
    pub fn unsent(&self) -> u64 {
        self.unsent
    }

    /// Why the stream ended: [`StreamEnd::Eof`] when the whole source was
    /// written, [`StreamEnd::ChildClosed`] when the child stopped reading.
    pub fn end(&self) -> &StreamEnd {
        &self.end
    }
}

/// Everything about one finished child.
///
/// A report is made once per child, when it has exited, every handled
/// stream has ended, and it was reaped (or when it could not start).
pub struct Report {
    pub(crate) id: ChildId,
    pub(crate) program: String,
    pub(crate) pid: Option<u32>,
    pub(crate) status: Option<ExitStatus>,
    pub(crate) stdin: Option<InputReport>,
    pub(crate) outputs: [Option<OutputReport>; 2],
    pub(crate) sinks: [Option<BoxSink>; 2],
    pub(crate) started: Instant,
    pub(crate) exited: Option<Instant>,
    pub(crate) finished: Instant,
    pub(crate) error: Option<Error>,
    pub(crate) timed_out: bool,
    pub(crate) label: Option<Label>,
    /// A pipeline's stages, each reported as a child of its own.
    pub(crate) stages: Vec<Report>,
}

impl Report {
    /// The report of a child that never started, with its sinks.
    pub(crate) fn unstarted(
        id: ChildId,
        program: String,
        sinks: [Option<BoxSink>; 2],
        started: Instant,
        error: Error,
        label: Option<Label>,
    ) -> Report {
        Report {
            id,
            program,
            pid: None,
            status: None,
            stdin: None,
            outputs: [None, None],
            sinks,
            started,
            exited: None,
            finished: Instant::now(),
            error: Some(error),
            timed_out: false,
            label,
            stages: Vec::new(),
        }
    }

    /// A [`Pipeline`](crate::Pipeline)'s stages, first to last, each
    /// reported as a child of its own (its status, its stderr, the bytes
    /// the reactor saw); empty for a job that is not a pipeline. The
    /// pipeline's own [`status`](Report::status) is its last stage's.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Discard, Job, Pipeline, Reactor};
    /// use std::process::Command;
    ///
    /// let pipeline = Pipeline::new(Job::new(Command::new("false")))
    ///     .pipe(Job::new(Command::new("cat")).stdout(Discard));
    /// let mut reactor = Reactor::new()?;
    /// reactor.spawn(pipeline.into());
    /// let report = reactor.run()?.remove(0);
    /// assert_eq!(report.stages()[0].code(), Some(1));
    /// assert_eq!(report.stages()[1].code(), Some(0));
    /// assert_eq!(report.code(), Some(0));
    /// assert!(!report.success());
    /// assert_eq!(report.failed_stage(), Some(0));
    /// # Ok(())
    /// # }
    /// ```
    pub fn stages(&self) -> &[Report] {
        &self.stages
    }

    /// The stages' reports, to take their sinks
    /// ([`take_sink`](Report::take_sink)).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Discard, Flow, Job, Pipeline, Reactor, Sink, Stream};
    /// use std::process::Command;
    ///
    /// #[derive(Default)]
    /// struct Count(usize);
    /// impl Sink for Count {
    ///     fn chunk(&mut self, chunk: &[u8]) -> Flow {
    ///         self.0 += chunk.len();
    ///         Flow::Continue
    ///     }
    /// }
    ///
    /// let mut ls = Command::new("ls");
    /// ls.arg("/nonexistent");
    /// let pipeline = Pipeline::new(Job::new(ls).stderr(Count::default()))
    ///     .pipe(Job::new(Command::new("cat")).stdout(Discard));
    /// let mut reactor = Reactor::new()?;
    /// reactor.spawn(pipeline.into());
    /// let mut report = reactor.run()?.remove(0);
    /// let stderr: Count = report.stages_mut()[0].take_sink(Stream::Stderr).unwrap();
    /// assert!(stderr.0 > 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn stages_mut(&mut self) -> &mut [Report] {
        &mut self.stages
    }

    /// The first stage of a pipeline that did not succeed, `set -o
    /// pipefail`'s culprit; `None` if every stage succeeded (or this is not
    /// a pipeline).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Job, Pipeline, Reactor};
    /// use std::process::Command;
    ///
    /// let pipeline = Pipeline::new(Job::new(Command::new("true")))
    ///     .pipe(Job::new(Command::new("false")));
    /// let mut reactor = Reactor::new()?;
    /// reactor.spawn(pipeline.into());
    /// assert_eq!(reactor.run()?[0].failed_stage(), Some(1));
    /// # Ok(())
    /// # }
    /// ```
    pub fn failed_stage(&self) -> Option<usize> {
        self.stages.iter().position(|stage| !stage.success())
    }

    /// The label given to the job ([`Job::label`](crate::Job::label)), if
    /// it is a `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Job, Reactor};
    /// use std::process::Command;
    ///
    /// let mut reactor = Reactor::new()?;
    /// reactor.spawn(Job::new(Command::new("true")).label(("build", 3)));
    /// let mut report = reactor.run()?.remove(0);
    /// assert_eq!(report.label::<(&str, i32)>(), Some(&("build", 3)));
    /// assert_eq!(report.label::<String>(), None);
    /// assert_eq!(report.take_label::<(&str, i32)>(), Some(("build", 3)));
    /// assert_eq!(report.label::<(&str, i32)>(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn label<T: Any>(&self) -> Option<&T> {
        self.label.as_ref()?.downcast_ref()
    }

    /// Takes the label given to the job, if it is a `T`.
    pub fn take_label<T: Any>(&mut self) -> Option<T> {
        if !self.label.as_ref()?.is::<T>() {
            return None;
        }
        self.label.take()?.downcast().ok().map(|label| *label)
    }

    /// True when the child ran past its [`Job::timeout`](crate::Job::timeout)
    /// and was sent the stop signal ([`signal`](Report::signal) then says
    /// which signal ended it, if one did).
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }

    /// The child.
    pub fn id(&self) -> ChildId {
        self.id
    }

    /// The program, as given to the `Command`.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The child's process id; `None` if it never started.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The exit status; `None` if the child never started.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// True when the child started, exited with code 0 and nothing failed;
    /// for a [`Pipeline`](crate::Pipeline), when every stage did.
    pub fn success(&self) -> bool {
        self.error.is_none()
            && self.status.is_some_and(|status| status.success())
            && self.stages.iter().all(Report::success)
    }

    /// The exit code, if the child exited normally.
    pub fn code(&self) -> Option<i32> {
        self.status?.code()
    }

    /// The signal that ended the child, if one did.
    pub fn signal(&self) -> Option<i32> {
        use std::os::unix::process::ExitStatusExt;
        self.status?.signal()
    }

    /// How stdin went; `None` if it was not handled by the reactor.
    pub fn stdin(&self) -> Option<&InputReport> {
        self.stdin.as_ref()
    }

    /// How stdout went; `None` if it was not handled by the reactor.
    pub fn stdout(&self) -> Option<&OutputReport> {
        self.outputs[0].as_ref()
    }

    /// How stderr went; `None` if it was not handled by the reactor.
    pub fn stderr(&self) -> Option<&OutputReport> {
        self.outputs[1].as_ref()
    }

    /// When the child was started (or failed to).
    pub fn started(&self) -> Instant {
        self.started
    }

    /// When the reactor saw the child exit.
    pub fn exited(&self) -> Option<Instant> {
        self.exited
    }

    /// When the last stream ended and the report was made.
    pub fn finished(&self) -> Instant {
        self.finished
    }

    /// From start to report.
    pub fn duration(&self) -> Duration {
        self.finished - self.started
    }

    /// What failed for this child: it could not start, a pipe failed, or
    /// waiting for it failed.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Takes back the sink given for `stream`, if it is an `S`: this is how
    /// a sink's result is read after the run.
    ///
    /// Returns `None` for stdin, for a stream without a sink, when the sink
    /// was already taken, or when it is not an `S`.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Flow, Job, Reactor, Sink, Stream};
    /// use std::process::Command;
    ///
    /// #[derive(Default)]
    /// struct Collect(Vec<u8>);
    ///
    /// impl Sink for Collect {
    ///     fn chunk(&mut self, chunk: &[u8]) -> Flow {
    ///         self.0.extend_from_slice(chunk);
    ///         Flow::Continue
    ///     }
    /// }
    ///
    /// let mut reactor = Reactor::new()?;
    /// let mut echo = Command::new("echo");
    /// echo.arg("hello");
    /// reactor.spawn(Job::new(echo).stdout(Collect::default()));
    /// let mut report = reactor.run()?.remove(0);
    /// let collected: Collect = report.take_sink(Stream::Stdout).unwrap();
    /// assert_eq!(collected.0, b"hello\n");
    /// # Ok(())
    /// # }
    /// ```
    pub fn take_sink<S: Sink + 'static>(&mut self, stream: Stream) -> Option<S> {
        let slot = match stream {
            Stream::Stdin => return None,
            Stream::Stdout => &mut self.sinks[0],
            Stream::Stderr => &mut self.sinks[1],
        };
        if !slot.as_ref()?.as_any().is::<S>() {
            return None;
        }
        slot.take()?
            .into_any()
            .downcast::<S>()
            .ok()
            .map(|sink| *sink)
    }
}

/// One line as a person reads it: the child, its program, how it ended
/// (`exit 0`, `killed by SIGTERM`, `killed by SIGKILL after its timeout`,
/// or, for a child that never ran, why it could not start), then what
/// failed, if anything did.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Job, Reactor};
/// use std::process::Command;
///
/// let mut reactor = Reactor::new()?;
/// let mut fails = Command::new("sh");
/// fails.args(["-c", "exit 3"]);
/// reactor.spawn(Job::new(Command::new("true")));
/// reactor.spawn(Job::new(fails));
/// let mut lines: Vec<String> = reactor.run()?.iter().map(|r| r.to_string()).collect();
/// lines.sort();
/// assert_eq!(lines, ["#0 true: exit 0", "#1 sh: exit 3"]);
/// # Ok(())
/// # }
/// ```
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.program)?;
        let Some(status) = self.status else {
            return match &self.error {
                Some(error) => write!(f, ": {}", error.what()),
                None => f.write_str(": not started"),
            };
        };
        match (status.code(), self.signal()) {
            (Some(code), _) => write!(f, ": exit {code}")?,
            (None, Some(number)) => match Signal::from_number(number) {
                Some(signal) => write!(f, ": killed by {signal}")?,
                None => write!(f, ": killed by signal {number}")?,
            },
            (None, None) => write!(f, ": {status}")?,
        }
        if self.timed_out {
            f.write_str(" after its timeout")?;
        }
        match &self.error {
            Some(error) => write!(f, "; {}", error.what()),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("id", &self.id)
            .field("program", &self.program)
            .field("pid", &self.pid)
            .field("status", &self.status)
            .field("stdin", &self.stdin)
            .field("stdout", &self.outputs[0])
            .field("stderr", &self.outputs[1])
            .field("duration", &self.duration())
            .field("error", &self.error)
            .field("timed_out", &self.timed_out)
            .field("label", &self.label.is_some())
            .finish()
    }
}
