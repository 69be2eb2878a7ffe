//! One output stream of a running child (stdout, stderr, or both merged):
//! its pipe, its sink, and the one state that says what the reactor does
//! with them.

use std::io::{self, Read};
use std::panic::{self, AssertUnwindSafe};

use crate::base::copy_io_error;
use crate::base::Output;
use crate::child::pipe::Pipe;
use crate::child::sizing::PipeSizes;
use crate::io::BoxSink;
use crate::sys::{self, Interest};
use crate::{Flow, OutputReport, StreamEnd};

/// Full reads of one pipe per readiness event, so a fast child cannot
/// starve the others.
const READS_PER_EVENT: usize = 4;

/// Where an output stream is.
enum State {
    /// The pipe is watched; chunks go to the sink (spliced into the
    /// target it offers, until splicing failed once: then `splice` is
    /// false).
    Reading {
        pipe: Pipe,
        sink: BoxSink,
        splice: bool,
    },
    /// The sink returned [`Flow::Pause`]: the pipe is not watched until
    /// the stream is resumed, so it fills and the child blocks in `write`.
    Paused {
        pipe: Pipe,
        sink: BoxSink,
        splice: bool,
    },
    /// The sink returned [`Flow::Discard`]: the pipe is read on and the
    /// bytes thrown away; the sink is not called again.
    Discarding { pipe: Pipe, sink: BoxSink },
    /// The stream ended; the sink still holds bytes it could not deliver
    /// and is flushed again at each resume.
    Flushing { sink: BoxSink, end: StreamEnd },
    /// The stream ended and its sink is done (`None`: dropped, after a
    /// kill while it was still flushing).
    Ended {
        sink: Option<BoxSink>,
        end: StreamEnd,
    },
}

/// What one read came to.
enum ReadOutcome {
    /// `n` bytes went to the sink, which answered `flow`; `more`: the
    /// pipe may hold more.
    Data {
        n: usize,
        flow: Flow,
        more: bool,
    },
    Eof,
    Empty,
}

/// An output stream of a running child.
pub(super) struct OutputStream {
    output: Output,
    state: State,
    bytes: u64,
    discarded: u64,
}

impl OutputStream {
    /// A stream read from `pipe` (already watched for reading) into `sink`
    /// (already started).
    pub(crate) fn new(output: Output, pipe: Pipe, sink: BoxSink) -> OutputStream {
        OutputStream {
            output,
            state: State::Reading {
                pipe,
                sink,
                splice: true,
            },
            bytes: 0,
            discarded: 0,
        }
    }

