//! One running child: its process, pipes, sinks and what its report will
//! say.

use std::io;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use crate::job::Lifecycle;
use crate::pipe::{InPipe, OutPipe, Registered};
use crate::reactor::ReportTo;
use crate::sink::BoxSink;
use crate::{ChildId, Error, Flow, InputReport, OutputReport, Report, Signal, Stream, StreamEnd};

/// A child the reactor started and has not reported yet.
pub(crate) struct Running {
    pub(crate) id: ChildId,
    pub(crate) program: String,
    pub(crate) child: Child,
    pub(crate) exit_watch: Option<Registered>,
    pub(crate) status: Option<ExitStatus>,
    pub(crate) stdin: Option<InPipe>,
    pub(crate) outputs: [Option<OutPipe>; 2],
    pub(crate) stdin_report: Option<InputReport>,
    pub(crate) output_reports: [Option<OutputReport>; 2],
    pub(crate) ended_sinks: [Option<BoxSink>; 2],
    /// Sinks whose stream ended but that still hold undelivered data.
    pub(crate) flushing: [Option<BoxSink>; 2],
    pub(crate) report_to: ReportTo,
    pub(crate) started: Instant,
    pub(crate) exited: Option<Instant>,
    pub(crate) linger: Duration,
    pub(crate) linger_deadline: Option<Instant>,
    /// The deadline last pushed on the reactor's timer heap.
    pub(crate) linger_queued: Option<Instant>,
    pub(crate) error: Option<Error>,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) timed_out: bool,
}

impl Running {
    pub(crate) fn is_done(&self) -> bool {
        self.status.is_some()
            && self.stdin.is_none()
            && self.outputs.iter().all(Option::is_none)
            && self.flushing.iter().all(Option::is_none)
    }

    pub(crate) fn end_output(&mut self, index: usize, end: StreamEnd) {
        self.end_output_with(index, end, true);
    }

    /// Ends an output stream; tells its sink only if `notify` (not after a
    /// sink panicked).
    pub(crate) fn end_output_with(&mut self, index: usize, end: StreamEnd, notify: bool) {
        if let Some(pipe) = self.outputs[index].take() {
            log::debug!(
                "child {} ({}): {} ended: {end:?} after {} bytes",
                self.id,
                self.program,
                Stream::from_index(index + 1),
                pipe.bytes
            );
            self.output_reports[index] = Some(OutputReport {
                bytes: pipe.bytes,
                discarded: pipe.discarded,
                end: end.clone(),
            });
            let mut sink = pipe.sink;
            if pipe.discarding || !notify {
                self.ended_sinks[index] = Some(sink);
                return;
            }
            sink.sink().end(&end);
            if end == StreamEnd::Killed {
                self.ended_sinks[index] = Some(sink);
            } else {
                self.flush(index, sink);
            }
        }
    }

    /// Resumes a paused output stream (or a sink still flushing); true if
    /// reading goes on.
    pub(crate) fn resume_output(&mut self, index: usize) -> io::Result<bool> {
        if let Some(sink) = self.flushing[index].take() {
            self.flush(index, sink);
        }
        let Some(pipe) = self.outputs[index].as_mut().filter(|pipe| pipe.paused) else {
            return Ok(false);
        };
        match pipe.sink.sink().resume() {
            Flow::Continue => {}
            Flow::Discard => pipe.discarding = true,
            Flow::Pause => return Ok(false),
            Flow::Close => {
                self.end_output(index, StreamEnd::Closed);
                return Ok(false);
            }
        }
        pipe.paused = false;
        pipe.arm().map(|()| true)
    }

    /// Asks an ended stream's sink to deliver what it still holds; one that
    /// cannot yet is kept until it is resumed.
    pub(crate) fn flush(&mut self, index: usize, mut sink: BoxSink) {
        if sink.sink().flush() == Flow::Pause {
            self.flushing[index] = Some(sink);
        } else {
            self.ended_sinks[index] = Some(sink);
        }
    }

    pub(crate) fn end_stdin(&mut self, end: StreamEnd) {
        if let Some(pipe) = self.stdin.take() {
            let unsent = if end == StreamEnd::Eof {
                0
            } else {
                pipe.unsent()
            };
            log::debug!(
                "child {} ({}): stdin ended: {end:?} after {} bytes, {unsent} unsent",
                self.id,
                self.program,
                pipe.written
            );
            self.stdin_report = Some(InputReport {
                written: pipe.written,
                unsent,
                end,
            });
        }
    }

