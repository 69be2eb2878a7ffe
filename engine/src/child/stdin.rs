//! The stdin stream of a running child: its pipe, its source, and the one
//! state that says what the reactor does with them.

use std::io::{self, Write};

use crate::child::pipe::{Pipe, INPUT_BUFFER};
use crate::child::sizing::PipeSizes;
use crate::sys::Interest;
use crate::{Fill, InputReport, Source, StreamEnd};

/// Bytes written to one stdin per readiness event, so a fast reader cannot
/// starve the others.
const WRITE_BYTES_PER_EVENT: u64 = 1 << 20;

/// Where a stdin stream is.
enum State {
    /// The pipe is watched for room.
    Writing(Pipe),
    /// The source had nothing ([`Fill::Pending`]): the pipe is not watched
    /// until the source resumes the stream.
    Waiting(Pipe),
    /// The pipe is closed.
    Ended { end: StreamEnd, unsent: u64 },
}

/// The stdin stream of a running child.
pub(super) struct StdinStream {
    state: State,
    source: Box<dyn Source + Send>,
    written: u64,
    /// Bytes taken from the source, `buf[start..end]` not yet written.
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl StdinStream {
    /// A stream written from `source` (already started) into `pipe`
    /// (already watched for room).
    pub(crate) fn new(pipe: Pipe, source: Box<dyn Source + Send>) -> StdinStream {
        StdinStream {
            state: State::Writing(pipe),
            source,
            written: 0,
            buf: Vec::new(),
            start: 0,
            end: 0,
        }
    }

    /// Whether the pipe is closed.
    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, State::Ended { .. })
    }

    /// Whether it waits for its source.
    pub(crate) fn is_waiting(&self) -> bool {
        matches!(self.state, State::Waiting(_))
    }

    /// The pipe has room: writes from the source until the pipe is full,
    /// the source has nothing for now or is exhausted, or
    /// [`WRITE_BYTES_PER_EVENT`] were written. An error (of the source or
    /// of the write) is the caller's to act on (the stream stays as it
    /// was, so that the child can be killed before its stdin closes).
    pub(crate) fn on_writable(&mut self, sizes: PipeSizes) -> io::Result<()> {
        let mut budget = WRITE_BYTES_PER_EVENT;
        while budget > 0 {
            let State::Writing(pipe) = &mut self.state else {
                return Ok(());
            };
            if self.start == self.end {
                if self.buf.is_empty() {
                    self.buf = vec![0; INPUT_BUFFER];
                }
                match self.source.fill(&mut self.buf)? {
                    Fill::Data(n) => {
                        self.start = 0;
                        self.end = n.min(self.buf.len());
                        continue;
                    }
                    Fill::Pending => return self.wait_for_source(),
                    Fill::End => {
                        self.end(StreamEnd::Eof);
                        return Ok(());
                    }
                }
            }
            match pipe.file().write(&self.buf[self.start..self.end]) {
                Ok(n) => {
                    self.start += n;
                    self.written += n as u64;
                    budget = budget.saturating_sub(n as u64);
                    if self.start < self.end {
                        // A short write: the pipe is full.
                        pipe.busy(sizes);
                        return Ok(());
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    pipe.busy(sizes);
                    return Ok(());
                }
                Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
                    self.end(StreamEnd::ChildClosed);
                    return Ok(());
                }
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    fn wait_for_source(&mut self) -> io::Result<()> {
        match self.take() {
            State::Writing(mut pipe) => {
                let watched = pipe.watch(Interest::None);
                self.state = State::Waiting(pipe);
                watched
            }
            state => {
                self.state = state;
                Ok(())
            }
        }
    }

    /// The source has more: watch the pipe again. True if it was waiting.
    pub(crate) fn resume(&mut self) -> io::Result<bool> {
        match self.take() {
            State::Waiting(mut pipe) => {
                let watched = pipe.watch(Interest::Write);
                self.state = State::Writing(pipe);
                watched.map(|()| true)
            }
            state => {
                self.state = state;
                Ok(false)
            }
        }
    }

    /// Closes the pipe (if open), for `end`. What was taken from the source
    /// and not written, and what it says it still holds, is counted
    /// unsent, unless the source was exhausted.
    pub(crate) fn end(&mut self, end: StreamEnd) {
        if self.is_done() {
            return;
        }
        let unsent = if end == StreamEnd::Eof {
            0
        } else {
            (self.end - self.start) as u64 + self.source.remaining().unwrap_or(0)
        };
        log::debug!(
            "stdin ended: {end:?} after {} bytes, {unsent} unsent",
            self.written
        );
        self.state = State::Ended { end, unsent };
    }

    /// What the report says of the stream.
    pub(crate) fn into_report(mut self) -> InputReport {
        // Only ended streams are reported; one still open counts as killed.
        self.end(StreamEnd::Killed);
        let (end, unsent) = match self.take() {
            State::Ended { end, unsent } => (end, unsent),
            State::Writing(_) | State::Waiting(_) => (StreamEnd::Killed, 0),
        };
        InputReport::new(self.written, unsent, end)
    }

    fn take(&mut self) -> State {
        std::mem::replace(
            &mut self.state,
            State::Ended {
                end: StreamEnd::Killed,
                unsent: 0,
            },
        )
    }
}

#[cfg(test)]
mod tests;
