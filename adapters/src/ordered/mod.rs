//! [`Ordered`]: many jobs' outputs onto one writer, in the jobs' order
//! (GNU parallel's `-k`), the oldest unfinished one live.

mod queue;

use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;

use procpump::{Flow, Sink, StreamContext, StreamEnd};

use crate::shared::SharedWriter;
use queue::Queue;

/// Bytes of memory [`Ordered`] holds at most, all jobs together, before
/// held output goes to files: 4 MiB.
pub const DEFAULT_ORDERED_MEMORY: usize = 4 << 20;

/// Bytes of memory one job's held output takes at most before it goes to
/// its file: 256 KiB.
pub const DEFAULT_ORDERED_JOB_MEMORY: usize = 256 << 10;

/// How [`Ordered`] writes the live job's output.
///
/// # Examples
///
/// ```
/// use procpump::{Sink, StreamEnd};
/// use procpump_adapters::{Ordered, OrderedMode};
///
/// let out = Ordered::writer(Vec::new()).mode(OrderedMode::Lines);
/// let mut sink = out.sink();
/// let _ = sink.chunk(b"one\ntw");
/// out.with(|written| assert_eq!(written, b"one\n")); // "tw" waits for its line's end
/// sink.end(&StreamEnd::Eof);
/// out.with(|written| assert_eq!(written, b"one\ntw\n"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderedMode {
    /// Bytes go out as they come, exactly. The default.
    #[default]
    Bytes,
    /// Only whole lines go out: the live job's unterminated line is held
    /// until its newline comes, and a last line without one gets one
    /// (as [`Tagged`](crate::Tagged) does). Another writer to the same
    /// terminal (stderr, say) then never cuts a line.
    Lines,
}

/// A sink factory: each [`sink`](Ordered::sink) serves one job, and their
/// outputs reach one writer in the order the sinks were made, each whole,
/// never mixed.
///
/// The oldest job whose output is not yet written is live: its bytes go
/// to the writer as they come (whole lines only in
/// [`OrderedMode::Lines`]). The later jobs' bytes are held: in memory,
/// up to [`memory_per_job`](Ordered::memory_per_job) each and
/// [`memory`](Ordered::memory) all together (256 KiB and 4 MiB by
/// default), past that in temporary files that have no name
/// ([`Spill`](crate::Spill)). When the live job ends, what the next ones
/// held goes out, and the oldest job still running becomes live.
///
/// A job's report waits until its output is written: its sink's
/// [`flush`](Sink::flush) pauses until then, so a write error (a full
/// disk, a closed pipe) or a failure to hold (a temporary directory that
/// vanished) is that job's [`Sink::error`], its stream's
/// [`StreamEnd::Error`] and its report's error, and never anyone else's.
/// Spawn the jobs in the order their sinks were made: with
/// [`Options::max_running`](procpump::Options::max_running), the live job
/// is then always among those running. A caller that starts a job as
/// another is reported, and wants a job that finished early to free its
/// place at once, asks for [`report_when_held`](Ordered::report_when_held).
///
/// Cheap to clone (the clones share the writer and the order).
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Job, Reactor};
/// use procpump_adapters::Ordered;
/// use std::process::Command;
///
/// let out = Ordered::writer(Vec::new());
/// let mut reactor = Reactor::new()?;
/// for (word, delay) in [("first", "0.3"), ("second", "0"), ("third", "0.1")] {
///     let mut sh = Command::new("sh");
///     sh.args(["-c", &format!("sleep {delay}; echo {word}")]);
///     reactor.spawn(Job::new(sh).stdout(out.sink()));
/// }
/// for report in reactor.run()? {
///     assert!(report.success(), "{report:?}");
/// }
/// out.with(|text| assert_eq!(text, b"first\nsecond\nthird\n"));
/// # Ok(())
/// # }
/// ```
pub struct Ordered<W> {
    queue: SharedWriter<Queue<W>>,
}

