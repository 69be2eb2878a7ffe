//! Where a child's output goes: the [`Sink`] trait and what it returns.

use std::any::Any;
use std::io;
use std::os::fd::BorrowedFd;

use crate::mailbox::StreamContext;

#[cfg(doc)]
use crate::Resumer;

/// What a [`Sink`] wants after taking a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "the reactor acts on the flow a sink returns"]
pub enum Flow {
    /// Keep reading this stream.
    Continue,
    /// Stop reading this stream until it is resumed (by
    /// [`Resumer::resume`] or [`Reactor::resume`](crate::Reactor::resume)).
    /// The pipe fills up and the child blocks in `write`; the other streams
    /// and children are not affected.
    Pause,
    /// Close this stream: the reactor stops reading and closes its end of
    /// the pipe, so the child's next write fails (`EPIPE`, or death by
    /// `SIGPIPE` unless it ignores that signal).
    Close,
    /// Keep reading this stream, so the child never blocks on it, but
    /// throw the rest away without calling the sink again (not even for
    /// [`Sink::end`]). The bytes of the chunk just handed over and all later ones are counted in
    /// [`OutputReport::discarded`](crate::OutputReport::discarded).
    Discard,
}

impl Flow {
    /// The more urgent of two flows: [`Close`](Flow::Close), then
    /// [`Discard`](Flow::Discard), then [`Pause`](Flow::Pause), then
    /// [`Continue`](Flow::Continue). For a sink that asks several parts
    /// (lines of one chunk, members of a tee) what to do and must answer
    /// once: stopping wins over pausing, pausing over reading on.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::Flow;
    ///
    /// assert_eq!(Flow::Continue.most_urgent(Flow::Pause), Flow::Pause);
    /// assert_eq!(Flow::Close.most_urgent(Flow::Discard), Flow::Close);
    /// let parts = [Flow::Continue, Flow::Pause, Flow::Continue];
    /// assert_eq!(parts.into_iter().fold(Flow::Continue, Flow::most_urgent), Flow::Pause);
    /// ```
    pub fn most_urgent(self, other: Flow) -> Flow {
        let rank = |flow| match flow {
            Flow::Continue => 0,
            Flow::Pause => 1,
            Flow::Discard => 2,
            Flow::Close => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// Why a stream ended, as told to [`Sink::end`] and recorded in the
/// [`Report`](crate::Report).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEnd {
    /// Output: the child, and every process that shared the pipe, closed
    /// it: every byte was delivered. stdin: the source was exhausted, every
    /// byte was written and the reactor closed the pipe.
    Eof,
    /// The sink returned [`Flow::Close`].
    Closed,
    /// stdin only: the child closed its end (the write failed with `EPIPE`)
    /// before the source was exhausted. Not an error: the report says how
    /// many bytes were left unsent.
    ChildClosed,
    /// The child had exited and the pipe was still open after the linger
    /// (a grandchild held it): the reactor closed it. Bytes written after
    /// that are lost to the writer (it gets `EPIPE`).
    ForceClosed,
    /// The child was killed by the reactor (the reactor was dropped or
    /// stopped, or a sink or source panicked) before the stream ended.
    /// Every sink is told, even after a panic (a sink that panics again in
    /// [`Sink::end`] is dropped); output it still held undelivered is
    /// dropped. (A reactor dropped while its thread unwinds from a panic
    /// calls no sink: a second panic would abort the process.)
    Killed,
    /// Reading or writing the pipe failed; the child was killed and the
    /// error is in [`Report::error`](crate::Report::error).
    Error(io::ErrorKind),
    /// The child never started (it could not be spawned, or was cancelled
    /// first): the sink was never started and gets no chunk.
    NotStarted,
}

impl StreamEnd {
    /// Whether the stream was torn down rather than ended by its pipe or
    /// its sink: the child was killed by the reactor
    /// ([`Killed`](StreamEnd::Killed)) or never started
    /// ([`NotStarted`](StreamEnd::NotStarted)). Nothing more will be
    /// delivered: a sink holding undelivered output should let it go.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::StreamEnd;
    ///
    /// assert!(StreamEnd::Killed.is_teardown());
    /// assert!(StreamEnd::NotStarted.is_teardown());
    /// assert!(!StreamEnd::Eof.is_teardown());
    /// assert!(!StreamEnd::ForceClosed.is_teardown());
    /// ```
    pub fn is_teardown(&self) -> bool {
        matches!(self, StreamEnd::Killed | StreamEnd::NotStarted)
    }
}

/// Where the reactor hands a child's output.
///
/// [`chunk`](Sink::chunk) is the one required method: it is called with
/// every chunk of bytes as it is read from the pipe. Chunk boundaries are
/// arbitrary (they depend on how the child wrote and when the reactor read)
/// but the bytes, end to end, are exactly what the child wrote.
///
/// Closures `FnMut(&[u8]) -> Flow` are sinks.
///
/// A sink runs on the reactor's thread: a sink that blocks stalls every
/// child. A sink that cannot take more right now returns [`Flow::Pause`]
/// and, when it can, calls the [`Resumer`] it was given in
/// [`start`](Sink::start).
///
/// # Examples
///
/// ```
/// use procpump::{Flow, Sink};
///
/// /// Counts newlines.
/// struct LineCount(usize);
///
/// impl Sink for LineCount {
///     fn chunk(&mut self, chunk: &[u8]) -> Flow {
///         self.0 += chunk.iter().filter(|&&b| b == b'\n').count();
///         Flow::Continue
///     }
/// }
///
/// let mut count = LineCount(0);
/// assert_eq!(count.chunk(b"a\nb\nc"), Flow::Continue);
/// assert_eq!(count.0, 2);
/// ```
pub trait Sink {
    /// Takes the next chunk of the stream (never empty).
    ///
    /// Returns what the reactor should do next: [`Flow::Continue`] to keep
    /// reading, [`Flow::Pause`] to stop until resumed, [`Flow::Close`] to
    /// close the stream.
    fn chunk(&mut self, chunk: &[u8]) -> Flow;

    /// Called once, before the first chunk, when the child has started.
    /// The context tells which child and stream this sink serves and hands
    /// out a [`Resumer`]. Does nothing by default.
    fn start(&mut self, context: &StreamContext<'_>) {
        let _ = context;
    }

    /// Called when a paused stream is resumed, before reading goes on.
    ///
    /// Returns [`Flow::Continue`] (the default) to read again,
    /// [`Flow::Pause`] to stay paused (e.g. the resume was early), or
    /// [`Flow::Close`] to close the stream.
    fn resume(&mut self) -> Flow {
        Flow::Continue
    }

    /// Zero-copy delivery: a sink that writes every byte it is given to one
    /// descriptor (a regular file, typically) may return that descriptor.
    /// On Linux the reactor then moves the pipe's bytes into it with
    /// `splice(2)`, never copying them through user space, and calls
    /// [`spliced`](Sink::spliced) instead of [`chunk`](Sink::chunk).
    ///
    /// Where splicing is not possible (other platforms, a descriptor the
    /// kernel cannot splice into, such as a file opened for appending) or
    /// fails, the reactor falls back to [`chunk`](Sink::chunk) for the rest
    /// of the stream, so the sink must also accept chunks. The descriptor
    /// should be blocking (a non-blocking one that fills up ends splicing
    /// for the stream). Asked before every transfer. Default: `None`.
    fn splice_target(&mut self) -> Option<BorrowedFd<'_>> {
        None
    }

    /// Called after `bytes` bytes were spliced into the
    /// [`splice_target`](Sink::splice_target). Returns what the reactor
    /// should do next, as [`chunk`](Sink::chunk) does. Default:
    /// [`Flow::Continue`].
    fn spliced(&mut self, bytes: usize) -> Flow {
        let _ = bytes;
        Flow::Continue
    }

    /// Called once when the stream has ended, with why. No chunk follows.
    /// A child that never started ends its sinks with
    /// [`StreamEnd::NotStarted`]. Does nothing by default.
    fn end(&mut self, end: &StreamEnd) {
        let _ = end;
    }

    /// Called after [`end`](Sink::end), and again after each resume, until
    /// it returns anything but [`Flow::Pause`]: a sink that still holds
    /// bytes it could not deliver (a full channel) returns
    /// [`Flow::Pause`] and uses its [`Resumer`] when it can go on. The
    /// child is reported once every sink has flushed. Default:
    /// [`Flow::Continue`].
    fn flush(&mut self) -> Flow {
        Flow::Continue
    }

    /// Why the sink failed, if it did (a full disk, a closed socket): the
    /// way a sink fails its stream. Asked once the stream has ended (after
    /// [`end`](Sink::end) and [`flush`](Sink::flush); a sink that fails
    /// midway returns [`Flow::Close`], or [`Flow::Discard`] to let the
    /// child run on, and the stream ends). An error here is the stream's
    /// end ([`StreamEnd::Error`]) and the child's
    /// [`Report::error`](crate::Report::error): [`Error::Sink`], naming
    /// the child, the program and the stream, with this error's kind and
    /// message (the sink keeps its own). Default: `None`.
    ///
    /// [`Error::Sink`]: crate::Error::Sink
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Error, Flow, Job, Reactor, Sink, StreamEnd};
    /// use std::io;
    /// use std::process::Command;
    ///
    /// /// Takes at most 4 bytes, then fails.
    /// #[derive(Default)]
    /// struct Small(Vec<u8>, Option<io::Error>);
    ///
    /// impl Sink for Small {
    ///     fn chunk(&mut self, chunk: &[u8]) -> Flow {
    ///         if self.0.len() + chunk.len() > 4 {
    ///             self.1 = Some(io::Error::new(io::ErrorKind::StorageFull, "4 bytes at most"));
    ///             return Flow::Close;
    ///         }
    ///         self.0.extend_from_slice(chunk);
    ///         Flow::Continue
    ///     }
    ///     fn error(&self) -> Option<&io::Error> {
    ///         self.1.as_ref()
    ///     }
    /// }
    ///
    /// let mut reactor = Reactor::new()?;
    /// let mut echo = Command::new("echo");
    /// echo.arg("too long");
    /// reactor.spawn(Job::new(echo).stdout(Small::default()));
    /// let report = reactor.run()?.remove(0);
    /// assert!(!report.success());
    /// assert_eq!(report.stdout().unwrap().end(), &StreamEnd::Error(io::ErrorKind::StorageFull));
    /// let Some(Error::Sink { stream, source, .. }) = report.error() else { panic!() };
    /// assert_eq!(stream.name(), "stdout");
    /// assert_eq!(source.to_string(), "4 bytes at most");
    /// # Ok(())
    /// # }
    /// ```
    fn error(&self) -> Option<&io::Error> {
        None
    }
}

