//! One child's options: its command and where each stream goes.

use std::any::Any;
use std::fmt;
use std::process::Command;
use std::time::Duration;

use crossbeam_channel::Sender;

use crate::io::BoxSink;
use crate::job::event::EventSink;
use crate::{Event, Input, IntoSink, Signal, Terminal};

/// A child to run: a [`Command`] and, for each standard stream the reactor
/// should handle, a sink or an input.
///
/// What the child gets for each stream:
/// - stdin: what [`stdin`](Job::stdin) gives; without it `/dev/null`
///   ([`Input::null`]), as with [`Command::output`], whatever the
///   `Command` was given: a child never reads the caller's stdin unless
///   told to ([`Input::inherit`]).
/// - stdout and stderr: a pipe the reactor reads into the sink given
///   ([`stdout`](Job::stdout), [`stderr`](Job::stderr), one pipe for both
///   with [`merged`](Job::merged), or [`events`](Job::events)). A stream
///   without a sink keeps what the `Command` was given: by default this
///   process's own stdout or stderr, which the child then writes to
///   directly, unseen by the reactor and absent from the report (give it
///   [`Discard`](crate::Discard) to throw it away instead).
///
/// Calls that contradict each other are not silently dropped:
/// [`merged`](Job::merged) with [`stdout`](Job::stdout) or
/// [`stderr`](Job::stderr), or [`events`](Job::events) with any of them,
/// in either order, make a job that is not started: its report's error is
/// [`Error::InvalidJob`](crate::Error::InvalidJob), which says which calls.
/// (Calling the same one twice keeps the last.)
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
    outputs: Outputs,
    linger: Option<Duration>,
    lifecycle: Lifecycle,
    label: Option<Label>,
    /// The first call that contradicted an earlier one, and the sinks it
    /// was given: the job will not start.
    conflict: Option<(String, Vec<BoxSink>)>,
    /// The stages after this one, when this job is the first stage of a
    /// [`Pipeline`](crate::Pipeline).
    stages: Vec<Job>,
}

/// A caller's value that comes back in the report.
pub(crate) type Label = Box<dyn Any + Send>;

/// Where the child's output goes.
enum Outputs {
    /// stdout's and stderr's sinks, each through its own pipe (none: the
    /// stream is left as the `Command` has it).
    Separate([Option<BoxSink>; 2]),
    /// Both through one pipe, into one sink.
    Merged(BoxSink),
    /// Events mode.
    Events(Sender<Event>),
    /// Both to a pseudo-terminal, read into one sink.
    Terminal(Terminal, BoxSink),
}