    pub(crate) fn end_stream(&mut self, stream: Stream, end: StreamEnd) {
        match stream {
            Stream::Stdin => self.end_stdin(end),
            Stream::Stdout => self.end_output(0, end),
            Stream::Stderr => self.end_output(1, end),
        }
    }

    /// A pipe failed: the child's run ends with the error, and the child is
    /// killed.
    pub(crate) fn fail(&mut self, stream: Stream, err: io::Error) {
        log::debug!(
            "child {} ({}): {stream} failed: {err}",
            self.id,
            self.program
        );
        // Kill first: closing stdin before would let the child act on
        // truncated input.
        self.kill();
        self.end_stream(stream, StreamEnd::Error(err.kind()));
        if self.error.is_none() {
            self.error = Some(Error::Io {
                child: self.id,
                program: self.program.clone(),
                stream,
                source: err,
            });
        }
    }

    pub(crate) fn kill(&mut self) {
        if let Err(err) = self.signal(Signal::KILL) {
            log::debug!("child {} ({}): kill failed: {err}", self.id, self.program);
        }
    }

    /// The child's process group, if it has one of its own.
    pub(crate) fn group(&self) -> Option<u32> {
        self.lifecycle.process_group.then(|| self.child.id())
    }

    /// Signals the child, or its whole group. A child already reaped is not
    /// signalled (its pid may be reused), but its group still is.
    pub(crate) fn signal(&mut self, signal: Signal) -> io::Result<()> {
        log::debug!("child {} ({}): sending {signal}", self.id, self.program);
        if let Some(group) = self.group() {
            return match signal.send_group(group) {
                Err(err) if err.raw_os_error() == Some(3) => Ok(()), // ESRCH
                result => result,
            };
        }
        if self.status.is_some() {
            return Ok(());
        }
        let pidfd = self.exit_watch.as_ref().map(Registered::file);
        signal.send(self.child.id(), pidfd)
    }

    /// Checks, without blocking, whether the child has exited.
    pub(crate) fn poll_exit(&mut self, now: Instant) {
        match self.child.try_wait() {
            Ok(Some(status)) => self.exited(status, now),
            Ok(None) => {}
            Err(err) => {
                self.error.get_or_insert(Error::Wait {
                    child: self.id,
                    program: self.program.clone(),
                    source: err,
                });
                self.exited(ExitStatus::default(), now);
            }
        }
    }

    pub(crate) fn exited(&mut self, status: ExitStatus, now: Instant) {
        log::debug!("child {} ({}) exited: {status}", self.id, self.program);
        self.status = Some(status);
        self.exited = Some(now);
        self.exit_watch = None;
        // A source with nothing to give will never be read by a child that
        // is gone.
        if self.stdin.as_ref().is_some_and(|pipe| pipe.waiting) {
            self.end_stdin(StreamEnd::ChildClosed);
        }
        if !self.is_done() {
            self.linger_deadline = Some(now + self.linger);
        }
    }

    /// Kills the child, waits for it, and ends its streams as killed,
    /// telling their sinks if `notify`.
    pub(crate) fn kill_and_reap(&mut self, notify: bool) {
        self.kill();
        if self.status.is_none() {
            match self.child.wait() {
                Ok(status) => self.status = Some(status),
                Err(err) => log::debug!("child {} ({}): wait failed: {err}", self.id, self.program),
            }
        }
        self.end_stdin(StreamEnd::Killed);
        self.end_output_with(0, StreamEnd::Killed, notify);
        self.end_output_with(1, StreamEnd::Killed, notify);
        // A sink still flushing cannot be told twice that its stream ended:
        // drop it, so that whatever it holds (a channel's sender) is let go.
        self.flushing = [None, None];
        self.exit_watch = None;
    }

    pub(crate) fn into_report(mut self, finished: Instant) -> Report {
        Report {
            id: self.id,
            program: std::mem::take(&mut self.program),
            pid: Some(self.child.id()),
            status: self.status,
            stdin: self.stdin_report.take(),
            outputs: std::mem::take(&mut self.output_reports),
            sinks: std::mem::take(&mut self.ended_sinks),
            started: self.started,
            exited: self.exited,
            finished,
            error: self.error.take(),
            timed_out: self.timed_out,
        }
    }
}