/// Anything that can become a [`Sink`]: every sink, and a
/// `crossbeam_channel::Sender` of [`Chunk`](crate::Chunk)s.
///
/// [`Job::stdout`](crate::Job::stdout) and
/// [`Job::stderr`](crate::Job::stderr) take any `IntoSink`.
pub trait IntoSink {
    /// The sink this becomes.
    type Sink: Sink + Send + 'static;

    /// Makes the sink.
    fn into_sink(self) -> Self::Sink;
}

impl<S: Sink + Send + 'static> IntoSink for S {
    type Sink = S;

    fn into_sink(self) -> S {
        self
    }
}

impl<F> Sink for F
where
    F: FnMut(&[u8]) -> Flow,
{
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        self(chunk)
    }
}

/// A boxed sink is a sink, so sinks chosen at run time can be mixed.
impl Sink for Box<dyn Sink + Send> {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        (**self).chunk(chunk)
    }

    fn start(&mut self, context: &StreamContext<'_>) {
        (**self).start(context);
    }

    fn resume(&mut self) -> Flow {
        (**self).resume()
    }

    fn splice_target(&mut self) -> Option<BorrowedFd<'_>> {
        (**self).splice_target()
    }

    fn spliced(&mut self, bytes: usize) -> Flow {
        (**self).spliced(bytes)
    }

    fn end(&mut self, end: &StreamEnd) {
        (**self).end(end);
    }

    fn flush(&mut self) -> Flow {
        (**self).flush()
    }

    fn error(&self) -> Option<&io::Error> {
        (**self).error()
    }
}