impl<W: Write + Send + 'static> Ordered<W> {
    /// Outputs in order onto `writer` (e.g. [`io::stdout()`], a file, a
    /// `Vec<u8>`).
    pub fn writer(writer: W) -> Ordered<W> {
        Ordered {
            queue: SharedWriter::new(Queue::new(writer)),
        }
    }

    /// Bytes or whole lines. Default: [`OrderedMode::Bytes`].
    pub fn mode(self, mode: OrderedMode) -> Ordered<W> {
        self.queue.lock().mode = mode;
        self
    }

    /// Bytes of memory all held outputs take at most (about: one job's
    /// [`memory_per_job`](Ordered::memory_per_job) more); past that they
    /// go to files. Default: [`DEFAULT_ORDERED_MEMORY`].
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Sink, StreamEnd};
    /// use procpump_adapters::Ordered;
    ///
    /// let out = Ordered::writer(Vec::new()).memory(8).memory_per_job(8);
    /// let (mut live, mut later) = (out.sink(), out.sink());
    /// let _ = later.chunk(b"12345678");
    /// assert_eq!(out.resident(), 8);
    /// let _ = later.chunk(b"9"); // past the bound: to a file
    /// assert_eq!(out.resident(), 0);
    /// live.end(&StreamEnd::Eof);
    /// later.end(&StreamEnd::Eof);
    /// assert_eq!(out.peak_resident(), 8);
    /// out.with(|text| assert_eq!(text, b"123456789"));
    /// ```
    pub fn memory(self, bytes: usize) -> Ordered<W> {
        self.queue.lock().memory = bytes;
        self
    }

    /// Bytes of memory one job's held output takes at most (for sinks
    /// made afterwards). Default: [`DEFAULT_ORDERED_JOB_MEMORY`].
    pub fn memory_per_job(self, bytes: usize) -> Ordered<W> {
        self.queue.lock().memory_per_job = bytes;
        self
    }

    /// Where the temporary files go (for sinks made afterwards). Default:
    /// [`std::env::temp_dir`], read when a file is needed.
    pub fn temp_dir(self, dir: impl Into<PathBuf>) -> Ordered<W> {
        self.queue.lock().dir = Some(dir.into());
        self
    }

    /// A job's report no longer waits until its output is written: its
    /// stream ends as soon as its output is held, and an error writing it
    /// later is kept for [`take_error`](Ordered::take_error) instead of
    /// failing its report (a failure to hold it still fails its report).
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Flow, Sink, StreamEnd};
    /// use procpump_adapters::Ordered;
    /// use std::fs::OpenOptions;
    ///
    /// let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
    /// let out = Ordered::writer(full).report_when_held();
    /// let (mut first, mut second) = (out.sink(), out.sink());
    /// let _ = second.chunk(b"held");
    /// second.end(&StreamEnd::Eof);
    /// assert_eq!(second.flush(), Flow::Continue); // ended: its report may go
    /// first.end(&StreamEnd::Eof); // the second's turn: /dev/full refuses it
    /// drop(second);
    /// let err = out.take_error(1).unwrap();
    /// assert_eq!(err.kind(), std::io::ErrorKind::StorageFull);
    /// assert!(out.take_error(0).is_none());
    /// ```
    pub fn report_when_held(self) -> Ordered<W> {
        self.queue.lock().reports_wait = false;
        self
    }

    /// The error that lost some of job `position`'s output after its
    /// stream ended ([`report_when_held`](Ordered::report_when_held)), if
    /// one did; each error is given once.
    pub fn take_error(&self, position: u64) -> Option<io::Error> {
        self.queue.lock().take_error(position)
    }

    /// A sink for the next job in order.
    pub fn sink(&self) -> OrderedSink<W> {
        let position = self.queue.lock().push();
        OrderedSink {
            queue: self.queue.clone(),
            position,
            bytes: 0,
            error: None,
            ended: false,
        }
    }

    /// Bytes of memory the held outputs take now.
    pub fn resident(&self) -> usize {
        self.queue.lock().resident()
    }

    /// The most bytes of memory the held outputs took at once.
    pub fn peak_resident(&self) -> usize {
        self.queue.lock().peak()
    }

    /// Runs `f` with the writer, under the lock.
    pub fn with<R>(&self, f: impl FnOnce(&mut W) -> R) -> R {
        f(&mut self.queue.lock().writer)
    }

    /// Takes the writer back, if this is the last handle (the sinks hold
    /// one each: drop the reports first).
    ///
    /// # Errors
    ///
    /// Returns the handle itself while other handles exist.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Sink, StreamEnd};
    /// use procpump_adapters::Ordered;
    ///
    /// let out = Ordered::writer(Vec::new());
    /// let mut sink = out.sink();
    /// let _ = sink.chunk(b"done\n");
    /// sink.end(&StreamEnd::Eof);
    /// let out = out.into_inner().unwrap_err(); // the sink still holds it
    /// drop(sink);
    /// assert_eq!(out.into_inner().unwrap(), b"done\n");
    /// ```
    pub fn into_inner(self) -> Result<W, Ordered<W>> {
        match self.queue.into_inner() {
            Ok(queue) => Ok(queue.writer),
            Err(queue) => Err(Ordered { queue }),
        }
    }
}

