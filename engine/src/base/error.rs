//! Errors: each names the child and the program it concerns.

use std::fmt;
use std::io;

use crate::ChildId;

/// A `Result` whose error is procpump's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, for which child and which program.
///
/// Errors that concern one child end up in that child's
/// [`Report::error`](crate::Report::error); they never stop the other
/// children. Only [`Error::Reactor`] comes out of
/// [`Reactor::run`](crate::Reactor::run) itself.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The child could not be started: the program is missing, not
    /// executable, or the system is out of processes or descriptors.
    Spawn {
        /// The child that could not start.
        child: ChildId,
        /// The program, as given to the `Command`.
        program: String,
        /// Why.
        source: io::Error,
    },
    /// Reading or writing one of the child's pipes failed (other than the
    /// child closing its stdin, which is an ordinary outcome). The child was
    /// killed.
    Io {
        /// The child whose pipe failed.
        child: ChildId,
        /// The program, as given to the `Command`.
        program: String,
        /// Which pipe: `"stdin"`, `"stdout"` or `"stderr"`.
        stream: crate::Stream,
        /// Why.
        source: io::Error,
    },
    /// The sink of one of the child's streams failed
    /// ([`Sink::error`](crate::Sink::error)): the stream ended there. The
    /// error is a copy of the sink's (its kind and message).
    Sink {
        /// The child whose sink failed.
        child: ChildId,
        /// The program, as given to the `Command`.
        program: String,
        /// Which stream's sink: `"stdout"` or `"stderr"`.
        stream: crate::Stream,
        /// Why.
        source: io::Error,
    },
    /// Waiting for the child's exit status failed.
    Wait {
        /// The child.
        child: ChildId,
        /// The program, as given to the `Command`.
        program: String,
        /// Why.
        source: io::Error,
    },
    /// The job's builder calls contradict each other (say
    /// [`Job::merged`](crate::Job::merged) and
    /// [`Job::stdout`](crate::Job::stdout)): the child was not started.
    InvalidJob {
        /// The child.
        child: ChildId,
        /// The program, as given to the `Command`.
        program: String,
        /// Which calls.
        reason: String,
    },
    /// The child is neither queued nor running (already reported, or not
    /// of this reactor): it cannot be signalled, killed or cancelled.
    NotRunning {
        /// The child.
        child: ChildId,
    },
    /// Sending a signal to the child failed (`kill(2)`).
    Signal {
        /// The child.
        child: ChildId,
        /// The program, as given to the `Command`.
        program: String,
        /// The signal.
        signal: crate::Signal,
        /// Why.
        source: io::Error,
    },
    /// The child was killed or its reactor stopped before it started.
    Cancelled {
        /// The child.
        child: ChildId,
        /// The program, as given to the `Command`.
        program: String,
    },
    /// The child's report went to its events channel
    /// ([`Job::events`](crate::Job::events)), not to this waiter.
    ReportSent {
        /// The child.
        child: ChildId,
    },
    /// The child's report was already handed out by an earlier
    /// [`ChildHandle::wait_timeout`](crate::ChildHandle::wait_timeout).
    ReportTaken {
        /// The child.
        child: ChildId,
    },
    /// The reactor stopped (its thread panicked or was shut down) before
    /// it could report the child.
    Stopped {
        /// The child.
        child: ChildId,
    },
    /// A stage of a [`Pipeline`](crate::Pipeline) failed (it could not
    /// start, or its job was invalid): the pipeline did not run, and the
    /// stages that had started were killed and reaped.
    Stage {
        /// The pipeline.
        child: ChildId,
        /// The stage, from 0.
        stage: usize,
        /// The stage's program.
        program: String,
        /// What happened to the stage.
        source: Box<Error>,
    },
    /// The reactor itself failed (its poller could not be created or
    /// waited on). No child is affected by this error alone.
    Reactor(io::Error),
}

impl Error {
    /// The child this error concerns, if any.
    pub fn child(&self) -> Option<ChildId> {
        match self {
            Error::Spawn { child, .. }
            | Error::Io { child, .. }
            | Error::Sink { child, .. }
            | Error::Wait { child, .. }
            | Error::Cancelled { child, .. }
            | Error::InvalidJob { child, .. }
            | Error::NotRunning { child }
            | Error::Signal { child, .. }
            | Error::ReportSent { child }
            | Error::ReportTaken { child }
            | Error::Stopped { child }
            | Error::Stage { child, .. } => Some(*child),
            Error::Reactor(_) => None,
        }
    }

    /// The kind of the underlying I/O error (`Interrupted` for a cancelled
    /// child, `NotFound` for one not running, `InvalidInput` for an
    /// invalid job, `Other` when there is no I/O error).
    pub fn kind(&self) -> io::ErrorKind {
        match (self.io_error(), self) {
            (Some(err), _) => err.kind(),
            (None, Error::Cancelled { .. }) => io::ErrorKind::Interrupted,
            (None, Error::NotRunning { .. }) => io::ErrorKind::NotFound,
            (None, Error::InvalidJob { .. }) => io::ErrorKind::InvalidInput,
            (None, Error::Stage { source, .. }) => source.kind(),
            (None, _) => io::ErrorKind::Other,
        }
    }

    fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::Spawn { source, .. }
            | Error::Io { source, .. }
            | Error::Sink { source, .. }
            | Error::Wait { source, .. }
            | Error::Signal { source, .. }
            | Error::Reactor(source) => Some(source),
            Error::Cancelled { .. }
            | Error::InvalidJob { .. }
            | Error::NotRunning { .. }
            | Error::ReportSent { .. }
            | Error::ReportTaken { .. }
            | Error::Stage { .. }
            | Error::Stopped { .. } => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.child(), self.program()) {
            (Some(child), Some(program)) => {
                write!(f, "child {child} (`{program}`)")?;
                self.fmt_what(f)
            }
            (Some(child), None) => {
                write!(f, "child {child}")?;
                self.fmt_what(f)
            }
            _ => self.fmt_what(f),
        }
    }
}