/// A sink that throws every byte away (the report still counts them).
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Discard, Job, Reactor};
/// use std::process::Command;
///
/// let mut reactor = Reactor::new()?;
/// reactor.spawn(Job::new(Command::new("echo")).stdout(Discard));
/// let reports = reactor.run()?;
/// assert_eq!(reports[0].stdout().unwrap().bytes(), 1);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Discard;

impl Sink for Discard {
    fn chunk(&mut self, _chunk: &[u8]) -> Flow {
        Flow::Continue
    }
}

/// A sink the reactor can hand back, typed, after the run.
pub(crate) trait AnySink: Send {
    fn sink(&mut self) -> &mut dyn Sink;
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

impl<S: Sink + Send + 'static> AnySink for S {
    fn sink(&mut self) -> &mut dyn Sink {
        self
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// A boxed sink, as kept in a job and returned in a report.
pub(crate) type BoxSink = Box<dyn AnySink>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_urgent_flow_wins_either_way_round() {
        let order = [Flow::Continue, Flow::Pause, Flow::Discard, Flow::Close];
        for (i, &a) in order.iter().enumerate() {
            for (j, &b) in order.iter().enumerate() {
                let expected = order[i.max(j)];
                assert_eq!((a.most_urgent(b), b.most_urgent(a)), (expected, expected));
            }
        }
    }

    #[test]
    fn a_boxed_sink_forwards_every_call() {
        let mut seen = Vec::new();
        let mut boxed: Box<dyn Sink + Send> = Box::new(|chunk: &[u8]| {
            assert_eq!(chunk, b"abc");
            Flow::Pause
        });
        seen.push(boxed.chunk(b"abc"));
        seen.push(boxed.resume());
        seen.push(boxed.flush());
        assert!(boxed.splice_target().is_none());
        assert_eq!(seen, [Flow::Pause, Flow::Continue, Flow::Continue]);
    }
}
