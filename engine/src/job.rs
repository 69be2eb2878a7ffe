//! One child's options: its command and where each stream goes.

use std::fmt;
use std::process::Command;
use std::time::Duration;

use crossbeam_channel::Sender;

use crate::event::EventSink;
use crate::sink::BoxSink;
use crate::{Event, Input, IntoSink, Signal};

/// A child to run: a [`Command`] and, for each standard stream the reactor
/// should handle, a sink or an input.
///
/// Streams left alone keep what the `Command` was given (by default
/// inherited from this process, as with [`Command::spawn`]).
///
/// # Examples
///
/// ```
/// use procpump::{Discard, Flow, Input, Job};
/// use std::process::Command;
/// use std::time::Duration;
///
/// let job = Job::new(Command::new("sort"))
///     .stdin(Input::bytes("b\na\n"))
///     .stdout(|chunk: &[u8]| {
///         print!("{}", String::from_utf8_lossy(chunk));
///         Flow::Continue
///     })
///     .stderr(Discard)
///     .linger(Duration::from_millis(500));
/// assert_eq!(job.program(), "sort");
/// ```
pub struct Job {
    command: Command,
    stdin: Option<Input>,
    sinks: [Option<BoxSink>; 2],
    linger: Option<Duration>,
    events: Option<Sender<Event>>,
    merged: Option<BoxSink>,
    lifecycle: Lifecycle,
}

/// A job taken apart, to be launched.
pub(crate) struct Parts {
    pub(crate) command: Command,
    pub(crate) stdin: Option<Input>,
    /// stdout's and stderr's sinks; with `merged`, the one sink of both
    /// is stdout's.
    pub(crate) sinks: [Option<BoxSink>; 2],
    /// stdout and stderr share one pipe.
    pub(crate) merged: bool,
    pub(crate) linger: Option<Duration>,
    /// Events mode: the report goes into this channel.
    pub(crate) events: Option<Sender<Event>>,
    pub(crate) lifecycle: Lifecycle,
}

/// When and how a child is stopped.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lifecycle {
    pub(crate) timeout: Option<Duration>,
    pub(crate) stop_signal: Signal,
    pub(crate) grace: Duration,
    pub(crate) process_group: bool,
}

impl Default for Lifecycle {
    fn default() -> Lifecycle {
        Lifecycle {
            timeout: None,
            stop_signal: Signal::TERM,
            grace: Duration::from_secs(2),
            process_group: false,
        }
    }
}

impl Job {
    /// A job that runs `command`, with no stream handled yet.
    pub fn new(command: Command) -> Job {
        Job {
            command,
            stdin: None,
            sinks: [None, None],
            linger: None,
            events: None,
            merged: None,
            lifecycle: Lifecycle::default(),
        }
    }

    /// Feeds the child's stdin from `input` through a pipe, closed when the
    /// input ends.
    pub fn stdin(mut self, input: impl Into<Input>) -> Job {
        self.stdin = Some(input.into());
        self
    }

    /// Reads the child's stdout through a pipe into `sink`: any
    /// [`Sink`](crate::Sink), or a `crossbeam_channel::Sender` of
    /// [`Chunk`](crate::Chunk)s.
    pub fn stdout(mut self, sink: impl IntoSink) -> Job {
        self.sinks[0] = Some(Box::new(sink.into_sink()));
        self
    }

    /// Reads the child's stderr through a pipe into `sink`: any
    /// [`Sink`](crate::Sink), or a `crossbeam_channel::Sender` of
    /// [`Chunk`](crate::Chunk)s.
    pub fn stderr(mut self, sink: impl IntoSink) -> Job {
        self.sinks[1] = Some(Box::new(sink.into_sink()));
        self
    }

    /// Events mode: the child's stdout and stderr chunks, the end of each
    /// stream, and finally its [`Report`](crate::Report) all go, in the
    /// order they happen, into `events`, a channel that can serve many
    /// children. The report then goes to the channel instead of
    /// [`Reactor::run`](crate::Reactor::run)'s result.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Event, Job, Reactor};
    /// use std::process::Command;
    ///
    /// let (events, receiver) = crossbeam_channel::bounded(16);
    /// let mut reactor = Reactor::new()?;
    /// let mut echo = Command::new("echo");
    /// echo.arg("hi");
    /// reactor.spawn(Job::new(echo).events(events));
    /// let consumer = std::thread::spawn(move || {
    ///     let mut output = Vec::new();
    ///     for event in receiver {
    ///         match event {
    ///             Event::Output(chunk) => output.extend_from_slice(chunk.bytes()),
    ///             Event::Exited(report) => assert!(report.success()),
    ///             _ => {}
    ///         }
    ///     }
    ///     output
    /// });
    /// assert!(reactor.run()?.is_empty());
    /// drop(reactor);
    /// assert_eq!(consumer.join().unwrap(), b"hi\n");
    /// # Ok(())
    /// # }
    /// ```
    pub fn events(mut self, events: Sender<Event>) -> Job {
        self.sinks[0] = Some(Box::new(EventSink::new(events.clone())));
        self.sinks[1] = Some(Box::new(EventSink::new(events.clone())));
        self.events = Some(events);
        self
    }