impl Outputs {
    /// The call that set them, for an error's message.
    fn call(&self) -> &'static str {
        match self {
            Outputs::Separate([Some(_), _]) => "stdout",
            Outputs::Separate(_) => "stderr",
            Outputs::Merged(_) => "merged",
            Outputs::Events(_) => "events",
            Outputs::Terminal(..) => "terminal",
        }
    }
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
    /// stdout and stderr are this terminal (its sink is stdout's).
    pub(crate) terminal: Option<Terminal>,
    pub(crate) linger: Option<Duration>,
    /// Events mode: the report goes into this channel.
    pub(crate) events: Option<Sender<Event>>,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) label: Option<Label>,
    /// Why the job must not start, and the sinks the offending calls gave.
    pub(crate) conflict: Option<(String, Vec<BoxSink>)>,
    /// The later stages of a pipeline this job is the first stage of.
    pub(crate) stages: Vec<Job>,
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
            outputs: Outputs::Separate([None, None]),
            linger: None,
            lifecycle: Lifecycle::default(),
            label: None,
            conflict: None,
            stages: Vec::new(),
        }
    }

    /// Feeds the child's stdin from `input` (through a pipe, closed when the
    /// input ends, for a source; as it is for [`Input::stdio`],
    /// [`Input::inherit`] and [`Input::null`]). Without it the child reads
    /// `/dev/null`.
    pub fn stdin(mut self, input: impl Into<Input>) -> Job {
        self.stdin = Some(input.into());
        self
    }

    /// Reads the child's stdout through a pipe into `sink`: any
    /// [`Sink`](crate::Sink), or a `crossbeam_channel::Sender` of
    /// [`Chunk`](crate::Chunk)s.
    pub fn stdout(self, sink: impl IntoSink) -> Job {
        self.separate(0, "stdout", Box::new(sink.into_sink()))
    }

    /// Reads the child's stderr through a pipe into `sink`: any
    /// [`Sink`](crate::Sink), or a `crossbeam_channel::Sender` of
    /// [`Chunk`](crate::Chunk)s.
    pub fn stderr(self, sink: impl IntoSink) -> Job {
        self.separate(1, "stderr", Box::new(sink.into_sink()))
    }

    /// Sets stdout's (0) or stderr's (1) sink, unless the output is merged
    /// or in events mode.
    fn separate(mut self, index: usize, call: &str, sink: BoxSink) -> Job {
        match &mut self.outputs {
            Outputs::Separate(sinks) => sinks[index] = Some(sink),
            other => {
                let reason = format!("`{}` and `{call}` both set its output", other.call());
                self.contradict(reason, vec![sink]);
            }
        }
        self
    }

    /// Replaces the outputs with `outputs`, unless other outputs were set.
    fn set_outputs(mut self, call: &str, outputs: Outputs) -> Job {
        let same = matches!(
            (&self.outputs, &outputs),
            (Outputs::Separate([None, None]), _)
                | (Outputs::Merged(_), Outputs::Merged(_))
                | (Outputs::Events(_), Outputs::Events(_))
                | (Outputs::Terminal(..), Outputs::Terminal(..))
        );
        if same {
            self.outputs = outputs;
        } else {
            let reason = format!("`{}` and `{call}` both set its output", self.outputs.call());
            let sinks = match outputs {
                Outputs::Merged(sink) | Outputs::Terminal(_, sink) => vec![sink],
                Outputs::Separate(_) | Outputs::Events(_) => Vec::new(),
            };
            self.contradict(reason, sinks);
        }
        self
    }

    /// Records a contradiction (the first one's reason is kept).
    fn contradict(&mut self, reason: String, sinks: Vec<BoxSink>) {
        match &mut self.conflict {
            Some((_, rejected)) => rejected.extend(sinks),
            None => self.conflict = Some((reason, sinks)),
        }
    }

    /// Events mode: the child's stdout and stderr chunks, the end of each
    /// stream, and finally its [`Report`](crate::Report) all go, in the
    /// order they happen, into `events`, a channel that can serve many
    /// children. The report then goes to the channel instead of
    /// [`Reactor::run`](crate::Reactor::run)'s result. Not with
    /// [`stdout`](Job::stdout), [`stderr`](Job::stderr) or
    /// [`merged`](Job::merged): such a job is not started
    /// ([`Error::InvalidJob`](crate::Error::InvalidJob)).
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
    pub fn events(self, events: Sender<Event>) -> Job {
        self.set_outputs("events", Outputs::Events(events))
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
    /// share the pipe). Reported as stdout. Not with
    /// [`stdout`](Job::stdout), [`stderr`](Job::stderr) or
    /// [`events`](Job::events): such a job is not started
    /// ([`Error::InvalidJob`](crate::Error::InvalidJob)).
    ///
    /// Two pipes merged chunk by chunk cannot keep that order: the reactor
    /// sees each pipe only when it is readable, and by then the child may
    /// have written to both, so which came first is lost. Only one shared
    /// pipe keeps it, at the price of not telling the streams apart.
    pub fn merged(self, sink: impl IntoSink) -> Job {
        self.set_outputs("merged", Outputs::Merged(Box::new(sink.into_sink())))
    }

    /// Gives the child a pseudo-terminal for its stdout and stderr
    /// ([`Terminal`], which says what it is and is not), and reads it into
    /// `sink`, reported as stdout. Not with [`stdout`](Job::stdout),
    /// [`stderr`](Job::stderr), [`merged`](Job::merged) or
    /// [`events`](Job::events): such a job is not started
    /// ([`Error::InvalidJob`](crate::Error::InvalidJob)).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Job, Reactor, Terminal};
    /// use std::process::Command;
    ///
    /// let (chunks, lines) = crossbeam_channel::unbounded::<procpump::Chunk>();
    /// let mut ls = Command::new("sh");
    /// ls.args(["-c", "test -t 1 && echo on a terminal"]);
    /// let mut reactor = Reactor::new()?;
    /// reactor.spawn(Job::new(ls).terminal(Terminal::new(), chunks));
    /// assert!(reactor.run()?[0].success());
    /// let text: Vec<u8> = lines.iter().flat_map(|chunk| chunk.into_bytes()).collect();
    /// assert_eq!(text, b"on a terminal\n");
    /// # Ok(())
    /// # }
    /// ```
    pub fn terminal(self, terminal: Terminal, sink: impl IntoSink) -> Job {
        self.set_outputs(
            "terminal",
            Outputs::Terminal(terminal, Box::new(sink.into_sink())),
        )
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
            outputs,
            linger,
            lifecycle,
            label,
            conflict,
            stages,
        } = self;
        let mut terminal = None;
        let (sinks, merged, events) = match outputs {
            Outputs::Separate(sinks) => (sinks, false, None),
            Outputs::Merged(sink) => ([Some(sink), None], true, None),
            Outputs::Terminal(set, sink) => {
                terminal = Some(set);
                ([Some(sink), None], false, None)
            }
            Outputs::Events(events) => {
                let sink = || -> Option<BoxSink> { Some(Box::new(EventSink::new(events.clone()))) };
                ([sink(), sink()], false, Some(events))
            }
        };
        Parts {
            command,
            stdin,
            sinks,
            merged,
            terminal,
            linger,
            events,
            lifecycle,
            label,
            conflict,
            stages,
        }
    }

    /// Makes this job the first stage of a pipeline whose later stages are
    /// `stages`, all under `lifecycle`.
    pub(crate) fn into_pipeline(mut self, stages: Vec<Job>, lifecycle: Lifecycle) -> Job {
        self.stages = stages;
        self.lifecycle = lifecycle;
        self
    }

    /// The stop signal and grace this job was given (a pipeline takes its
    /// first stage's).
    pub(crate) fn lifecycle(&self) -> Lifecycle {
        self.lifecycle
    }

    /// A value of the caller's that comes back in the child's
    /// [`Report`](crate::Report) ([`Report::label`](crate::Report::label)),
    /// to match results to jobs without a map on the side: an index, a
    /// name, a struct.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Discard, Job, Reactor};
    /// use std::process::Command;
    ///
    /// let mut reactor = Reactor::new()?;
    /// for host in ["alpha", "beta"] {
    ///     let mut echo = Command::new("echo");
    ///     echo.arg(host);
    ///     reactor.spawn(Job::new(echo).stdout(Discard).label(host.to_string()));
    /// }
    /// let mut hosts: Vec<String> = reactor
    ///     .run()?
    ///     .iter_mut()
    ///     .filter_map(|report| report.take_label::<String>())
    ///     .collect();
    /// hosts.sort();
    /// assert_eq!(hosts, ["alpha", "beta"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn label(mut self, label: impl Any + Send) -> Job {
        self.label = Some(Box::new(label));
        self
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("command", &self.command)
            .field("stdin", &self.stdin)
            .field("outputs", &self.outputs.call())
            .field("linger", &self.linger)
            .field("label", &self.label.is_some())
            .field(
                "conflict",
                &self.conflict.as_ref().map(|(reason, _)| reason),
            )
            .finish()
    }
}