impl<W> Clone for Ordered<W> {
    fn clone(&self) -> Ordered<W> {
        Ordered {
            queue: self.queue.clone(),
        }
    }
}

impl<W> fmt::Debug for Ordered<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ordered").finish_non_exhaustive()
    }
}

/// One job's stream, written to an [`Ordered`] writer in its turn.
///
/// If holding or writing its output fails, the first error is kept
/// ([`error`](OrderedSink::error)) and the stream is closed; what was
/// held before is still written in its turn.
///
/// # Examples
///
/// ```
/// use procpump::{Sink, StreamEnd};
/// use procpump_adapters::Ordered;
///
/// let out = Ordered::writer(Vec::new());
/// let (mut first, mut second) = (out.sink(), out.sink());
/// let _ = second.chunk(b"second\n"); // held: the first has not ended
/// let _ = first.chunk(b"first\n"); // live: written at once
/// second.end(&StreamEnd::Eof);
/// out.with(|text| assert_eq!(text, b"first\n"));
/// first.end(&StreamEnd::Eof);
/// out.with(|text| assert_eq!(text, b"first\nsecond\n"));
/// assert_eq!((first.position(), second.position(), second.bytes()), (0, 1, 7));
/// ```
pub struct OrderedSink<W: Write> {
    queue: SharedWriter<Queue<W>>,
    position: u64,
    bytes: u64,
    error: Option<io::Error>,
    ended: bool,
}

impl<W: Write> OrderedSink<W> {
    /// Its place in the order, from 0: the order the sinks were made.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Bytes taken.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The first error holding or writing this job's output, once known.
    pub fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    fn keep_error(&mut self, err: Option<io::Error>) {
        if self.error.is_none() {
            self.error = err;
        }
    }
}

impl<W: Write> Sink for OrderedSink<W> {
    fn chunk(&mut self, chunk: &[u8]) -> Flow {
        if self.error.is_some() {
            return Flow::Close;
        }
        self.bytes += chunk.len() as u64;
        let err = self.queue.lock().chunk(self.position, chunk);
        self.keep_error(err);
        if self.error.is_some() {
            Flow::Close
        } else {
            Flow::Continue
        }
    }

    fn start(&mut self, context: &StreamContext<'_>) {
        self.queue.lock().started(self.position, context.resumer());
    }

    fn end(&mut self, _end: &StreamEnd) {
        if !self.ended {
            self.ended = true;
            self.queue.lock().end(self.position);
        }
    }

    /// Pauses until this job's output is written (the reactor is told to
    /// flush again then).
    fn flush(&mut self) -> Flow {
        let flushed = self.queue.lock().flushed(self.position);
        match flushed {
            Ok(err) => {
                self.keep_error(err);
                Flow::Continue
            }
            Err(()) => Flow::Pause,
        }
    }

    /// The first error holding or writing this job's output: it fails
    /// the stream.
    fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }
}

impl<W: Write> Drop for OrderedSink<W> {
    /// A sink dropped before its stream ended (its job never spawned)
    /// holds the order up no longer.
    fn drop(&mut self) {
        self.queue.lock().forget(self.position);
    }
}

impl<W: Write> fmt::Debug for OrderedSink<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderedSink")
            .field("position", &self.position)
            .field("bytes", &self.bytes)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
