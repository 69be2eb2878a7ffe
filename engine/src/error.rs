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
            | Error::ReportSent { child }
            | Error::ReportTaken { child }
            | Error::Stopped { child } => Some(*child),
            Error::Reactor(_) => None,
        }
    }

    /// The kind of the underlying I/O error (`Interrupted` for a cancelled
    /// child, `Other` when there is no I/O error).
    pub fn kind(&self) -> io::ErrorKind {
        match self.io_error() {
            Some(err) => err.kind(),
            None if matches!(self, Error::Cancelled { .. }) => io::ErrorKind::Interrupted,
            None => io::ErrorKind::Other,
        }
    }

    fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::Spawn { source, .. }
            | Error::Io { source, .. }
            | Error::Sink { source, .. }
            | Error::Wait { source, .. }
            | Error::Reactor(source) => Some(source),
            Error::Cancelled { .. }
            | Error::ReportSent { .. }
            | Error::ReportTaken { .. }
            | Error::Stopped { .. } => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spawn {
                child,
                program,
                source,
            } => write!(f, "child {child}: cannot start `{program}`: {source}"),
            Error::Io {
                child,
                program,
                stream,
                source,
            } => write!(f, "child {child} (`{program}`): {stream} failed: {source}"),
            Error::Sink {
                child,
                program,
                stream,
                source,
            } => write!(
                f,
                "child {child} (`{program}`): the sink of its {stream} failed: {source}"
            ),
            Error::Wait {
                child,
                program,
                source,
            } => write!(
                f,
                "child {child} (`{program}`): waiting for its exit failed: {source}"
            ),
            Error::Cancelled { child, program } => {
                write!(
                    f,
                    "child {child} (`{program}`) was cancelled before it started"
                )
            }
            Error::ReportSent { child } => {
                write!(f, "child {child}: its report went to its events channel")
            }
            Error::ReportTaken { child } => {
                write!(f, "child {child}: its report was already taken")
            }
            Error::Stopped { child } => {
                write!(f, "child {child}: the reactor stopped before reporting it")
            }
            Error::Reactor(source) => write!(f, "reactor: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.io_error().map(|err| err as _)
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
