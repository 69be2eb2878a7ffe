//! One running child: its process, its streams, and what its report will
//! say. It handles its own events and answers the reactor with what to do
//! next ([`Next`]).

use std::io;
use std::os::fd::OwnedFd;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::base::Output;
use crate::base::Target;
use crate::child::exit::Exit;
use crate::child::output::OutputStream;
use crate::child::pipe::Scratch;
use crate::child::stdin::StdinStream;
use crate::io::BoxSink;
use crate::job::{Label, Lifecycle};
use crate::sys;
use crate::{ChildId, Error, Report, Signal, Source, Stream, StreamEnd};

/// What a child needs once its process has started.
pub(crate) struct Plan {
    pub(crate) program: String,
    pub(crate) stdin: Option<Box<dyn Source + Send>>,
    /// stdout's and stderr's sinks (a merged stream's sink as stdout's).
    pub(crate) sinks: [Option<BoxSink>; 2],
    /// The read end that both stdout and stderr write to: a merged pipe's,
    /// or a terminal's master side.
    pub(crate) combined_output: Option<OwnedFd>,
    pub(crate) linger: Duration,
    pub(crate) lifecycle: Lifecycle,
    /// When it was handed to the spawner.
    pub(crate) started: Instant,
    pub(crate) label: Option<Label>,
    /// The process group it joined (a pipeline's later stage): signals go
    /// to the whole group.
    pub(crate) group: Option<u32>,
}

/// What the reactor does next for a child, after it handled an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub(crate) enum Next {
    /// Nothing: wait for its next event.
    Wait,
    /// Its linger now ends at this instant: wake it then
    /// ([`Running::linger_over`]).
    Linger(Instant),
    /// It has exited and every stream has ended: report it.
    Report,
}

/// The `SIGKILL` a timed-out child is due after the grace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KillAfter {
    pub(crate) grace: Duration,
    /// Its own process group, which gets it even if the child is gone.
    pub(crate) group: Option<u32>,
}

/// A child the reactor started and has not reported yet.
pub(crate) struct Running {
    pub(super) id: ChildId,
    pub(super) program: String,
    pub(super) process: Child,
    pub(super) exit: Exit,
    pub(super) stdin: Option<StdinStream>,
    pub(super) outputs: [Option<OutputStream>; 2],
    pub(super) started: Instant,
    pub(super) linger: Duration,
    pub(super) lifecycle: Lifecycle,
    pub(super) error: Option<Error>,
    pub(super) timed_out: bool,
    pub(super) label: Option<Label>,
    /// The group it joined, if not its own ([`Plan::group`]).
    pub(super) joined: Option<u32>,
}

impl Running {
    /// The child.
    pub(crate) fn id(&self) -> ChildId {
        self.id
    }

