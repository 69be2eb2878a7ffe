//! A pipeline, `A | B | C`, run as one job.

use std::fmt;
use std::time::Duration;

use crate::job::builder::{Job, Lifecycle};
use crate::Signal;

/// Children connected as a shell connects `A | B | C`, run and reported as
/// one job.
///
/// Each stage is a [`Job`]. Between two stages the pipe goes from one
/// child straight to the next: no byte passes through the reactor. The
/// first stage's [`Job::stdin`] is the pipeline's input (any
/// [`Input`](crate::Input)), the last stage's [`Job::stdout`] its output
/// (any sink), and every stage's [`Job::stderr`] takes a sink of its own.
/// An earlier stage given a stdout, a later one given a stdin, or any
/// stage in events mode, merged or on a terminal, makes the pipeline
/// invalid ([`Error::InvalidJob`](crate::Error::InvalidJob)).
///
/// Spawn it as a job (`Job::from(pipeline)`) with
/// [`Reactor::spawn`](crate::Reactor::spawn) or
/// [`Handle::spawn`](crate::Handle::spawn). Every stage runs in the first
/// stage's process group: one [`timeout`](Pipeline::timeout) and one kill
/// ([`Reactor::kill`](crate::Reactor::kill),
/// [`ChildHandle::kill`](crate::ChildHandle::kill)) reach them all. Its one
/// [`Report`](crate::Report) holds each stage's report
/// ([`Report::stages`](crate::Report::stages)) and succeeds only if every
/// stage did, as with `set -o pipefail`
/// ([`Report::failed_stage`](crate::Report::failed_stage)). A stage that
/// cannot start stops the pipeline: the stages that started are killed
/// and reaped, and the error names the stage and its program
/// ([`Error::Stage`](crate::Error::Stage)). A stage that stops reading
/// early makes the stage before it get `EPIPE` or `SIGPIPE`, as in a
/// shell.
///
/// # Examples
///
/// ```
/// # fn main() -> procpump::Result<()> {
/// use procpump::{Flow, Input, Job, Pipeline, Reactor};
/// use std::process::Command;
///
/// let mut sort = Command::new("sort");
/// sort.arg("-r");
/// let pipeline = Pipeline::new(Job::new(Command::new("cat")).stdin(Input::bytes("a\nb\nc\n")))
///     .pipe(Job::new(sort))
///     .pipe(Job::new(Command::new("head")).stdout(|chunk: &[u8]| {
///         print!("{}", String::from_utf8_lossy(chunk));
///         Flow::Continue
///     }));
/// let mut reactor = Reactor::new()?;
/// reactor.spawn(Job::from(pipeline));
/// let report = reactor.run()?.remove(0);
/// assert!(report.success());
/// assert_eq!(report.stages().len(), 3);
/// assert_eq!(report.stdout().unwrap().bytes(), 6);
/// # Ok(())
/// # }
/// ```
pub struct Pipeline {
    stages: Vec<Job>,
    lifecycle: Lifecycle,
}

impl Pipeline {
    /// A pipeline whose first stage is `first` (its stop signal and grace
    /// are the pipeline's until set here).
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Job, Pipeline};
    /// use std::process::Command;
    ///
    /// let pipeline = Pipeline::new(Job::new(Command::new("yes")));
    /// assert_eq!(pipeline.len(), 1);
    /// ```
    pub fn new(first: Job) -> Pipeline {
        let mut lifecycle = first.lifecycle();
        lifecycle.process_group = true;
        Pipeline {
            stages: vec![first],
            lifecycle,
        }
    }

    /// Adds `next` as the last stage: it reads what the stage before it
    /// writes to its stdout.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Discard, Job, Pipeline};
    /// use std::process::Command;
    ///
    /// let pipeline = Pipeline::new(Job::new(Command::new("yes")))
    ///     .pipe(Job::new(Command::new("head")).stdout(Discard));
    /// assert_eq!(pipeline.len(), 2);
    /// ```
    pub fn pipe(mut self, next: Job) -> Pipeline {
        self.stages.push(next);
        self
    }

    /// How many stages it has.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Job, Pipeline};
    /// use std::process::Command;
    ///
    /// assert_eq!(Pipeline::new(Job::new(Command::new("true"))).len(), 1);
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// The whole pipeline must be done within `timeout` of its start;
    /// then its process group gets the stop signal, and `SIGKILL` after
    /// the grace (as [`Job::timeout`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> procpump::Result<()> {
    /// use procpump::{Job, Pipeline, Reactor};
    /// use std::process::Command;
    /// use std::time::Duration;
    ///
    /// let mut sleep = Command::new("sleep");
    /// sleep.arg("10");
    /// let pipeline = Pipeline::new(Job::new(sleep)).pipe(Job::new(Command::new("cat")))
    ///     .timeout(Duration::from_millis(100));
    /// let mut reactor = Reactor::new()?;
    /// reactor.spawn(pipeline.into());
    /// let report = reactor.run()?.remove(0);
    /// assert!(report.timed_out());
    /// assert!(!report.success());
    /// # Ok(())
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Pipeline {
        self.lifecycle.timeout = Some(timeout);
        self
    }

    /// The signal a timed-out pipeline's group gets first (default
    /// `SIGTERM`).
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Job, Pipeline, Signal};
    /// use std::process::Command;
    ///
    /// let pipeline = Pipeline::new(Job::new(Command::new("true"))).stop_signal(Signal::INT);
    /// # drop(pipeline);
    /// ```
    pub fn stop_signal(mut self, signal: Signal) -> Pipeline {
        self.lifecycle.stop_signal = signal;
        self
    }

    /// How long a timed-out pipeline has between the stop signal and
    /// `SIGKILL` (default 2 s).
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump::{Job, Pipeline};
    /// use std::process::Command;
    /// use std::time::Duration;
    ///
    /// let pipeline = Pipeline::new(Job::new(Command::new("true"))).grace(Duration::ZERO);
    /// # drop(pipeline);
    /// ```
    pub fn grace(mut self, grace: Duration) -> Pipeline {
        self.lifecycle.grace = grace;
        self
    }
}

/// The pipeline as one job: its first stage, carrying the others.
///
/// # Examples
///
/// ```
/// use procpump::{Job, Pipeline};
/// use std::process::Command;
///
/// let job = Job::from(Pipeline::new(Job::new(Command::new("true"))));
/// assert_eq!(job.program(), "true");
/// ```
impl From<Pipeline> for Job {
    fn from(pipeline: Pipeline) -> Job {
        let Pipeline { stages, lifecycle } = pipeline;
        let mut stages = stages.into_iter();
        let first = stages.next().expect("a pipeline has a first stage");
        first.into_pipeline(stages.collect(), lifecycle)
    }
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("stages", &self.stages)
            .finish_non_exhaustive()
    }
}