impl Error {
    /// What went wrong, without the child and program that `fmt` names
    /// (for a [`Report`](crate::Report), which names them itself).
    pub(crate) fn what(&self) -> String {
        struct What<'a>(&'a Error);
        impl fmt::Display for What<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt_what(f)
            }
        }
        let what = What(self).to_string();
        let trimmed = what.trim_start_matches(':').trim_start();
        trimmed.to_owned()
    }

    /// What went wrong, after the child and program that `fmt` names.
    fn fmt_what(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spawn { source, .. } => write!(f, ": cannot start: {source}"),
            Error::Io { stream, source, .. } => write!(f, ": {stream} failed: {source}"),
            Error::Sink { stream, source, .. } => {
                write!(f, ": the sink of its {stream} failed: {source}")
            }
            Error::Wait { source, .. } => write!(f, ": waiting for its exit failed: {source}"),
            Error::Signal { signal, source, .. } => {
                write!(f, ": sending {signal} failed: {source}")
            }
            Error::Cancelled { .. } => f.write_str(" was cancelled before it started"),
            Error::InvalidJob { reason, .. } => write!(f, " was not started: {reason}"),
            Error::NotRunning { .. } => f.write_str(" is not running"),
            Error::ReportSent { .. } => f.write_str(": its report went to its events channel"),
            Error::ReportTaken { .. } => f.write_str(": its report was already taken"),
            Error::Stopped { .. } => f.write_str(": the reactor stopped before reporting it"),
            Error::Stage {
                stage,
                program,
                source,
                ..
            } => write!(f, ": stage {stage} (`{program}`){}", Stage(source)),
            Error::Reactor(source) => write!(f, "reactor: {source}"),
        }
    }
}

/// What happened to a stage, after the stage names itself.
struct Stage<'a>(&'a Error);

impl fmt::Display for Stage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_what(f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.io_error().map(|err| err as _)
    }
}

/// A copy, with copies of the I/O errors (their OS error code, or their
/// kind and message: an `io::Error` is not `Clone`).
impl Clone for Error {
    fn clone(&self) -> Error {
        if let Some(copy) = self.clone_io() {
            return copy;
        }
        match self {
            Error::Cancelled { child, program } => Error::Cancelled {
                child: *child,
                program: program.clone(),
            },
            Error::InvalidJob {
                child,
                program,
                reason,
            } => Error::InvalidJob {
                child: *child,
                program: program.clone(),
                reason: reason.clone(),
            },
            Error::NotRunning { child } => Error::NotRunning { child: *child },
            Error::ReportSent { child } => Error::ReportSent { child: *child },
            Error::ReportTaken { child } => Error::ReportTaken { child: *child },
            Error::Stopped { child } => Error::Stopped { child: *child },
            Error::Stage {
                child,
                stage,
                program,
                source,
            } => Error::Stage {
                child: *child,
                stage: *stage,
                program: program.clone(),
                source: source.clone(),
            },
            _ => Error::Reactor(io::Error::other(self.to_string())),
        }
    }
}

impl Error {
    /// A copy of an error that holds an I/O error (`None` for the others).
    fn clone_io(&self) -> Option<Error> {
        let (child, program) = match self {
            Error::Reactor(source) => return Some(Error::Reactor(copy_io_error(source))),
            _ => (self.child()?, self.program()?.to_owned()),
        };
        let source = copy_io_error(self.io_error()?);
        Some(match *self {
            Error::Spawn { .. } => Error::Spawn {
                child,
                program,
                source,
            },
            Error::Io { stream, .. } => Error::Io {
                child,
                program,
                stream,
                source,
            },
            Error::Sink { stream, .. } => Error::Sink {
                child,
                program,
                stream,
                source,
            },
            Error::Signal { signal, .. } => Error::Signal {
                child,
                program,
                signal,
                source,
            },
            _ => Error::Wait {
                child,
                program,
                source,
            },
        })
    }

    /// The program the error concerns, if it names one.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Job, Reactor};
    /// use std::process::Command;
    ///
    /// let mut reactor = Reactor::new()?;
    /// reactor.spawn(Job::new(Command::new("no-such-program")));
    /// let report = reactor.run()?.remove(0);
    /// let error = report.error().unwrap().clone();
    /// assert_eq!(error.program(), Some("no-such-program"));
    /// assert_eq!(error.child(), Some(report.id()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn program(&self) -> Option<&str> {
        match self {
            Error::Spawn { program, .. }
            | Error::Io { program, .. }
            | Error::Sink { program, .. }
            | Error::Wait { program, .. }
            | Error::Signal { program, .. }
            | Error::Cancelled { program, .. }
            | Error::InvalidJob { program, .. }
            | Error::Stage { program, .. } => Some(program),
            Error::NotRunning { .. }
            | Error::ReportSent { .. }
            | Error::ReportTaken { .. }
            | Error::Stopped { .. }
            | Error::Reactor(_) => None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        io::Error::new(err.kind(), err)
    }
}

/// A copy of `err`: its OS error code, or its kind and message (an
/// `io::Error` is not `Clone`).
pub(crate) fn copy_io_error(err: &io::Error) -> io::Error {
    match err.raw_os_error() {
        Some(code) if err.get_ref().is_none() => io::Error::from_raw_os_error(code),
        _ => io::Error::new(err.kind(), err.to_string()),
    }
}