    /// The program, as given to the `Command`.
    pub(crate) fn program(&self) -> &str {
        &self.program
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Whether its exit must be polled for (it runs, with no exit watch).
    pub(crate) fn is_polled(&self) -> bool {
        self.exit.is_polled()
    }

    pub(super) fn has_exited(&self) -> bool {
        self.exit.has_exited()
    }

    /// One of its registrations is ready.
    pub(crate) fn on_event(&mut self, target: Target, io: &mut Scratch, now: Instant) -> Next {
        let before = self.linger_deadline();
        match target {
            Target::Stdin => {
                if let Some(Err(err)) = self
                    .stdin
                    .as_mut()
                    .map(|stdin| stdin.on_writable(io.write_sizes))
                {
                    self.fail(Stream::Stdin, err);
                }
            }
            Target::Output(output) => {
                if let Some(Err(err)) = self.outputs[output.index()]
                    .as_mut()
                    .map(|stream| stream.on_readable(&mut io.buffer, io.read_sizes))
                {
                    self.fail(output.stream(), err);
                }
            }
            Target::Exit => self.reap(now),
        }
        self.next(before)
    }

    /// Resumes `stream` (paused by its sink, or waiting for its source, or
    /// a sink still flushing). Time spent paused does not count against
    /// the linger: reading again restarts it.
    pub(crate) fn resume(&mut self, stream: Stream, now: Instant) -> Next {
        let before = self.linger_deadline();
        let resumed = match stream.output() {
            None => self.stdin.as_mut().map(StdinStream::resume),
            Some(output) => self.outputs[output.index()]
                .as_mut()
                .map(OutputStream::resume),
        };
        match resumed {
            Some(Ok(true)) => self.exit.push_linger_back(now + self.linger),
            Some(Err(err)) => self.fail(stream, err),
            Some(Ok(false)) | None => {}
        }
        self.next(before)
    }

    /// Its linger may be over: closes what is still open
    /// ([`StreamEnd::ForceClosed`]), except streams paused by their sink,
    /// whose resume restarts the linger.
    pub(crate) fn linger_over(&mut self, now: Instant) -> Next {
        let before = self.linger_deadline();
        if before.is_some_and(|until| until <= now) {
            log::debug!(
                "child {} ({}): linger over, closing its pipes",
                self.id,
                self.program
            );
            if let Some(stdin) = self.stdin.as_mut() {
                stdin.end(StreamEnd::ForceClosed);
            }
            for stream in self.outputs.iter_mut().flatten() {
                stream.linger_over();
            }
        }
        self.next(before)
    }

    /// It ran past its timeout: sends the stop signal, and says which
    /// `SIGKILL` is due after the grace (none if the stop signal was
    /// `SIGKILL`, or it had exited).
    pub(crate) fn time_out(&mut self) -> Option<KillAfter> {
        if self.has_exited() {
            return None;
        }
        log::debug!("child {} ({}) timed out", self.id, self.program);
        self.timed_out = true;
        let Lifecycle {
            stop_signal, grace, ..
        } = self.lifecycle;
        if let Err(err) = self.signal(stop_signal) {
            log::debug!("child {}: {stop_signal} failed: {err}", self.id);
        }
        (stop_signal != Signal::KILL).then(|| KillAfter {
            grace,
            group: self.group(),
        })
    }

    /// Kills it (`SIGKILL`, its whole group if it has one of its own).
    pub(crate) fn kill(&mut self) {
        if let Err(err) = self.signal(Signal::KILL) {
            log::debug!("child {} ({}): kill failed: {err}", self.id, self.program);
        }
    }

    /// Signals it, or its whole group. A child already reaped is not
    /// signalled (its pid may be reused), but its group still is.
    pub(crate) fn signal(&mut self, signal: Signal) -> io::Result<()> {
        log::debug!("child {} ({}): sending {signal}", self.id, self.program);
        if let Some(group) = self.group() {
            return match signal.send_group(group) {
                Err(err) if err.raw_os_error() == Some(sys::ESRCH) => Ok(()),
                result => result,
            };
        }
        if self.has_exited() {
            return Ok(());
        }
        signal.send(self.process.id(), self.exit.pidfd())
    }

    /// Its report, once it is done (or killed and reaped).
    pub(crate) fn into_report(self, finished: Instant) -> Report {
        let (status, exited) = self.exit.status();
        let mut outputs = [None, None];
        let mut sinks = [None, None];
        let mut error = self.error;
        for (output, stream) in Output::ALL.into_iter().zip(self.outputs) {
            if let Some(stream) = stream {
                let (report, sink, failure) = stream.into_report();
                outputs[output.index()] = Some(report);
                sinks[output.index()] = sink;
                if let Some(source) = failure.filter(|_| error.is_none()) {
                    error = Some(Error::Sink {
                        child: self.id,
                        program: self.program.clone(),
                        stream: output.stream(),
                        source,
                    });
                }
            }
        }
        Report {
            id: self.id,
            program: self.program,
            pid: Some(self.process.id()),
            status,
            stdin: self.stdin.map(StdinStream::into_report),
            outputs,
            sinks,
            started: self.started,
            exited,
            finished,
            error,
            timed_out: self.timed_out,
            label: self.label,
            stages: Vec::new(),
        }
    }

    /// A pipe (or the source) failed: the child's run ends with the error,
    /// and the child is killed.
    fn fail(&mut self, stream: Stream, err: io::Error) {
        log::debug!(
            "child {} ({}): {stream} failed: {err}",
            self.id,
            self.program
        );
        // Kill first: closing stdin before would let the child act on
        // truncated input.
        self.kill();
        let end = StreamEnd::Error(err.kind());
        match stream.output() {
            None => {
                if let Some(stdin) = self.stdin.as_mut() {
                    stdin.end(end);
                }
            }
            Some(output) => {
                if let Some(stream) = self.outputs[output.index()].as_mut() {
                    stream.end(end);
                }
            }
        }
        self.error.get_or_insert(Error::Io {
            child: self.id,
            program: self.program.clone(),
            stream,
            source: err,
        });
    }

    /// The child's process group, if it has one of its own.
    fn group(&self) -> Option<u32> {
        self.joined
            .or_else(|| self.lifecycle.process_group.then(|| self.process.id()))
    }

    pub(super) fn streams_done(&self) -> bool {
        self.stdin.as_ref().map_or(true, StdinStream::is_done)
            && self.outputs.iter().flatten().all(OutputStream::is_done)
    }

    pub(super) fn linger_deadline(&self) -> Option<Instant> {
        self.exit.linger_deadline()
    }

    /// What the reactor does next, given the linger's deadline before the
    /// event.
    pub(super) fn next(&self, before: Option<Instant>) -> Next {
        if self.has_exited() && self.streams_done() {
            return Next::Report;
        }
        match self.linger_deadline() {
            Some(until) if Some(until) != before => Next::Linger(until),
            _ => Next::Wait,
        }
    }
}