    /// How long, after the child exits, its output pipes may stay open
    /// (held by grandchildren) before the reactor closes them and marks
    /// them [`StreamEnd::ForceClosed`](crate::StreamEnd::ForceClosed).
    /// Overrides the reactor's [`Options::linger`](crate::Options::linger).
    pub fn linger(mut self, linger: Duration) -> Job {
        self.linger = Some(linger);
        self
    }

    /// Reads the child's stdout **and** stderr through one pipe into
    /// `sink`, in the true order the child wrote them (both descriptors
    /// share the pipe). Reported as stdout; replaces any
    /// [`stdout`](Job::stdout) and [`stderr`](Job::stderr) sink.
    ///
    /// Two pipes merged chunk by chunk cannot keep that order: the reactor
    /// sees each pipe only when it is readable, and by then the child may
    /// have written to both, so which came first is lost. Only one shared
    /// pipe keeps it, at the price of not telling the streams apart.
    pub fn merged(mut self, sink: impl IntoSink) -> Job {
        self.sinks = [None, None];
        self.merged = Some(Box::new(sink.into_sink()));
        self
    }

    /// Stops the child if it runs longer than `timeout`: sends the stop
    /// signal ([`stop_signal`](Job::stop_signal), `SIGTERM` by default),
    /// then `SIGKILL` after the [`grace`](Job::grace) if it is still
    /// running. The report says it timed out
    /// ([`Report::timed_out`](crate::Report::timed_out)) and which signal
    /// ended it.
    pub fn timeout(mut self, timeout: Duration) -> Job {
        self.lifecycle.timeout = Some(timeout);
        self
    }

    /// The signal sent first on a timeout. Default: `SIGTERM`.
    pub fn stop_signal(mut self, signal: Signal) -> Job {
        self.lifecycle.stop_signal = signal;
        self
    }

    /// How long after the stop signal `SIGKILL` follows. Default: 2 s.
    ///
    /// For a child in its own [`process_group`](Job::process_group), the
    /// group gets that `SIGKILL` even if the child itself died at once and
    /// was reported: [`Reactor::run`](crate::Reactor::run) returns only once
    /// the grace is over, so that no grandchild ignoring the stop signal
    /// survives.
    pub fn grace(mut self, grace: Duration) -> Job {
        self.lifecycle.grace = grace;
        self
    }

    /// Starts the child in a process group of its own, and sends every
    /// signal (timeout, kill, the reactor dropped) to the whole group, so
    /// that its descendants go with it.
    ///
    /// What escapes: a descendant that left the group (`setsid`,
    /// `setpgid`), such as a daemon. And a child in its own group no longer
    /// gets the terminal's Ctrl-C: the caller must forward it.
    pub fn process_group(mut self, own_group: bool) -> Job {
        self.lifecycle.process_group = own_group;
        self
    }

    /// The command, to adjust it further.
    pub fn command_mut(&mut self) -> &mut Command {
        &mut self.command
    }

    /// The program, as given to the `Command` (lossily converted to UTF-8).
    pub fn program(&self) -> String {
        self.command.get_program().to_string_lossy().into_owned()
    }

    /// Takes the job apart, to launch it.
    pub(crate) fn into_parts(self) -> Parts {
        let Job {
            command,
            stdin,
            sinks,
            linger,
            events,
            merged,
            lifecycle,
        } = self;
        let (sinks, merged) = match merged {
            Some(sink) => ([Some(sink), None], true),
            None => (sinks, false),
        };
        Parts {
            command,
            stdin,
            sinks,
            merged,
            linger,
            events,
            lifecycle,
        }
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("command", &self.command)
            .field("stdin", &self.stdin.is_some())
            .field("stdout", &self.sinks[0].is_some())
            .field("stderr", &self.sinks[1].is_some())
            .field("linger", &self.linger)
            .finish()
    }
}