    /// Whether the stream has ended and its sink is done.
    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, State::Ended { .. })
    }

    /// The pipe is readable: reads it, at most [`READS_PER_EVENT`] full
    /// buffers, handing each chunk to the sink and acting on its
    /// [`Flow`]. An error is the caller's to act on (the stream stays as
    /// it was).
    pub(crate) fn on_readable(&mut self, buf: &mut [u8], sizes: PipeSizes) -> io::Result<()> {
        for _ in 0..READS_PER_EVENT {
            match self.read_once(buf, sizes)? {
                ReadOutcome::Data { n, flow, more } => {
                    self.bytes += n as u64;
                    self.apply(flow, n)?;
                    // A short read almost always means the pipe is empty:
                    // wait for the next event rather than pay a read that
                    // finds nothing.
                    if !more {
                        break;
                    }
                }
                ReadOutcome::Eof => {
                    self.end(StreamEnd::Eof);
                    break;
                }
                ReadOutcome::Empty => break,
            }
        }
        Ok(())
    }

    /// One read (or splice) from the pipe, if the stream is being read.
    fn read_once(&mut self, buf: &mut [u8], sizes: PipeSizes) -> io::Result<ReadOutcome> {
        loop {
            let outcome = match &mut self.state {
                State::Reading { pipe, sink, splice } => {
                    // Asked before every transfer: a sink may offer a
                    // target later (after a header, say).
                    let spliced = if *splice {
                        splice_once(pipe, sink)
                    } else {
                        None
                    };
                    match spliced {
                        Some(Ok(0)) => Ok(ReadOutcome::Eof),
                        Some(Ok(n)) => {
                            if n >= pipe.capacity() {
                                pipe.busy(sizes);
                            }
                            let flow = sink.sink().spliced(n);
                            let more = true;
                            Ok(ReadOutcome::Data { n, flow, more })
                        }
                        Some(Err(err)) if err.kind() == io::ErrorKind::WouldBlock => {
                            Ok(ReadOutcome::Empty)
                        }
                        Some(Err(err)) if err.kind() != io::ErrorKind::Interrupted => {
                            log::debug!("splicing failed ({err}): reading instead");
                            *splice = false;
                            continue;
                        }
                        Some(Err(err)) => Err(err),
                        None => read_into(pipe, buf, sizes, |chunk| sink.sink().chunk(chunk)),
                    }
                }
                State::Discarding { pipe, .. } => read_into(pipe, buf, sizes, |_| Flow::Discard),
                _ => Ok(ReadOutcome::Empty),
            };
            match outcome {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                outcome => return outcome,
            }
        }
    }

    /// Acts on what the sink answered, after a chunk of `n` bytes (0 after
    /// a resume): the one place a [`Flow`] is interpreted.
    fn apply(&mut self, flow: Flow, n: usize) -> io::Result<()> {
        if flow == Flow::Close {
            self.end(StreamEnd::Closed);
            return Ok(());
        }
        // The new state is kept even if changing the pipe's interest fails:
        // the caller then fails the stream, which ends it from there.
        let (state, watched) = match (flow, self.take()) {
            (Flow::Discard, State::Reading { mut pipe, sink, .. })
            | (Flow::Discard, State::Paused { mut pipe, sink, .. }) => {
                self.discarded += n as u64;
                let watched = pipe.watch(Interest::Read);
                (State::Discarding { pipe, sink }, watched)
            }
            (Flow::Discard, State::Discarding { pipe, sink }) => {
                self.discarded += n as u64;
                (State::Discarding { pipe, sink }, Ok(()))
            }
            (
                Flow::Pause,
                State::Reading {
                    mut pipe,
                    sink,
                    splice,
                },
            ) => {
                let watched = pipe.watch(Interest::None);
                (State::Paused { pipe, sink, splice }, watched)
            }
            (
                Flow::Continue,
                State::Paused {
                    mut pipe,
                    sink,
                    splice,
                },
            ) => {
                let watched = pipe.watch(Interest::Read);
                (State::Reading { pipe, sink, splice }, watched)
            }
            (_, state) => (state, Ok(())),
        };
        self.state = state;
        watched
    }

    /// Resumes the stream: a paused one asks its sink ([`Sink::resume`])
    /// and acts on the answer; one still flushing is flushed again. True if
    /// the pipe is read again.
    ///
    /// [`Sink::resume`]: crate::Sink::resume
    pub(crate) fn resume(&mut self) -> io::Result<bool> {
        match &mut self.state {
            State::Paused { sink, .. } => {
                let flow = sink.sink().resume();
                self.apply(flow, 0)?;
                Ok(matches!(
                    self.state,
                    State::Reading { .. } | State::Discarding { .. }
                ))
            }
            State::Flushing { .. } => {
                if let State::Flushing { sink, end } = self.take() {
                    self.flush(sink, end);
                }
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    /// Ends the stream: closes the pipe, tells the sink why
    /// ([`Sink::end`], not after a [`Flow::Discard`]) and flushes it.
    ///
    /// [`Sink::end`]: crate::Sink::end
    pub(crate) fn end(&mut self, end: StreamEnd) {
        let (pipe, mut sink) = match self.take() {
            State::Reading { pipe, sink, .. } | State::Paused { pipe, sink, .. } => (pipe, sink),
            State::Discarding { pipe, sink } => {
                drop(pipe);
                self.log_end(&end);
                self.state = State::Ended {
                    sink: Some(sink),
                    end,
                };
                return;
            }
            ended => {
                self.state = ended;
                return;
            }
        };
        drop(pipe);
        self.log_end(&end);
        sink.sink().end(&end);
        if end == StreamEnd::Killed {
            self.state = State::Ended {
                sink: Some(sink),
                end,
            };
        } else {
            self.flush(sink, end);
        }
    }

    /// The child was killed: the stream ends as [`StreamEnd::Killed`].
    /// The sink is told even after a sink panicked (one that panics again
    /// in `end` is dropped). A sink still flushing cannot be told twice
    /// that its stream ended: it is dropped, so that whatever it holds (a
    /// channel's sender) is let go.
    pub(crate) fn kill(&mut self) {
        match self.take() {
            State::Flushing { end, .. } => self.state = State::Ended { sink: None, end },
            State::Reading { pipe, sink, .. } | State::Paused { pipe, sink, .. } => {
                drop(pipe);
                let end = StreamEnd::Killed;
                self.log_end(&end);
                let sink = tell_end(sink, &end);
                self.state = State::Ended { sink, end };
            }
            state => {
                self.state = state;
                self.end(StreamEnd::Killed);
            }
        }
    }

    /// The child's linger is over: a pipe still open is closed
    /// ([`StreamEnd::ForceClosed`]), unless its sink paused it (its resume
    /// restarts the linger).
    pub(crate) fn linger_over(&mut self) {
        if matches!(self.state, State::Reading { .. } | State::Discarding { .. }) {
            self.end(StreamEnd::ForceClosed);
        }
    }

    /// What the report says of the stream, and its sink, and the sink's
    /// failure ([`Sink::error`](crate::Sink::error)), which is then the
    /// stream's end.
    pub(crate) fn into_report(self) -> (OutputReport, Option<BoxSink>, Option<io::Error>) {
        let (mut sink, end) = match self.state {
            State::Ended { sink, end } => (sink, end),
            State::Flushing { sink, end } => (Some(sink), end),
            // Not ended yet (the caller reports only ended streams).
            State::Reading { sink, .. }
            | State::Paused { sink, .. }
            | State::Discarding { sink, .. } => (Some(sink), StreamEnd::Killed),
        };
        let failure = sink
            .as_mut()
            .and_then(|sink| sink.sink().error().map(copy_io_error));
        let end = match &failure {
            Some(err) => StreamEnd::Error(err.kind()),
            None => end,
        };
        (
            OutputReport::new(self.bytes, self.discarded, end),
            sink,
            failure,
        )
    }

    /// Asks an ended stream's sink to deliver what it still holds; one that
    /// cannot yet is flushed again at its next resume.
    fn flush(&mut self, mut sink: BoxSink, end: StreamEnd) {
        self.state = if sink.sink().flush() == Flow::Pause {
            State::Flushing { sink, end }
        } else {
            State::Ended {
                sink: Some(sink),
                end,
            }
        };
    }

    fn take(&mut self) -> State {
        std::mem::replace(
            &mut self.state,
            State::Ended {
                sink: None,
                end: StreamEnd::Killed,
            },
        )
    }

    fn log_end(&self, end: &StreamEnd) {
        log::debug!(
            "{} ended: {end:?} after {} bytes",
            self.output.stream(),
            self.bytes
        );
    }
}

/// Tells `sink` its stream ended, while the reactor tears down: a sink
/// that panics (again) is dropped rather than cut the teardown short.
pub(crate) fn tell_end(mut sink: BoxSink, end: &StreamEnd) -> Option<BoxSink> {
    if std::thread::panicking() {
        // Dropped while unwinding: a second panic would abort the process.
        return Some(sink);
    }
    let told = panic::catch_unwind(AssertUnwindSafe(|| sink.sink().end(end)));
    match told {
        Ok(()) => Some(sink),
        Err(_) => {
            log::error!("a sink panicked in `end` ({end:?}): dropped");
            None
        }
    }
}

/// Splices what the pipe holds into the sink's target, if it has one.
fn splice_once(pipe: &Pipe, sink: &mut BoxSink) -> Option<io::Result<usize>> {
    let target = sink.sink().splice_target()?;
    Some(sys::splice(pipe.file(), target, pipe.capacity()))
}

/// One read from `pipe` into `buf`, the chunk handed to `deliver`.
fn read_into(
    pipe: &mut Pipe,
    buf: &mut [u8],
    sizes: PipeSizes,
    deliver: impl FnOnce(&[u8]) -> Flow,
) -> io::Result<ReadOutcome> {
    let n = match pipe.file().read(buf) {
        Ok(0) => return Ok(ReadOutcome::Eof),
        Ok(n) => n,
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(ReadOutcome::Empty),
        // A terminal's master side, once every process closed the
        // terminal (a pipe never says `EIO`).
        Err(err) if err.raw_os_error() == Some(sys::EIO) => return Ok(ReadOutcome::Eof),
        Err(err) => return Err(err),
    };
    // The pipe is busy when the read emptied it full or filled the buffer
    // (a pipe larger than one read).
    if n >= buf.len().min(pipe.capacity()) {
        pipe.busy(sizes);
    }
    let flow = deliver(&buf[..n]);
    Ok(ReadOutcome::Data {
        n,
        flow,
        more: n == buf.len(),
    })
}

#[cfg(test)]
mod tests;
